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

impl EngineConfig {
    /// Reads the configuration from its camelCase JSON, as the derived
    /// `Deserialize` does (absent fields take their defaults, unknown fields
    /// are ignored), through one [`serde_json::Value`]: the runtime wasm
    /// then carries (and compiles at load) no struct deserializer for it.
    pub fn from_json(text: &str) -> Result<EngineConfig, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let serde_json::Value::Object(fields) = value else {
            return Err("invalid type: expected an engine configuration object".to_string());
        };
        let mut config = EngineConfig::default();
        // One pass over the object (not `remove` per field, which would
        // bring the map's rebalancing code into the load path).
        for (name, v) in fields {
            match name.as_str() {
                "globals" => match v {
                    serde_json::Value::Object(map) => config.globals = map,
                    _ => return Err("globals: invalid type: expected an object".to_string()),
                },
                "defaultPolicyVersion" => {
                    config.default_policy_version = string(v, "defaultPolicyVersion")?
                }
                "defaultScope" => config.default_scope = string(v, "defaultScope")?,
                "lenientScopeSearch" => {
                    config.lenient_scope_search = boolean(&v, "lenientScopeSearch")?
                }
                "strictEvaluation" => config.strict_evaluation = boolean(&v, "strictEvaluation")?,
                "schemaEnforcement" => {
                    config.schema_enforcement = match v.as_str() {
                        Some("none") => SchemaEnforcement::None,
                        Some("warn") => SchemaEnforcement::Warn,
                        Some("reject") => SchemaEnforcement::Reject,
                        _ => {
                            return Err(format!(
                                "schemaEnforcement: unknown variant {v}, expected `none`, `warn` or `reject`"
                            ))
                        }
                    }
                }
                "limits" => {
                    let serde_json::Value::Object(limits) = v else {
                        return Err("limits: invalid type: expected an object".to_string());
                    };
                    for (name, n) in limits {
                        match name.as_str() {
                            "maxActions" => {
                                config.limits.max_actions = count(&n, "limits.maxActions")?
                            }
                            "maxResources" => {
                                config.limits.max_resources = count(&n, "limits.maxResources")?
                            }
                            _ => {}
                        }
                    }
                }
                "auxData" => config.aux_data = Some(v).filter(|v| !v.is_null()),
                _ => {}
            }
        }
        Ok(config)
    }
}

fn string(v: serde_json::Value, name: &str) -> Result<String, String> {
    match v {
        serde_json::Value::String(s) => Ok(s),
        _ => Err(format!("{name}: invalid type: expected a string")),
    }
}

fn boolean(v: &serde_json::Value, name: &str) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("{name}: invalid type: expected a boolean"))
}

fn count(v: &serde_json::Value, name: &str) -> Result<usize, String> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("{name}: invalid type: expected a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::EngineConfig;

    /// `from_json` reads what the derived `Deserialize` reads, and refuses
    /// what it refuses.
    #[test]
    fn from_json_agrees_with_the_derived_reader() {
        let docs = [
            "{}",
            r#"{"globals": {"env": "prod", "n": [1, 2.5]}, "defaultPolicyVersion": "v2",
                "defaultScope": "acme", "lenientScopeSearch": true, "strictEvaluation": true,
                "schemaEnforcement": "reject", "limits": {"maxActions": 7},
                "auxData": {"jwt": {"keySets": []}}, "unknown": 1}"#,
            r#"{"schemaEnforcement": "warn", "limits": {"maxResources": 3}, "auxData": null}"#,
        ];
        for doc in docs {
            let derived: EngineConfig = serde_json::from_str(doc).expect("derived reads");
            assert_eq!(EngineConfig::from_json(doc), Ok(derived), "{doc}");
        }
        // (The derived reader also takes a struct as an array of its
        // fields in order; `from_json` wants an object.)
        assert!(EngineConfig::from_json("[]").is_err());
        let refused = [
            "2",
            r#"{"schemaEnforcement": "loud"}"#,
            r#"{"globals": [1]}"#,
            r#"{"defaultScope": 3}"#,
            r#"{"lenientScopeSearch": "yes"}"#,
            r#"{"limits": {"maxActions": -1}}"#,
            r#"{"defaultPolicyVersion": null}"#,
            "{",
        ];
        for doc in refused {
            assert!(serde_json::from_str::<EngineConfig>(doc).is_err(), "{doc}");
            assert!(EngineConfig::from_json(doc).is_err(), "{doc}");
        }
    }
}
