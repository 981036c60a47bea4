//! The test-suite file format (Cerbos `TestSuite`, `TestFixture.*`), read from
//! the compiler's located YAML tree and validated with Cerbos's rules and
//! messages (`L:C message` for decoding errors, `path: message` for
//! validation errors, one per line).

use std::collections::BTreeMap;

use crate::compiler::yaml::{self, Entry, Node, Pos, Style, Value as Y};

use super::results::Effect;
use super::time::Timestamp;

/// JSON object used for attributes, globals and claims.
pub type Attributes = serde_json::Map<String, serde_json::Value>;

/// A principal fixture (Cerbos `engine.v1.Principal`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Principal {
    /// Principal id.
    pub id: String,
    /// Policy version; empty means the default.
    pub policy_version: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Attributes.
    pub attr: Attributes,
    /// Scope.
    pub scope: String,
}

/// A resource fixture (Cerbos `engine.v1.Resource`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// Resource kind.
    pub kind: String,
    /// Policy version; empty means the default.
    pub policy_version: String,
    /// Resource id.
    pub id: String,
    /// Attributes.
    pub attr: Attributes,
    /// Scope.
    pub scope: String,
}

/// An auxData fixture: JWT claims, already decoded (Cerbos `engine.v1.AuxData`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuxData {
    /// Claims of the single JWT (`request.auxData.jwt`).
    pub jwt: Attributes,
    /// Claims of named JWTs (`request.auxData.jwts.<name>.claims`).
    pub jwts: BTreeMap<String, Attributes>,
}

/// Per-suite or per-test evaluation options (Cerbos `TestOptions`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestOptions {
    /// Time `now()` returns; when absent a policy calling `now()` errors the test.
    pub now: Option<Timestamp>,
    /// Lenient scope search.
    pub lenient_scope_search: bool,
    /// Engine globals.
    pub globals: Attributes,
    /// Default policy version.
    pub default_policy_version: String,
    /// Default scope.
    pub default_scope: String,
    /// Strict evaluation.
    pub strict_evaluation: bool,
}

/// Test input (`TestTable.Input`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Input {
    /// Principal fixture keys.
    pub principals: Vec<String>,
    /// Resource fixture keys.
    pub resources: Vec<String>,
    /// Actions, in order.
    pub actions: Vec<String>,
    /// auxData fixture key (may be empty).
    pub aux_data: String,
    /// Principal group names.
    pub principal_groups: Vec<String>,
    /// Resource group names.
    pub resource_groups: Vec<String>,
}

/// Expected outputs for one action.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputExpectations {
    /// Action.
    pub action: String,
    /// `(src, val)` pairs.
    pub expected: Vec<(String, serde_json::Value)>,
}

/// One `expected` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectation {
    /// Single principal key.
    pub principal: String,
    /// Single resource key.
    pub resource: String,
    /// Expected effect per action, in file order.
    pub actions: Vec<(String, Effect)>,
    /// Output expectations.
    pub outputs: Vec<OutputExpectations>,
    /// Principal keys.
    pub principals: Vec<String>,
    /// Resource keys.
    pub resources: Vec<String>,
    /// Principal groups.
    pub principal_groups: Vec<String>,
    /// Resource groups.
    pub resource_groups: Vec<String>,
}

/// A test table (`TestTable`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestTable {
    /// Name (unique within the suite).
    pub name: String,
    /// Description.
    pub description: String,
    /// Skip this test.
    pub skip: bool,
    /// Why.
    pub skip_reason: String,
    /// Input.
    pub input: Input,
    /// Expectations.
    pub expected: Vec<Expectation>,
    /// Options replacing the suite's.
    pub options: Option<TestOptions>,
}

