//! Reading bundle JSON into a [`Bundle`].
//!
//! The document is parsed once into a [`serde_json::Value`] (whose parser the
//! runtime needs anyway, for constants, globals and schemas) and then taken
//! apart by the plain functions below. Derived `Deserialize` impls would do
//! the same job, but each bundle and AST type would get its own
//! monomorphized parser: tens of KB of wasm that the first load also has to
//! compile, for a document read once.
//!
//! The checks are those of the derived impls: required fields, field types,
//! enum names, and no unknown fields in the bundle's own objects (the AST
//! objects, as before, ignore unknown fields). Errors name the path of the
//! offending value, e.g. ``rows[3]: missing field `name` ``.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    Bundle, CompiledExpr, Condition, DerivedRole, Effect, Output, ParamSet, PolicyInfo, PolicyKind,
    PolicySchemas, Row, SchemaRef, ScopePermissions,
};
use crate::cel::ast::{Comprehension, Expr, ExprKind, Literal, MapEntry, StructField};

/// Why a value could not be read; the message names the path to it.
type Result<T> = std::result::Result<T, String>;

/// The fields of one JSON object, taken out one by one.
///
/// A list searched by name rather than the object's own map: objects have
/// a few fields, and taking them out of the map would bring `BTreeMap`'s
/// removal and rebalancing code into the load path.
struct Fields {
    entries: Vec<(String, Option<Value>)>,
}

impl Fields {
    fn new(value: Value, what: &str) -> Result<Fields> {
        match value {
            Value::Object(map) => {
                let mut entries = Vec::with_capacity(map.len());
                for (k, v) in map {
                    entries.push((k, Some(v)));
                }
                Ok(Fields { entries })
            }
            other => Err(invalid_type(&other, what)),
        }
    }

    #[inline(never)]
    fn take(&mut self, name: &str) -> Option<Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.take())
    }

    /// A field that may be absent (or `null`).
    fn opt(&mut self, name: &str) -> Option<Value> {
        self.take(name).filter(|v| !v.is_null())
    }

    #[inline(never)]
    fn required(&mut self, name: &str) -> Result<Value> {
        self.take(name)
            .ok_or_else(|| format!("missing field `{name}`"))
    }

    // The readers are `fn` pointers rather than generic closures so that
    // each result type gets one copy of these, not each call site; the
    // work that does not depend on the type is in the non-generic helpers.

    /// A required field read by `read`; errors are prefixed with its name.
    fn get<T>(&mut self, name: &str, read: fn(Value) -> Result<T>) -> Result<T> {
        let v = self.required(name)?;
        read(v).map_err(|e| at(name, e))
    }

    /// An optional field read by `read`.
    fn get_opt<T>(&mut self, name: &str, read: fn(Value) -> Result<T>) -> Result<Option<T>> {
        match self.opt(name) {
            Some(v) => read(v).map(Some).map_err(|e| at(name, e)),
            None => Ok(None),
        }
    }

    /// An optional field with a default when absent.
    fn get_or_default<T: Default>(
        &mut self,
        name: &str,
        read: fn(Value) -> Result<T>,
    ) -> Result<T> {
        Ok(self.get_opt(name, read)?.unwrap_or_default())
    }

    /// Refuses fields nobody took (`deny_unknown_fields`).
    fn finish(self) -> Result<()> {
        match self.entries.iter().find(|(_, v)| v.is_some()) {
            Some((k, _)) => Err(format!("unknown field `{k}`")),
            None => Ok(()),
        }
    }
}

/// Prefixes an error with where it happened.
#[inline(never)]
fn at(place: &str, e: String) -> String {
    format!("{place}: {e}")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid_type(found: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", kind_of(found))
}

fn string(v: Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(invalid_type(&other, "a string")),
    }
}

fn boolean(v: Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| invalid_type(&v, "a boolean"))
}

fn u64_of(v: &Value) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| invalid_type(v, "a non-negative integer"))
}

