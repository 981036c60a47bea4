//! Variables that read nothing of the request are evaluated once, when the
//! engine loads (`Engine::fold_variable_prefixes`). These checks pin the
//! cases where folding could change a decision: a variable read through
//! `has(V.x)` after one that needs the request, an error absorbed by `&&`,
//! a variable that reads the clock, constants and globals.

#![cfg(feature = "compiler")]

use portcullis::compiler::{compile_sources, CompileOptions};
use portcullis::engine::{CheckInput, Effect, Engine, EngineConfig};
use serde_json::json;

const POLICY: &str = r#"
apiVersion: api.cerbos.dev/v1
variables:
  absorbed: false && R.attr.missing == 1
  greeting: '"PENDING"'
  limit: C.max + 1.0
  region: G.region
  owner: R.attr.owner
  has_owner: has(V.owner)
  zclock: now() > timestamp("2020-01-01T00:00:00Z")
resourcePolicy:
  version: default
  resource: doc
  constants:
    local:
      max: 3
  rules:
    - actions: [greet]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.greeting == "PENDING"
    - actions: [absorbed]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: '!V.absorbed'
    - actions: [limit]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.limit == 4.0 && V.region == "eu"
    - actions: [own]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.owner == P.id
    - actions: [has_owner]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.has_owner
    - actions: [clock]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.zclock
"#;

const ACTIONS: [&str; 6] = ["greet", "absorbed", "limit", "own", "has_owner", "clock"];

fn engine() -> Engine {
    let compiled = compile_sources(
        vec![("doc.yaml".to_string(), POLICY.to_string())],
        &CompileOptions::default(),
    )
    .unwrap_or_else(|f| panic!("policy compiles: {:?}", f.diagnostics));
    let mut globals = serde_json::Map::new();
    globals.insert("region".into(), "eu".into());
    Engine::new(
        compiled.bundle,
        EngineConfig {
            globals,
            ..EngineConfig::default()
        },
    )
    .expect("engine builds")
}

fn effects(engine: &Engine, owner: Option<&str>, now_unix_secs: i64) -> Vec<(String, Effect)> {
    let attr = match owner {
        Some(o) => json!({ "owner": o }),
        None => json!({}),
    };
    let input: CheckInput = serde_json::from_value(json!({
        "requestId": "r",
        "actions": ACTIONS,
        "principal": {"id": "alice", "roles": ["user"]},
        "resource": {"kind": "doc", "id": "d1", "attr": attr},
    }))
    .expect("valid input");
    let out = engine.check_inputs(&[input], now_unix_secs * 1_000_000_000);
    ACTIONS
        .iter()
        .map(|a| {
            let effect = out[0]
                .actions
                .get(a)
                .unwrap_or_else(|| panic!("action {a} decided"))
                .effect;
            ((*a).to_string(), effect)
        })
        .collect()
}

fn expect(got: &[(String, Effect)], allowed: &[&str]) {
    for (action, effect) in got {
        let want = if allowed.contains(&action.as_str()) {
            Effect::Allow
        } else {
            Effect::Deny
        };
        assert_eq!(*effect, want, "action {action}: {got:?}");
    }
}

#[test]
fn folded_and_request_variables_decide_as_evaluated_per_check() {
    let engine = engine();
    const Y2021: i64 = 1_609_459_200;
    // The owner is present: `has(V.owner)` must see it, although it comes
    // after the request-independent variables.
    expect(
        &effects(&engine, Some("alice"), Y2021),
        &["greet", "absorbed", "limit", "own", "has_owner", "clock"],
    );
    // Another owner: only the request-dependent decisions change.
    expect(
        &effects(&engine, Some("bob"), Y2021),
        &["greet", "absorbed", "limit", "has_owner", "clock"],
    );
    // No owner: `V.owner` fails and stays unset, so `has(V.owner)` is false.
    expect(
        &effects(&engine, None, Y2021),
        &["greet", "absorbed", "limit", "clock"],
    );
}

#[test]
fn a_variable_reading_the_clock_is_evaluated_at_each_check() {
    let engine = engine();
    const Y2019: i64 = 1_546_300_800;
    const Y2021: i64 = 1_609_459_200;
    let before = effects(&engine, Some("alice"), Y2019);
    let after = effects(&engine, Some("alice"), Y2021);
    let clock = |e: &[(String, Effect)]| e.iter().find(|(a, _)| a == "clock").map(|(_, e)| *e);
    assert_eq!(clock(&before), Some(Effect::Deny));
    assert_eq!(clock(&after), Some(Effect::Allow));
}
