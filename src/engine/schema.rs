//! Attribute schema enforcement (Cerbos `internal/schema`): a JSON Schema
//! (2020-12) validator covering the keywords policy stores use, producing the
//! leaf errors of santhosh-tekuri/jsonschema v5 with its message texts and
//! instance locations, and Cerbos's load-failure messages.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as J;

use super::glob::matches_glob;
use super::request::{ValidationError, ValidationSource};
use crate::bundle::{PolicySchemas, SchemaRef};

/// Deepest schema/instance nesting followed; deeper parts are not checked.
const MAX_DEPTH: usize = 64;
/// Most schema documents a reference chain may visit when checking loads.
const MAX_DOCS: usize = 256;

/// A numeric bound keyword: name, predicate, operator text.
type NumericCheck = (&'static str, fn(f64, f64) -> bool, &'static str);

/// A leaf validation failure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leaf {
    pub(crate) path: String,
    pub(crate) message: String,
}

/// The schema documents of a bundle, addressable by `cerbos:///path` URIs.
struct Docs<'a> {
    schemas: &'a BTreeMap<String, J>,
}

/// `cerbos:a.json` and `cerbos:///a.json` both name `_schemas/a.json`; other
/// references (scheme-less paths are relative to the store root, not
/// `_schemas/`) are compared as written.
fn canonical(uri: &str) -> String {
    match uri.strip_prefix("cerbos:") {
        Some(rest) => format!("cerbos:///{}", rest.trim_start_matches('/')),
        None => uri.to_string(),
    }
}

impl<'a> Docs<'a> {
    fn get(&self, uri: &str) -> Option<&'a J> {
        if let Some(d) = self.schemas.get(uri) {
            return Some(d);
        }
        let want = canonical(uri);
        self.schemas
            .iter()
            .find(|(k, _)| canonical(k) == want)
            .map(|(_, v)| v)
    }
}

/// Resolves a `$ref` (without fragment) against the URI of the document it is in.
fn resolve_uri(base: &str, reference: &str) -> String {
    if reference.is_empty() {
        return base.to_string();
    }
    if reference.contains("://") || reference.starts_with("urn:") {
        return reference.to_string();
    }
    let (scheme, path) = match base.split_once(":///") {
        Some((s, p)) => (format!("{s}:///"), p),
        None => (String::new(), base),
    };
    if let Some(abs) = reference.strip_prefix('/') {
        return format!("{scheme}{abs}");
    }
    let dir = match path.rfind('/') {
        Some(i) => path.get(..=i).unwrap_or(""),
        None => "",
    };
    let joined = format!("{dir}{reference}");
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("{scheme}{}", parts.join("/"))
}

/// How Cerbos names a schema location in load errors.
fn display_location(uri: &str) -> String {
    if let Some(rest) = uri.strip_prefix("cerbos:///") {
        return format!("_schemas/{rest}");
    }
    if let Some(rest) = uri.strip_prefix("file://") {
        return rest.to_string();
    }
    uri.to_string()
}

/// Cerbos compiles a schema with everything it references before use: a
/// missing document anywhere fails the whole load.
fn check_loadable(docs: &Docs<'_>, reference: &str) -> Result<(), String> {
    let root_uri = reference.split('#').next().unwrap_or("").to_string();
    let Some(root) = docs.get(&root_uri) else {
        return Err(format!(
            "schema {} doesn't exist",
            display_location(&root_uri)
        ));
    };
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(canonical(&root_uri));
    let mut queue: Vec<(String, &J)> = vec![(root_uri, root)];
    while let Some((uri, doc)) = queue.pop() {
        if seen.len() > MAX_DOCS {
            break;
        }
        let mut stack: Vec<&J> = vec![doc];
        while let Some(v) = stack.pop() {
            match v {
                J::Object(m) => {
                    for (k, x) in m {
                        if k == "$ref" {
                            if let J::String(r) = x {
                                let target = r.split('#').next().unwrap_or("");
                                if target.is_empty() {
                                    continue;
                                }
                                let abs = resolve_uri(&uri, target);
                                if seen.insert(canonical(&abs)) {
                                    match docs.get(&abs) {
                                        Some(d) => queue.push((abs, d)),
                                        None => {
                                            return Err(format!(
                                                "schema {} referenced by {} doesn't exist",
                                                display_location(&abs),
                                                reference
                                            ))
                                        }
                                    }
                                }
                            }
                        } else {
                            stack.push(x);
                        }
                    }
                }
                J::Array(a) => stack.extend(a.iter()),
                _ => {}
            }
        }
    }
    Ok(())
}

fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn type_matches(want: &str, v: &J) -> bool {
    match (want, v) {
        ("integer", J::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => want == type_name(v),
    }
}

/// Go's `%v` for a float64.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e21).contains(&abs) {
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        };
    }
    format!("{f}")
}

fn go_num(n: &serde_json::Number) -> String {
    go_float(n.as_f64().unwrap_or(f64::NAN))
}

/// Go's `%#v` of a schema value decoded with `UseNumber` (numbers are
/// `json.Number`, a string type, so they print quoted).
fn go_sharp_v(v: &J) -> String {
    match v {
        J::Null => "<nil>".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => format!("\"{n}\""),
        J::String(s) => J::String(s.clone()).to_string(),
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    format!("'{s}'")
}

fn quote_list<'b>(items: impl Iterator<Item = &'b String>) -> String {
    items.map(|s| quote(s)).collect::<Vec<_>>().join(", ")
}

/// JSON-pointer token as v5 writes it (`~`/`/` escaped, then URL path escaping).
fn escape_token(s: &str) -> String {
    let s = s.replace('~', "~0").replace('/', "~1");
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'_' | b'~' | b'$' | b'&' | b'+' | b',' | b':' | b';' | b'=' | b'@'
            );
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn json_eq(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
        && s.bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r.clone())
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|x| x.parse::<u32>().ok())
    };
    let (Some(h), Some(mi), Some(se)) = (num(0..2), num(3..5), num(6..8)) else {
        return false;
    };
    if h > 23 || mi > 59 || se > 60 {
        return false;
    }
    let mut rest = s.get(8..).unwrap_or("");
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = frac.get(digits..).unwrap_or("");
    }
    match rest {
        "Z" | "z" => true,
        _ => {
            let rb = rest.as_bytes();
            rb.len() == 6
                && matches!(rb.first(), Some(b'+' | b'-'))
                && rb.get(3) == Some(&b':')
                && num_in(rest, 1..3, 23)
                && num_in(rest, 4..6, 59)
        }
    }
}

fn num_in(s: &str, r: std::ops::Range<usize>, max: u32) -> bool {
    s.get(r)
        .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|x| x.parse::<u32>().ok())
        .is_some_and(|n| n <= max)
}

fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// The formats v5 asserts that attribute schemas commonly use; unknown
/// formats pass, as in v5.
fn format_ok(format: &str, v: &J) -> bool {
    let J::String(s) = v else { return true };
    match format {
        "date-time" => match s.find(['T', 't']) {
            Some(i) => is_date(s.get(..i).unwrap_or("")) && is_time(s.get(i + 1..).unwrap_or("")),
            None => false,
        },
        "date" => is_date(s),
        "time" => is_time(s),
        "email" => match s.rsplit_once('@') {
            Some((local, domain)) => !local.is_empty() && local.len() <= 64 && is_hostname(domain),
            None => false,
        },
        "hostname" => is_hostname(s),
        "ipv4" => {
            let parts: Vec<&str> = s.split('.').collect();
            parts.len() == 4
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.len() <= 3
                        && p.bytes().all(|c| c.is_ascii_digit())
                        && !(p.len() > 1 && p.starts_with('0'))
                        && p.parse::<u16>().is_ok_and(|n| n <= 255)
                })
        }
        "ipv6" => s.contains(':') && s.parse::<std::net::Ipv6Addr>().is_ok(),
        "uuid" => {
            let b = s.as_bytes();
            b.len() == 36
                && b.iter().enumerate().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => *c == b'-',
                    _ => c.is_ascii_hexdigit(),
                })
        }
        _ => true,
    }
}

