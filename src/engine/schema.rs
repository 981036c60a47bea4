//! Attribute schema enforcement (Cerbos `internal/schema`): a JSON Schema
//! validator covering the keywords policy stores use, producing the leaf
//! errors of santhosh-tekuri/jsonschema v5 with its message texts.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::glob::matches_glob;
use super::request::{ValidationError, ValidationSource};
use crate::bundle::SchemaRef;

/// A numeric bound keyword: name, predicate, operator text.
type NumericCheck = (&'static str, fn(f64, f64) -> bool, &'static str);

/// Deepest schema/instance nesting followed; deeper parts are not checked.
const MAX_DEPTH: usize = 64;

/// A leaf validation failure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leaf {
    pub(crate) path: String,
    pub(crate) message: String,
}

struct Validator<'a> {
    schemas: &'a BTreeMap<String, J>,
    leaves: Vec<Leaf>,
}

fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(n) => {
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                "integer"
            } else {
                "number"
            }
        }
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn type_matches(want: &str, v: &J) -> bool {
    let got = type_name(v);
    want == got || (want == "number" && got == "integer")
}

fn quote_list<'b>(items: impl Iterator<Item = &'b String>) -> String {
    items
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn num(v: &J) -> Option<f64> {
    v.as_f64()
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
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

impl<'a> Validator<'a> {
    fn leaf(&mut self, path: &str, message: String) {
        self.leaves.push(Leaf {
            path: path.to_string(),
            message,
        });
    }

    /// Validates without recording, for `anyOf`/`oneOf`/`not`.
    fn is_valid(&self, schema: &J, root: &J, v: &J, depth: usize) -> bool {
        let mut probe = Validator {
            schemas: self.schemas,
            leaves: Vec::new(),
        };
        probe.validate(schema, root, v, "", depth);
        probe.leaves.is_empty()
    }

    fn resolve(&self, reference: &str, root: &'a J) -> Option<(&'a J, &'a J)>
    where
        'a: 'a,
    {
        let (doc, fragment) = match reference.split_once('#') {
            Some((d, f)) => (d, f),
            None => (reference, ""),
        };
        let base: &'a J = if doc.is_empty() {
            root
        } else {
            self.schemas.get(doc).or_else(|| {
                let stripped = doc.trim_start_matches("cerbos:///");
                self.schemas
                    .iter()
                    .find(|(k, _)| k.trim_start_matches("cerbos:///") == stripped)
                    .map(|(_, v)| v)
            })?
        };
        let target = if fragment.is_empty() {
            base
        } else {
            base.pointer(fragment)?
        };
        Some((target, base))
    }

    fn validate(&mut self, schema: &'a J, root: &'a J, v: &J, path: &str, depth: usize) {
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
        if let Some(J::String(r)) = s.get("$ref") {
            match self.resolve(r, root) {
                Some((target, base)) => self.validate(target, base, v, path, depth + 1),
                None => self.leaf(path, format!("cannot resolve {r}")),
            }
        }
        match s.get("type") {
            Some(J::String(t)) if !type_matches(t, v) => {
                self.leaf(
                    path,
                    format!("expected {t}, but got {}", reported_type(t, v)),
                );
                return;
            }
            Some(J::Array(ts)) => {
                let names: Vec<&str> = ts.iter().filter_map(J::as_str).collect();
                if !names.iter().any(|t| type_matches(t, v)) {
                    self.leaf(
                        path,
                        format!(
                            "expected {}, but got {}",
                            names.join(" or "),
                            type_name_plain(v)
                        ),
                    );
                    return;
                }
            }
            _ => {}
        }
        if let Some(c) = s.get("const") {
            if !json_eq(c, v) {
                self.leaf(path, format!("value must be {c}"));
            }
        }
        if let Some(J::Array(options)) = s.get("enum") {
            if !options.iter().any(|o| json_eq(o, v)) {
                let list = options
                    .iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                if options.len() == 1 {
                    self.leaf(path, format!("value must be {list}"));
                } else {
                    self.leaf(path, format!("value must be one of {list}"));
                }
            }
        }
        if let Some(J::Array(all)) = s.get("allOf") {
            for sub in all {
                self.validate(sub, root, v, path, depth + 1);
            }
        }
        if let Some(J::Array(any)) = s.get("anyOf") {
            if !any.iter().any(|sub| self.is_valid(sub, root, v, depth + 1)) {
                self.leaf(path, "anyOf failed".to_string());
            }
        }
        if let Some(J::Array(one)) = s.get("oneOf") {
            let valid: Vec<usize> = one
                .iter()
                .enumerate()
                .filter(|(_, sub)| self.is_valid(sub, root, v, depth + 1))
                .map(|(i, _)| i)
                .collect();
            match valid.as_slice() {
                [] => self.leaf(path, "oneOf failed".to_string()),
                [_] => {}
                [a, b, ..] => self.leaf(
                    path,
                    format!("valid against schemas at indexes {a} and {b}"),
                ),
            }
        }
        if let Some(not) = s.get("not") {
            if self.is_valid(not, root, v, depth + 1) {
                self.leaf(path, "not failed".to_string());
            }
        }
        if let Some(cond) = s.get("if") {
            let branch = if self.is_valid(cond, root, v, depth + 1) {
                "then"
            } else {
                "else"
            };
            if let Some(sub) = s.get(branch) {
                self.validate(sub, root, v, path, depth + 1);
            }
        }
        match v {
            J::Object(obj) => self.validate_object(s, root, obj, path, depth),
            J::Array(items) => self.validate_array(s, root, items, path, depth),
            J::String(text) => {
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
            }
            J::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                let checks: [NumericCheck; 4] = [
                    ("minimum", |x, m| x >= m, ">="),
                    ("maximum", |x, m| x <= m, "<="),
                    ("exclusiveMinimum", |x, m| x > m, ">"),
                    ("exclusiveMaximum", |x, m| x < m, "<"),
                ];
                for (kw, ok, op) in checks {
                    if let Some(limit) = s.get(kw) {
                        if let Some(m) = num(limit) {
                            if !ok(x, m) {
                                self.leaf(path, format!("must be {op} {limit} but found {n}"));
                            }
                        }
                    }
                }
                if let Some(m) = s.get("multipleOf").and_then(num) {
                    if m != 0.0 && (x / m).fract() != 0.0 {
                        self.leaf(path, format!("{n} not multipleOf {m}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn validate_object(
        &mut self,
        s: &'a serde_json::Map<String, J>,
        root: &'a J,
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
        let props = s.get("properties").and_then(J::as_object);
        if let Some(props) = props {
            for (k, sub) in props {
                if let Some(val) = obj.get(k) {
                    let child = format!("{path}/{}", escape_pointer(k));
                    self.validate(sub, root, val, &child, depth + 1);
                }
            }
        }
        match s.get("additionalProperties") {
            Some(J::Bool(false)) => {
                let extra: Vec<String> = obj
                    .keys()
                    .filter(|k| !props.is_some_and(|p| p.contains_key(*k)))
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
                    if !props.is_some_and(|p| p.contains_key(k)) {
                        let child = format!("{path}/{}", escape_pointer(k));
                        self.validate(sub, root, val, &child, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn validate_array(
        &mut self,
        s: &'a serde_json::Map<String, J>,
        root: &'a J,
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
            'outer: for i in 0..n {
                for j in (i + 1)..n {
                    if let (Some(a), Some(b)) = (items.get(i), items.get(j)) {
                        if json_eq(a, b) {
                            self.leaf(path, format!("items at index {i} and {j} are equal"));
                            break 'outer;
                        }
                    }
                }
            }
        }
        let prefix = s.get("prefixItems").and_then(J::as_array);
        let skip = prefix.map_or(0, Vec::len);
        if let Some(prefix) = prefix {
            for (i, (sub, val)) in prefix.iter().zip(items).enumerate() {
                self.validate(sub, root, val, &format!("{path}/{i}"), depth + 1);
            }
        }
        if let Some(sub) = s.get("items") {
            for (i, val) in items.iter().enumerate().skip(skip) {
                self.validate(sub, root, val, &format!("{path}/{i}"), depth + 1);
            }
        }
    }
}

fn type_name_plain(v: &J) -> &'static str {
    match type_name(v) {
        "integer" => "number",
        t => t,
    }
}

/// v5 reports an integral number as `number` unless the schema asked for `integer`.
fn reported_type(_want: &str, v: &J) -> &'static str {
    type_name_plain(v)
}

/// Validates `attrs` against the schema `reference` and returns the leaf errors.
pub(crate) fn validate_attrs(
    schemas: &BTreeMap<String, J>,
    reference: &str,
    attrs: &serde_json::Map<String, J>,
) -> Result<Vec<Leaf>, String> {
    let Some(schema) = schemas.get(reference) else {
        return Err(format!("schema {reference:?} not found"));
    };
    let mut v = Validator {
        schemas,
        leaves: Vec::new(),
    };
    let instance = J::Object(attrs.clone());
    v.validate(schema, schema, &instance, "", 0);
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
        let schema = json!({"type":"object","properties":{"department":{"type":"string","enum":["marketing","engineering"]},"n":{"type":"string"}},"required":["department","team"]});
        let got = run(schema, json!({"department":"accounting","n":1}));
        assert_eq!(
            got,
            vec![
                ("".to_string(), "missing properties: 'team'".to_string()),
                (
                    "/department".to_string(),
                    "value must be one of \"marketing\", \"engineering\"".to_string()
                ),
                (
                    "/n".to_string(),
                    "expected string, but got number".to_string()
                ),
            ]
        );
    }
}