fn u32_of(v: Value) -> Result<u32> {
    let n = u64_of(&v)?;
    u32::try_from(n).map_err(|_| format!("invalid value: {n}, expected a u32"))
}

fn array(v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items),
        other => Err(invalid_type(&other, "an array")),
    }
}

/// Reads each element of an array; errors are prefixed with the index.
///
/// Loops rather than `collect`s: collecting `Result`s and building maps
/// from iterators (which sorts) instantiate much more code per type.
fn list<T>(v: Value, read: fn(Value) -> Result<T>) -> Result<Vec<T>> {
    let items = array(v)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(read(item).map_err(|e| at(&format!("[{i}]"), e))?);
    }
    Ok(out)
}

fn strings(v: Value) -> Result<Vec<String>> {
    list(v, string)
}

fn object(v: Value) -> Result<Map<String, Value>> {
    match v {
        Value::Object(map) => Ok(map),
        other => Err(invalid_type(&other, "an object")),
    }
}

/// Reads each value of an object keyed by strings.
fn string_map<T>(v: Value, read: fn(Value) -> Result<T>) -> Result<BTreeMap<String, T>> {
    let mut out = BTreeMap::new();
    for (k, item) in object(v)? {
        let t = read(item).map_err(|e| at(&format!("{k:?}"), e))?;
        out.insert(k, t);
    }
    Ok(out)
}

/// Reads each value of an object keyed by decimal ids.
fn id_map<T>(v: Value, read: fn(Value) -> Result<T>) -> Result<BTreeMap<u32, T>> {
    let mut out = BTreeMap::new();
    for (k, item) in object(v)? {
        let id = if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
            k.parse::<u32>().ok()
        } else {
            None
        };
        let id = id.ok_or_else(|| format!("invalid key {k:?}, expected a u32"))?;
        let t = read(item).map_err(|e| at(&format!("{k:?}"), e))?;
        out.insert(id, t);
    }
    Ok(out)
}

/// The name of a unit enum variant.
fn name_of(v: Value, expected: &str) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(invalid_type(&other, expected)),
    }
}

fn unknown_variant(found: &str, expected: &str) -> String {
    format!("unknown variant `{found}`, expected {expected}")
}

/// Reads a whole bundle document.
pub(super) fn bundle(v: Value) -> Result<Bundle> {
    let mut f = Fields::new(v, "a bundle object")?;
    let bundle = Bundle {
        format_version: f.get("formatVersion", u32_of)?,
        compiler_version: f.get("compilerVersion", string)?,
        digest: f.get("digest", string)?,
        policies: f.get("policies", |v| list(v, policy_info))?,
        expressions: f.get("expressions", |v| list(v, compiled_expr))?,
        param_sets: f.get("paramSets", |v| list(v, param_set))?,
        derived_roles: f.get("derivedRoles", |v| list(v, derived_role))?,
        rows: f.get("rows", |v| list(v, row))?,
        resource_scopes: f.get("resourceScopes", strings)?,
        principal_scopes: f.get("principalScopes", strings)?,
        scope_permissions: f.get("scopePermissions", |v| string_map(v, scope_permissions))?,
        scope_parent_roles: f.get("scopeParentRoles", |v| {
            string_map(v, |roles| string_map(roles, strings))
        })?,
        policy_derived_roles: f
            .get("policyDerivedRoles", |v| id_map(v, |ids| list(ids, u32_of)))?,
        policy_schemas: f.get("policySchemas", |v| id_map(v, policy_schemas))?,
        schemas: f.get("schemas", |v| string_map(v, Ok))?,
    };
    f.finish()?;
    Ok(bundle)
}

fn policy_kind(v: Value) -> Result<PolicyKind> {
    const EXPECTED: &str =
        "`resource`, `principal`, `role`, `derivedRoles`, `exportVariables` or `exportConstants`";
    let name = name_of(v, EXPECTED)?;
    Ok(match name.as_str() {
        "resource" => PolicyKind::Resource,
        "principal" => PolicyKind::Principal,
        "role" => PolicyKind::Role,
        "derivedRoles" => PolicyKind::DerivedRoles,
        "exportVariables" => PolicyKind::ExportVariables,
        "exportConstants" => PolicyKind::ExportConstants,
        other => return Err(unknown_variant(other, EXPECTED)),
    })
}

