//! `Engine::check_resources_compact`: a plain answer (effects only) comes as
//! `!` plus one `A`/`D` per action and resource entry; anything else is
//! exactly the JSON of `check_resources_json`.

#![cfg(feature = "compiler")]

use portcullis::compiler::{compile_sources, CompileOptions};
use portcullis::engine::{Engine, EngineConfig};
use serde_json::{json, Value};

const POLICY: &str = r#"
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: doc
  rules:
    - actions: [view]
      roles: [user]
      effect: EFFECT_ALLOW
    - actions: [edit]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.owner == P.id
    - actions: [audit]
      roles: [user]
      effect: EFFECT_ALLOW
      output:
        when:
          ruleActivated: '"audited"'
    - actions: [broken]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.missing == 1
"#;

fn engine() -> Engine {
    let compiled = compile_sources(
        vec![("doc.yaml".to_string(), POLICY.to_string())],
        &CompileOptions::default(),
    )
    .unwrap_or_else(|f| panic!("policy compiles: {:?}", f.diagnostics));
    Engine::new(compiled.bundle, EngineConfig::default()).expect("engine builds")
}

fn request(actions: &[&[&str]], include_meta: bool) -> String {
    let resources: Vec<Value> = actions
        .iter()
        .enumerate()
        .map(|(i, acts)| {
            json!({"actions": acts,
                   "resource": {"kind": "doc", "id": format!("d{i}"),
                                "attr": {"owner": if i == 0 { "alice" } else { "bob" }}}})
        })
        .collect();
    json!({"requestId": "r", "includeMeta": include_meta,
           "principal": {"id": "alice", "roles": ["user"]},
           "resources": resources})
    .to_string()
}

/// The effects of a JSON answer in the compact notation, for the actions
/// of each entry in request order.
fn effects_of(answer: &str, actions: &[&[&str]]) -> String {
    let v: Value = serde_json::from_str(answer).expect("JSON answer");
    let results = v["results"].as_array().expect("results");
    let per_entry: Vec<String> = results
        .iter()
        .zip(actions)
        .map(|(r, acts)| {
            assert_eq!(r["actions"].as_object().map(|m| m.len()), Some(acts.len()));
            acts.iter()
                .map(|a| match r["actions"][a].as_str() {
                    Some("EFFECT_ALLOW") => 'A',
                    Some("EFFECT_DENY") => 'D',
                    other => panic!("effect of {a}: {other:?}"),
                })
                .collect()
        })
        .collect();
    format!("!{}", per_entry.join(","))
}

#[test]
fn plain_answers_are_compact_and_agree_with_the_json() {
    let engine = engine();
    let actions: [&[&str]; 2] = [&["view", "edit", "delete"], &["edit", "view"]];
    let body = request(&actions, false);
    let compact = engine.check_resources_compact(&body, 0.0);
    let full = engine.check_resources_json(&body, 0.0);
    assert_eq!(compact, "!AAD,DA");
    assert_eq!(compact, effects_of(&full, &actions));
}

#[test]
fn answers_with_more_than_effects_stay_json() {
    let engine = engine();
    let cases = [
        // Metadata asked for.
        request(&[&["view"]], true),
        // An output.
        request(&[&["audit"]], false),
        // An evaluation error.
        request(&[&["broken"]], false),
        // Requests Cerbos rejects.
        r#"{"requestId":"r","principal":{"id":"alice","roles":[]},"resources":[]}"#.to_string(),
        request(&[&["view", "view"]], false),
    ];
    for body in cases {
        let compact = engine.check_resources_compact(&body, 0.0);
        assert!(compact.starts_with('{'), "{body}: {compact}");
        assert_eq!(compact, engine.check_resources_json(&body, 0.0), "{body}");
    }
}