/// A test suite file (`TestSuite`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suite {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Skip the whole suite.
    pub skip: bool,
    /// Why.
    pub skip_reason: String,
    /// Tests.
    pub tests: Vec<TestTable>,
    /// Inline principals (shadow `testdata/`).
    pub principals: BTreeMap<String, Principal>,
    /// Inline resources.
    pub resources: BTreeMap<String, Resource>,
    /// Inline auxData.
    pub aux_data: BTreeMap<String, AuxData>,
    /// Suite options.
    pub options: Option<TestOptions>,
    /// Inline principal groups.
    pub principal_groups: BTreeMap<String, Vec<String>>,
    /// Inline resource groups.
    pub resource_groups: BTreeMap<String, Vec<String>>,
}

/// `testdata/principals.*`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrincipalFixtures {
    /// Principals by key.
    pub principals: BTreeMap<String, Principal>,
    /// Groups by name.
    pub groups: BTreeMap<String, Vec<String>>,
}

/// `testdata/resources.*`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceFixtures {
    /// Resources by key.
    pub resources: BTreeMap<String, Resource>,
    /// Groups by name.
    pub groups: BTreeMap<String, Vec<String>>,
}

/// One expanded test: a (principal, resource) cell of a test table.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// Test table name.
    pub table_name: String,
    /// Test table description.
    pub description: String,
    /// Principal fixture key.
    pub principal_key: String,
    /// Resource fixture key.
    pub resource_key: String,
    /// Principal.
    pub principal: Principal,
    /// Resource.
    pub resource: Resource,
    /// Actions.
    pub actions: Vec<String>,
    /// auxData.
    pub aux_data: Option<AuxData>,
    /// Expected effect per action (absent → DENY).
    pub expected: BTreeMap<String, Effect>,
    /// Expected outputs per action: src → value.
    pub expected_outputs: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Effective options.
    pub options: Option<TestOptions>,
    /// Skip.
    pub skip: bool,
    /// Why.
    pub skip_reason: String,
}

// ---------------------------------------------------------------------------
// Decoding

/// A decoding error (the first one aborts, as protojson does).
struct DecodeError {
    pos: Option<Pos>,
    message: String,
}

type D<T> = Result<T, DecodeError>;

fn derr(pos: Pos, message: impl Into<String>) -> DecodeError {
    DecodeError {
        pos: Some(pos),
        message: message.into(),
    }
}

/// Validation problems, collected in full.
#[derive(Default)]
struct Violations(Vec<(Option<Pos>, String)>);

impl Violations {
    fn add(&mut self, pos: Option<Pos>, path: &str, message: &str) {
        self.0
            .push((pos, format!("{}: {message}", camel_path(path))));
    }
}