fn scope_permissions(v: Value) -> Result<ScopePermissions> {
    const EXPECTED: &str =
        "`UNSPECIFIED`, `OVERRIDE_PARENT` or `REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS`";
    let name = name_of(v, EXPECTED)?;
    Ok(match name.as_str() {
        "UNSPECIFIED" => ScopePermissions::Unspecified,
        "OVERRIDE_PARENT" => ScopePermissions::OverrideParent,
        "REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS" => ScopePermissions::RequireParentalConsentForAllows,
        other => return Err(unknown_variant(other, EXPECTED)),
    })
}

fn effect(v: Value) -> Result<Effect> {
    const EXPECTED: &str = "`EFFECT_ALLOW`, `EFFECT_DENY` or `EFFECT_NO_MATCH`";
    let name = name_of(v, EXPECTED)?;
    Ok(match name.as_str() {
        "EFFECT_ALLOW" => Effect::Allow,
        "EFFECT_DENY" => Effect::Deny,
        "EFFECT_NO_MATCH" => Effect::NoMatch,
        other => return Err(unknown_variant(other, EXPECTED)),
    })
}

fn policy_info(v: Value) -> Result<PolicyInfo> {
    let mut f = Fields::new(v, "a policy object")?;
    let info = PolicyInfo {
        kind: f.get("kind", policy_kind)?,
        key: f.get("key", string)?,
        name: f.get("name", string)?,
        version: f.get_or_default("version", string)?,
        scope: f.get_or_default("scope", string)?,
        source_file: f.get("sourceFile", string)?,
        annotations: f.get_or_default("annotations", |v| string_map(v, string))?,
        source_attributes: f.get_or_default("sourceAttributes", |v| string_map(v, Ok))?,
    };
    f.finish()?;
    Ok(info)
}

fn compiled_expr(v: Value) -> Result<CompiledExpr> {
    let mut f = Fields::new(v, "an expression object")?;
    let e = CompiledExpr {
        source: f.get("source", string)?,
        ast: f.get("ast", expr)?,
    };
    f.finish()?;
    Ok(e)
}

fn param_set(v: Value) -> Result<ParamSet> {
    let mut f = Fields::new(v, "a parameter set object")?;
    let set = ParamSet {
        variables: f.get("variables", |v| list(v, variable))?,
        constants: f.get("constants", |v| string_map(v, Ok))?,
    };
    f.finish()?;
    Ok(set)
}

/// A `[name, expression id]` pair.
fn variable(v: Value) -> Result<(String, u32)> {
    let items = array(v)?;
    let len = items.len();
    let mut items = items.into_iter();
    match (items.next(), items.next(), items.next()) {
        (Some(name), Some(id), None) => Ok((string(name)?, u32_of(id)?)),
        _ => Err(format!(
            "invalid length {len}, expected a [name, expression] pair"
        )),
    }
}

fn derived_role(v: Value) -> Result<DerivedRole> {
    let mut f = Fields::new(v, "a derived role object")?;
    let role = DerivedRole {
        name: f.get("name", string)?,
        parent_roles: f.get("parentRoles", strings)?,
        condition: f.get_opt("condition", condition)?,
        params: f.get("params", u32_of)?,
        origin: f.get("origin", u32_of)?,
    };
    f.finish()?;
    Ok(role)
}

