//! Schema enforcement against Cerbos's schema test cases
//! (`conformance/cerbos/schema/test_cases/check_input_*.yaml` over the
//! documents in `schema/fs/_schemas`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portcullis::bundle::{PolicySchemas, SchemaRef};
use portcullis::engine::schema::validate_input;
use serde_json::{json, Value};

fn shared_root() -> Option<PathBuf> {
    let root = std::env::var("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if root.join("conformance/cerbos").is_dir() {
        return Some(root);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("shared material not found at {}", root.display());
    }
    eprintln!("SKIPPED: shared material not found at {}", root.display());
    None
}

fn load_docs(dir: &Path, rel: &str, out: &mut BTreeMap<String, Value>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if p.is_dir() {
            load_docs(&p, &rel_name, out);
        } else if name.ends_with(".json") {
            let text = std::fs::read_to_string(&p).expect("schema file");
            // Documents that are not JSON stay out, as they would fail to load.
            if let Ok(doc) = serde_json::from_str::<Value>(&text) {
                out.insert(format!("cerbos:///{rel_name}"), doc);
            }
        }
    }
}

fn schema_ref(v: Option<&Value>) -> Option<SchemaRef> {
    let v = v?;
    Some(SchemaRef {
        reference: v.get("ref")?.as_str()?.to_string(),
        ignore_actions: v
            .get("ignoreWhen")
            .and_then(|i| i.get("actions"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|a| a.to_string());
    v
}

#[test]
fn cerbos_schema_check_input_cases() {
    let Some(shared) = shared_root() else { return };
    let base = shared.join("conformance/cerbos/schema");
    let mut docs = BTreeMap::new();
    load_docs(&base.join("fs/_schemas"), "", &mut docs);
    let mut files: Vec<PathBuf> = std::fs::read_dir(base.join("test_cases"))
        .expect("test cases")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("check_input_"))
        })
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, Vec::new());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("case");
        let case: Value = serde_saphyr::from_str(&text).expect("yaml");
        let refs = case.get("schemaRefs").cloned().unwrap_or(json!({}));
        let schemas = PolicySchemas {
            principal: schema_ref(refs.get("principalSchema")),
            resource: schema_ref(refs.get("resourceSchema")),
        };
        let input = case.get("checkInput").cloned().unwrap_or(json!({}));
        let attr = |who: &str| -> serde_json::Map<String, Value> {
            input
                .get(who)
                .and_then(|p| p.get("attr"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let actions: Vec<String> = input
            .get("actions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let got = validate_input(
            &docs,
            &schemas,
            &attr("principal"),
            &attr("resource"),
            &actions,
        );
        let got: Vec<Value> = got
            .iter()
            .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
            .collect();
        let want: Vec<Value> = case
            .get("wantValidationErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut w| {
                if let Some(m) = w.get("message").and_then(Value::as_str) {
                    w["message"] = json!(m.trim_end());
                }
                w
            })
            .collect();
        if sorted(want.clone()) == sorted(got.clone()) {
            passed += 1;
        } else {
            failed.push(format!(
                "{}:\n    want {}\n    got  {}",
                path.display(),
                Value::Array(want),
                Value::Array(got)
            ));
        }
    }
    println!(
        "engine: {passed} passed, {} failed (schema/test_cases check_input)",
        failed.len()
    );
    for f in &failed {
        println!("  FAIL {f}");
    }
    assert!(failed.is_empty(), "schema case failures (see output)");
}
