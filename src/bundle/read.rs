//! Reading bundle JSON into a [`Bundle`], in one pass over the text.
//!
//! The reader goes from the text straight to the bundle's own types: no
//! `serde_json::Value` tree in between, whose maps and vectors the load
//! would allocate only to take apart and free again (on a 1.4 MB bundle that
//! was two thirds of the read, most of it in the allocator). Derived
//! `Deserialize` impls would skip the tree too, but each bundle and AST type
//! would get its own monomorphized parser: tens of KB of wasm that the first
//! load also has to compile, for a document read once.
//!
//! [`Bundle::from_json`](super::Bundle::from_json) has serde_json check the
//! syntax first (and find the format version); this reader then meets only
//! well-formed JSON, and reports what the format does not allow: required
//! fields, field types, enum names, and no unknown fields in the bundle's
//! own objects (AST objects ignore unknown fields, as before). Errors name
//! the path of the offending value, e.g. ``rows: [3]: missing field `name` ``.
//! Free-form JSON (constants, schemas, source attributes) is handed to
//! serde_json as the slice of text it spans.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    Bundle, CompiledExpr, Condition, DerivedRole, Effect, Output, ParamSet, PolicyInfo, PolicyKind,
    PolicySchemas, Row, SchemaRef, ScopePermissions,
};
use crate::cel::ast::{Comprehension, Expr, ExprKind, Literal, MapEntry, StructField};

/// Why a value could not be read; the message names the path to it.
type Result<T> = std::result::Result<T, String>;