/// Cerbos prints violation paths with JSON names, converting the whole path
/// text, map keys included (`resources["a_b"].kind` → `resources["aB"].kind`).
fn camel_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        if c == '_' {
            upper = true;
            continue;
        }
        if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn fmt_errors(list: &[(Option<Pos>, String)]) -> String {
    list.iter()
        .map(|(pos, m)| match pos {
            Some(p) => format!("{}:{} {m}", p.line, p.col),
            None => m.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where Cerbos's YAML reader places a mapping: at the `:` of its first key.
fn map_pos(node: &Node) -> Pos {
    if let Y::Map(entries) = &node.value {
        if let Some(first) = entries.first() {
            let mut p = first.key_pos;
            let len = first.key.chars().count() as u32;
            p.col = p.col.saturating_add(len);
            p.offset = p.offset.saturating_add(first.key.len());
            return p;
        }
    }
    node.pos
}

/// Canonical (snake_case) field name of a camelCase or snake_case key.
fn field_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn entries<'a>(node: &'a Node, what: &str) -> D<&'a [Entry]> {
    match &node.value {
        Y::Map(e) => Ok(e),
        _ if node.is_null() => Ok(&[]),
        _ => Err(derr(
            node.pos,
            format!(
                "invalid value for {what}: expected a mapping, got {}",
                node.type_name()
            ),
        )),
    }
}

fn unknown(e: &Entry) -> DecodeError {
    derr(e.key_pos, format!("unknown field {:?}", e.key))
}

fn string(node: &Node, field: &str) -> D<String> {
    match &node.value {
        Y::Scalar(_, Style::Plain) if node.is_null() => Ok(String::new()),
        Y::Scalar(s, _) => Ok(s.clone()),
        _ => Err(derr(
            node.pos,
            format!(
                "invalid value for string field {field}: {}",
                node.type_name()
            ),
        )),
    }
}

fn boolean(node: &Node, field: &str) -> D<bool> {
    match &node.value {
        Y::Scalar(s, Style::Plain) => match s.as_str() {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            _ if node.is_null() => Ok(false),
            _ => Err(derr(
                node.pos,
                format!("invalid value for bool field {field}: {s}"),
            )),
        },
        _ => Err(derr(
            node.pos,
            format!("invalid value for bool field {field}: {}", node.type_name()),
        )),
    }
}

fn strings(node: &Node, field: &str) -> D<Vec<(Pos, String)>> {
    match &node.value {
        Y::Seq(items) => items
            .iter()
            .map(|i| string(i, field).map(|s| (i.pos, s)))
            .collect(),
        _ if node.is_null() => Ok(Vec::new()),
        _ => Err(derr(
            node.pos,
            format!(
                "invalid value for repeated field {field}: {}",
                node.type_name()
            ),
        )),
    }
}

fn object(node: &Node, field: &str) -> D<Attributes> {
    match node.to_json() {
        serde_json::Value::Object(m) => Ok(m),
        serde_json::Value::Null => Ok(Attributes::new()),
        _ => Err(derr(
            node.pos,
            format!("invalid value for map field {field}: {}", node.type_name()),
        )),
    }
}

/// Validates a repeated string field: unique, non-empty items.
fn check_strings(v: &mut Violations, path: &str, items: &[(Pos, String)]) {
    for (i, (pos, s)) in items.iter().enumerate() {
        if s.is_empty() {
            v.add(
                Some(*pos),
                &format!("{path}[{i}]"),
                "value length must be at least 1 characters",
            );
        } else if items[..i].iter().any(|(_, o)| o == s) {
            v.add(Some(*pos), path, "repeated value must contain unique items");
        }
    }
}

fn plain(items: Vec<(Pos, String)>) -> Vec<String> {
    items.into_iter().map(|(_, s)| s).collect()
}

fn principal(node: &Node, path: &str, v: &mut Violations) -> D<Principal> {
    let mut p = Principal::default();
    let mut roles = Vec::new();
    let mut have_roles = false;
    for e in entries(node, "Principal")? {
        match field_name(&e.key).as_str() {
            "id" => p.id = string(&e.value, "id")?,
            "policy_version" => {
                p.policy_version = string(&e.value, "policy_version")?;
                check_version(
                    v,
                    &e.value,
                    &format!("{path}.policy_version"),
                    &p.policy_version,
                );
            }
            "roles" => {
                roles = strings(&e.value, "roles")?;
                have_roles = true;
            }
            "attr" => p.attr = object(&e.value, "attr")?,
            "scope" => {
                p.scope = string(&e.value, "scope")?;
                check_scope(v, &e.value, &format!("{path}.scope"), &p.scope);
            }
            _ => return Err(unknown(e)),
        }
    }
    if p.id.is_empty() {
        v.add(None, &format!("{path}.id"), "value is required");
    }
    if roles.is_empty() {
        let pos = if have_roles { Some(node.pos) } else { None };
        v.add(pos, &format!("{path}.roles"), "value is required");
    }
    check_strings(v, &format!("{path}.roles"), &roles);
    p.roles = plain(roles);
    Ok(p)
}

fn resource(node: &Node, path: &str, v: &mut Violations) -> D<Resource> {
    let mut r = Resource::default();
    for e in entries(node, "Resource")? {
        match field_name(&e.key).as_str() {
            "kind" => r.kind = string(&e.value, "kind")?,
            "id" => r.id = string(&e.value, "id")?,
            "policy_version" => {
                r.policy_version = string(&e.value, "policy_version")?;
                check_version(
                    v,
                    &e.value,
                    &format!("{path}.policy_version"),
                    &r.policy_version,
                );
            }
            "attr" => r.attr = object(&e.value, "attr")?,
            "scope" => {
                r.scope = string(&e.value, "scope")?;
                check_scope(v, &e.value, &format!("{path}.scope"), &r.scope);
            }
            _ => return Err(unknown(e)),
        }
    }
    if r.kind.is_empty() {
        v.add(None, &format!("{path}.kind"), "value is required");
    }
    if r.id.is_empty() {
        v.add(None, &format!("{path}.id"), "value is required");
    }
    Ok(r)
}

fn check_version(v: &mut Violations, node: &Node, path: &str, s: &str) {
    if !s.chars().all(|c| c.is_alphanumeric() || c == '_') {
        v.add(
            Some(node.pos),
            path,
            "value does not match regex pattern `^[\\w]*$`",
        );
    }
}

fn check_scope(v: &mut Violations, node: &Node, path: &str, s: &str) {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let ok = s.is_empty()
        || s == "."
        || s.split('.').enumerate().all(|(i, seg)| {
            let mut cs = seg.chars();
            match cs.next() {
                Some(c) if i == 0 => c.is_ascii_alphanumeric() && cs.all(word),
                Some(c) => (c.is_alphanumeric() || c == '_') && cs.all(word),
                None => false,
            }
        });
    if !ok {
        v.add(
            Some(node.pos),
            path,
            "value does not match regex pattern `^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$`",
        );
    }
}

fn aux_data(node: &Node, path: &str, v: &mut Violations) -> D<AuxData> {
    let mut a = AuxData::default();
    let mut has_jwt = false;
    let mut has_jwts = false;
    for e in entries(node, "AuxData")? {
        match field_name(&e.key).as_str() {
            "jwt" => {
                a.jwt = object(&e.value, "jwt")?;
                has_jwt = !a.jwt.is_empty();
            }
            "jwts" => {
                for j in entries(&e.value, "jwts")? {
                    let mut claims = Attributes::new();
                    for c in entries(&j.value, "JWT")? {
                        match field_name(&c.key).as_str() {
                            "claims" => claims = object(&c.value, "claims")?,
                            _ => return Err(unknown(c)),
                        }
                    }
                    if j.key.is_empty() {
                        v.add(
                            Some(j.key_pos),
                            &format!("{path}.jwts"),
                            "value length must be at least 1 characters",
                        );
                    }
                    a.jwts.insert(j.key.clone(), claims);
                }
                has_jwts = !a.jwts.is_empty();
            }
            _ => return Err(unknown(e)),
        }
    }
    if has_jwt && has_jwts {
        v.add(
            Some(map_pos(node)),
            path,
            "Only one of the jwt or jwts fields must be set",
        );
    }
    Ok(a)
}

fn options(node: &Node) -> D<TestOptions> {
    let mut o = TestOptions::default();
    for e in entries(node, "TestOptions")? {
        match field_name(&e.key).as_str() {
            "now" => {
                let s = string(&e.value, "now")?;
                let t = Timestamp::parse_rfc3339(&s).map_err(|err| {
                    derr(e.value.pos, format!("invalid timestamp value {s:?}: {err}"))
                })?;
                o.now = Some(t);
            }
            "lenient_scope_search" => {
                o.lenient_scope_search = boolean(&e.value, "lenient_scope_search")?
            }
            "globals" => o.globals = object(&e.value, "globals")?,
            "default_policy_version" => {
                o.default_policy_version = string(&e.value, "default_policy_version")?
            }
            "default_scope" => o.default_scope = string(&e.value, "default_scope")?,
            "strict_evaluation" => o.strict_evaluation = boolean(&e.value, "strict_evaluation")?,
            _ => return Err(unknown(e)),
        }
    }
    Ok(o)
}

fn groups(
    node: &Node,
    path: &str,
    member_field: &str,
    v: &mut Violations,
) -> D<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for g in entries(node, "groups")? {
        let gpath = format!("{path}[{:?}]", g.key);
        let mut members = Vec::new();
        for e in entries(&g.value, "TestFixtureGroup")? {
            if field_name(&e.key) == member_field {
                members = strings(&e.value, member_field)?;
            } else {
                return Err(unknown(e));
            }
        }
        let mpath = format!("{gpath}.{member_field}");
        if members.is_empty() {
            v.add(None, &mpath, "value is required");
        }
        check_strings(v, &mpath, &members);
        out.insert(g.key.clone(), plain(members));
    }
    Ok(out)
}

