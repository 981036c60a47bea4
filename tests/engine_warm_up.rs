//! `Engine::warm_up_request`: a synthetic check through the bundle's own
//! rules that leaves every later decision as it was.

#![cfg(feature = "compiler")]

use std::path::Path;

use portcullis::compiler::{compile_dir, compile_sources, CompileOptions};
use portcullis::engine::{Engine, EngineConfig, WARM_UP_ID};
use serde_json::{json, Value};

/// A derived role with a glob parent role, granted a glob action: the
/// warm-up request has to name a concrete role and action.
const GLOB_ROLES: &str = r#"
apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: owners
  definitions:
    - name: owner
      parentRoles: ["*"]
      condition:
        match:
          expr: R.attr.owner == P.id
"#;

const GLOB_ALBUM: &str = r#"
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: album
  importDerivedRoles: [owners]
  rules:
    - actions: ["share:*"]
      derivedRoles: [owner]
      effect: EFFECT_ALLOW
"#;

fn engine_of(sources: &[(&str, &str)]) -> Engine {
    let files = sources
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let compiled = compile_sources(files, &CompileOptions::default())
        .unwrap_or_else(|f| panic!("policies compile: {:?}", f.diagnostics));
    Engine::new(compiled.bundle, EngineConfig::default()).expect("engine builds")
}

fn example_engine() -> Engine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let compiled = compile_dir(&root, &CompileOptions::default())
        .unwrap_or_else(|f| panic!("policies/ compiles: {:?}", f.diagnostics));
    Engine::new(compiled.bundle, EngineConfig::default()).expect("engine builds")
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

/// The warm-up request is answered (not refused) and names the given kind
/// and action; returns its one result.
fn warm_up_result(engine: &Engine, kind: &str, action: &str) -> Value {
    let request = parse(&engine.warm_up_request());
    assert_eq!(request["principal"]["id"], WARM_UP_ID);
    assert_eq!(request["resources"][0]["resource"]["kind"], kind);
    assert_eq!(request["resources"][0]["actions"], json!([action]));
    let answer = parse(&engine.check_resources_json(&request.to_string(), 0.0));
    assert!(answer.get("error").is_none(), "refused: {answer}");
    let result = answer["results"][0].clone();
    assert_eq!(result["resource"]["kind"], kind, "{answer}");
    result
}

#[test]
fn reaches_a_conditional_rule_of_the_example_bundle() {
    let engine = example_engine();
    let request = parse(&engine.warm_up_request());
    let kind = request["resources"][0]["resource"]["kind"]
        .as_str()
        .expect("a kind")
        .to_string();
    let action = request["resources"][0]["actions"][0]
        .as_str()
        .expect("an action")
        .to_string();
    let result = warm_up_result(&engine, &kind, &action);
    // The rule's resource policy decided (no "no policy matched"), so the
    // check went through the rule rows and evaluated the condition.
    let meta = parse(
        &engine.check_resources_json(
            &json!({"requestId": "m", "includeMeta": true,
                "principal": request["principal"], "resources": request["resources"]})
            .to_string(),
            0.0,
        ),
    );
    let matched = &meta["results"][0]["meta"]["actions"][action.as_str()]["matchedPolicy"];
    assert!(
        matched.as_str().is_some_and(|p| p.starts_with("resource.")),
        "{meta}"
    );
    assert!(result["actions"][action.as_str()].is_string());
}

#[test]
fn globs_become_concrete_names_through_the_parent_role() {
    let engine = engine_of(&[("owners.yaml", GLOB_ROLES), ("album.yaml", GLOB_ALBUM)]);
    let request = parse(&engine.warm_up_request());
    assert_eq!(request["principal"]["roles"], json!(["x"]));
    warm_up_result(&engine, "album", "share:x");
}

#[test]
fn a_bundle_without_resource_rules_still_gets_a_valid_request() {
    let engine = engine_of(&[(
        "principal.yaml",
        r#"
apiVersion: api.cerbos.dev/v1
principalPolicy:
  version: default
  principal: alice
  rules:
    - resource: doc
      actions:
        - action: view
          effect: EFFECT_ALLOW
"#,
    )]);
    let result = warm_up_result(&engine, WARM_UP_ID, WARM_UP_ID);
    assert_eq!(result["actions"][WARM_UP_ID], "EFFECT_DENY");
}

#[test]
fn later_decisions_are_the_same_with_and_without_a_warm_up() {
    let cold = example_engine();
    let warmed = example_engine();
    let warm_up = warmed.warm_up_request();
    let _ = warmed.check_resources_compact(&warm_up, 0.0);
    let _ = warmed.check_resources_json(&warm_up, 0.0);
    let bundle_request = parse(&warm_up);
    let mut requests = vec![bundle_request.clone()];
    for (roles, owner) in [(json!(["user"]), "alice"), (json!(["admin"]), "bob")] {
        let mut r = bundle_request.clone();
        r["principal"] = json!({"id": "alice", "roles": roles, "attr": {"orgId": "acme"}});
        r["resources"][0]["resource"]["attr"] = json!({"owner": owner, "ownerId": owner});
        r["includeMeta"] = json!(true);
        requests.push(r);
    }
    for request in requests {
        let text = request.to_string();
        assert_eq!(
            warmed.check_resources_json(&text, 1.0e12),
            cold.check_resources_json(&text, 1.0e12),
            "{text}"
        );
        assert_eq!(
            warmed.check_resources_compact(&text, 1.0e12),
            cold.check_resources_compact(&text, 1.0e12)
        );
    }
}