/// A condition: an object with exactly one of `expr`, `all`, `any`, `none`.
fn condition(v: Value) -> Result<Condition> {
    const EXPECTED: &str = "`expr`, `all`, `any` or `none`";
    let map = object(v)?;
    if map.len() != 1 {
        return Err(format!(
            "invalid condition: expected an object with one of {EXPECTED}"
        ));
    }
    let Some((tag, body)) = map.into_iter().next() else {
        return Err(format!("invalid condition: expected one of {EXPECTED}"));
    };
    let read = match tag.as_str() {
        "expr" => u32_of(body).map(Condition::Expr),
        "all" => list(body, condition).map(Condition::All),
        "any" => list(body, condition).map(Condition::Any),
        "none" => list(body, condition).map(Condition::None),
        other => return Err(unknown_variant(other, EXPECTED)),
    };
    read.map_err(|e| format!("{tag}: {e}"))
}

fn output(v: Value) -> Result<Output> {
    let mut f = Fields::new(v, "an output object")?;
    let out = Output {
        rule_activated: f.get_opt("ruleActivated", u32_of)?,
        condition_not_met: f.get_opt("conditionNotMet", u32_of)?,
    };
    f.finish()?;
    Ok(out)
}

fn row(v: Value) -> Result<Row> {
    let mut f = Fields::new(v, "a row object")?;
    let row = Row {
        kind: f.get("kind", policy_kind)?,
        version: f.get("version", string)?,
        scope: f.get_or_default("scope", string)?,
        resource: f.get("resource", string)?,
        role: f.get("role", string)?,
        action: f.get_opt("action", string)?,
        allow_actions: f.get_opt("allowActions", strings)?,
        principal: f.get_opt("principal", string)?,
        effect: f.get("effect", effect)?,
        condition: f.get_opt("condition", condition)?,
        derived_role: f.get_opt("derivedRole", u32_of)?,
        params: f.get_opt("params", u32_of)?,
        output: f.get_opt("output", output)?,
        name: f.get("name", string)?,
        origin: f.get("origin", u32_of)?,
        from_role_policy: f.get_or_default("fromRolePolicy", boolean)?,
        no_op: f.get_or_default("noOp", boolean)?,
        rule_index: f.get_opt("ruleIndex", u32_of)?,
    };
    f.finish()?;
    Ok(row)
}

fn policy_schemas(v: Value) -> Result<PolicySchemas> {
    let mut f = Fields::new(v, "a policy schemas object")?;
    let schemas = PolicySchemas {
        principal: f.get_opt("principal", schema_ref)?,
        resource: f.get_opt("resource", schema_ref)?,
    };
    f.finish()?;
    Ok(schemas)
}

fn schema_ref(v: Value) -> Result<SchemaRef> {
    let mut f = Fields::new(v, "a schema reference object")?;
    let r = SchemaRef {
        reference: f.get("reference", string)?,
        ignore_actions: f.get_or_default("ignoreActions", strings)?,
    };
    f.finish()?;
    Ok(r)
}

// ---- CEL expression trees (the JSON of `crate::cel::ast`) ----------------
//
// Node ids are not serialized; every node reads back with id 0. Unknown
// fields are ignored, as the derived impls of the AST types do.

/// An expression node: an object with one kind tag (`lit`, `id`, `sel`,
/// `call`, `list`, `map`, `struct`, `comp`).
pub(crate) fn expr(v: Value) -> Result<Expr> {
    const EXPECTED: &str = "`lit`, `id`, `sel`, `call`, `list`, `map`, `struct` or `comp`";
    let map = object(v)?;
    if map.len() != 1 {
        return Err(format!(
            "invalid expression: expected an object with one of {EXPECTED}"
        ));
    }
    let Some((tag, body)) = map.into_iter().next() else {
        return Err(format!("invalid expression: expected one of {EXPECTED}"));
    };
    let kind = match tag.as_str() {
        "lit" => literal(body).map(ExprKind::Literal),
        "id" => string(body).map(ExprKind::Ident),
        "sel" => select(body),
        "call" => call(body),
        "list" => list_expr(body),
        "map" => map_expr(body),
        "struct" => struct_expr(body),
        "comp" => comprehension(body).map(|c| ExprKind::Comprehension(Box::new(c))),
        other => return Err(unknown_variant(other, EXPECTED)),
    }
    .map_err(|e| format!("{tag}: {e}"))?;
    Ok(Expr { id: 0, kind })
}