/// A reader of one value from a [`Reader`]. Readers are `fn` pointers
/// rather than generic closures so that the helpers taking them get one copy
/// per result type, not one per call site.
type Read<T> = fn(&mut Reader<'_>) -> Result<T>;

/// A cursor over well-formed JSON text.
///
/// INVARIANT: `pos` is at a char boundary of `text` between calls: it only
/// moves past ASCII bytes or whole string contents.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        Reader { text, pos: 0 }
    }

    /// The next byte after whitespace, without taking it.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.pos) {
            self.pos += 1;
        }
        bytes.get(self.pos).copied()
    }

    /// Takes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Takes `byte`, which well-formed JSON has next.
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }

    /// The error for text that is not JSON. `Bundle::from_json` lets only
    /// well-formed text through, so this names a broken invariant.
    #[cold]
    #[inline(never)]
    fn malformed(&self) -> String {
        format!("malformed JSON at byte {}", self.pos)
    }

    /// What the next value is, for type errors.
    fn found(&mut self) -> &'static str {
        match self.peek() {
            Some(b'"') => "a string",
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        }
    }

    /// The error for a value of the wrong type.
    #[cold]
    #[inline(never)]
    fn invalid_type(&mut self, expected: &str) -> String {
        format!("invalid type: {}, expected {expected}", self.found())
    }

    /// Takes `null` if it comes next.
    fn null(&mut self) -> bool {
        let found = self.peek() == Some(b'n') && self.text[self.pos..].starts_with("null");
        if found {
            self.pos += 4;
        }
        found
    }

    fn boolean(&mut self) -> Result<bool> {
        let next = self.peek();
        let rest = &self.text[self.pos..];
        match next {
            Some(b't') if rest.starts_with("true") => {
                self.pos += 4;
                Ok(true)
            }
            Some(b'f') if rest.starts_with("false") => {
                self.pos += 5;
                Ok(false)
            }
            _ => Err(self.invalid_type("a boolean")),
        }
    }

    fn string(&mut self) -> Result<String> {
        if self.peek() != Some(b'"') {
            return Err(self.invalid_type("a string"));
        }
        self.pos += 1;
        let bytes = self.text.as_bytes();
        let start = self.pos;
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    let s = self.text[start..self.pos].to_string();
                    self.pos += 1;
                    return Ok(s);
                }
                b'\\' => return self.escaped_string(start),
                _ => self.pos += 1,
            }
        }
        Err(self.malformed())
    }

    /// The rest of a string that has escapes, from its first character at
    /// `start` (the cursor is at the first backslash).
    #[inline(never)]
    fn escaped_string(&mut self, start: usize) -> Result<String> {
        let bytes = self.text.as_bytes();
        let mut out = String::with_capacity(self.pos - start + 16);
        let mut run = start;
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run..self.pos]);
                    let escape = bytes.get(self.pos + 1).copied();
                    self.pos += 2;
                    match escape {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape()?),
                        _ => return Err(self.malformed()),
                    }
                    run = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        Err(self.malformed())
    }

    /// The character of a `\u` escape (the cursor is after the `u`),
    /// joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if !self.text[self.pos..].starts_with("\\u") {
                return Err(self.malformed());
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.malformed());
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.malformed())
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.malformed())?;
        // `from_str_radix` alone would also take a leading `+`.
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.malformed());
        }
        let value = u32::from_str_radix(digits, 16).map_err(|_| self.malformed())?;
        self.pos += 4;
        Ok(value)
    }

    /// The text of a number and whether it is an integer (no fraction or
    /// exponent), or a type error naming `expected`.
    fn number(&mut self, expected: &str) -> Result<(&'a str, bool)> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.invalid_type(expected));
        }
        let text: &'a str = self.text;
        let bytes = text.as_bytes();
        let start = self.pos;
        let mut integer = true;
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => integer = false,
                _ => break,
            }
            self.pos += 1;
        }
        Ok((&text[start..self.pos], integer))
    }

    /// A JSON number as an unsigned integer; other numbers (negative,
    /// fractional, too large) are type errors, as in serde_json.
    fn u64(&mut self, expected: &str) -> Result<u64> {
        let (text, integer) = self.number(expected)?;
        match text.parse::<u64>() {
            Ok(n) if integer => Ok(n),
            _ => Err(format!("invalid type: a number, expected {expected}")),
        }
    }

    /// A JSON number as a double, as serde_json reads it: integers are
    /// converted (so `-0` is `0.0`), other numbers parsed correctly rounded.
    fn f64(&mut self, expected: &str) -> Result<f64> {
        let (text, integer) = self.number(expected)?;
        let value = if integer {
            match (text.parse::<u64>(), text.parse::<i64>()) {
                (Ok(n), _) => Some(n as f64),
                (_, Ok(n)) => Some(n as f64),
                _ => text.parse::<f64>().ok(),
            }
        } else {
            text.parse::<f64>().ok()
        };
        value.ok_or_else(|| self.malformed())
    }

    /// Reads the members of an object, calling `member` with each key (the
    /// cursor at its value); a type error naming `what` for any other value.
    ///
    /// The callback is a trait object: one copy of this loop serves every
    /// object type. Generic, it was a copy per struct: 17 KB more wasm for
    /// V8 to compile on the first load (`bench/js/cold-code.mjs`).
    fn object(
        &mut self,
        what: &str,
        member: &mut dyn FnMut(&mut Self, String) -> Result<()>,
    ) -> Result<()> {
        if self.peek() != Some(b'{') {
            return Err(self.invalid_type(what));
        }
        self.pos += 1;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            member(self, key)?;
            if !self.eat(b',') {
                return self.expect(b'}');
            }
        }
    }

    /// Reads the elements of an array, calling `element` with each index.
    fn array(&mut self, element: &mut dyn FnMut(&mut Self, usize) -> Result<()>) -> Result<()> {
        if self.peek() != Some(b'[') {
            return Err(self.invalid_type("an array"));
        }
        self.pos += 1;
        if self.eat(b']') {
            return Ok(());
        }
        let mut index = 0;
        loop {
            element(self, index)?;
            index += 1;
            if !self.eat(b',') {
                return self.expect(b']');
            }
        }
    }

    /// Steps over one value.
    fn skip(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'{') => self.object("an object", &mut |r, _| r.skip()),
            Some(b'[') => self.array(&mut |r, _| r.skip()),
            Some(b'"') => self.string().map(drop),
            Some(b't' | b'f') => self.boolean().map(drop),
            Some(b'n') if self.null() => Ok(()),
            _ => self.number("a value").map(drop),
        }
    }

    /// One value of any shape, as serde_json reads it from the text it spans.
    fn json(&mut self) -> Result<serde_json::Value> {
        self.peek();
        let start = self.pos;
        self.skip()?;
        let mut de = serde_json::Deserializer::from_str(&self.text[start..self.pos]);
        // INVARIANT: `Bundle::from_json` bounded the document's nesting.
        de.disable_recursion_limit();
        serde_json::Value::deserialize(&mut de).map_err(|e| e.to_string())
    }
}

/// Prefixes an error with where it happened.
#[cold]
#[inline(never)]
fn at(place: &str, e: String) -> String {
    format!("{place}: {e}")
}

/// Reads one member's value into `slot`; errors are prefixed with its name.
fn field<T>(r: &mut Reader<'_>, slot: &mut Option<T>, name: &str, read: Read<T>) -> Result<()> {
    *slot = Some(read(r).map_err(|e| at(name, e))?);
    Ok(())
}

/// [`field`] for a member that may be `null`, which leaves it absent.
fn optional<T>(r: &mut Reader<'_>, slot: &mut Option<T>, name: &str, read: Read<T>) -> Result<()> {
    if r.null() {
        *slot = None;
        Ok(())
    } else {
        field(r, slot, name, read)
    }
}

/// The value of a required member.
fn required<T>(slot: Option<T>, name: &str) -> Result<T> {
    slot.ok_or_else(|| missing(name))
}

#[cold]
#[inline(never)]
fn missing(name: &str) -> String {
    format!("missing field `{name}`")
}

#[cold]
#[inline(never)]
fn unknown_field(name: &str) -> String {
    format!("unknown field `{name}`")
}

