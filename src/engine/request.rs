//! Request and response types: the Cerbos HTTP API bodies (`CheckResources`)
//! and the engine-level `CheckInput` / `CheckOutput`, plus the request
//! validation Cerbos performs before evaluating (protovalidate rules and
//! request limits), with the same gRPC code and message shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::config::RequestLimits;

pub use super::attributes::Attributes;

/// An empty shared string (serde default of the `Arc<str>` fields).
fn empty_arc() -> Arc<str> {
    Arc::from("")
}

#[allow(clippy::ptr_arg)]
fn str_is_empty(s: &Arc<str>) -> bool {
    s.is_empty()
}

/// JSON object of JWT claims.
pub type Claims = serde_json::Map<String, serde_json::Value>;

/// The principal of a request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Principal {
    /// Principal id.
    pub id: String,
    /// Policy version; empty = the configured default.
    #[serde(alias = "policy_version", skip_serializing_if = "String::is_empty")]
    pub policy_version: String,
    /// Roles, in request order.
    pub roles: Vec<String>,
    /// Attributes.
    #[serde(skip_serializing_if = "Attributes::is_empty")]
    pub attr: Attributes,
    /// Scope; empty = the configured default, `"."` = root.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// A resource of a request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Resource {
    /// Resource kind.
    pub kind: String,
    /// Policy version; empty = the configured default.
    #[serde(alias = "policy_version", skip_serializing_if = "String::is_empty")]
    pub policy_version: String,
    /// Resource id.
    pub id: String,
    /// Attributes.
    #[serde(skip_serializing_if = "Attributes::is_empty")]
    pub attr: Attributes,
    /// Scope; empty = the configured default, `"."` = root.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// One entry of `CheckResourcesRequest.resources`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceEntry {
    /// Actions to check, in request order.
    pub actions: Vec<String>,
    /// The resource (required).
    pub resource: Option<Resource>,
}

/// A JWT as sent in `auxData`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JwtToken {
    /// The compact JWS.
    pub token: String,
    /// Keyset to verify it with.
    #[serde(alias = "key_set_id", skip_serializing_if = "String::is_empty")]
    pub key_set_id: String,
}

/// `auxData` of the API request (tokens still encoded).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuxData {
    /// A single JWT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtToken>,
    /// Named JWTs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwts: Option<BTreeMap<String, JwtToken>>,
}

/// The Cerbos `CheckResourcesRequest` body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckResourcesRequest {
    /// Caller-chosen id echoed in the response.
    #[serde(alias = "request_id")]
    pub request_id: String,
    /// Add `meta` (matched policy and scope per action) to each result.
    #[serde(alias = "include_meta")]
    pub include_meta: bool,
    /// The principal (required).
    pub principal: Option<Principal>,
    /// Resources and their actions.
    pub resources: Vec<ResourceEntry>,
    /// JWTs whose claims conditions may read.
    #[serde(alias = "aux_data", skip_serializing_if = "Option::is_none")]
    pub aux_data: Option<AuxData>,
    /// Audit annotations; accepted and ignored by evaluation.
    #[serde(alias = "request_context", skip_serializing_if = "Option::is_none")]
    pub request_context: Option<serde_json::Value>,
}

/// Claims of one named JWT.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamedClaims {
    /// The claims.
    pub claims: Claims,
}

/// Decoded auxiliary data as the engine sees it (Cerbos engine `AuxData`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DecodedAuxData {
    /// Claims of the request JWT (`request.aux_data.jwt`).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub jwt: Claims,
    /// Claims of named JWTs (`request.aux_data.jwts.<name>.claims`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub jwts: BTreeMap<String, NamedClaims>,
}

/// A [`CheckInput`] borrowed from wherever its parts live: an API request
/// is evaluated entry by entry without copying its principal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputRef<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) resource: &'a Resource,
    pub(crate) principal: &'a Principal,
    pub(crate) actions: &'a [String],
    pub(crate) aux_data: Option<&'a DecodedAuxData>,
    /// CEL values shared with the request's other entries, if any.
    pub(crate) shared: Option<&'a super::celrt::RequestValues>,
}

impl CheckInput {
    /// The input, borrowed.
    pub(crate) fn as_ref(&self) -> InputRef<'_> {
        InputRef {
            request_id: &self.request_id,
            resource: &self.resource,
            principal: &self.principal,
            actions: &self.actions,
            aux_data: self.aux_data.as_ref(),
            shared: None,
        }
    }
}

