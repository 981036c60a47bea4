//! Reading configuration objects from `serde_json::Value` by hand.
//!
//! `#[derive(Deserialize)]` generates a visitor per struct; for the handful
//! of small configuration objects here, walking the already-parsed value is
//! a fraction of the wasm size and gives the same strictness (unknown
//! members and wrong types are errors).

use serde_json::{Map, Value};

/// An object whose members are checked against an allow-list.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    /// `v` must be an object (or null = empty) with only `allowed` members.
    pub(crate) fn new(
        v: &'a Value,
        path: &'a str,
        allowed: &[&str],
    ) -> Result<Option<Fields<'a>>, String> {
        let map = match v {
            Value::Null => return Ok(None),
            Value::Object(m) => m,
            _ => return Err(format!("{path}: expected an object")),
        };
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("{path}: unknown field \"{k}\""));
        }
        Ok(Some(Fields { map, path }))
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.map.get(k).filter(|v| !v.is_null())
    }

    fn bad(&self, k: &str, what: &str) -> String {
        format!("{}.{k}: expected {what}", self.path)
    }

    pub(crate) fn value(&self, k: &str) -> Option<&'a Value> {
        self.get(k)
    }

    pub(crate) fn string(&self, k: &str) -> Result<Option<String>, String> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(k, "a string")),
        }
    }

    pub(crate) fn boolean(&self, k: &str) -> Result<Option<bool>, String> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.bad(k, "a boolean")),
        }
    }

    pub(crate) fn int(&self, k: &str) -> Result<Option<i64>, String> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(k, "an integer")),
        }
    }

    pub(crate) fn strings(&self, k: &str) -> Result<Option<Vec<String>>, String> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.bad(k, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.bad(k, "a list of strings")),
        }
    }

    pub(crate) fn array(&self, k: &str) -> Result<&'a [Value], String> {
        match self.get(k) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.bad(k, "a list")),
        }
    }
}