fn boxed_expr(v: Value) -> Result<Box<Expr>> {
    expr(v).map(Box::new)
}

fn exprs(v: Value) -> Result<Vec<Expr>> {
    list(v, expr)
}

fn select(v: Value) -> Result<ExprKind> {
    let mut f = Fields::new(v, "a select object")?;
    Ok(ExprKind::Select {
        operand: f.get("operand", boxed_expr)?,
        field: f.get("field", string)?,
        test_only: f.get_or_default("test_only", boolean)?,
        optional: f.get_or_default("optional", boolean)?,
    })
}

fn call(v: Value) -> Result<ExprKind> {
    let mut f = Fields::new(v, "a call object")?;
    Ok(ExprKind::Call {
        target: f.get_opt("target", boxed_expr)?,
        function: f.get("function", string)?,
        args: f.get_or_default("args", exprs)?,
    })
}

fn list_expr(v: Value) -> Result<ExprKind> {
    let mut f = Fields::new(v, "a list object")?;
    Ok(ExprKind::List {
        elements: f.get("elements", exprs)?,
        optional_indices: f.get_or_default("optional_indices", |v| list(v, u32_of))?,
    })
}

fn map_expr(v: Value) -> Result<ExprKind> {
    let mut f = Fields::new(v, "a map object")?;
    Ok(ExprKind::Map {
        entries: f.get("entries", |v| list(v, map_entry))?,
    })
}

fn map_entry(v: Value) -> Result<MapEntry> {
    let mut f = Fields::new(v, "a map entry object")?;
    Ok(MapEntry {
        key: f.get("key", expr)?,
        value: f.get("value", expr)?,
        optional: f.get_or_default("optional", boolean)?,
    })
}

fn struct_expr(v: Value) -> Result<ExprKind> {
    let mut f = Fields::new(v, "a struct object")?;
    Ok(ExprKind::Struct {
        type_name: f.get("type_name", string)?,
        fields: f.get("fields", |v| list(v, struct_field))?,
    })
}

fn struct_field(v: Value) -> Result<StructField> {
    let mut f = Fields::new(v, "a struct field object")?;
    Ok(StructField {
        field: f.get("field", string)?,
        value: f.get("value", expr)?,
        optional: f.get_or_default("optional", boolean)?,
    })
}

fn comprehension(v: Value) -> Result<Comprehension> {
    let mut f = Fields::new(v, "a comprehension object")?;
    Ok(Comprehension {
        iter_var: f.get("iter_var", string)?,
        iter_var2: f.get_opt("iter_var2", string)?,
        iter_range: f.get("iter_range", expr)?,
        accu_var: f.get("accu_var", string)?,
        accu_init: f.get("accu_init", expr)?,
        loop_condition: f.get("loop_condition", expr)?,
        loop_step: f.get("loop_step", expr)?,
        result: f.get("result", expr)?,
    })
}

/// A literal: `"null"`, or an object with one of `null`, `bool`, `int`,
/// `uint`, `double`, `string`, `bytes`.
fn literal(v: Value) -> Result<Literal> {
    const EXPECTED: &str = "`null`, `bool`, `int`, `uint`, `double`, `string` or `bytes`";
    let (tag, body) = match v {
        Value::String(tag) => (tag, Value::Null),
        Value::Object(map) if map.len() == 1 => match map.into_iter().next() {
            Some(entry) => entry,
            None => return Err(format!("invalid literal: expected one of {EXPECTED}")),
        },
        other => return Err(invalid_type(&other, "a literal")),
    };
    let lit = match tag.as_str() {
        "null" if body.is_null() => Ok(Literal::Null),
        "null" => Err(invalid_type(&body, "null")),
        "bool" => boolean(body).map(Literal::Bool),
        "int" => body
            .as_i64()
            .map(Literal::Int)
            .ok_or_else(|| invalid_type(&body, "a 64-bit integer")),
        "uint" => u64_of(&body).map(Literal::Uint),
        "double" => double(body).map(Literal::Double),
        "string" => string(body).map(Literal::String),
        "bytes" => list(body, byte).map(Literal::Bytes),
        other => return Err(unknown_variant(other, EXPECTED)),
    };
    lit.map_err(|e| format!("{tag}: {e}"))
}