fn principals_map(node: &Node, path: &str, v: &mut Violations) -> D<BTreeMap<String, Principal>> {
    let mut out = BTreeMap::new();
    for e in entries(node, "principals")? {
        let p = principal(&e.value, &format!("{path}[{:?}]", e.key), v)?;
        out.insert(e.key.clone(), p);
    }
    Ok(out)
}

fn resources_map(node: &Node, path: &str, v: &mut Violations) -> D<BTreeMap<String, Resource>> {
    let mut out = BTreeMap::new();
    for e in entries(node, "resources")? {
        let r = resource(&e.value, &format!("{path}[{:?}]", e.key), v)?;
        out.insert(e.key.clone(), r);
    }
    Ok(out)
}

fn aux_map(node: &Node, path: &str, v: &mut Violations) -> D<BTreeMap<String, AuxData>> {
    let mut out = BTreeMap::new();
    for e in entries(node, "auxData")? {
        let a = aux_data(&e.value, &format!("{path}[{:?}]", e.key), v)?;
        out.insert(e.key.clone(), a);
    }
    Ok(out)
}

fn input(node: &Node, path: &str, v: &mut Violations) -> D<Input> {
    let mut i = Input::default();
    let mut lists: BTreeMap<&str, Vec<(Pos, String)>> = BTreeMap::new();
    for e in entries(node, "Input")? {
        let f = field_name(&e.key);
        match f.as_str() {
            "principals" => {
                lists.insert("principals", strings(&e.value, "principals")?);
            }
            "resources" => {
                lists.insert("resources", strings(&e.value, "resources")?);
            }
            "actions" => {
                lists.insert("actions", strings(&e.value, "actions")?);
            }
            "principal_groups" => {
                lists.insert("principal_groups", strings(&e.value, "principal_groups")?);
            }
            "resource_groups" => {
                lists.insert("resource_groups", strings(&e.value, "resource_groups")?);
            }
            "aux_data" => i.aux_data = string(&e.value, "aux_data")?,
            _ => return Err(unknown(e)),
        }
    }
    for (name, items) in &lists {
        check_strings(v, &format!("{path}.{name}"), items);
    }
    let mut take = |k: &str| plain(lists.remove(k).unwrap_or_default());
    i.principals = take("principals");
    i.resources = take("resources");
    i.actions = take("actions");
    i.principal_groups = take("principal_groups");
    i.resource_groups = take("resource_groups");
    if i.actions.is_empty() {
        v.add(None, &format!("{path}.actions"), "value is required");
    }
    if i.principals.is_empty() && i.principal_groups.is_empty() {
        v.add(
            Some(map_pos(node)),
            path,
            "principals or principalGroups must be present",
        );
    }
    if i.resources.is_empty() && i.resource_groups.is_empty() {
        v.add(
            Some(map_pos(node)),
            path,
            "resources or resourceGroups must be present",
        );
    }
    Ok(i)
}