/// Engine-level input: one resource with its actions (Cerbos `CheckInput`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckInput {
    /// Request id.
    pub request_id: String,
    /// Resource.
    pub resource: Resource,
    /// Principal.
    pub principal: Principal,
    /// Actions, in request order.
    pub actions: Vec<String>,
    /// Decoded auxiliary data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aux_data: Option<DecodedAuxData>,
}

/// Final effect of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// `EFFECT_ALLOW`
    #[serde(rename = "EFFECT_ALLOW")]
    Allow,
    /// `EFFECT_DENY`
    #[serde(rename = "EFFECT_DENY")]
    Deny,
}

/// Decision for one action with the policy and scope that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionEffect {
    /// Effect.
    pub effect: Effect,
    /// Policy key, or `NO_MATCH`.
    pub policy: Arc<str>,
    /// Scope where the decision was made (empty = root).
    #[serde(default = "empty_arc", skip_serializing_if = "str_is_empty")]
    pub scope: Arc<str>,
    /// Name of the rule that decided, when one did. Not part of the Cerbos
    /// API; the test runner shows it next to failures.
    #[serde(skip, default = "empty_arc")]
    pub rule: Arc<str>,
}

/// Where a schema violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValidationSource {
    /// Principal attributes.
    #[serde(rename = "SOURCE_PRINCIPAL")]
    Principal,
    /// Resource attributes.
    #[serde(rename = "SOURCE_RESOURCE")]
    Resource,
}

/// A schema violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    /// JSON pointer of the offending value (`/` for the root); empty for load failures.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Validator message.
    pub message: String,
    /// Principal or resource.
    pub source: ValidationSource,
}

/// A rule output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputEntry {
    /// Rule FQN, `<policy key>#<rule name>`.
    pub src: String,
    /// Value (absent when evaluation failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val: Option<serde_json::Value>,
    /// The action being evaluated.
    pub action: String,
    /// Evaluation error message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// A CEL error as Cerbos reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CelError {
    /// Source text of the expression (shared with the bundle).
    pub expression: Arc<str>,
    /// Error message.
    pub message: String,
}

/// An evaluation error (`{"celError": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationError {
    /// The CEL error.
    pub cel_error: CelError,
}

/// Actions in request order, serialized as a JSON object. Action names
/// are shared: decisions name the bundle's copy when it has one, and a
/// response that lists an action twice does not copy it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionMap<T>(pub Vec<(Arc<str>, T)>);

impl<T> Default for ActionMap<T> {
    fn default() -> Self {
        ActionMap(Vec::new())
    }
}

impl<T> ActionMap<T> {
    /// Value for an action.
    pub fn get(&self, action: &str) -> Option<&T> {
        self.0.iter().find(|(a, _)| &**a == action).map(|(_, v)| v)
    }
}

impl<T: Serialize> Serialize for ActionMap<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ActionMap<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m: BTreeMap<Arc<str>, T> = BTreeMap::deserialize(d)?;
        Ok(ActionMap(m.into_iter().collect()))
    }
}

/// Engine-level result for one input (Cerbos `CheckOutput`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckOutput {
    /// Request id.
    pub request_id: String,
    /// Resource id.
    pub resource_id: String,
    /// Decision per action.
    pub actions: ActionMap<ActionEffect>,
    /// Derived roles that applied (order unspecified, as in Cerbos).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effective_derived_roles: Vec<Arc<str>>,
    /// Schema violations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
    /// Rule outputs in evaluation order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputEntry>,
    /// CEL errors, deduplicated and sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluation_errors: Vec<EvaluationError>,
    /// A condition, variable or output read `now()` (or `timeSince`) while
    /// evaluating this input. Not part of the Cerbos API; the test runner
    /// uses it to reject tests that rely on an unset `now`.
    #[serde(skip)]
    pub used_now: bool,
}

/// Resource echo in a result entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultResource {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Policy version as sent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub policy_version: String,
    /// Scope as sent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// `meta.actions` entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectMeta {
    /// Policy key that decided.
    #[serde(default = "empty_arc", skip_serializing_if = "str_is_empty")]
    pub matched_policy: Arc<str>,
    /// Scope where it was decided.
    #[serde(default = "empty_arc", skip_serializing_if = "str_is_empty")]
    pub matched_scope: Arc<str>,
}

/// `meta` of a result entry (only with `includeMeta`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultMeta {
    /// Per action.
    pub actions: ActionMap<EffectMeta>,
    /// Effective derived roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effective_derived_roles: Vec<Arc<str>>,
}

