//! Engine configuration (Cerbos `engine`, `schema` and request-limit settings).

use serde::{Deserialize, Serialize};

/// How attribute schemas are enforced (Cerbos `schema.enforcement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaEnforcement {
    /// Schemas are not checked.
    #[default]
    None,
    /// Violations are reported in `validationErrors`; decisions are unchanged.
    Warn,
    /// Violations are reported and every action of the input is denied.
    Reject,
}

/// Request size limits (Cerbos `server.requestLimits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestLimits {
    /// Most actions one resource entry may list.
    pub max_actions: usize,
    /// Most resource entries one request may hold.
    pub max_resources: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_actions: 50,
            max_resources: 50,
        }
    }
}

/// Engine settings, as the CLI and the wasm surface pass them (camelCase JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EngineConfig {
    /// `engine.globals`: values exposed to conditions as `G` / `globals`.
    pub globals: serde_json::Map<String, serde_json::Value>,
    /// Version used when a request leaves `policyVersion` empty.
    pub default_policy_version: String,
    /// Scope used when a request leaves `scope` empty.
    pub default_scope: String,
    /// Walk up to existing ancestors when the requested scope has no policy.
    pub lenient_scope_search: bool,
    /// CEL errors deny the action instead of counting as `false`.
    pub strict_evaluation: bool,
    /// Attribute schema enforcement.
    pub schema_enforcement: SchemaEnforcement,
    /// Request size limits.
    pub limits: RequestLimits,
    /// Cerbos `auxData` configuration block, e.g.
    /// `{"jwt": {"keySets": [{"id": "k", "local": {"data": "<base64 JWKS>"}}]}}`
    /// (see `jwt::auxdata::AuxDataConfig`). Absent: no key sets, so every
    /// token is refused, as in Cerbos.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aux_data: Option<serde_json::Value>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            globals: serde_json::Map::new(),
            default_policy_version: "default".to_string(),
            default_scope: String::new(),
            lenient_scope_search: false,
            strict_evaluation: false,
            schema_enforcement: SchemaEnforcement::None,
            limits: RequestLimits::default(),
            aux_data: None,
        }
    }
}