fn effect(node: &Node) -> D<Effect> {
    let s = string(node, "actions")?;
    Effect::from_name(&s).ok_or_else(|| {
        derr(
            node.pos,
            format!("invalid value for enum field actions: {s:?}"),
        )
    })
}

fn expectation(node: &Node, path: &str, v: &mut Violations) -> D<Expectation> {
    let mut x = Expectation::default();
    let mut lists: BTreeMap<&str, Vec<(Pos, String)>> = BTreeMap::new();
    for e in entries(node, "Expectation")? {
        match field_name(&e.key).as_str() {
            "principal" => x.principal = string(&e.value, "principal")?,
            "resource" => x.resource = string(&e.value, "resource")?,
            "actions" => {
                for a in entries(&e.value, "actions")? {
                    let eff = effect(&a.value)?;
                    if !matches!(eff, Effect::Allow | Effect::Deny) {
                        v.add(
                            Some(a.value.pos),
                            &format!("{path}.actions[{:?}]", a.key),
                            "must be one of [EFFECT_ALLOW, EFFECT_DENY]",
                        );
                    }
                    if a.key.is_empty() {
                        v.add(
                            Some(a.key_pos),
                            &format!("{path}.actions"),
                            "value length must be at least 1 characters",
                        );
                    }
                    x.actions.push((a.key.clone(), eff));
                }
            }
            "outputs" => {
                let Y::Seq(items) = &e.value.value else {
                    if e.value.is_null() {
                        continue;
                    }
                    return Err(derr(
                        e.value.pos,
                        "invalid value for repeated field outputs",
                    ));
                };
                for (oi, item) in items.iter().enumerate() {
                    let opath = format!("{path}.outputs[{oi}]");
                    let mut oe = OutputExpectations::default();
                    for f in entries(item, "OutputExpectations")? {
                        match field_name(&f.key).as_str() {
                            "action" => oe.action = string(&f.value, "action")?,
                            "expected" => {
                                let Y::Seq(list) = &f.value.value else {
                                    if f.value.is_null() {
                                        continue;
                                    }
                                    return Err(derr(
                                        f.value.pos,
                                        "invalid value for repeated field expected",
                                    ));
                                };
                                for entry in list {
                                    let mut src = String::new();
                                    let mut val = serde_json::Value::Null;
                                    for g in entries(entry, "OutputEntry")? {
                                        match field_name(&g.key).as_str() {
                                            "src" => src = string(&g.value, "src")?,
                                            "val" => val = g.value.to_json(),
                                            "action" => {
                                                string(&g.value, "action")?;
                                            }
                                            "error" => {
                                                string(&g.value, "error")?;
                                            }
                                            _ => return Err(unknown(g)),
                                        }
                                    }
                                    oe.expected.push((src, val));
                                }
                            }
                            _ => return Err(unknown(f)),
                        }
                    }
                    if oe.action.is_empty() {
                        v.add(None, &format!("{opath}.action"), "value is required");
                    }
                    if oe.expected.is_empty() {
                        v.add(None, &format!("{opath}.expected"), "value is required");
                    }
                    x.outputs.push(oe);
                }
            }
            "principals" => {
                lists.insert("principals", strings(&e.value, "principals")?);
            }
            "resources" => {
                lists.insert("resources", strings(&e.value, "resources")?);
            }
            "principal_groups" => {
                lists.insert("principal_groups", strings(&e.value, "principal_groups")?);
            }
            "resource_groups" => {
                lists.insert("resource_groups", strings(&e.value, "resource_groups")?);
            }
            _ => return Err(unknown(e)),
        }
    }
    for (name, items) in &lists {
        check_strings(v, &format!("{path}.{name}"), items);
    }
    let mut take = |k: &str| plain(lists.remove(k).unwrap_or_default());
    x.principals = take("principals");
    x.resources = take("resources");
    x.principal_groups = take("principal_groups");
    x.resource_groups = take("resource_groups");
    if x.actions.is_empty() {
        v.add(None, &format!("{path}.actions"), "value is required");
    }
    let here = Some(map_pos(node));
    if x.principal.is_empty() && x.principals.is_empty() && x.principal_groups.is_empty() {
        v.add(
            here,
            path,
            "principal, principals, or principalGroups must be present",
        );
    }
    if !x.principal.is_empty() && !x.principals.is_empty() {
        v.add(
            here,
            path,
            "principal and principals may not both be present",
        );
    }
    if x.resource.is_empty() && x.resources.is_empty() && x.resource_groups.is_empty() {
        v.add(
            here,
            path,
            "resource, resources, or resourceGroups must be present",
        );
    }
    if !x.resource.is_empty() && !x.resources.is_empty() {
        v.add(here, path, "resource and resources may not both be present");
    }
    Ok(x)
}