fn byte(v: Value) -> Result<u8> {
    let n = u64_of(&v)?;
    u8::try_from(n).map_err(|_| format!("invalid value: {n}, expected a byte"))
}

/// A JSON number, or one of the strings for non-finite doubles.
fn double(v: Value) -> Result<f64> {
    match &v {
        Value::Number(n) => n.as_f64().ok_or_else(|| invalid_type(&v, "a number")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => Err(format!("invalid double literal {other:?}")),
        },
        _ => Err(invalid_type(
            &v,
            "a number or \"NaN\", \"Infinity\", \"-Infinity\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Bundle, BundleError};

    const MINIMAL: &str = r#"{"formatVersion":1,"compilerVersion":"t","digest":"","policies":[
        {"kind":"resource","key":"resource.doc.vdefault","name":"doc","version":"default","sourceFile":"doc.yaml"}],
        "expressions":[{"source":"true","ast":{"lit":{"bool":true}}}],
        "paramSets":[{"variables":[["v",0]],"constants":{"c":[1,"x"]}}],
        "derivedRoles":[],"rows":[{"kind":"resource","version":"default","resource":"doc","role":"*",
        "action":"view","effect":"EFFECT_ALLOW","condition":{"all":[{"expr":0}]},"params":0,"name":"r","origin":0}],
        "resourceScopes":[""],"principalScopes":[],"scopePermissions":{"":"OVERRIDE_PARENT"},
        "scopeParentRoles":{},"policyDerivedRoles":{"0":[]},"policySchemas":{},"schemas":{}}"#;

    fn error_of(text: &str) -> String {
        match Bundle::from_json(text) {
            Err(BundleError::Invalid(m)) => m,
            other => panic!("expected an invalid bundle, got {other:?}"),
        }
    }

    #[test]
    fn reads_and_writes_back_the_same_document() {
        let b = Bundle::from_json(MINIMAL).expect("reads");
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.param_sets[0].variables, vec![("v".to_string(), 0)]);
        assert_eq!(b.policy_derived_roles.get(&0), Some(&Vec::new()));
        let again = Bundle::from_json(&b.to_json()).expect("reads its own output");
        assert_eq!(again, b);
    }

    #[test]
    fn refuses_what_the_format_does_not_allow() {
        let unknown = MINIMAL.replace(r#""name":"r","#, r#""name":"r","extra":1,"#);
        assert_eq!(error_of(&unknown), "rows: [0]: unknown field `extra`");
        let missing = MINIMAL.replace(r#""sourceFile":"doc.yaml""#, r#""scope":"""#);
        assert_eq!(
            error_of(&missing),
            "policies: [0]: missing field `sourceFile`"
        );
        let bad_effect = MINIMAL.replace("EFFECT_ALLOW", "ALLOW");
        assert!(error_of(&bad_effect).starts_with("rows: [0]: effect: unknown variant `ALLOW`"));
        let bad_key = MINIMAL.replace(r#"{"0":[]}"#, r#"{"+0":[]}"#);
        assert!(error_of(&bad_key).contains("invalid key \"+0\""));
        let bad_lit = MINIMAL.replace(r#"{"bool":true}"#, r#"{"int":1.5}"#);
        assert!(error_of(&bad_lit).contains("ast: lit: int: invalid type: a number"));
        assert_eq!(
            error_of(r#"{"compilerVersion":"t"}"#),
            "missing field `formatVersion`"
        );
        assert!(matches!(
            Bundle::from_json(&MINIMAL.replace(r#""formatVersion":1"#, r#""formatVersion":9"#)),
            Err(BundleError::UnsupportedVersion { found: 9, .. })
        ));
    }
}
