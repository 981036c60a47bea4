//! Cerbos engine conformance: every case of the Cerbos engine test data and
//! the CheckResources server cases, against the store compiled by our
//! compiler, under the configurations stated in the conformance README.

#![cfg(feature = "compiler")]

mod support;

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use portcullis::bundle::Bundle;
use portcullis::compiler::{compile_dir, CompileOptions};
use portcullis::engine::{
    CheckInput, CheckResourcesRequest, Engine, EngineConfig, RequestLimits, SchemaEnforcement,
};
use serde_json::{json, Value};

/// Fixed instant for every case (no engine case depends on the time).
const NOW_NANOS: i64 = 1_700_000_000_000_000_000;

/// Cases that cannot pass yet, with the reason. Listed, never counted as passed.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn shared_root() -> Option<PathBuf> {
    support::shared_root("conformance/cerbos")
}

fn store_bundle(cerbos: &Path) -> Bundle {
    match compile_dir(&cerbos.join("store"), &CompileOptions::default()) {
        Ok(c) => c.bundle,
        Err(e) => panic!("store does not compile: {e:?}"),
    }
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn engine_config(schema: SchemaEnforcement, lenient: bool) -> EngineConfig {
    let mut globals = serde_json::Map::new();
    globals.insert("environment".into(), json!("test"));
    EngineConfig {
        globals,
        lenient_scope_search: lenient,
        schema_enforcement: schema,
        ..EngineConfig::default()
    }
}

/// Numbers compare as doubles (protobuf `Value` has no integers).
fn norm(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), norm(v))).collect()),
        other => other.clone(),
    }
}

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| v.get(*n))
}

