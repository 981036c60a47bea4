//! The wasm-bindgen surface: the only items JavaScript sees.
//!
//! Everything crosses the boundary as text: one string in, one string out
//! per check. Requests are JSON; answers are JSON, or for the typed
//! wrapper's plain checks (effects only) a compact string of effects it
//! expands from the request it sent, which saves it parsing a JSON answer
//! (~1 µs of a ~10 µs check). The TypeScript wrapper owns parsing and typing; this layer
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
            EngineConfig::from_json(config_json).map_err(|e| error_json("invalid_config", &e))?
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

    /// [`Evaluator::check_resources`], with a plain answer (effects only) in
    /// the compact form of `Engine::check_resources_compact`.
    #[wasm_bindgen(js_name = checkResourcesCompact)]
    pub fn check_resources_compact(&self, request_json: &str, now_ms: f64) -> String {
        self.engine.check_resources_compact(request_json, now_ms)
    }

    /// A CheckResources request (JSON) through the bundle's own rules, for
    /// the wrapper's warm-up check (`Engine::warm_up_request`).
    #[wasm_bindgen(js_name = warmUpRequest)]
    pub fn warm_up_request(&self) -> String {
        self.engine.warm_up_request()
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

/// Verifies identity tokens (Clerk session tokens, WorkOS access tokens)
/// against one key set, caching verified tokens until they expire.
#[wasm_bindgen]
pub struct TokenVerifier {
    verifier: crate::jwt::CachedVerifier,
}

#[wasm_bindgen]
impl TokenVerifier {
    /// Builds a verifier from key text (JWKS, a JWK, or PEM) and options JSON
    /// (`{"preset": "clerk" | "workos" | "default", issuer, audiences,
    /// authorizedParties, leewaySecs, algorithms, …}`). Throws a JSON string
    /// `{"code", "message"}` when the keys or options are unusable.
    pub fn create(keys_text: &str, options_json: &str) -> Result<TokenVerifier, JsValue> {
        crate::jwt::api::identity_verifier(keys_text, options_json)
            .map(|verifier| TokenVerifier { verifier })
            .map_err(|e| JsValue::from_str(&e.to_json().to_string()))
    }

    /// Verifies `token` at `now_ms` (Unix milliseconds). Returns
    /// `{"ok": true, alg, kid, header, claims}` or
    /// `{"ok": false, "error": {"code", "message"}}`; never throws.
    pub fn verify(&self, token: &str, now_ms: f64) -> String {
        let now = crate::jwt::unix_seconds_from_millis(now_ms);
        crate::jwt::api::verify_result_text(&self.verifier.verify(token, now))
    }
}

/// Compiles policy files for the npm CLI (only in the compiler wasm, built
/// with features `wasm,compiler`; the runtime wasm never contains it).
///
/// `files_json` maps `/`-separated relative paths to file contents. Returns
/// `{"bundleJson": "…", "warnings": […]}` or `{"diagnostics": […]}`, each
/// diagnostic with `file`, `line`, `column`, `message` and a caret
/// rendering in `rendered`.
#[cfg(feature = "compiler")]
#[wasm_bindgen(js_name = compilePolicies)]
pub fn compile_policies(files_json: &str) -> String {
    use crate::compiler::{compile_sources, diagnostics_to_json, CompileOptions, Diagnostic};

    let files: std::collections::BTreeMap<String, String> =
        match serde_json::from_str(files_json) {
            Ok(files) => files,
            Err(e) => return serde_json::json!({"diagnostics": [{
                "file": "", "message": format!("files must be a JSON object of path → text: {e}"),
            }]})
            .to_string(),
        };
    let render = |list: &[Diagnostic]| -> serde_json::Value {
        let mut json = diagnostics_to_json(list);
        if let Some(items) = json.as_array_mut() {
            for (item, d) in items.iter_mut().zip(list) {
                let source = files.get(&d.file).map(String::as_str).unwrap_or("");
                item["rendered"] = serde_json::Value::String(d.render(source));
            }
        }
        json
    };
    let sources: Vec<(String, String)> = files.clone().into_iter().collect();
    match compile_sources(sources, &CompileOptions::default()) {
        // The bundle travels as its canonical text so that `npx portcullis
        // compile` writes the same bytes as the native compiler.
        Ok(compiled) => serde_json::json!({
            "bundleJson": compiled.bundle.to_json(),
            "warnings": render(&compiled.warnings),
        })
        .to_string(),
        Err(failure) => {
            serde_json::json!({"diagnostics": render(&failure.diagnostics)}).to_string()
        }
    }
}
