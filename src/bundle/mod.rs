//! The precompiled bundle: the only thing the runtime reads.
//!
//! The compiler flattens a policy store into a Cerbos-style rule table (one
//! [`Row`] per rule × action × role, see `cerbos-semantics.md` §2.2) plus the
//! side tables the evaluation loop needs (scope maps, scope permissions,
//! role-policy parent roles, derived roles, variables and constants, schemas,
//! policy metadata). Expressions are stored once in [`Bundle::expressions`] as
//! checked CEL ASTs and referenced by index, so the runtime never parses CEL.
//!
//! The document is deterministic: maps are `BTreeMap`s and lists are in
//! compiler order, so the same policies give byte-identical JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod read;

/// Reads one CEL expression tree in the bundle's JSON form (node ids read
/// back as 0).
pub fn read_expr(value: serde_json::Value) -> Result<Expr, String> {
    read::expr_document(&value.to_string())
}

use crate::cel::ast::Expr;

/// The bundle format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// Bundle format versions this build can read.
pub const SUPPORTED_FORMAT_VERSIONS: &[u32] = &[1];

/// Index into [`Bundle::policies`].
pub type PolicyId = u32;
/// Index into [`Bundle::expressions`].
pub type ExprId = u32;
/// Index into [`Bundle::param_sets`].
pub type ParamSetId = u32;
/// Index into [`Bundle::derived_roles`].
pub type DerivedRoleId = u32;

/// A compiled policy store.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    /// Format version; the runtime refuses versions it does not know.
    pub format_version: u32,
    /// Version of the compiler that wrote the bundle.
    pub compiler_version: String,
    /// Hex SHA-256 of the bundle serialized with this field empty.
    pub digest: String,
    /// Every compiled policy, for reported keys, rule FQNs and decision-log metadata.
    pub policies: Vec<PolicyInfo>,
    /// Every CEL expression of the store (conditions, variables, outputs).
    pub expressions: Vec<CompiledExpr>,
    /// Variables and constants of a policy (or derived-roles set), as used by its rules.
    pub param_sets: Vec<ParamSet>,
    /// Derived roles referenced by at least one resource rule.
    pub derived_roles: Vec<DerivedRole>,
    /// The rule table.
    pub rows: Vec<Row>,
    /// Scope strings in which any resource-kind row (incl. role-policy rows) exists.
    pub resource_scopes: Vec<String>,
    /// Scope strings in which any principal row exists.
    pub principal_scopes: Vec<String>,
    /// Scope permissions per scope string (resource and principal policies of a scope agree).
    pub scope_permissions: BTreeMap<String, ScopePermissions>,
    /// Role-policy parent roles: scope → role → parent roles.
    pub scope_parent_roles: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Resource policies' derived roles: policy id → derived roles referenced by its rules.
    pub policy_derived_roles: BTreeMap<PolicyId, Vec<DerivedRoleId>>,
    /// Schemas of each resource policy chain, keyed by the root policy id.
    pub policy_schemas: BTreeMap<PolicyId, PolicySchemas>,
    /// JSON Schema documents referenced by `policy_schemas`, keyed by their `ref`.
    pub schemas: BTreeMap<String, serde_json::Value>,
}

/// What kind of policy a row or policy entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyKind {
    /// `resourcePolicy`.
    Resource,
    /// `principalPolicy`.
    Principal,
    /// `rolePolicy`.
    Role,
    /// `derivedRoles`.
    DerivedRoles,
    /// `exportVariables`.
    ExportVariables,
    /// `exportConstants`.
    ExportConstants,
}

/// A policy's identity and metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInfo {
    /// Policy kind.
    pub kind: PolicyKind,
    /// Policy key as Cerbos reports it, e.g. `resource.leave_request.vdefault/acme.hr`.
    pub key: String,
    /// Resource kind, principal id, role or set name, as written.
    pub name: String,
    /// Policy version (empty for kinds without one).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Scope (empty for the root scope).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Source file, relative to the store root.
    pub source_file: String,
    /// `metadata.annotations`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `metadata.sourceAttributes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub source_attributes: BTreeMap<String, serde_json::Value>,
}

