//! Reading a CheckResources request body without serde's generic machinery.
//!
//! Every check through the wasm surface starts by parsing the request's JSON
//! text, and serde_json's derive-driven parse (visitors, field matching,
//! `deserialize_any` for each attribute) was about a quarter of a check's
//! time in wasm. This reader handles the bodies that matter for speed —
//! plain principal, resources, actions, attributes and `requestId` /
//! `includeMeta` — and answers `None` for anything else: a string with an
//! escape, an unknown or repeated field, `auxData`, `requestContext`, a
//! `null` where serde would refuse it, deep nesting, malformed JSON. The
//! caller then parses with serde as before, so errors, their messages and
//! every rare shape stay exactly serde's.
//!
//! INVARIANT: when [`parse`] answers `Some`, the request equals what
//! `serde_json::from_str::<CheckResourcesRequest>` makes of the same text
//! (a differential test checks it, numbers bit for bit).

use super::attributes::Attributes;
use super::request::{CheckResourcesRequest, Principal, Resource, ResourceEntry};
use crate::cel::value::Value;
use std::sync::Arc;

/// Nesting of attribute values the reader follows before leaving the text
/// to serde (which has no limit: `unbounded_depth`).
const MAX_DEPTH: u32 = 64;

/// The request, when the text is one of the plain shapes this reader knows.
pub(crate) fn parse(text: &str) -> Option<CheckResourcesRequest> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut req = CheckResourcesRequest::default();
    let mut seen = Fields::default();
    r.object(|r, key| {
        match key {
            "requestId" | "request_id" => {
                seen.first(0)?;
                req.request_id = r.string()?.to_owned();
            }
            "includeMeta" | "include_meta" => {
                seen.first(1)?;
                req.include_meta = r.boolean()?;
            }
            "principal" => {
                seen.first(2)?;
                req.principal = if r.null() { None } else { Some(r.principal()?) };
            }
            "resources" => {
                seen.first(3)?;
                req.resources = r.list(Reader::entry)?;
            }
            // `auxData`, `requestContext` and unknown fields: serde's.
            _ => return None,
        }
        Some(())
    })?;
    r.skip_whitespace();
    (r.pos == r.bytes.len()).then_some(req)
}

/// The fields of one object read so far, to leave repeats to serde (which
/// refuses them, aliases included).
#[derive(Default)]
struct Fields(u8);

impl Fields {
    /// `Some` the first time field `bit` is seen.
    fn first(&mut self, bit: u8) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

/// Index of the first `"`, `\\` or control byte of `bytes`: the end of a
/// plain string's text. Eight bytes at a time: the scan was most of the
/// reader's time (request strings are keys, ids and names).
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Bit 7 of each byte of `zero_bytes(x)` is set where x has a zero byte;
    // the lowest set bit always marks a real one (a borrow only reaches the
    // bytes above a zero byte), and bytes of 0x80 and above never set one.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        let found = zero_bytes(v ^ (ONES * u64::from(b'"')))
            | zero_bytes(v ^ (ONES * u64::from(b'\\')))
            // Bytes below 0x20: the same borrow trick against 0x20.
            | (v.wrapping_sub(ONES * 0x20) & !v & HIGHS);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    let at = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(offset + at)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Consumes `word` (after whitespace) if it comes next.
    fn literal(&mut self, word: &[u8]) -> bool {
        self.skip_whitespace();
        let found = self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    fn null(&mut self) -> bool {
        self.literal(b"null")
    }

    fn boolean(&mut self) -> Option<bool> {
        if self.literal(b"true") {
            Some(true)
        } else if self.literal(b"false") {
            Some(false)
        } else {
            None
        }
    }

    /// A string without escapes or control characters, borrowed.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.pos;
        let rest = self.bytes.get(start..)?;
        let len = string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        // The bounds are ASCII bytes, so they are character boundaries.
        self.text.get(start..start + len)
    }

