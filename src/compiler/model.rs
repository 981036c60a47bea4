//! Policy documents as parsed, every value with its source position.
//!
//! The structs follow Cerbos's `policy.proto`. They serialize to the JSON
//! form Cerbos's `protojson` produces (camelCase keys, empty fields left
//! out), which the parser conformance tests compare against.

use serde::{Serialize, Serializer};

use super::yaml::Pos;

/// A value with the position of its key (or list item) and of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct S<T> {
    /// The value.
    pub v: T,
    /// Position of the value.
    pub at: Pos,
    /// Position of the key that introduced it (same as `at` for list items).
    pub key: Pos,
}

impl<T: Serialize> Serialize for S<T> {
    fn serialize<Z: Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        self.v.serialize(s)
    }
}

/// A map that keeps source order and positions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LocMap<T>(pub Vec<(S<String>, S<T>)>);

impl<T: Serialize> Serialize for LocMap<T> {
    fn serialize<Z: Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&k.v, &v.v)?;
        }
        m.end()
    }
}

impl<T> LocMap<T> {
    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One policy file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// `apiVersion`.
    pub api_version: S<String>,
    /// `description`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `disabled`.
    #[serde(skip_serializing_if = "is_false")]
    pub disabled: bool,
    /// `metadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Deprecated top-level `variables`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<S<LocMap<String>>>,
    /// `$schema`, ignored.
    #[serde(rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<String>,
    /// The policy itself.
    #[serde(flatten)]
    pub body: Body,
    /// Position of the policy-kind key (`resourcePolicy:`), where index errors point.
    #[serde(skip)]
    pub body_at: Pos,
    /// Position of the document.
    #[serde(skip)]
    pub at: Pos,
}

/// `metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `sourceFile`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source_file: String,
    /// `annotations`.
    #[serde(skip_serializing_if = "LocMap::is_empty")]
    pub annotations: LocMap<String>,
    /// `hash`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<serde_json::Value>,
    /// `storeIdentifier` (or the deprecated `storeIdentifer`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub store_identifier: String,
    /// `sourceAttributes.attributes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_attributes: Option<SourceAttributes>,
}

/// `metadata.sourceAttributes`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SourceAttributes {
    /// `attributes`.
    #[serde(skip_serializing_if = "LocMap::is_empty")]
    pub attributes: LocMap<serde_json::Value>,
}

/// The policy kinds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Body {
    /// `resourcePolicy`
    ResourcePolicy(ResourcePolicy),
    /// `principalPolicy`
    PrincipalPolicy(PrincipalPolicy),
    /// `rolePolicy`
    RolePolicy(RolePolicy),
    /// `derivedRoles`
    DerivedRoles(DerivedRoles),
    /// `exportVariables`
    ExportVariables(ExportVariables),
    /// `exportConstants`
    ExportConstants(ExportConstants),
}

/// `scopePermissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScopePermissions {
    /// `SCOPE_PERMISSIONS_UNSPECIFIED`
    #[serde(rename = "SCOPE_PERMISSIONS_UNSPECIFIED")]
    Unspecified,
    /// `SCOPE_PERMISSIONS_OVERRIDE_PARENT`
    #[serde(rename = "SCOPE_PERMISSIONS_OVERRIDE_PARENT")]
    OverrideParent,
    /// `SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS`
    #[serde(rename = "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS")]
    RequireParentalConsentForAllows,
}

/// `effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// `EFFECT_ALLOW`
    #[serde(rename = "EFFECT_ALLOW")]
    Allow,
    /// `EFFECT_DENY`
    #[serde(rename = "EFFECT_DENY")]
    Deny,
}

/// `variables` block.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Variables {
    /// `import`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import: Vec<S<String>>,
    /// `local`.
    #[serde(skip_serializing_if = "LocMap::is_empty")]
    pub local: LocMap<String>,
}

/// `constants` block.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Constants {
    /// `import`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import: Vec<S<String>>,
    /// `local`.
    #[serde(skip_serializing_if = "LocMap::is_empty")]
    pub local: LocMap<serde_json::Value>,
}

/// `schemas`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Schemas {
    /// `principalSchema`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_schema: Option<Schema>,
    /// `resourceSchema`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_schema: Option<Schema>,
}

/// One schema reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// `ref`.
    #[serde(rename = "ref")]
    pub reference: S<String>,
    /// `ignoreWhen.actions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_when: Option<IgnoreWhen>,
}

/// `ignoreWhen`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IgnoreWhen {
    /// `actions`.
    pub actions: Vec<S<String>>,
}

/// `condition`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    /// `match`
    Match(Match),
    /// `script` (rejected at compile time).
    Script(S<String>),
}

/// A located condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocCondition {
    /// The condition.
    #[serde(flatten)]
    pub cond: Condition,
    /// Position of the `condition` key.
    #[serde(skip)]
    pub key: Pos,
}

/// `match`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Match {
    /// `expr`
    Expr(S<String>),
    /// `all.of`
    All(ExprList),
    /// `any.of`
    Any(ExprList),
    /// `none.of`
    None(ExprList),
}

/// `{of: [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExprList {
    /// `of`.
    pub of: Vec<Match>,
}