fn list(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn sorted(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(|a| a.to_string());
    items
}

fn str_field(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Compares one engine output with its expectation; returns the differences.
fn compare_output(want: &Value, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, w: Value, g: Value| {
        if w != g {
            diffs.push(format!("{what}: want {w} got {g}"));
        }
    };
    check(
        "requestId",
        json!(str_field(want, "requestId")),
        json!(str_field(got, "requestId")),
    );
    check(
        "resourceId",
        json!(str_field(want, "resourceId")),
        json!(str_field(got, "resourceId")),
    );
    let actions = |v: &Value| -> Value {
        let mut out = serde_json::Map::new();
        if let Some(Value::Object(m)) = v.get("actions") {
            for (a, e) in m {
                out.insert(
                    a.clone(),
                    json!({"effect": str_field(e, "effect"), "policy": str_field(e, "policy"), "scope": str_field(e, "scope")}),
                );
            }
        }
        Value::Object(out)
    };
    check("actions", actions(want), actions(got));
    check(
        "effectiveDerivedRoles",
        json!(sorted(list(field(
            want,
            &["effectiveDerivedRoles", "effective_derived_roles"]
        )))),
        json!(sorted(list(got.get("effectiveDerivedRoles")))),
    );
    check(
        "validationErrors",
        json!(sorted(list(want.get("validationErrors")))),
        json!(sorted(list(got.get("validationErrors")))),
    );
    let outputs = |v: &Value| json!(sorted(list(v.get("outputs")).iter().map(norm).collect()));
    check("outputs", outputs(want), outputs(got));
    check(
        "evaluationErrors",
        json!(list(want.get("evaluationErrors"))),
        json!(list(got.get("evaluationErrors"))),
    );
    diffs
}

struct Tally {
    folder: String,
    passed: usize,
    failed: Vec<(String, String)>,
    known: Vec<(String, String)>,
}

impl Tally {
    fn new(folder: &str) -> Tally {
        Tally {
            folder: folder.to_string(),
            passed: 0,
            failed: Vec::new(),
            known: Vec::new(),
        }
    }

    fn record(&mut self, rel: &str, diffs: Vec<String>) {
        if let Some((_, why)) = KNOWN_FAILURES.iter().find(|(k, _)| *k == rel) {
            if diffs.is_empty() {
                self.failed.push((
                    rel.to_string(),
                    "listed as known failure but passes: remove it".into(),
                ));
            } else {
                self.known.push((rel.to_string(), (*why).to_string()));
            }
            return;
        }
        if diffs.is_empty() {
            self.passed += 1;
        } else {
            self.failed.push((rel.to_string(), diffs.join("\n    ")));
        }
    }

    fn report(&self) -> bool {
        println!(
            "engine: {} passed, {} failed ({})",
            self.passed,
            self.failed.len(),
            self.folder
        );
        for (k, why) in &self.known {
            println!("  KNOWN FAILURE {k}: {why}");
        }
        for (k, d) in &self.failed {
            println!("  FAIL {k}:\n    {d}");
        }
        self.failed.is_empty()
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    files
}

fn run_engine_folder(cerbos: &Path, bundle: &Bundle, folder: &str, config: EngineConfig) -> bool {
    let engine = Engine::new(bundle.clone(), config).expect("engine builds");
    let mut tally = Tally::new(folder);
    for path in yaml_files(&cerbos.join(folder)) {
        let rel = format!(
            "{folder}/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        let case = read_yaml(&path);
        let inputs: Vec<CheckInput> =
            match serde_json::from_value(case.get("inputs").cloned().unwrap_or(json!([]))) {
                Ok(i) => i,
                Err(e) => {
                    tally.record(&rel, vec![format!("inputs do not parse: {e}")]);
                    continue;
                }
            };
        let outputs = engine.check_inputs(&inputs, NOW_NANOS);
        let want = list(case.get("wantOutputs"));
        let mut diffs = Vec::new();
        if want.len() != outputs.len() {
            diffs.push(format!(
                "want {} outputs, got {}",
                want.len(),
                outputs.len()
            ));
        }
        for (i, (w, g)) in want.iter().zip(&outputs).enumerate() {
            let g = serde_json::to_value(g).unwrap_or(Value::Null);
            for d in compare_output(w, &g) {
                diffs.push(format!("output {i}: {d}"));
            }
        }
        tally.record(&rel, diffs);
    }
    tally.report()
}

#[test]
fn comparison_detects_differences() {
    let want = json!({"requestId": "r", "resourceId": "x",
        "actions": {"a": {"effect": "EFFECT_ALLOW", "policy": "p"}},
        "outputs": [{"src": "s", "val": 1, "action": "a"}]});
    assert!(compare_output(&want, &want).is_empty());
    let mut other = want.clone();
    other["actions"]["a"]["effect"] = json!("EFFECT_DENY");
    assert_eq!(compare_output(&want, &other).len(), 1);
    let mut other = want.clone();
    other["outputs"][0]["val"] = json!(1.0);
    assert!(
        compare_output(&want, &other).is_empty(),
        "numbers compare as doubles"
    );
    other["evaluationErrors"] = json!([{"celError": {"expression": "e", "message": "m"}}]);
    assert_eq!(compare_output(&want, &other).len(), 1);
}

#[test]
fn engine_cases() {
    let Some(shared) = shared_root() else { return };
    let cerbos = shared.join("conformance/cerbos");
    let bundle = store_bundle(&cerbos);
    let mut ok = true;
    ok &= run_engine_folder(
        &cerbos,
        &bundle,
        "engine",
        engine_config(SchemaEnforcement::None, false),
    );
    ok &= run_engine_folder(
        &cerbos,
        &bundle,
        "engine_strict_scope_search",
        engine_config(SchemaEnforcement::None, false),
    );
    ok &= run_engine_folder(
        &cerbos,
        &bundle,
        "engine_lenient_scope_search",
        engine_config(SchemaEnforcement::None, true),
    );
    ok &= run_engine_folder(
        &cerbos,
        &bundle,
        "engine_schema_enforcement/warn",
        engine_config(SchemaEnforcement::Warn, false),
    );
    ok &= run_engine_folder(
        &cerbos,
        &bundle,
        "engine_schema_enforcement/reject",
        engine_config(SchemaEnforcement::Reject, false),
    );
    assert!(ok, "engine conformance failures (see output)");
}

fn compare_response(want: &Value, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    if str_field(want, "requestId") != str_field(got, "requestId") {
        diffs.push("requestId differs".to_string());
    }
    let wr = list(want.get("results"));
    let gr = list(got.get("results"));
    if wr.len() != gr.len() {
        diffs.push(format!("want {} results, got {}", wr.len(), gr.len()));
    }
    for (i, (w, g)) in wr.iter().zip(&gr).enumerate() {
        let mut check = |what: &str, a: Value, b: Value| {
            if a != b {
                diffs.push(format!("result {i} {what}: want {a} got {b}"));
            }
        };
        let res = |v: &Value| {
            let r = v.get("resource").cloned().unwrap_or(json!({}));
            json!([
                str_field(&r, "id"),
                str_field(&r, "kind"),
                str_field(&r, "policyVersion"),
                str_field(&r, "scope")
            ])
        };
        check("resource", res(w), res(g));
        check(
            "actions",
            w.get("actions").cloned().unwrap_or(json!({})),
            g.get("actions").cloned().unwrap_or(json!({})),
        );
        check(
            "validationErrors",
            json!(sorted(list(w.get("validationErrors")))),
            json!(sorted(list(g.get("validationErrors")))),
        );
        let outputs = |v: &Value| json!(sorted(list(v.get("outputs")).iter().map(norm).collect()));
        check("outputs", outputs(w), outputs(g));
        let meta = |v: &Value| -> Value {
            match v.get("meta") {
                None => Value::Null,
                Some(m) => {
                    let mut acts = serde_json::Map::new();
                    if let Some(Value::Object(a)) = m.get("actions") {
                        for (k, e) in a {
                            acts.insert(
                                k.clone(),
                                json!([
                                    str_field(e, "matchedPolicy"),
                                    str_field(e, "matchedScope")
                                ]),
                            );
                        }
                    }
                    json!({"actions": acts, "edr": sorted(list(m.get("effectiveDerivedRoles")))})
                }
            }
        };
        check("meta", meta(w), meta(g));
    }
    diffs
}

#[test]
fn check_resources_server_cases() {
    let Some(shared) = shared_root() else { return };
    let cerbos = shared.join("conformance/cerbos");
    let bundle = store_bundle(&cerbos);
    // The auxdata keyset of the README: id `cerbos`, the verifying JWK.
    let jwk = std::fs::read(cerbos.join("auxdata/keys/verify_key.jwk")).expect("verify key");
    let aux_data =
        json!({"jwt": {"keySets": [{"id": "cerbos", "local": {"data": STANDARD.encode(jwk)}}]}});
    let config = EngineConfig {
        aux_data: Some(aux_data),
        schema_enforcement: SchemaEnforcement::Reject,
        limits: RequestLimits {
            max_actions: 5,
            max_resources: 5,
        },
        ..EngineConfig::default()
    };
    let engine = Engine::new(bundle, config).expect("engine builds");
    let folder = "server/checks/check_resources";
    let mut tally = Tally::new(folder);
    for path in yaml_files(&cerbos.join(folder)) {
        let rel = format!(
            "{folder}/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        let case = read_yaml(&path);
        let cr = case.get("checkResources").cloned().unwrap_or(json!({}));
        let input = cr.get("input").cloned().unwrap_or(json!({}));
        let want_error = case
            .get("wantError")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let want_code = case
            .get("wantStatus")
            .and_then(|s| s.get("grpcStatusCode"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let result = serde_json::from_value::<CheckResourcesRequest>(input)
            .map_err(|e| portcullis::engine::RequestError {
                code: 3,
                message: e.to_string(),
            })
            .and_then(|req| engine.check_resources(&req, NOW_NANOS));
        let diffs = match (result, want_error) {
            (Err(e), true) if u64::from(e.code) == want_code => Vec::new(),
            (Err(e), true) => vec![format!(
                "want code {want_code}, got {} ({})",
                e.code, e.message
            )],
            (Err(e), false) => vec![format!("unexpected error {}: {}", e.code, e.message)],
            (Ok(_), true) => vec![format!("expected error code {want_code}, got a response")],
            (Ok(resp), false) => {
                // The text the wasm surface sends (`to_json`) is compared,
                // and must be exactly serde_json's rendering.
                let text = resp.to_json();
                let mut diffs = Vec::new();
                if serde_json::to_string(&resp).ok().as_ref() != Some(&text) {
                    diffs.push(format!("to_json differs from serde_json: {text}"));
                }
                let got = serde_json::from_str(&text).unwrap_or(Value::Null);
                diffs.extend(compare_response(
                    cr.get("wantResponse").unwrap_or(&Value::Null),
                    &got,
                ));
                diffs
            }
        };
        tally.record(&rel, diffs);
    }
    assert!(
        tally.report(),
        "check_resources server case failures (see output)"
    );
}