/// A checked CEL expression and the text it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompiledExpr {
    /// The verbatim source text; Cerbos reports it in `evaluationErrors`.
    pub source: String,
    /// The checked AST.
    pub ast: Expr,
}

/// A `condition.match` tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Condition {
    /// `expr`: true only when the expression yields boolean `true`.
    Expr(ExprId),
    /// `all.of`: short-circuit AND in order.
    All(Vec<Condition>),
    /// `any.of`: short-circuit OR in order.
    Any(Vec<Condition>),
    /// `none.of`: true iff no child is true.
    None(Vec<Condition>),
}

/// Variables (in evaluation order) and constants of one policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParamSet {
    /// Used variables, topologically ordered (ties by name), each with its expression.
    pub variables: Vec<(String, ExprId)>,
    /// Used constants.
    pub constants: BTreeMap<String, serde_json::Value>,
}

/// A derived role definition as compiled into one derived-roles set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DerivedRole {
    /// Role name.
    pub name: String,
    /// Parent roles (`*` = any role).
    pub parent_roles: Vec<String>,
    /// Condition; absent = always true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// The derived-roles set's own variables and constants.
    pub params: ParamSetId,
    /// The derived-roles policy that defines it.
    pub origin: PolicyId,
}

/// `scopePermissions` of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScopePermissions {
    /// Only role policies at this scope: an ALLOW neither decides nor is reset.
    #[default]
    Unspecified,
    /// The first scope that decides wins.
    OverrideParent,
    /// This scope can only deny; an ALLOW must be confirmed by an ancestor.
    RequireParentalConsentForAllows,
}

/// Effect of a rule row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// `EFFECT_ALLOW`
    #[serde(rename = "EFFECT_ALLOW")]
    Allow,
    /// `EFFECT_DENY`
    #[serde(rename = "EFFECT_DENY")]
    Deny,
    /// Role-policy rows carry no effect of their own.
    #[serde(rename = "EFFECT_NO_MATCH")]
    NoMatch,
}

/// A rule's outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Output {
    /// Emitted when the rule's condition is met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_activated: Option<ExprId>,
    /// Emitted when the rule's condition is not met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_not_met: Option<ExprId>,
}

/// One row of the rule table: a (rule, action, role) combination.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Row {
    /// `Resource` for resource- and role-policy rows, `Principal` for principal rows.
    pub kind: PolicyKind,
    /// Policy version.
    pub version: String,
    /// Scope string (empty = root).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Resource kind (sanitized for resource/principal policies) or glob.
    pub resource: String,
    /// Role or glob (`*` for principal rows).
    pub role: String,
    /// Action or glob; absent for role-policy rows and no-op rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Role-policy allow-list (globs allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_actions: Option<Vec<String>>,
    /// Principal id for principal rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Rule effect.
    pub effect: Effect,
    /// Rule condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Derived role this row was expanded from; its condition gates the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_role: Option<DerivedRoleId>,
    /// Variables and constants of the owning policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<ParamSetId>,
    /// Outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
    /// Rule name (defaulted as Cerbos does).
    pub name: String,
    /// The policy that owns the rule.
    pub origin: PolicyId,
    /// Row comes from a role policy.
    #[serde(default, skip_serializing_if = "is_false")]
    pub from_role_policy: bool,
    /// A no-op row that only makes its scope exist.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_op: bool,
    /// Role-policy rows: 0-based index of the rule within the rules for its
    /// resource in the role policy. Cerbos keys its per-request condition
    /// cache on (role policy, this index), so two rules with the same index
    /// for different (glob) resources share one cached result. Absent: the
    /// engine falls back to the row's own position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<u32>,
}

/// The schemas in effect for a resource policy chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySchemas {
    /// Principal attribute schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<SchemaRef>,
    /// Resource attribute schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<SchemaRef>,
}

/// A reference to a JSON schema with the actions it does not apply to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaRef {
    /// Key into [`Bundle::schemas`], e.g. `cerbos:///principal.json`.
    pub reference: String,
    /// Action globs for which validation is skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_actions: Vec<String>,
}