/// One result of `CheckResourcesResponse`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultEntry {
    /// The resource as sent.
    pub resource: ResultResource,
    /// Effect per action.
    pub actions: ActionMap<Effect>,
    /// Schema violations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
    /// Metadata (with `includeMeta`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResultMeta>,
    /// Rule outputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputEntry>,
}

/// The Cerbos `CheckResourcesResponse` body, plus the request's CEL
/// evaluation errors.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResourcesResponse {
    /// Echo of the request id.
    pub request_id: String,
    /// One entry per resource, in request order.
    pub results: Vec<ResultEntry>,
    /// Every resource entry's CEL evaluation errors, deduplicated and sorted
    /// as Cerbos's engine does. Cerbos only writes these to its log; they are
    /// here so a caller can see why a condition failed.
    #[serde(default)]
    pub evaluation_errors: Vec<EvaluationError>,
}

/// gRPC status codes Cerbos answers with.
pub mod codes {
    /// `InvalidArgument`
    pub const INVALID_ARGUMENT: u32 = 3;
    /// `Internal`
    pub const INTERNAL: u32 = 13;
}

/// A request Cerbos would refuse, with the gRPC code and message it answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// gRPC status code number (3 = InvalidArgument).
    pub code: u32,
    /// Message.
    pub message: String,
}

impl RequestError {
    /// An `InvalidArgument` error.
    pub fn invalid_argument(message: impl Into<String>) -> RequestError {
        RequestError {
            code: codes::INVALID_ARGUMENT,
            message: message.into(),
        }
    }

    /// The gRPC code name.
    pub fn code_name(&self) -> &'static str {
        match self.code {
            0 => "OK",
            3 => "InvalidArgument",
            9 => "FailedPrecondition",
            13 => "Internal",
            _ => "Unknown",
        }
    }

    /// The HTTP status the Cerbos HTTP gateway maps the code to.
    pub fn http_status(&self) -> u16 {
        match self.code {
            3 | 9 => 400,
            _ => 500,
        }
    }
}

/// Collects protovalidate violations in field order.
///
/// Field names are `Display` values formatted only when a violation is
/// recorded: a valid request (the common case) allocates nothing here.
struct Violations(Vec<String>);

type Field<'a> = &'a dyn std::fmt::Display;

impl Violations {
    fn add(&mut self, field: Field<'_>, message: &str, rule: &str) {
        self.0.push(format!(" - {field}: {message} [{rule}]"));
    }

    fn required_str(&mut self, field: Field<'_>, value: &str) {
        if value.is_empty() {
            self.add(field, "value is required", "required");
        }
    }

    fn pattern(&mut self, field: Field<'_>, ok: bool, pattern: &str) {
        if !ok {
            self.add(
                field,
                &format!("value does not match regex pattern `{pattern}`"),
                "string.pattern",
            );
        }
    }

    fn attr_keys(&mut self, field: Field<'_>, attr: &Attributes) {
        if attr.contains_key("") {
            self.add(
                &format_args!("{field}[\"\"]"),
                "value length must be at least 1 characters",
                "string.min_len",
            );
        }
    }

    fn string_list(&mut self, field: Field<'_>, items: &[String]) {
        if items.is_empty() {
            self.add(field, "value is required", "required");
            return;
        }
        if !all_unique(items) {
            self.add(
                field,
                "repeated value must contain unique items",
                "repeated.unique",
            );
        }
        for (i, item) in items.iter().enumerate() {
            if item.is_empty() {
                self.add(
                    &format_args!("{field}[{i}]"),
                    "value length must be at least 1 characters",
                    "string.min_len",
                );
            }
        }
    }
}

/// Whether no two items are equal; short lists (roles, actions) are
/// compared pairwise, which beats hashing them.
fn all_unique(items: &[String]) -> bool {
    if items.len() <= 16 {
        return items
            .iter()
            .enumerate()
            .all(|(i, a)| items[i + 1..].iter().all(|b| a != b));
    }
    let mut seen = std::collections::HashSet::new();
    items.iter().all(|i| seen.insert(i.as_str()))
}

const VERSION_PATTERN: &str = "^[\\w]*$";
const SCOPE_PATTERN: &str = "^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$";

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `^[\w]*$`
pub fn valid_version(v: &str) -> bool {
    v.chars().all(is_word)
}