/// `output`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Deprecated `expr` (= `when.ruleActivated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expr: Option<S<String>>,
    /// `when`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<OutputWhen>,
    /// Position of the `output` key.
    #[serde(skip)]
    pub key: Pos,
}

/// `output.when`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OutputWhen {
    /// `ruleActivated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_activated: Option<S<String>>,
    /// `conditionNotMet`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_not_met: Option<S<String>>,
}

/// `resourcePolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    /// `resource`.
    pub resource: S<String>,
    /// `version`.
    pub version: S<String>,
    /// `importDerivedRoles`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import_derived_roles: Vec<S<String>>,
    /// `rules`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ResourceRule>,
    /// `scope`.
    #[serde(skip_serializing_if = "scope_empty")]
    pub scope: Option<S<String>>,
    /// `schemas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schemas: Option<Schemas>,
    /// `variables`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
    /// `scopePermissions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_permissions: Option<S<ScopePermissions>>,
    /// `constants`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constants: Option<Constants>,
}

/// A resource rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRule {
    /// `actions`.
    pub actions: Vec<S<String>>,
    /// `derivedRoles`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub derived_roles: Vec<S<String>>,
    /// `roles`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<S<String>>,
    /// `condition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<LocCondition>,
    /// `effect`.
    pub effect: S<Effect>,
    /// `name`.
    #[serde(skip_serializing_if = "name_empty")]
    pub name: Option<S<String>>,
    /// `output`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
    /// Position of the rule (list item).
    #[serde(skip)]
    pub at: Pos,
}

/// `principalPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalPolicy {
    /// `principal`.
    pub principal: S<String>,
    /// `version`.
    pub version: S<String>,
    /// `rules`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PrincipalRule>,
    /// `scope`.
    #[serde(skip_serializing_if = "scope_empty")]
    pub scope: Option<S<String>>,
    /// `variables`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
    /// `scopePermissions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_permissions: Option<S<ScopePermissions>>,
    /// `constants`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constants: Option<Constants>,
}

/// A principal rule (one resource).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipalRule {
    /// `resource`.
    pub resource: S<String>,
    /// `actions`.
    pub actions: Vec<PrincipalAction>,
    /// Position of the rule.
    #[serde(skip)]
    pub at: Pos,
}

/// One action of a principal rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipalAction {
    /// `action`.
    pub action: S<String>,
    /// `condition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<LocCondition>,
    /// `effect`.
    pub effect: S<Effect>,
    /// `name`.
    #[serde(skip_serializing_if = "name_empty")]
    pub name: Option<S<String>>,
    /// `output`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
    /// Position of the item.
    #[serde(skip)]
    pub at: Pos,
}

/// `rolePolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePolicy {
    /// `role`.
    pub role: S<String>,
    /// `version` (optional; defaults to `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<S<String>>,
    /// `scope`.
    #[serde(skip_serializing_if = "scope_empty")]
    pub scope: Option<S<String>>,
    /// `parentRoles`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parent_roles: Vec<S<String>>,
    /// `rules`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RoleRule>,
    /// `variables`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
    /// `constants`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constants: Option<Constants>,
    /// Deprecated `scopePermissions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_permissions: Option<S<ScopePermissions>>,
}

/// A role-policy rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRule {
    /// `resource`.
    pub resource: S<String>,
    /// `allowActions`.
    pub allow_actions: Vec<S<String>>,
    /// `condition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<LocCondition>,
    /// `name`.
    #[serde(skip_serializing_if = "name_empty")]
    pub name: Option<S<String>>,
    /// `output`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
    /// Position of the rule.
    #[serde(skip)]
    pub at: Pos,
}

/// `derivedRoles`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivedRoles {
    /// `name`.
    pub name: S<String>,
    /// `definitions`.
    pub definitions: Vec<RoleDef>,
    /// `variables`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
    /// `constants`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constants: Option<Constants>,
}

/// One derived role.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDef {
    /// `name`.
    pub name: S<String>,
    /// `parentRoles`.
    pub parent_roles: Vec<S<String>>,
    /// `condition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<LocCondition>,
    /// Position of the item.
    #[serde(skip)]
    pub at: Pos,
}

/// `exportVariables`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportVariables {
    /// `name`.
    pub name: S<String>,
    /// `definitions`.
    #[serde(skip_serializing_if = "LocMap::is_empty")]
    pub definitions: LocMap<String>,
}

/// `exportConstants`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportConstants {
    /// `name`.
    pub name: S<String>,
    /// `definitions`.
    #[serde(skip_serializing_if = "LocMap::is_empty")]
    pub definitions: LocMap<serde_json::Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn scope_empty(s: &Option<S<String>>) -> bool {
    s.as_ref().is_none_or(|s| s.v.is_empty())
}

fn name_empty(s: &Option<S<String>>) -> bool {
    s.as_ref().is_none_or(|s| s.v.is_empty())
}

impl Policy {
    /// The `variables`/`constants` blocks and the kind's scope, for shared handling.
    pub fn scope(&self) -> &str {
        let s = match &self.body {
            Body::ResourcePolicy(p) => &p.scope,
            Body::PrincipalPolicy(p) => &p.scope,
            Body::RolePolicy(p) => &p.scope,
            _ => return "",
        };
        s.as_ref().map_or("", |s| s.v.as_str())
    }
}