#[cold]
#[inline(never)]
fn unknown_variant(found: &str, expected: &str) -> String {
    format!("unknown variant `{found}`, expected {expected}")
}

fn string(r: &mut Reader<'_>) -> Result<String> {
    r.string()
}

fn boolean(r: &mut Reader<'_>) -> Result<bool> {
    r.boolean()
}

fn json(r: &mut Reader<'_>) -> Result<serde_json::Value> {
    r.json()
}

fn u32_of(r: &mut Reader<'_>) -> Result<u32> {
    let n = r.u64("a non-negative integer")?;
    u32::try_from(n).map_err(|_| format!("invalid value: {n}, expected a u32"))
}

/// Reads each element of an array; errors are prefixed with the index.
fn list<T>(r: &mut Reader<'_>, read: Read<T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    r.array(&mut |r, i| {
        out.push(read(r).map_err(|e| at(&format!("[{i}]"), e))?);
        Ok(())
    })?;
    Ok(out)
}

fn strings(r: &mut Reader<'_>) -> Result<Vec<String>> {
    list(r, string)
}

/// Reads each value of an object keyed by strings.
fn string_map<T>(r: &mut Reader<'_>, read: Read<T>) -> Result<BTreeMap<String, T>> {
    let mut out = BTreeMap::new();
    r.object("an object", &mut |r, key| {
        let value = read(r).map_err(|e| at(&format!("{key:?}"), e))?;
        out.insert(key, value);
        Ok(())
    })?;
    Ok(out)
}

/// Reads each value of an object keyed by decimal ids.
fn id_map<T>(r: &mut Reader<'_>, read: Read<T>) -> Result<BTreeMap<u32, T>> {
    let mut out = BTreeMap::new();
    r.object("an object", &mut |r, key| {
        let id = if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            key.parse::<u32>().ok()
        } else {
            None
        };
        let id = id.ok_or_else(|| format!("invalid key {key:?}, expected a u32"))?;
        let value = read(r).map_err(|e| at(&format!("{key:?}"), e))?;
        out.insert(id, value);
        Ok(())
    })?;
    Ok(out)
}

/// The name of a unit enum variant.
fn variant(r: &mut Reader<'_>, expected: &str) -> Result<String> {
    if r.peek() == Some(b'"') {
        r.string()
    } else {
        Err(r.invalid_type(expected))
    }
}