fn test_table(node: &Node, path: &str, v: &mut Violations) -> D<TestTable> {
    let mut t = TestTable::default();
    let mut have_input = false;
    for e in entries(node, "TestTable")? {
        match field_name(&e.key).as_str() {
            "name" => t.name = string(&e.value, "name")?,
            "description" => t.description = string(&e.value, "description")?,
            "skip" => t.skip = boolean(&e.value, "skip")?,
            "skip_reason" => t.skip_reason = string(&e.value, "skip_reason")?,
            "input" => {
                t.input = input(&e.value, &format!("{path}.input"), v)?;
                have_input = true;
            }
            "expected" => {
                let Y::Seq(items) = &e.value.value else {
                    if e.value.is_null() {
                        continue;
                    }
                    return Err(derr(
                        e.value.pos,
                        "invalid value for repeated field expected",
                    ));
                };
                for (i, item) in items.iter().enumerate() {
                    t.expected
                        .push(expectation(item, &format!("{path}.expected[{i}]"), v)?);
                }
            }
            "options" => t.options = Some(options(&e.value)?),
            _ => return Err(unknown(e)),
        }
    }
    if t.name.is_empty() {
        v.add(None, &format!("{path}.name"), "value is required");
    }
    if !have_input {
        v.add(None, &format!("{path}.input"), "value is required");
    }
    if t.expected.is_empty() {
        v.add(None, &format!("{path}.expected"), "value is required");
    }
    Ok(t)
}