    /// Reads an object, calling `field` with each key once the reader is
    /// at its value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads an array, each item with `item`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(items);
        }
        loop {
            items.push(item(self)?);
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    fn owned_string(&mut self) -> Option<String> {
        self.string().map(str::to_owned)
    }

    fn principal(&mut self) -> Option<Principal> {
        let mut p = Principal::default();
        let mut seen = Fields::default();
        self.object(|r, key| {
            match key {
                "id" => {
                    seen.first(0)?;
                    p.id = r.owned_string()?;
                }
                "policyVersion" | "policy_version" => {
                    seen.first(1)?;
                    p.policy_version = r.owned_string()?;
                }
                "roles" => {
                    seen.first(2)?;
                    p.roles = r.list(Reader::owned_string)?;
                }
                "attr" => {
                    seen.first(3)?;
                    p.attr = r.attributes()?;
                }
                "scope" => {
                    seen.first(4)?;
                    p.scope = r.owned_string()?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(p)
    }

    fn resource(&mut self) -> Option<Resource> {
        let mut res = Resource::default();
        let mut seen = Fields::default();
        self.object(|r, key| {
            match key {
                "kind" => {
                    seen.first(0)?;
                    res.kind = r.owned_string()?;
                }
                "policyVersion" | "policy_version" => {
                    seen.first(1)?;
                    res.policy_version = r.owned_string()?;
                }
                "id" => {
                    seen.first(2)?;
                    res.id = r.owned_string()?;
                }
                "attr" => {
                    seen.first(3)?;
                    res.attr = r.attributes()?;
                }
                "scope" => {
                    seen.first(4)?;
                    res.scope = r.owned_string()?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(res)
    }

    fn entry(&mut self) -> Option<ResourceEntry> {
        let mut entry = ResourceEntry::default();
        let mut seen = Fields::default();
        self.object(|r, key| {
            match key {
                "actions" => {
                    seen.first(0)?;
                    entry.actions = r.list(Reader::owned_string)?;
                }
                "resource" => {
                    seen.first(1)?;
                    entry.resource = if r.null() { None } else { Some(r.resource()?) };
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(entry)
    }

    /// `attr`: an object, or `null` for none.
    fn attributes(&mut self) -> Option<Attributes> {
        if self.null() {
            return Some(Attributes::default());
        }
        self.object_entries(0).map(Attributes::from_object_entries)
    }

    /// An object's entries in document order.
    fn object_entries(&mut self, depth: u32) -> Option<Vec<(Value, Value)>> {
        // Room for a typical attribute object, so it is not grown twice.
        let mut entries = Vec::with_capacity(8);
        self.object(|r, key| {
            let value = r.value(depth)?;
            entries.push((Value::String(Arc::from(key)), value));
            Some(())
        })?;
        Some(entries)
    }

    /// Any JSON value as CEL sees it (see `attributes.rs`).
    fn value(&mut self, depth: u32) -> Option<Value> {
        if depth >= MAX_DEPTH {
            return None;
        }
        Some(match self.peek()? {
            b'"' => Value::String(Arc::from(self.string()?)),
            b'{' => Value::Map(Arc::new(super::attributes::map_of_object(
                self.object_entries(depth + 1)?,
            ))),
            b'[' => Value::List(self.list(|r| r.value(depth + 1))?.into()),
            b'n' if self.null() => Value::Null,
            b't' | b'f' => Value::Bool(self.boolean()?),
            _ => Value::Double(self.number()?),
        })
    }

    /// A JSON number as a double. serde_json (with `float_roundtrip`) also
    /// gives every number its correctly rounded double, sign of `-0`
    /// included, and refuses those out of range, which are left to it here.
    fn number(&mut self) -> Option<f64> {
        let b = self.bytes;
        let digits = |mut i: usize| {
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
            i
        };
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => i = digits(i + 1),
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            let end = digits(i + 1);
            if end == i + 1 {
                return None;
            }
            i = end;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let end = digits(i);
            if end == i {
                return None;
            }
            i = end;
        }
        let n: f64 = self.text.get(start..i)?.parse().ok()?;
        self.pos = i;
        n.is_finite().then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reader's request, checked against serde's: `Some` only
    /// where serde agrees (compared through `Debug`, which shows the sign
    /// of zero and every attribute value).
    fn fast(text: &str) -> Option<CheckResourcesRequest> {
        let got = parse(text);
        if let Some(req) = &got {
            let want: CheckResourcesRequest = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("serde refuses what the reader took: {e}\n{text}"));
            assert_eq!(
                format!("{:?}", attr_maps(req)),
                format!("{:?}", attr_maps(&want)),
                "{text}"
            );
            assert_eq!(req, &want, "{text}");
        }
        got
    }

    fn attr_maps(req: &CheckResourcesRequest) -> Vec<Value> {
        let mut out: Vec<Value> = req.principal.iter().map(|p| p.attr.value()).collect();
        out.extend(
            req.resources
                .iter()
                .filter_map(|e| e.resource.as_ref())
                .map(|r| r.attr.value()),
        );
        out
    }

    const BENCH: &str = r#"{"requestId":"b","principal":{"id":"alice","roles":["member"],"attr":{"orgId":"acme","department":"eng","groups":["editors"]}},"resources":[{"actions":["view","edit","delete","publish"],"resource":{"kind":"document","id":"d2","attr":{"ownerId":"alice","orgId":"acme","status":"published","department":"eng"}}}]}"#;

    #[test]
    fn reads_plain_requests_as_serde_does() {
        assert!(fast(BENCH).is_some());
        let all = r#" {
            "request_id": "r", "include_meta": true,
            "principal": {"id": "p", "policy_version": "v1", "roles": [], "attr": null, "scope": "a.b"},
            "resources": [
                {"resource": {"kind": "k", "policyVersion": "v2", "id": "1", "scope": "", "attr": {}}, "actions": []},
                {"actions": ["a"], "resource": null},
                {}
            ]
        } "#;
        assert!(fast(all).is_some());
        assert!(fast("{}").is_some());
        assert!(fast(r#"{"principal": null, "resources": []}"#).is_some());
        assert!(fast(r#"{"principal": {"id": "ünïcødé ✓ 😀"}}"#).is_some());
    }

    #[test]
    fn reads_attribute_values_as_serde_does() {
        for values in [
            r#"{"n": 0, "m": -0, "f": -0.0, "e": 1e5, "E": 2.5E-3, "x": 1e-400}"#,
            r#"{"big": 18446744073709551615, "bigger": 18446744073709551616, "neg": -9223372036854775808, "negbig": -9223372036854775809}"#,
            r#"{"p": 9007199254740993, "q": 0.1, "r": 123456789012345678901234567890, "s": 1.7976931348623157e308}"#,
            r#"{"b": true, "c": false, "z": null, "l": [1, "two", [3], {"k": [null]}], "o": {"y": 1, "x": {}}}"#,
            r#"{"dup": 1, "a": 2, "dup": "last", "a": [], "dup": {"in": 1, "in": 2}}"#,
            r#"{"s": "", "t": "ünï", "9": 9, "": "empty key"}"#,
        ] {
            let text = format!(r#"{{"principal": {{"id": "p", "attr": {values}}}}}"#);
            assert!(fast(&text).is_some(), "{text}");
        }
    }

    #[test]
    fn leaves_everything_else_to_serde() {
        for text in [
            "",
            "null",
            "[]",
            "{} x",
            r#"{"requestId": "a\"b"}"#,
            r#"{"requestId": "a\u0041"}"#,
            "{\"requestId\": \"tab\tin\"}",
            r#"{"requestId": "a", "request_id": "b"}"#,
            r#"{"requestId": null}"#,
            r#"{"includeMeta": 1}"#,
            r#"{"auxData": {"jwt": {"token": "t"}}}"#,
            r#"{"requestContext": {}}"#,
            r#"{"unknown": 1}"#,
            r#"{"principal": {"id": "p", "roles": null}}"#,
            r#"{"principal": ["p"]}"#,
            r#"{"principal": {"id": "p", "attr": []}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": 01}}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": 1.}}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": .5}}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": +1}}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": 1e400}}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": 1e}}}"#,
            r#"{"principal": {"id": "p", "attr": {"n": nul}}}"#,
            r#"{"principal": {"id": "p", "attr": {"k\n": 1}}}"#,
            r#"{"resources": [{"actions": null}]}"#,
            r#"{"resources": [{"actions": ["a"], "actions": ["b"]}]}"#,
            r#"{"resources": [1]}"#,
            r#"{"resources": [],}"#,
            r#"{"resources": [{"resource": {"kind": "k", "id": 1}}]}"#,
        ] {
            assert!(fast(text).is_none(), "{text}");
        }
        let deep = format!(
            r#"{{"principal": {{"attr": {{"d": {}1{}}}}}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(fast(&deep).is_none());
        let shallow = format!(
            r#"{{"principal": {{"attr": {{"d": {}1{}}}}}}}"#,
            "[".repeat(20),
            "]".repeat(20)
        );
        assert!(fast(&shallow).is_some());
    }

    mod props {
        use super::fast;
        use proptest::prelude::*;

        fn object(entries: Vec<(String, String)>, ws: &str) -> String {
            let body: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                .collect();
            format!("{{{}}}", body.join(","))
        }

        fn leaf() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("null".to_string()),
                Just("true".to_string()),
                Just("false".to_string()),
                prop::sample::select(vec![
                    "0",
                    "-0",
                    "-0.0",
                    "1e5",
                    "1E+2",
                    "2.5e-3",
                    "1e400",
                    "-1e-400",
                    "01",
                    "1.",
                    "18446744073709551615",
                    "18446744073709551616",
                    "-9223372036854775809",
                    "9007199254740993",
                    "0.1",
                    "123456789012345678901234567890",
                ])
                .prop_map(str::to_string),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|n| format!("{n:e}")),
                "[a-zA-Z0-9 _é✓]{0,6}".prop_map(|s| format!("\"{s}\"")),
                "[a-z\\\\\"\t]{0,4}".prop_map(|s| format!("\"{s}\"")),
            ]
        }

        fn value() -> impl Strategy<Value = String> {
            leaf().prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4)
                        .prop_map(|v| format!("[{}]", v.join(","))),
                    (
                        prop::collection::vec(
                            (
                                prop::sample::select(vec!["a", "b", "orgId", "x y", "é", ""]),
                                inner
                            ),
                            0..5
                        ),
                        prop::sample::select(vec!["", " ", "\n\t"])
                    )
                        .prop_map(|(v, ws)| object(
                            v.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                            ws
                        )),
                ]
            })
        }

        fn strings() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => prop::collection::vec("[a-z:*]{0,5}".prop_map(|s| format!("\"{s}\"")), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                1 => value(),
            ]
        }

        fn field(name: &'static str) -> BoxedStrategy<(String, String)> {
            let good: BoxedStrategy<String> = match name {
                "attr" => value().boxed(),
                "roles" | "actions" => strings().boxed(),
                "includeMeta" | "include_meta" => leaf().boxed(),
                _ => "[a-z.]{0,5}".prop_map(|s| format!("\"{s}\"")).boxed(),
            };
            prop_oneof![4 => good, 1 => value()]
                .prop_map(move |v| (name.to_string(), v))
                .boxed()
        }

        fn entity(names: Vec<&'static str>) -> BoxedStrategy<String> {
            let fields: Vec<BoxedStrategy<(String, String)>> =
                names.into_iter().map(field).collect();
            prop_oneof![
                8 => (
                    prop::collection::vec(prop::strategy::Union::new(fields), 0..6),
                    prop::sample::select(vec!["", " "])
                )
                    .prop_map(|(v, ws)| object(v, ws)),
                1 => value(),
            ]
            .boxed()
        }

        fn request() -> impl Strategy<Value = String> {
            let principal = entity(vec![
                "id",
                "policyVersion",
                "policy_version",
                "roles",
                "attr",
                "scope",
                "other",
            ]);
            let resource = entity(vec![
                "kind",
                "policyVersion",
                "policy_version",
                "id",
                "attr",
                "scope",
                "other",
            ]);
            let entry = (
                prop::option::of(strings()),
                prop::option::of(prop_oneof![4 => resource, 1 => Just("null".to_string())]),
            )
                .prop_map(|(actions, resource)| {
                    let mut fields = Vec::new();
                    if let Some(a) = actions {
                        fields.push(("actions".to_string(), a));
                    }
                    if let Some(r) = resource {
                        fields.push(("resource".to_string(), r));
                    }
                    object(fields, "")
                });
            let top = prop_oneof![
                field("requestId"),
                field("request_id"),
                field("includeMeta"),
                field("include_meta"),
                principal.prop_map(|p| ("principal".to_string(), p)),
                prop::collection::vec(entry, 0..3)
                    .prop_map(|v| ("resources".to_string(), format!("[{}]", v.join(",")))),
                field("auxData"),
            ];
            (
                prop::collection::vec(top, 0..6),
                prop::sample::select(vec!["", " ", "\r\n"]),
            )
                .prop_map(|(v, ws)| format!("{ws}{}{ws}", object(v, ws)))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            /// Whatever the reader accepts, serde reads the same way.
            #[test]
            fn agrees_with_serde(text in request()) {
                fast(&text);
            }

            /// The word-at-a-time scan finds the byte a plain scan finds,
            /// whatever the bytes and wherever the first special one sits.
            #[test]
            fn string_end_matches_a_byte_scan(
                bytes in prop::collection::vec(
                    prop_oneof![
                        6 => 0x20u8..0x7f,
                        1 => 0x80u8..=0xff,
                        1 => prop::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0x21, 0x5b, 0x5d]),
                    ],
                    0..40,
                )
            ) {
                let plain = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                prop_assert_eq!(super::super::string_end(&bytes), plain);
            }
        }
    }
}
