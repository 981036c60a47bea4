//! Principal and resource attributes, held as the CEL map that conditions
//! read (`P.attr`, `R.attr`). A request's JSON becomes CEL values once,
//! while it is parsed: evaluation then shares the map instead of converting
//! it on every check, and the JS boundary never builds a `serde_json::Value`
//! tree first.
//!
//! JSON maps to CEL as Cerbos's `google.protobuf.Struct` does: every number
//! is a `double`, objects are string-keyed maps (keys in sorted order, the
//! last of repeated keys wins, as `serde_json::Map` would have it).

use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cel::value::{Map, Value};

/// A JSON object of attribute values, as CEL sees it.
#[derive(Clone, PartialEq)]
pub struct Attributes(Arc<Map>);

impl Default for Attributes {
    /// One shared empty map per thread: serde builds a default `Principal`
    /// and `Resource` before reading each request, so an allocating default
    /// would cost two allocations (and frees) per check.
    fn default() -> Attributes {
        thread_local! {
            static EMPTY: Attributes = Attributes(Arc::new(Map::new()));
        }
        EMPTY.with(Attributes::clone)
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Attributes({})",
            serde_json::Value::Object(self.to_json())
        )
    }
}

impl Attributes {
    /// Attributes from a JSON object.
    pub fn from_json(object: &serde_json::Map<String, serde_json::Value>) -> Attributes {
        // `serde_json::Map` iterates in key order without repeats, which is
        // the order `object_map` produces for parsed input too.
        Attributes(Arc::new(Map::from_string_entries(
            object
                .iter()
                .map(|(k, v)| (k.as_str(), Value::from_json(v))),
        )))
    }

    /// The attributes as a JSON object (for schema validation and logs).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        // `extend`, not `collect`: collecting into a BTreeMap sorts first
        // (~4 KB of wasm per instantiation).
        let mut out = serde_json::Map::new();
        out.extend(self.0.iter().filter_map(|(k, v)| match k {
            Value::String(k) => Some((k.to_string(), json_of(v))),
            _ => None,
        }));
        out
    }

    /// No attributes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether attribute `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.get_str(key).is_some()
    }

    /// The CEL map (shared, not copied).
    pub(crate) fn value(&self) -> Value {
        Value::Map(self.0.clone())
    }

    /// Attributes from a JSON object's entries in document order, as
    /// [`map_of_object`] builds them.
    pub(crate) fn from_object_entries(entries: Vec<(Value, Value)>) -> Attributes {
        Attributes(Arc::new(map_of_object(entries)))
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for Attributes {
    fn from(object: serde_json::Map<String, serde_json::Value>) -> Attributes {
        Attributes::from_json(&object)
    }
}

/// The JSON of a value built from JSON (only null, bool, double, string,
/// list and string-keyed map occur). Integral doubles print as integers,
/// as `google.protobuf.Value` renders them.
fn json_of(v: &Value) -> serde_json::Value {
    serde_json::to_value(AsJson(v)).unwrap_or(serde_json::Value::Null)
}

/// Serializes a JSON-derived CEL value as JSON.
struct AsJson<'a>(&'a Value);

/// Largest integer a double holds exactly (2^53).
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

impl Serialize for AsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Double(d) if d.fract() == 0.0 && d.abs() < EXACT_INTEGER_LIMIT => {
                // INVARIANT: |d| < 2^53 and integral, so the cast is exact.
                #[allow(clippy::cast_possible_truncation)]
                s.serialize_i64(*d as i64)
            }
            Value::Double(d) => s.serialize_f64(*d),
            Value::String(t) => s.serialize_str(t),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(&AsJson(item))?;
                }
                seq.end()
            }
            Value::Map(m) => serialize_map(m, s),
            _ => s.serialize_unit(),
        }
    }
}

fn serialize_map<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
    let mut out = s.serialize_map(Some(m.len()))?;
    for (k, v) in m.iter() {
        if let Value::String(k) = k {
            out.serialize_entry(k.as_ref(), &AsJson(v))?;
        }
    }
    out.end()
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_map(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of attributes")
            }
            fn visit_unit<E>(self) -> Result<Attributes, E> {
                Ok(Attributes::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Attributes, A::Error> {
                object_map(access).map(|m| Attributes(Arc::new(m)))
            }
        }
        d.deserialize_any(ObjectVisitor)
    }
}