struct Validator<'a> {
    docs: Docs<'a>,
    leaves: Vec<Leaf>,
}

impl<'a> Validator<'a> {
    fn leaf(&mut self, path: &str, message: String) {
        self.leaves.push(Leaf {
            path: path.to_string(),
            message,
        });
    }

    /// Validates into a separate list (for `anyOf`/`oneOf`/`not`/`if`).
    fn probe(&self, schema: &'a J, base: &str, v: &J, path: &str, depth: usize) -> Vec<Leaf> {
        let mut p = Validator {
            docs: Docs {
                schemas: self.docs.schemas,
            },
            leaves: Vec::new(),
        };
        p.validate(schema, base, v, path, depth);
        p.leaves
    }

    fn resolve(&self, base: &str, reference: &str) -> Option<(&'a J, String)> {
        let (doc, fragment) = match reference.split_once('#') {
            Some((d, f)) => (d, f),
            None => (reference, ""),
        };
        let uri = resolve_uri(base, doc);
        let root = self.docs.get(&uri)?;
        let target = if fragment.is_empty() {
            root
        } else {
            root.pointer(fragment)?
        };
        Some((target, uri))
    }

    fn validate(&mut self, schema: &'a J, base: &str, v: &J, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let s = match schema {
            J::Bool(true) => return,
            J::Bool(false) => {
                self.leaf(path, "not allowed".to_string());
                return;
            }
            J::Object(o) => o,
            _ => return,
        };
        match s.get("type") {
            Some(J::String(t)) if !type_matches(t, v) => {
                self.leaf(path, format!("expected {t}, but got {}", type_name(v)));
                return;
            }
            Some(J::Array(ts)) => {
                let names: Vec<&str> = ts.iter().filter_map(J::as_str).collect();
                if !names.iter().any(|t| type_matches(t, v)) {
                    self.leaf(
                        path,
                        format!("expected {}, but got {}", names.join(" or "), type_name(v)),
                    );
                    return;
                }
            }
            _ => {}
        }
        if let Some(c) = s.get("const") {
            if !json_eq(c, v) {
                let msg = match c {
                    J::Object(_) | J::Array(_) => "const failed".to_string(),
                    _ => format!("value must be {}", go_sharp_v(c)),
                };
                self.leaf(path, msg);
            }
        }
        if let Some(J::Array(options)) = s.get("enum") {
            if !options.iter().any(|o| json_eq(o, v)) {
                let primitive = options
                    .iter()
                    .all(|o| !matches!(o, J::Object(_) | J::Array(_)));
                let msg = if !primitive {
                    "enum failed".to_string()
                } else if let [only] = options.as_slice() {
                    format!("value must be {}", go_sharp_v(only))
                } else {
                    let list: Vec<String> = options.iter().map(go_sharp_v).collect();
                    format!("value must be one of {}", list.join(", "))
                };
                self.leaf(path, msg);
            }
        }
        if let Some(J::String(f)) = s.get("format") {
            if !format_ok(f, v) {
                let shown = match v {
                    J::String(x) => quote(x),
                    other => other.to_string(),
                };
                self.leaf(path, format!("{shown} is not valid {}", quote(f)));
            }
        }
        match v {
            J::Object(obj) => self.validate_object(s, base, obj, path, depth),
            J::Array(items) => self.validate_array(s, base, items, path, depth),
            J::String(text) => self.validate_string(s, text, path),
            J::Number(n) => self.validate_number(s, n, path),
            _ => {}
        }
        if let Some(J::String(r)) = s.get("$ref") {
            match self.resolve(base, r) {
                Some((target, uri)) => self.validate(target, &uri, v, path, depth + 1),
                None => self.leaf(path, format!("cannot resolve {}", quote(r))),
            }
        }
        if let Some(not) = s.get("not") {
            if self.probe(not, base, v, path, depth + 1).is_empty() {
                self.leaf(path, "not failed".to_string());
            }
        }
        if let Some(J::Array(all)) = s.get("allOf") {
            for sub in all {
                self.validate(sub, base, v, path, depth + 1);
            }
        }
        if let Some(J::Array(any)) = s.get("anyOf") {
            let mut causes = Vec::new();
            let mut matched = false;
            for sub in any {
                let l = self.probe(sub, base, v, path, depth + 1);
                if l.is_empty() {
                    matched = true;
                    break;
                }
                causes.extend(l);
            }
            if !matched {
                self.leaves.extend(causes);
            }
        }
        if let Some(J::Array(one)) = s.get("oneOf") {
            let mut causes = Vec::new();
            let mut matched: Option<usize> = None;
            for (i, sub) in one.iter().enumerate() {
                let l = self.probe(sub, base, v, path, depth + 1);
                if l.is_empty() {
                    if let Some(first) = matched {
                        self.leaf(
                            path,
                            format!("valid against schemas at indexes {first} and {i}"),
                        );
                        break;
                    }
                    matched = Some(i);
                } else {
                    causes.extend(l);
                }
            }
            if matched.is_none() {
                self.leaves.extend(causes);
            }
        }
        if let Some(cond) = s.get("if") {
            let branch = if self.probe(cond, base, v, path, depth + 1).is_empty() {
                "then"
            } else {
                "else"
            };
            if let Some(sub) = s.get(branch) {
                self.validate(sub, base, v, path, depth + 1);
            }
        }
    }

    fn validate_string(&mut self, s: &serde_json::Map<String, J>, text: &str, path: &str) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(J::as_u64) {
            if len < min {
                self.leaf(path, format!("length must be >= {min}, but got {len}"));
            }
        }
        if let Some(max) = s.get("maxLength").and_then(J::as_u64) {
            if len > max {
                self.leaf(path, format!("length must be <= {max}, but got {len}"));
            }
        }
        if let Some(J::String(p)) = s.get("pattern") {
            if let Ok(re) = regex_lite::Regex::new(p) {
                if !re.is_match(text) {
                    self.leaf(path, format!("does not match pattern {}", quote(p)));
                }
            }
        }
    }

    fn validate_number(
        &mut self,
        s: &serde_json::Map<String, J>,
        n: &serde_json::Number,
        path: &str,
    ) {
        let x = n.as_f64().unwrap_or(f64::NAN);
        let checks: [NumericCheck; 4] = [
            ("minimum", |x, m| x >= m, ">="),
            ("exclusiveMinimum", |x, m| x > m, ">"),
            ("maximum", |x, m| x <= m, "<="),
            ("exclusiveMaximum", |x, m| x < m, "<"),
        ];
        for (kw, ok, op) in checks {
            if let Some(m) = s.get(kw).and_then(J::as_f64) {
                if !ok(x, m) {
                    self.leaf(
                        path,
                        format!("must be {op} {} but found {}", go_float(m), go_num(n)),
                    );
                }
            }
        }
        if let Some(m) = s.get("multipleOf").and_then(J::as_f64) {
            if m != 0.0 && (x / m).fract() != 0.0 {
                self.leaf(
                    path,
                    format!("{} not multipleOf {}", go_num(n), go_float(m)),
                );
            }
        }
    }

    fn validate_object(
        &mut self,
        s: &'a serde_json::Map<String, J>,
        base: &str,
        obj: &serde_json::Map<String, J>,
        path: &str,
        depth: usize,
    ) {
        let count = obj.len();
        if let Some(min) = s.get("minProperties").and_then(J::as_u64) {
            if (count as u64) < min {
                self.leaf(
                    path,
                    format!("minimum {min} properties allowed, but found {count} properties"),
                );
            }
        }
        if let Some(max) = s.get("maxProperties").and_then(J::as_u64) {
            if (count as u64) > max {
                self.leaf(
                    path,
                    format!("maximum {max} properties allowed, but found {count} properties"),
                );
            }
        }
        if let Some(J::Array(req)) = s.get("required") {
            let missing: Vec<String> = req
                .iter()
                .filter_map(J::as_str)
                .filter(|k| !obj.contains_key(*k))
                .map(str::to_string)
                .collect();
            if !missing.is_empty() {
                self.leaf(
                    path,
                    format!("missing properties: {}", quote_list(missing.iter())),
                );
            }
        }
        let mut evaluated: HashSet<&str> = HashSet::new();
        if let Some(props) = s.get("properties").and_then(J::as_object) {
            for (k, sub) in props {
                if let Some(val) = obj.get(k) {
                    evaluated.insert(k.as_str());
                    let child = format!("{path}/{}", escape_token(k));
                    self.validate(sub, base, val, &child, depth + 1);
                }
            }
        }
        if let Some(pp) = s.get("patternProperties").and_then(J::as_object) {
            for (pattern, sub) in pp {
                let Ok(re) = regex_lite::Regex::new(pattern) else {
                    continue;
                };
                for (k, val) in obj {
                    if re.is_match(k) {
                        evaluated.insert(k.as_str());
                        let child = format!("{path}/{}", escape_token(k));
                        self.validate(sub, base, val, &child, depth + 1);
                    }
                }
            }
        }
        if let Some(names) = s.get("propertyNames") {
            for k in obj.keys() {
                let child = format!("{path}/{}", escape_token(k));
                self.validate(names, base, &J::String(k.clone()), &child, depth + 1);
            }
        }
        match s.get("additionalProperties") {
            Some(J::Bool(false)) => {
                let extra: Vec<String> = obj
                    .keys()
                    .filter(|k| !evaluated.contains(k.as_str()))
                    .cloned()
                    .collect();
                if !extra.is_empty() {
                    self.leaf(
                        path,
                        format!(
                            "additionalProperties {} not allowed",
                            quote_list(extra.iter())
                        ),
                    );
                }
            }
            Some(sub @ J::Object(_)) => {
                for (k, val) in obj {
                    if !evaluated.contains(k.as_str()) {
                        let child = format!("{path}/{}", escape_token(k));
                        self.validate(sub, base, val, &child, depth + 1);
                    }
                }
            }
            _ => {}
        }
        if let Some(J::Object(dr)) = s.get("dependentRequired") {
            for (name, needs) in dr {
                if obj.contains_key(name) {
                    for need in needs.as_array().into_iter().flatten().filter_map(J::as_str) {
                        if !obj.contains_key(need) {
                            self.leaf(
                                path,
                                format!(
                                    "property {} is required, if {} property exists",
                                    quote(need),
                                    quote(name)
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    fn validate_array(
        &mut self,
        s: &'a serde_json::Map<String, J>,
        base: &str,
        items: &[J],
        path: &str,
        depth: usize,
    ) {
        let n = items.len();
        if let Some(min) = s.get("minItems").and_then(J::as_u64) {
            if (n as u64) < min {
                self.leaf(
                    path,
                    format!("minimum {min} items required, but found {n} items"),
                );
            }
        }
        if let Some(max) = s.get("maxItems").and_then(J::as_u64) {
            if (n as u64) > max {
                self.leaf(
                    path,
                    format!("maximum {max} items required, but found {n} items"),
                );
            }
        }
        if s.get("uniqueItems") == Some(&J::Bool(true)) {
            for i in 1..n {
                for j in 0..i {
                    if let (Some(a), Some(b)) = (items.get(i), items.get(j)) {
                        if json_eq(a, b) {
                            self.leaf(path, format!("items at index {j} and {i} are equal"));
                        }
                    }
                }
            }
        }
        let prefix = s.get("prefixItems").and_then(J::as_array);
        let skip = prefix.map_or(0, Vec::len);
        if let Some(prefix) = prefix {
            for (i, (sub, val)) in prefix.iter().zip(items).enumerate() {
                self.validate(sub, base, val, &format!("{path}/{i}"), depth + 1);
            }
        }
        if let Some(sub) = s.get("items") {
            for (i, val) in items.iter().enumerate().skip(skip) {
                self.validate(sub, base, val, &format!("{path}/{i}"), depth + 1);
            }
        }
        if let Some(contains) = s.get("contains") {
            let mut causes = Vec::new();
            let mut matched = 0u64;
            for (i, val) in items.iter().enumerate() {
                let l = self.probe(contains, base, val, &format!("{path}/{i}"), depth + 1);
                if l.is_empty() {
                    matched += 1;
                } else {
                    causes.extend(l);
                }
            }
            let min = s.get("minContains").and_then(J::as_u64).unwrap_or(1);
            if matched < min {
                if causes.is_empty() {
                    self.leaf(path, format!("valid must be >= {min}, but got {matched}"));
                } else {
                    self.leaves.extend(causes);
                }
            }
            if let Some(max) = s.get("maxContains").and_then(J::as_u64) {
                if matched > max {
                    self.leaf(path, format!("valid must be <= {max}, but got {matched}"));
                }
            }
        }
    }
}

/// Validates `attrs` against the schema `reference`: the leaf errors, or
/// the load failure Cerbos reports when a schema document is missing.
pub(crate) fn validate_attrs(
    schemas: &BTreeMap<String, J>,
    reference: &str,
    attrs: &serde_json::Map<String, J>,
) -> Result<Vec<Leaf>, String> {
    let docs = Docs { schemas };
    check_loadable(&docs, reference)?;
    let mut v = Validator {
        docs,
        leaves: Vec::new(),
    };
    let (schema, uri) = v
        .resolve(reference, reference)
        .ok_or_else(|| format!("schema {} doesn't exist", display_location(reference)))?;
    let instance = J::Object(attrs.clone());
    v.validate(schema, &uri, &instance, "", 0);
    Ok(v.leaves)
}

/// Whether `schema` applies given its `ignoreWhen.actions`: it is skipped only
/// when every requested action matches one of the globs.
fn applies(schema: &SchemaRef, actions: &[String]) -> bool {
    if schema.ignore_actions.is_empty() {
        return true;
    }
    actions
        .iter()
        .any(|a| !schema.ignore_actions.iter().any(|g| matches_glob(g, a)))
}

/// Cerbos `validateAttr` for one source.
pub(crate) fn check_source(
    schemas: &BTreeMap<String, J>,
    schema: Option<&SchemaRef>,
    attrs: &serde_json::Map<String, J>,
    actions: &[String],
    source: ValidationSource,
    out: &mut Vec<ValidationError>,
) {
    let Some(schema) = schema else { return };
    if schema.reference.is_empty() || !applies(schema, actions) {
        return;
    }
    match validate_attrs(schemas, &schema.reference, attrs) {
        Ok(leaves) => out.extend(leaves.into_iter().map(|l| ValidationError {
            path: if l.path.is_empty() {
                "/".to_string()
            } else {
                l.path
            },
            message: l.message,
            source,
        })),
        Err(e) => {
            let which = match source {
                ValidationSource::Principal => "principal",
                ValidationSource::Resource => "resource",
            };
            out.push(ValidationError {
                path: String::new(),
                message: format!("Failed to load {which} schema {:?}: {e}", schema.reference),
                source,
            });
        }
    }
}

/// Validates principal and resource attributes of an input the way Cerbos
/// does for `schemas` (principal first, then resource). `schemas_docs` are
/// the JSON Schema documents keyed by reference (`cerbos:///path.json`).
pub fn validate_input(
    schema_docs: &BTreeMap<String, J>,
    schemas: &PolicySchemas,
    principal_attr: &serde_json::Map<String, J>,
    resource_attr: &serde_json::Map<String, J>,
    actions: &[String],
) -> Vec<ValidationError> {
    let mut out = Vec::new();
    check_source(
        schema_docs,
        schemas.principal.as_ref(),
        principal_attr,
        actions,
        ValidationSource::Principal,
        &mut out,
    );
    check_source(
        schema_docs,
        schemas.resource.as_ref(),
        resource_attr,
        actions,
        ValidationSource::Resource,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: J, inst: J) -> Vec<(String, String)> {
        let mut m = BTreeMap::new();
        m.insert("cerbos:///s.json".to_string(), schema);
        let J::Object(o) = inst else { return vec![] };
        validate_attrs(&m, "cerbos:///s.json", &o)
            .unwrap_or_default()
            .into_iter()
            .map(|l| (l.path, l.message))
            .collect()
    }

    #[test]
    fn santhosh_messages() {
        let schema = json!({"type":"object","properties":{"department":{"type":"string","enum":["marketing","engineering"]},"n":{"type":"string"},"i":{"type":"integer","minimum":20}},"required":["department","team"]});
        let got = run(schema, json!({"department":"accounting","n":1,"i":2.5}));
        assert_eq!(
            got,
            vec![
                ("".to_string(), "missing properties: 'team'".to_string()),
                (
                    "/department".to_string(),
                    "value must be one of \"marketing\", \"engineering\"".to_string()
                ),
                (
                    "/i".to_string(),
                    "expected integer, but got number".to_string()
                ),
                (
                    "/n".to_string(),
                    "expected string, but got number".to_string()
                ),
            ]
        );
        let got = run(
            json!({"properties":{"i":{"minimum":20},"d":{"format":"date-time"},"p":{"pattern":"^a+$"}}}),
            json!({"i":19,"d":"2021-13-01T00:00:00Z","p":"b"}),
        );
        assert_eq!(
            got,
            vec![
                (
                    "/d".to_string(),
                    "'2021-13-01T00:00:00Z' is not valid 'date-time'".to_string()
                ),
                ("/i".to_string(), "must be >= 20 but found 19".to_string()),
                (
                    "/p".to_string(),
                    "does not match pattern '^a+$'".to_string()
                ),
            ]
        );
    }

    #[test]
    fn go_float_formatting() {
        assert_eq!(go_float(20.0), "20");
        assert_eq!(go_float(2.5), "2.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(0.00001), "1e-05");
    }

    #[test]
    fn relative_references_and_load_errors() {
        let mut m = BTreeMap::new();
        m.insert(
            "cerbos:///a/main.json".to_string(),
            json!({"properties":{"x":{"$ref":"other.json"},"y":{"$ref":"/b.json"}}}),
        );
        m.insert(
            "cerbos:///a/other.json".to_string(),
            json!({"type":"string"}),
        );
        m.insert("cerbos:///b.json".to_string(), json!({"type":"boolean"}));
        m.insert(
            "cerbos:///bad.json".to_string(),
            json!({"properties":{"x":{"$ref":"cerbos:///nope.json"}}}),
        );
        let attrs = json!({"x": 1, "y": 1});
        let J::Object(o) = attrs else { return };
        let got = validate_attrs(&m, "cerbos:///a/main.json", &o).expect("loads");
        assert_eq!(got.len(), 2);
        assert_eq!(
            validate_attrs(&m, "cerbos:///bad.json", &o)
                .err()
                .as_deref(),
            Some("schema _schemas/nope.json referenced by cerbos:///bad.json doesn't exist")
        );
        assert_eq!(
            validate_attrs(&m, "cerbos:///blah.json", &o)
                .err()
                .as_deref(),
            Some("schema _schemas/blah.json doesn't exist")
        );
    }
}
