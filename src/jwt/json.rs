//! Strict JSON object parsing for JOSE headers, claim sets and JWKs.
//!
//! `serde_json::Value` silently keeps the last of two equal keys, which lets
//! an attacker smuggle a second `alg` or `sub` past a validator that reads a
//! different copy (RFC 7515 §5.2 says to reject or use the same copy
//! consistently; we reject). The visitor below builds the same `Value` while
//! refusing duplicates at every level and capping nesting depth, so hostile
//! input can neither recurse without bound nor hide a key.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use thiserror::Error;

/// Default maximum nesting depth of objects/arrays in token JSON.
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// Why a JSON document was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonError {
    /// The same member name appears twice in one object.
    #[error("duplicate key \"{0}\"")]
    DuplicateKey(String),
    /// Objects/arrays are nested deeper than allowed.
    #[error("JSON nested deeper than {0} levels")]
    TooDeep(usize),
    /// The top-level value is not an object.
    #[error("expected a JSON object")]
    NotAnObject,
    /// Not valid JSON (message from the parser).
    #[error("invalid JSON: {0}")]
    Syntax(String),
}

#[derive(Default)]
struct Problem(RefCell<Option<JsonError>>);

impl Problem {
    fn set(&self, e: JsonError) {
        let mut slot = self.0.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    }
}

#[derive(Clone, Copy)]
struct ValueSeed<'p> {
    depth: usize,
    max_depth: usize,
    problem: &'p Problem,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn nested<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= self.max_depth {
            self.problem.set(JsonError::TooDeep(self.max_depth));
            return Err(E::custom("too deep"));
        }
        Ok(ValueSeed {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                self.problem.set(JsonError::DuplicateKey(key));
                return Err(de::Error::custom("duplicate key"));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses `bytes` as one JSON value with duplicate-key and depth checks.
pub fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    // `from_str`, not `from_slice`: every other parse in the crate reads a
    // `&str`, and a second reader type would duplicate serde_json's parser
    // in the runtime wasm. JSON text is UTF-8 (RFC 8259 §8.1) throughout,
    // so checking it up front refuses the same documents `from_slice` does
    // (the visitor reads every string); only the message differs.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        JsonError::Syntax(format!(
            "invalid UTF-8 at byte {} of the document",
            e.valid_up_to()
        ))
    })?;
    let problem = Problem::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = ValueSeed {
        depth: 0,
        max_depth,
        problem: &problem,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => Ok(v),
        Err(e) => Err(problem
            .0
            .into_inner()
            .unwrap_or_else(|| JsonError::Syntax(e.to_string()))),
    }
}

/// Parses `bytes` as a JSON object with duplicate-key and depth checks.
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes, max_depth)? {
        Value::Object(m) => Ok(m),
        _ => Err(JsonError::NotAnObject),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_found_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#, 8),
            Err(JsonError::DuplicateKey("a".into()))
        );
        assert_eq!(
            parse_object(br#"{"x":{"b":[{"c":1,"c":1}]}}"#, 8),
            Err(JsonError::DuplicateKey("c".into()))
        );
        // Escaped spelling of the same key is still the same key.
        assert_eq!(
            parse_object(br#"{"alg":"RS256","\u0061lg":"none"}"#, 8),
            Err(JsonError::DuplicateKey("alg".into()))
        );
        assert!(parse_object(br#"{"a":1,"b":{"a":2}}"#, 8).is_ok());
    }

    #[test]
    fn invalid_utf8_refused() {
        // In a string value, in a key, and where a value should start.
        for doc in [&b"{\"a\":\"\xff\"}"[..], b"{\"\xc3\":1}", b"{\"a\":\xe2}"] {
            assert!(
                matches!(parse_object(doc, 8), Err(JsonError::Syntax(_))),
                "{doc:?}"
            );
        }
        // Multi-byte UTF-8 is fine.
        assert!(parse_object("{\"é\":\"ü\"}".as_bytes(), 8).is_ok());
    }

    #[test]
    fn depth_and_shape() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let doc = format!(r#"{{"a":{deep}}}"#);
        assert_eq!(
            parse_object(doc.as_bytes(), 32),
            Err(JsonError::TooDeep(32))
        );
        assert_eq!(parse_object(b"[1]", 8), Err(JsonError::NotAnObject));
        assert!(matches!(
            parse_object(b"{} x", 8),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":}", 8),
            Err(JsonError::Syntax(_))
        ));
        let v = parse_object(
            br#"{"n":1.5,"i":-3,"u":18446744073709551615,"s":"x","z":null}"#,
            8,
        )
        .unwrap();
        assert_eq!(v.len(), 5);
    }
}
