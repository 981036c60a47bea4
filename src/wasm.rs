//! The wasm-bindgen surface: the only items JavaScript sees.
//!
//! Everything crosses the boundary as JSON text: one string in, one string
//! out per check. The TypeScript wrapper owns parsing and typing; this layer
//! only turns engine results and errors into JSON, and never throws from a
//! check, so a bad request cannot trap the instance — it gets an error
//! object (and every action is denied by the caller).

use wasm_bindgen::prelude::*;

use crate::bundle::{Bundle, BundleError};
use crate::engine::{Engine, EngineConfig};

/// A loaded bundle ready to answer checks.
#[wasm_bindgen]
pub struct Evaluator {
    engine: Engine,
    digest: String,
}

#[wasm_bindgen]
impl Evaluator {
    /// Loads a bundle (JSON text) with an engine configuration (JSON text).
    ///
    /// On failure the thrown value is a JSON string
    /// `{"kind": "invalid_bundle" | "unsupported_bundle_version" | "invalid_config", "message": …}`.
    pub fn create(bundle_json: &str, config_json: &str) -> Result<Evaluator, JsValue> {
        let bundle = Bundle::from_json(bundle_json).map_err(|e| {
            let kind = match e {
                BundleError::Invalid(_) => "invalid_bundle",
                BundleError::UnsupportedVersion { .. } => "unsupported_bundle_version",
            };
            error_json(kind, &e.to_string())
        })?;
        let config: EngineConfig = if config_json.trim().is_empty() {
            EngineConfig::default()
        } else {
            serde_json::from_str(config_json)
                .map_err(|e| error_json("invalid_config", &e.to_string()))?
        };
        let digest = bundle.digest.clone();
        let engine = Engine::new(bundle, config)
            .map_err(|e| error_json("invalid_bundle", &e.to_string()))?;
        Ok(Evaluator { engine, digest })
    }

    /// Answers one CheckResources request (Cerbos API JSON body) at `now_ms`
    /// (Unix milliseconds). Returns the response JSON, or
    /// `{"error": {"code": …, "message": …}}` for a request Cerbos would reject.
    #[wasm_bindgen(js_name = checkResources)]
    pub fn check_resources(&self, request_json: &str, now_ms: f64) -> String {
        self.engine.check_resources_json(request_json, now_ms)
    }

    /// The content digest of the loaded bundle.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.digest.clone()
    }
}

/// Version of the engine, for diagnostics.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn error_json(kind: &str, message: &str) -> JsValue {
    JsValue::from_str(&serde_json::json!({ "kind": kind, "message": message }).to_string())
}