/// Reads a whole bundle document.
pub(super) fn bundle(text: &str) -> Result<Bundle> {
    let r = &mut Reader::new(text);
    let (mut format_version, mut compiler_version, mut digest) = (None, None, None);
    let (mut policies, mut expressions, mut param_sets) = (None, None, None);
    let (mut derived_roles, mut rows) = (None, None);
    let (mut resource_scopes, mut principal_scopes, mut scope_permissions) = (None, None, None);
    let (mut scope_parent_roles, mut policy_derived_roles) = (None, None);
    let (mut policy_schemas, mut schemas) = (None, None);
    r.object("a bundle object", &mut |r, key| match key.as_str() {
        "formatVersion" => field(r, &mut format_version, &key, u32_of),
        "compilerVersion" => field(r, &mut compiler_version, &key, string),
        "digest" => field(r, &mut digest, &key, string),
        "policies" => field(r, &mut policies, &key, |r| list(r, policy_info)),
        "expressions" => field(r, &mut expressions, &key, |r| list(r, compiled_expr)),
        "paramSets" => field(r, &mut param_sets, &key, |r| list(r, param_set)),
        "derivedRoles" => field(r, &mut derived_roles, &key, |r| list(r, derived_role)),
        "rows" => field(r, &mut rows, &key, |r| list(r, row)),
        "resourceScopes" => field(r, &mut resource_scopes, &key, strings),
        "principalScopes" => field(r, &mut principal_scopes, &key, strings),
        "scopePermissions" => field(r, &mut scope_permissions, &key, |r| {
            string_map(r, scope_permission)
        }),
        "scopeParentRoles" => field(r, &mut scope_parent_roles, &key, |r| {
            string_map(r, |r| string_map(r, strings))
        }),
        "policyDerivedRoles" => field(r, &mut policy_derived_roles, &key, |r| {
            id_map(r, |r| list(r, u32_of))
        }),
        "policySchemas" => field(r, &mut policy_schemas, &key, |r| id_map(r, policy_schema)),
        "schemas" => field(r, &mut schemas, &key, |r| string_map(r, json)),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(Bundle {
        format_version: required(format_version, "formatVersion")?,
        compiler_version: required(compiler_version, "compilerVersion")?,
        digest: required(digest, "digest")?,
        policies: required(policies, "policies")?,
        expressions: required(expressions, "expressions")?,
        param_sets: required(param_sets, "paramSets")?,
        derived_roles: required(derived_roles, "derivedRoles")?,
        rows: required(rows, "rows")?,
        resource_scopes: required(resource_scopes, "resourceScopes")?,
        principal_scopes: required(principal_scopes, "principalScopes")?,
        scope_permissions: required(scope_permissions, "scopePermissions")?,
        scope_parent_roles: required(scope_parent_roles, "scopeParentRoles")?,
        policy_derived_roles: required(policy_derived_roles, "policyDerivedRoles")?,
        policy_schemas: required(policy_schemas, "policySchemas")?,
        schemas: required(schemas, "schemas")?,
    })
}

fn policy_kind(r: &mut Reader<'_>) -> Result<PolicyKind> {
    const EXPECTED: &str =
        "`resource`, `principal`, `role`, `derivedRoles`, `exportVariables` or `exportConstants`";
    let name = variant(r, EXPECTED)?;
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

fn scope_permission(r: &mut Reader<'_>) -> Result<ScopePermissions> {
    const EXPECTED: &str =
        "`UNSPECIFIED`, `OVERRIDE_PARENT` or `REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS`";
    let name = variant(r, EXPECTED)?;
    Ok(match name.as_str() {
        "UNSPECIFIED" => ScopePermissions::Unspecified,
        "OVERRIDE_PARENT" => ScopePermissions::OverrideParent,
        "REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS" => ScopePermissions::RequireParentalConsentForAllows,
        other => return Err(unknown_variant(other, EXPECTED)),
    })
}

fn effect(r: &mut Reader<'_>) -> Result<Effect> {
    const EXPECTED: &str = "`EFFECT_ALLOW`, `EFFECT_DENY` or `EFFECT_NO_MATCH`";
    let name = variant(r, EXPECTED)?;
    Ok(match name.as_str() {
        "EFFECT_ALLOW" => Effect::Allow,
        "EFFECT_DENY" => Effect::Deny,
        "EFFECT_NO_MATCH" => Effect::NoMatch,
        other => return Err(unknown_variant(other, EXPECTED)),
    })
}

fn policy_info(r: &mut Reader<'_>) -> Result<PolicyInfo> {
    let (mut kind, mut key_, mut name, mut version, mut scope) = (None, None, None, None, None);
    let (mut source_file, mut annotations, mut source_attributes) = (None, None, None);
    r.object("a policy object", &mut |r, key| match key.as_str() {
        "kind" => field(r, &mut kind, &key, policy_kind),
        "key" => field(r, &mut key_, &key, string),
        "name" => field(r, &mut name, &key, string),
        "version" => optional(r, &mut version, &key, string),
        "scope" => optional(r, &mut scope, &key, string),
        "sourceFile" => field(r, &mut source_file, &key, string),
        "annotations" => optional(r, &mut annotations, &key, |r| string_map(r, string)),
        "sourceAttributes" => optional(r, &mut source_attributes, &key, |r| string_map(r, json)),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(PolicyInfo {
        kind: required(kind, "kind")?,
        key: required(key_, "key")?,
        name: required(name, "name")?,
        version: version.unwrap_or_default(),
        scope: scope.unwrap_or_default(),
        source_file: required(source_file, "sourceFile")?,
        annotations: annotations.unwrap_or_default(),
        source_attributes: source_attributes.unwrap_or_default(),
    })
}

fn compiled_expr(r: &mut Reader<'_>) -> Result<CompiledExpr> {
    let (mut source, mut ast) = (None, None);
    r.object("an expression object", &mut |r, key| match key.as_str() {
        "source" => field(r, &mut source, &key, string),
        "ast" => field(r, &mut ast, &key, expr),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(CompiledExpr {
        source: required(source, "source")?,
        ast: required(ast, "ast")?,
    })
}

fn param_set(r: &mut Reader<'_>) -> Result<ParamSet> {
    let (mut variables, mut constants) = (None, None);
    r.object("a parameter set object", &mut |r, key| match key.as_str() {
        "variables" => field(r, &mut variables, &key, |r| list(r, variable)),
        "constants" => field(r, &mut constants, &key, |r| string_map(r, json)),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(ParamSet {
        variables: required(variables, "variables")?,
        constants: required(constants, "constants")?,
    })
}

/// A `[name, expression id]` pair.
fn variable(r: &mut Reader<'_>) -> Result<(String, u32)> {
    let (mut name, mut id, mut len) = (None, None, 0);
    r.array(&mut |r, i| {
        len = i + 1;
        match i {
            0 => name = Some(r.string()?),
            1 => id = Some(u32_of(r)?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    match (name, id) {
        (Some(name), Some(id)) if len == 2 => Ok((name, id)),
        _ => Err(format!(
            "invalid length {len}, expected a [name, expression] pair"
        )),
    }
}

fn derived_role(r: &mut Reader<'_>) -> Result<DerivedRole> {
    let (mut name, mut parent_roles, mut condition_, mut params, mut origin) =
        (None, None, None, None, None);
    r.object("a derived role object", &mut |r, key| match key.as_str() {
        "name" => field(r, &mut name, &key, string),
        "parentRoles" => field(r, &mut parent_roles, &key, strings),
        "condition" => optional(r, &mut condition_, &key, condition),
        "params" => field(r, &mut params, &key, u32_of),
        "origin" => field(r, &mut origin, &key, u32_of),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(DerivedRole {
        name: required(name, "name")?,
        parent_roles: required(parent_roles, "parentRoles")?,
        condition: condition_,
        params: required(params, "params")?,
        origin: required(origin, "origin")?,
    })
}

/// Reads an object with exactly one member, whose key `read` dispatches on;
/// errors are prefixed with the key. `what` names the object in errors.
fn tagged<T>(
    r: &mut Reader<'_>,
    what: &str,
    expected: &str,
    read: fn(&mut Reader<'_>, &str) -> Option<Result<T>>,
) -> Result<T> {
    let mut value = None;
    let mut members = 0;
    r.object("an object", &mut |r, tag| {
        members += 1;
        if members > 1 {
            return Err(format!(
                "invalid {what}: expected an object with one of {expected}"
            ));
        }
        match read(r, &tag) {
            Some(result) => {
                value = Some(result.map_err(|e| at(&tag, e))?);
                Ok(())
            }
            None => Err(unknown_variant(&tag, expected)),
        }
    })?;
    value.ok_or_else(|| format!("invalid {what}: expected an object with one of {expected}"))
}

/// A condition: an object with exactly one of `expr`, `all`, `any`, `none`.
fn condition(r: &mut Reader<'_>) -> Result<Condition> {
    tagged(
        r,
        "condition",
        "`expr`, `all`, `any` or `none`",
        |r, tag| {
            Some(match tag {
                "expr" => u32_of(r).map(Condition::Expr),
                "all" => list(r, condition).map(Condition::All),
                "any" => list(r, condition).map(Condition::Any),
                "none" => list(r, condition).map(Condition::None),
                _ => return None,
            })
        },
    )
}

fn output(r: &mut Reader<'_>) -> Result<Output> {
    let (mut rule_activated, mut condition_not_met) = (None, None);
    r.object("an output object", &mut |r, key| match key.as_str() {
        "ruleActivated" => optional(r, &mut rule_activated, &key, u32_of),
        "conditionNotMet" => optional(r, &mut condition_not_met, &key, u32_of),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(Output {
        rule_activated,
        condition_not_met,
    })
}

fn row(r: &mut Reader<'_>) -> Result<Row> {
    let (mut kind, mut version, mut scope, mut resource, mut role) = (None, None, None, None, None);
    let (mut action, mut allow_actions, mut principal, mut effect_) = (None, None, None, None);
    let (mut condition_, mut derived_role, mut params, mut output_) = (None, None, None, None);
    let (mut name, mut origin, mut from_role_policy, mut no_op, mut rule_index) =
        (None, None, None, None, None);
    r.object("a row object", &mut |r, key| match key.as_str() {
        "kind" => field(r, &mut kind, &key, policy_kind),
        "version" => field(r, &mut version, &key, string),
        "scope" => optional(r, &mut scope, &key, string),
        "resource" => field(r, &mut resource, &key, string),
        "role" => field(r, &mut role, &key, string),
        "action" => optional(r, &mut action, &key, string),
        "allowActions" => optional(r, &mut allow_actions, &key, strings),
        "principal" => optional(r, &mut principal, &key, string),
        "effect" => field(r, &mut effect_, &key, effect),
        "condition" => optional(r, &mut condition_, &key, condition),
        "derivedRole" => optional(r, &mut derived_role, &key, u32_of),
        "params" => optional(r, &mut params, &key, u32_of),
        "output" => optional(r, &mut output_, &key, output),
        "name" => field(r, &mut name, &key, string),
        "origin" => field(r, &mut origin, &key, u32_of),
        "fromRolePolicy" => optional(r, &mut from_role_policy, &key, boolean),
        "noOp" => optional(r, &mut no_op, &key, boolean),
        "ruleIndex" => optional(r, &mut rule_index, &key, u32_of),
        _ => Err(unknown_field(&key)),
    })?;
    Ok(Row {
        kind: required(kind, "kind")?,
        version: required(version, "version")?,
        scope: scope.unwrap_or_default(),
        resource: required(resource, "resource")?,
        role: required(role, "role")?,
        action,
        allow_actions,
        principal,
        effect: required(effect_, "effect")?,
        condition: condition_,
        derived_role,
        params,
        output: output_,
        name: required(name, "name")?,
        origin: required(origin, "origin")?,
        from_role_policy: from_role_policy.unwrap_or_default(),
        no_op: no_op.unwrap_or_default(),
        rule_index,
    })
}

fn policy_schema(r: &mut Reader<'_>) -> Result<PolicySchemas> {
    let (mut principal, mut resource) = (None, None);
    r.object(
        "a policy schemas object",
        &mut |r, key| match key.as_str() {
            "principal" => optional(r, &mut principal, &key, schema_ref),
            "resource" => optional(r, &mut resource, &key, schema_ref),
            _ => Err(unknown_field(&key)),
        },
    )?;
    Ok(PolicySchemas {
        principal,
        resource,
    })
}

fn schema_ref(r: &mut Reader<'_>) -> Result<SchemaRef> {
    let (mut reference, mut ignore_actions) = (None, None);
    r.object(
        "a schema reference object",
        &mut |r, key| match key.as_str() {
            "reference" => field(r, &mut reference, &key, string),
            "ignoreActions" => optional(r, &mut ignore_actions, &key, strings),
            _ => Err(unknown_field(&key)),
        },
    )?;
    Ok(SchemaRef {
        reference: required(reference, "reference")?,
        ignore_actions: ignore_actions.unwrap_or_default(),
    })
}

// ---- CEL expression trees (the JSON of `crate::cel::ast`) ----------------
//
// Node ids are not serialized; every node reads back with id 0. Unknown
// fields are skipped, as the derived impls of the AST types did.

/// Reads one expression tree from its JSON text (the whole text).
pub(super) fn expr_document(text: &str) -> Result<Expr> {
    let r = &mut Reader::new(text);
    let e = expr(r)?;
    match r.peek() {
        None => Ok(e),
        Some(_) => Err(r.malformed()),
    }
}

/// An expression node: an object with one kind tag (`lit`, `id`, `sel`,
/// `call`, `list`, `map`, `struct`, `comp`).
fn expr(r: &mut Reader<'_>) -> Result<Expr> {
    const EXPECTED: &str = "`lit`, `id`, `sel`, `call`, `list`, `map`, `struct` or `comp`";
    let kind = tagged(r, "expression", EXPECTED, |r, tag| {
        Some(match tag {
            "lit" => literal(r).map(ExprKind::Literal),
            "id" => r.string().map(ExprKind::Ident),
            "sel" => select(r),
            "call" => call(r),
            "list" => list_expr(r),
            "map" => map_expr(r),
            "struct" => struct_expr(r),
            "comp" => comprehension(r).map(|c| ExprKind::Comprehension(Box::new(c))),
            _ => return None,
        })
    })?;
    Ok(Expr { id: 0, kind })
}

fn boxed_expr(r: &mut Reader<'_>) -> Result<Box<Expr>> {
    expr(r).map(Box::new)
}

fn exprs(r: &mut Reader<'_>) -> Result<Vec<Expr>> {
    list(r, expr)
}

fn select(r: &mut Reader<'_>) -> Result<ExprKind> {
    let (mut operand, mut field_, mut test_only, mut optional_) = (None, None, None, None);
    r.object("a select object", &mut |r, key| match key.as_str() {
        "operand" => field(r, &mut operand, &key, boxed_expr),
        "field" => field(r, &mut field_, &key, string),
        "test_only" => optional(r, &mut test_only, &key, boolean),
        "optional" => optional(r, &mut optional_, &key, boolean),
        _ => r.skip(),
    })?;
    Ok(ExprKind::Select {
        operand: required(operand, "operand")?,
        field: required(field_, "field")?,
        test_only: test_only.unwrap_or_default(),
        optional: optional_.unwrap_or_default(),
    })
}

fn call(r: &mut Reader<'_>) -> Result<ExprKind> {
    let (mut target, mut function, mut args) = (None, None, None);
    r.object("a call object", &mut |r, key| match key.as_str() {
        "target" => optional(r, &mut target, &key, boxed_expr),
        "function" => field(r, &mut function, &key, string),
        "args" => optional(r, &mut args, &key, exprs),
        _ => r.skip(),
    })?;
    Ok(ExprKind::Call {
        target,
        function: required(function, "function")?,
        args: args.unwrap_or_default(),
    })
}

fn list_expr(r: &mut Reader<'_>) -> Result<ExprKind> {
    let (mut elements, mut optional_indices) = (None, None);
    r.object("a list object", &mut |r, key| match key.as_str() {
        "elements" => field(r, &mut elements, &key, exprs),
        "optional_indices" => optional(r, &mut optional_indices, &key, |r| list(r, u32_of)),
        _ => r.skip(),
    })?;
    Ok(ExprKind::List {
        elements: required(elements, "elements")?,
        optional_indices: optional_indices.unwrap_or_default(),
    })
}

fn map_expr(r: &mut Reader<'_>) -> Result<ExprKind> {
    let mut entries = None;
    r.object("a map object", &mut |r, key| match key.as_str() {
        "entries" => field(r, &mut entries, &key, |r| list(r, map_entry)),
        _ => r.skip(),
    })?;
    Ok(ExprKind::Map {
        entries: required(entries, "entries")?,
    })
}

fn map_entry(r: &mut Reader<'_>) -> Result<MapEntry> {
    let (mut key_, mut value, mut optional_) = (None, None, None);
    r.object("a map entry object", &mut |r, key| match key.as_str() {
        "key" => field(r, &mut key_, &key, expr),
        "value" => field(r, &mut value, &key, expr),
        "optional" => optional(r, &mut optional_, &key, boolean),
        _ => r.skip(),
    })?;
    Ok(MapEntry {
        key: required(key_, "key")?,
        value: required(value, "value")?,
        optional: optional_.unwrap_or_default(),
    })
}

fn struct_expr(r: &mut Reader<'_>) -> Result<ExprKind> {
    let (mut type_name, mut fields) = (None, None);
    r.object("a struct object", &mut |r, key| match key.as_str() {
        "type_name" => field(r, &mut type_name, &key, string),
        "fields" => field(r, &mut fields, &key, |r| list(r, struct_field)),
        _ => r.skip(),
    })?;
    Ok(ExprKind::Struct {
        type_name: required(type_name, "type_name")?,
        fields: required(fields, "fields")?,
    })
}

fn struct_field(r: &mut Reader<'_>) -> Result<StructField> {
    let (mut field_, mut value, mut optional_) = (None, None, None);
    r.object("a struct field object", &mut |r, key| match key.as_str() {
        "field" => field(r, &mut field_, &key, string),
        "value" => field(r, &mut value, &key, expr),
        "optional" => optional(r, &mut optional_, &key, boolean),
        _ => r.skip(),
    })?;
    Ok(StructField {
        field: required(field_, "field")?,
        value: required(value, "value")?,
        optional: optional_.unwrap_or_default(),
    })
}

fn comprehension(r: &mut Reader<'_>) -> Result<Comprehension> {
    let (mut iter_var, mut iter_var2, mut iter_range, mut accu_var) = (None, None, None, None);
    let (mut accu_init, mut loop_condition, mut loop_step, mut result) = (None, None, None, None);
    r.object("a comprehension object", &mut |r, key| match key.as_str() {
        "iter_var" => field(r, &mut iter_var, &key, string),
        "iter_var2" => optional(r, &mut iter_var2, &key, string),
        "iter_range" => field(r, &mut iter_range, &key, expr),
        "accu_var" => field(r, &mut accu_var, &key, string),
        "accu_init" => field(r, &mut accu_init, &key, expr),
        "loop_condition" => field(r, &mut loop_condition, &key, expr),
        "loop_step" => field(r, &mut loop_step, &key, expr),
        "result" => field(r, &mut result, &key, expr),
        _ => r.skip(),
    })?;
    Ok(Comprehension {
        iter_var: required(iter_var, "iter_var")?,
        iter_var2,
        iter_range: required(iter_range, "iter_range")?,
        accu_var: required(accu_var, "accu_var")?,
        accu_init: required(accu_init, "accu_init")?,
        loop_condition: required(loop_condition, "loop_condition")?,
        loop_step: required(loop_step, "loop_step")?,
        result: required(result, "result")?,
    })
}

/// A literal: `"null"`, or an object with one of `null`, `bool`, `int`,
/// `uint`, `double`, `string`, `bytes`.
fn literal(r: &mut Reader<'_>) -> Result<Literal> {
    const EXPECTED: &str = "`null`, `bool`, `int`, `uint`, `double`, `string` or `bytes`";
    match r.peek() {
        Some(b'"') => {
            // The tag alone: a literal whose value is null.
            let tag = r.string()?;
            let expected = match tag.as_str() {
                "null" => return Ok(Literal::Null),
                "bool" => "a boolean",
                "int" => "a 64-bit integer",
                "uint" => "a non-negative integer",
                "double" => "a number or \"NaN\", \"Infinity\", \"-Infinity\"",
                "string" => "a string",
                "bytes" => "an array",
                other => return Err(unknown_variant(other, EXPECTED)),
            };
            Err(at(&tag, format!("invalid type: null, expected {expected}")))
        }
        Some(b'{') => tagged(r, "literal", EXPECTED, |r, tag| {
            Some(match tag {
                "null" if r.null() => Ok(Literal::Null),
                "null" => Err(r.invalid_type("null")),
                "bool" => r.boolean().map(Literal::Bool),
                "int" => int64(r).map(Literal::Int),
                "uint" => r.u64("a non-negative integer").map(Literal::Uint),
                "double" => double(r).map(Literal::Double),
                "string" => r.string().map(Literal::String),
                "bytes" => list(r, byte).map(Literal::Bytes),
                _ => return None,
            })
        }),
        _ => Err(r.invalid_type("a literal")),
    }
}

fn int64(r: &mut Reader<'_>) -> Result<i64> {
    const EXPECTED: &str = "a 64-bit integer";
    let (text, integer) = r.number(EXPECTED)?;
    match text.parse::<i64>() {
        Ok(n) if integer => Ok(n),
        _ => Err(format!("invalid type: a number, expected {EXPECTED}")),
    }
}

fn byte(r: &mut Reader<'_>) -> Result<u8> {
    let n = r.u64("a non-negative integer")?;
    u8::try_from(n).map_err(|_| format!("invalid value: {n}, expected a byte"))
}

/// A JSON number, or one of the strings for non-finite doubles.
fn double(r: &mut Reader<'_>) -> Result<f64> {
    const EXPECTED: &str = "a number or \"NaN\", \"Infinity\", \"-Infinity\"";
    if r.peek() == Some(b'"') {
        let s = r.string()?;
        return match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => Err(format!("invalid double literal {other:?}")),
        };
    }
    r.f64(EXPECTED)
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
        // The version is checked first, wherever it sits and whatever else is wrong.
        let moved = MINIMAL.replace(r#""formatVersion":1,"#, "").replace(
            r#""schemas":{}}"#,
            r#""schemas":{},"extra":[],"formatVersion":7}"#,
        );
        assert!(matches!(
            Bundle::from_json(&moved),
            Err(BundleError::UnsupportedVersion { found: 7, .. })
        ));
        assert_eq!(error_of("[1]"), "missing field `formatVersion`");
        assert!(error_of("{not json").contains("line 1 column 2"));
        let tag_only = MINIMAL.replace(r#"{"bool":true}"#, r#""bool""#);
        assert!(error_of(&tag_only).ends_with("lit: bool: invalid type: null, expected a boolean"));
        let two_tags = MINIMAL.replace(r#"{"expr":0}"#, r#"{"expr":0,"any":[]}"#);
        assert!(error_of(&two_tags)
            .contains("condition: all: [0]: invalid condition: expected an object with one of"));
    }

    #[test]
    fn reads_any_layout_escapes_and_nulls_as_serde_json_does() {
        let compact = Bundle::from_json(MINIMAL).expect("reads");
        // Pretty-printed, keys in another order.
        let value: serde_json::Value = serde_json::from_str(MINIMAL).expect("JSON");
        let mut pretty = serde_json::to_string_pretty(&value).expect("prints");
        pretty = pretty.replacen("\"formatVersion\": 1,", "", 1).replacen(
            "\"schemas\": {}",
            "\"schemas\": {},\n  \"formatVersion\": 1",
            1,
        );
        assert_eq!(Bundle::from_json(&pretty).expect("reads"), compact);
        // Escapes, including a surrogate pair, in keys and values.
        let escaped = MINIMAL
            .replace(
                r#""source":"true""#,
                r#""source":"a\"b\\c\/\u00e9\ud83d\ude00\n""#,
            )
            .replace(r#""constants":{"c""#, r#""constants":{"\u0063\t""#);
        let b = Bundle::from_json(&escaped).expect("reads");
        assert_eq!(b.expressions[0].source, "a\"b\\c/\u{e9}\u{1f600}\n");
        assert!(b.param_sets[0].constants.contains_key("c\t"));
        // Null optional members are absent; defaults apply.
        let nulls = MINIMAL.replace(
            r#""action":"view","#,
            r#""action":null,"scope":null,"noOp":null,"#,
        );
        let row = &Bundle::from_json(&nulls).expect("reads").rows[0];
        assert_eq!(
            (row.action.as_deref(), row.scope.as_str(), row.no_op),
            (None, "", false)
        );
        // Doubles as serde_json reads them: integer syntax converts (so -0 is 0.0).
        for (text, want) in [
            ("-0", 0.0f64),
            ("2", 2.0),
            ("-0.0", -0.0),
            ("1.5e3", 1500.0),
            ("\"-Infinity\"", f64::NEG_INFINITY),
        ] {
            let doc = MINIMAL.replace(r#"{"bool":true}"#, &format!(r#"{{"double":{text}}}"#));
            let b = Bundle::from_json(&doc).expect("reads");
            let crate::cel::ast::ExprKind::Literal(crate::cel::ast::Literal::Double(d)) =
                b.expressions[0].ast.kind
            else {
                panic!("a double literal");
            };
            assert_eq!(
                (d, d.is_sign_negative()),
                (want, want.is_sign_negative()),
                "{text}"
            );
        }
    }

    mod props {
        use super::super::super::Bundle;
        use super::MINIMAL;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            /// Any damage to a bundle's text is an error or a bundle, never a panic.
            #[test]
            fn damaged_documents_never_panic(
                cut in 0usize..MINIMAL.len(),
                at in 0usize..MINIMAL.len(),
                byte in prop::sample::select(b"{}[]\",:0-9.eE+ntfu\\x\xc3\xa9".to_vec()),
            ) {
                let mut bytes = MINIMAL.as_bytes().to_vec();
                bytes[at] = byte;
                let damaged = String::from_utf8_lossy(&bytes).into_owned();
                let _ = Bundle::from_json(&damaged);
                let _ = Bundle::from_json(&MINIMAL[..cut]);
            }
        }
    }
}