/// Reads exactly one document; errors are rendered the way Cerbos prints them.
fn single_document(src: &str) -> Result<Node, String> {
    let docs = yaml::parse_documents(src).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{}:{} {}", e.pos.line, e.pos.col, e.message))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let mut it = docs.into_iter();
    let Some(doc) = it.next() else {
        return Err("1:1 invalid document: contents are not valid YAML or JSON".into());
    };
    if let Some(extra) = it.next() {
        return Err(format!(
            "{}:{} more than one YAML document detected",
            extra.pos.line, extra.pos.col
        ));
    }
    if !matches!(doc.value, Y::Map(_)) {
        return Err(format!(
            "{}:{} invalid document: contents are not valid YAML or JSON",
            doc.pos.line, doc.pos.col
        ));
    }
    Ok(doc)
}

fn finish<T>(r: D<T>, v: Violations) -> Result<T, String> {
    match r {
        Err(e) => Err(fmt_errors(&[(e.pos, e.message)])),
        Ok(_) if !v.0.is_empty() => {
            let mut list = v.0;
            // Cerbos reports violations in document order; unlocated ones
            // (missing fields) sort after located ones of the same path.
            list.sort_by_key(|(p, _)| p.map_or((u32::MAX, u32::MAX), |p| (p.line, p.col)));
            Err(fmt_errors(&list))
        }
        Ok(t) => Ok(t),
    }
}