/// `^(^$|\.|[0-9a-zA-Z][\w\-]*(\.\w[\w\-]*)*)$`
pub fn valid_scope(s: &str) -> bool {
    if s.is_empty() || s == "." {
        return true;
    }
    s.split('.').enumerate().all(|(i, seg)| {
        let mut chars = seg.chars();
        let first_ok = match chars.next() {
            Some(c) if i == 0 => c.is_ascii_alphanumeric(),
            Some(c) => is_word(c),
            None => false,
        };
        first_ok && chars.all(|c| is_word(c) || c == '-')
    })
}

fn validate_principal(v: &mut Violations, p: &Principal) {
    v.required_str(&"principal.id", &p.id);
    v.pattern(
        &"principal.policy_version",
        valid_version(&p.policy_version),
        VERSION_PATTERN,
    );
    v.string_list(&"principal.roles", &p.roles);
    v.attr_keys(&"principal.attr", &p.attr);
    v.pattern(&"principal.scope", valid_scope(&p.scope), SCOPE_PATTERN);
}

fn validate_resource(v: &mut Violations, field: Field<'_>, r: &Resource) {
    v.required_str(&format_args!("{field}.kind"), &r.kind);
    v.pattern(
        &format_args!("{field}.policy_version"),
        valid_version(&r.policy_version),
        VERSION_PATTERN,
    );
    v.required_str(&format_args!("{field}.id"), &r.id);
    v.attr_keys(&format_args!("{field}.attr"), &r.attr);
    v.pattern(
        &format_args!("{field}.scope"),
        valid_scope(&r.scope),
        SCOPE_PATTERN,
    );
}

impl CheckResourcesRequest {
    /// Checks the request as Cerbos does before evaluation: the protovalidate
    /// rules of `CheckResourcesRequest` first, then the resource and action limits.
    pub fn validate(&self, limits: &RequestLimits) -> Result<(), RequestError> {
        let mut v = Violations(Vec::new());
        match &self.principal {
            None => v.add(&"principal", "value is required", "required"),
            Some(p) => validate_principal(&mut v, p),
        }
        if self.resources.is_empty() {
            v.add(&"resources", "value is required", "required");
        }
        for (i, entry) in self.resources.iter().enumerate() {
            v.string_list(&format_args!("resources[{i}].actions"), &entry.actions);
            match &entry.resource {
                None => v.add(
                    &format_args!("resources[{i}].resource"),
                    "value is required",
                    "required",
                ),
                Some(r) => validate_resource(&mut v, &format_args!("resources[{i}].resource"), r),
            }
        }
        if let Some(aux) = &self.aux_data {
            if aux.jwt.is_some() && aux.jwts.is_some() {
                v.add(
                    &"aux_data",
                    "jwt and jwts are mutually exclusive",
                    "aux_data.jwt_jwts_exclusive",
                );
            }
            if let Some(jwt) = &aux.jwt {
                v.required_str(&"aux_data.jwt.token", &jwt.token);
            }
            for (name, jwt) in aux.jwts.iter().flatten() {
                v.required_str(&format_args!("aux_data.jwts[\"{name}\"].token"), &jwt.token);
            }
        }
        if !v.0.is_empty() {
            return Err(RequestError::invalid_argument(format!(
                "validation error:\n{}",
                v.0.join("\n")
            )));
        }
        if self.resources.len() > limits.max_resources {
            return Err(RequestError::invalid_argument(format!(
                "number of resources in batch ({}) exceeds configured limit ({})",
                self.resources.len(),
                limits.max_resources
            )));
        }
        for entry in &self.resources {
            if entry.actions.len() > limits.max_actions {
                return Err(RequestError::invalid_argument(format!(
                    "number of actions ({}) exceeds configured limit ({})",
                    entry.actions.len(),
                    limits.max_actions
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_and_version_patterns() {
        assert!(valid_scope("acme.hr.uk"));
        assert!(valid_scope("."));
        assert!(valid_scope("a-b.c_d"));
        assert!(!valid_scope(".acme"));
        assert!(!valid_scope("acme..hr"));
        assert!(!valid_scope("-a"));
        assert!(valid_version("20210210"));
        assert!(!valid_version("v1.0"));
    }

    #[test]
    fn missing_principal_is_invalid_argument() {
        let req: CheckResourcesRequest = serde_json::from_str(
            r#"{"resources":[{"actions":["a"],"resource":{"kind":"k","id":"1"}}]}"#,
        )
        .expect("parses");
        let err = req
            .validate(&RequestLimits::default())
            .expect_err("invalid");
        assert_eq!(err.code, 3);
        assert_eq!(
            err.message,
            "validation error:\n - principal: value is required [required]"
        );
    }
}