/// Why a bundle could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The document is not valid bundle JSON.
    #[error("invalid bundle: {0}")]
    Invalid(String),
    /// The bundle was written in a format this build does not read.
    #[error("unsupported bundle format version {found}; this build reads versions {supported:?}")]
    UnsupportedVersion {
        /// Version found in the bundle.
        found: u32,
        /// Versions this build reads.
        supported: &'static [u32],
    },
}

impl Bundle {
    /// Parses a bundle from JSON text, checking the format version before the
    /// fields so that a bundle from a newer compiler gets a clear error, not
    /// a field error.
    pub fn from_json(text: &str) -> Result<Bundle, BundleError> {
        let depth = json_nesting_depth(text);
        if depth > MAX_JSON_DEPTH {
            return Err(BundleError::Invalid(format!(
                "the document nests {depth} levels deep; bundles nest at most {MAX_JSON_DEPTH}"
            )));
        }
        // serde_json checks the syntax and finds the format version, skipping
        // everything else without building it; its own nesting limit (128) is
        // far below what valid expression trees need (three JSON levels per
        // tree level), so the scan above is the bound instead.
        let mut de = serde_json::Deserializer::from_str(text);
        de.disable_recursion_limit();
        let head = Head::deserialize(&mut de)
            .and_then(|head| de.end().map(|()| head))
            .map_err(|e| BundleError::Invalid(e.to_string()))?;
        let found = match head.format_version {
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| BundleError::Invalid("formatVersion: expected a u32".into()))?,
            None => return Err(BundleError::Invalid("missing field `formatVersion`".into())),
        };
        if !SUPPORTED_FORMAT_VERSIONS.contains(&found) {
            return Err(BundleError::UnsupportedVersion {
                found,
                supported: SUPPORTED_FORMAT_VERSIONS,
            });
        }
        read::bundle(text).map_err(BundleError::Invalid)
    }

    /// Serializes the bundle to its canonical JSON text.
    pub fn to_json(&self) -> String {
        // INVARIANT: every field is a string/number/bool/map with string keys,
        // so serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Computes the content digest (hex SHA-256 of the JSON with an empty digest).
    pub fn compute_digest(&self) -> String {
        let mut unsigned = self.clone();
        unsigned.digest = String::new();
        let hash = ring::digest::digest(&ring::digest::SHA256, unsigned.to_json().as_bytes());
        hash.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What `Bundle::from_json` reads before the bundle itself: any JSON
/// document, and the `formatVersion` member if it is an object that has one.
struct Head {
    format_version: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Head, D::Error> {
        deserializer.deserialize_any(HeadVisitor)
    }
}

/// Visits the document's top level for [`Head`]; every other value is
/// skipped (checked, not built).
struct HeadVisitor;

impl<'de> serde::de::Visitor<'de> for HeadVisitor {
    type Value = Head;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        let mut format_version = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "formatVersion" {
                format_version = Some(map.next_value::<serde_json::Value>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(Head { format_version })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Head, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Head {
            format_version: None,
        })
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Head, E> {
        Ok(Head {
            format_version: None,
        })
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Head, E> {
        self.visit_bool(false)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Head, E> {
        self.visit_bool(false)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Head, E> {
        self.visit_bool(false)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Head, E> {
        self.visit_bool(false)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Head, E> {
        self.visit_bool(false)
    }
}

/// Deepest JSON nesting a bundle may have: expressions at the runtime's
/// depth limit (three JSON levels per tree level) inside the bundle's own
/// structure, with room to spare.
pub const MAX_JSON_DEPTH: usize = 3 * crate::cel::program::MAX_EXPR_DEPTH + 64;

/// Deepest `[`/`{` nesting of a JSON text (strings skipped); a cheap scan
/// that bounds the recursion of the real parse.
///
/// Not inlined: the byte loop makes V8 tier its function up to TurboFan
/// during the first loads, and that compile should cover this loop alone,
/// not the whole bundle reader.
#[inline(never)]
fn json_nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn is_false(b: &bool) -> bool {
    !*b
}