/// A JSON object as a CEL map: keys sorted, the last of repeated keys kept.
fn object_map<'de, A: MapAccess<'de>>(mut access: A) -> Result<Map, A::Error> {
    let mut entries: Vec<(Value, Value)> = Vec::with_capacity(access.size_hint().unwrap_or(8));
    while let Some(key) = access.next_key_seed(KeySeed)? {
        let value = access.next_value_seed(JsonSeed)?;
        entries.push((Value::String(key), value));
    }
    Ok(map_of_object(entries))
}

/// The CEL map of a JSON object's entries in document order (string keys,
/// repeats allowed): keys sorted, the last of repeated keys kept.
pub(crate) fn map_of_object(mut entries: Vec<(Value, Value)>) -> Map {
    // Stable sort keeps repeated keys in document order; of each run of
    // equal keys the last value is kept, as `serde_json::Map` does.
    crate::sort::sort_by(&mut entries, |a, b| key_str(&a.0).cmp(key_str(&b.0)));
    entries.dedup_by(|later, kept| {
        let repeated = key_str(&later.0) == key_str(&kept.0);
        if repeated {
            std::mem::swap(&mut later.1, &mut kept.1);
        }
        repeated
    });
    Map::from_distinct_entries(entries)
}

/// The text of a key `object_map` made (always a string).
fn key_str(key: &Value) -> &str {
    match key {
        Value::String(s) => s,
        _ => "",
    }
}

/// Deserializes an object key straight into the shared text CEL keeps
/// (`Cow<str>` would not help: serde's `Cow` always deserializes owned, so
/// each key was copied twice).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Arc<str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, s: &str) -> Result<Arc<str>, E> {
        Ok(Arc::from(s))
    }
}

/// Deserializes any JSON value straight into its CEL value.
struct JsonSeed;

impl<'de> DeserializeSeed<'de> for JsonSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    // Every JSON number is a double, as in `google.protobuf.Value`.
    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Double(n as f64))
    }
    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Double(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Double(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(Arc::from(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(access.size_hint().unwrap_or(4));
        while let Some(v) = access.next_element_seed(JsonSeed)? {
            items.push(v);
        }
        Ok(Value::List(items.into()))
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Value, A::Error> {
        object_map(access).map(|m| Value::Map(Arc::new(m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_the_json_conversion_does() {
        let text = r#"{"b": [1, 2.5, "x", null, true, {"z": 1, "a": {}}], "a": -3, "big": 18446744073709551615, "b": "last"}"#;
        let parsed: Attributes = serde_json::from_str(text).expect("parses");
        let via_value: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).expect("parses");
        let converted = Attributes::from_json(&via_value);
        assert_eq!(parsed, converted);
        let keys: Vec<String> = parsed
            .0
            .iter()
            .map(|(k, _)| match k {
                Value::String(s) => s.to_string(),
                other => panic!("non-string key {other:?}"),
            })
            .collect();
        assert_eq!(keys, ["a", "b", "big"]);
        assert_eq!(parsed.0.get_str("b"), Some(&Value::string("last")));
        assert_eq!(parsed.0.get_str("a"), Some(&Value::Double(-3.0)));
    }

    #[test]
    fn renders_json_with_integral_numbers_as_integers() {
        let parsed: Attributes =
            serde_json::from_str(r#"{"n": 2, "f": 2.5, "l": [1.0, {"k": null}], "s": "x"}"#)
                .expect("parses");
        assert_eq!(
            serde_json::to_string(&parsed).expect("serializes"),
            r#"{"f":2.5,"l":[1,{"k":null}],"n":2,"s":"x"}"#
        );
        assert_eq!(
            serde_json::Value::Object(parsed.to_json()),
            serde_json::json!({"f": 2.5, "l": [1, {"k": null}], "n": 2, "s": "x"})
        );
    }

    #[test]
    fn null_is_no_attributes_and_non_objects_are_refused() {
        let none: Attributes = serde_json::from_str("null").expect("null is empty");
        assert!(none.is_empty());
        let err = serde_json::from_str::<Attributes>("[1]").expect_err("a list is refused");
        assert!(
            err.to_string().contains("a JSON object of attributes"),
            "{err}"
        );
    }
}