/// Parses and validates a test suite file.
pub fn parse_suite(src: &str) -> Result<Suite, String> {
    let doc = single_document(src)?;
    let mut v = Violations::default();
    let r = (|| {
        let mut s = Suite::default();
        let mut have_tests = false;
        for e in entries(&doc, "TestSuite")? {
            match field_name(&e.key).as_str() {
                "name" => s.name = string(&e.value, "name")?,
                "description" => s.description = string(&e.value, "description")?,
                "skip" => s.skip = boolean(&e.value, "skip")?,
                "skip_reason" => s.skip_reason = string(&e.value, "skip_reason")?,
                "tests" => {
                    let Y::Seq(items) = &e.value.value else {
                        if e.value.is_null() {
                            continue;
                        }
                        return Err(derr(e.value.pos, "invalid value for repeated field tests"));
                    };
                    have_tests = !items.is_empty();
                    for (i, item) in items.iter().enumerate() {
                        s.tests
                            .push(test_table(item, &format!("tests[{i}]"), &mut v)?);
                    }
                }
                "principals" => s.principals = principals_map(&e.value, "principals", &mut v)?,
                "resources" => s.resources = resources_map(&e.value, "resources", &mut v)?,
                "aux_data" => s.aux_data = aux_map(&e.value, "aux_data", &mut v)?,
                "options" => s.options = Some(options(&e.value)?),
                "$schema" => {
                    string(&e.value, "$schema")?;
                }
                "principal_groups" => {
                    s.principal_groups = groups(&e.value, "principal_groups", "principals", &mut v)?
                }
                "resource_groups" => {
                    s.resource_groups = groups(&e.value, "resource_groups", "resources", &mut v)?
                }
                _ => return Err(unknown(e)),
            }
        }
        if s.name.is_empty() {
            v.add(None, "name", "value is required");
        }
        if !have_tests {
            v.add(None, "tests", "value is required");
        }
        Ok(s)
    })();
    finish(r, v)
}

/// Parses and validates one test table (used by the matrix unit tests).
#[cfg(test)]
pub(crate) fn parse_test_table(node: &Node) -> Result<TestTable, String> {
    let mut v = Violations::default();
    let r = test_table(node, "table", &mut v);
    finish(r, v)
}

/// Parses a `testdata/principals.*` file.
pub fn parse_principal_fixtures(src: &str) -> Result<PrincipalFixtures, String> {
    let doc = single_document(src)?;
    let mut v = Violations::default();
    let r = (|| {
        let mut f = PrincipalFixtures::default();
        for e in entries(&doc, "TestFixture.Principals")? {
            match field_name(&e.key).as_str() {
                "principals" => f.principals = principals_map(&e.value, "principals", &mut v)?,
                "principal_groups" => {
                    f.groups = groups(&e.value, "principal_groups", "principals", &mut v)?
                }
                "$schema" => {
                    string(&e.value, "$schema")?;
                }
                _ => return Err(unknown(e)),
            }
        }
        Ok(f)
    })();
    finish(r, v)
}

/// Parses a `testdata/resources.*` file.
pub fn parse_resource_fixtures(src: &str) -> Result<ResourceFixtures, String> {
    let doc = single_document(src)?;
    let mut v = Violations::default();
    let r = (|| {
        let mut f = ResourceFixtures::default();
        for e in entries(&doc, "TestFixture.Resources")? {
            match field_name(&e.key).as_str() {
                "resources" => f.resources = resources_map(&e.value, "resources", &mut v)?,
                "resource_groups" => {
                    f.groups = groups(&e.value, "resource_groups", "resources", &mut v)?
                }
                "$schema" => {
                    string(&e.value, "$schema")?;
                }
                _ => return Err(unknown(e)),
            }
        }
        Ok(f)
    })();
    finish(r, v)
}

/// Parses a `testdata/auxdata.*` file.
pub fn parse_aux_data_fixtures(src: &str) -> Result<BTreeMap<String, AuxData>, String> {
    let doc = single_document(src)?;
    let mut v = Violations::default();
    let r = (|| {
        let mut out = BTreeMap::new();
        for e in entries(&doc, "TestFixture.AuxData")? {
            match field_name(&e.key).as_str() {
                "aux_data" => out = aux_map(&e.value, "aux_data", &mut v)?,
                "$schema" => {
                    string(&e.value, "$schema")?;
                }
                _ => return Err(unknown(e)),
            }
        }
        Ok(out)
    })();
    finish(r, v)
}
