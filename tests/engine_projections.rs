//! The engine sets only the activation slots an expression reads: the
//! fields of `request`, `P` and `R` have slots of their own, and the whole
//! messages are built only when an expression reads one whole. Both ways
//! must show the same values.

#![cfg(feature = "compiler")]

use portcullis::compiler::{compile_sources, CompileOptions};
use portcullis::engine::{CheckInput, Effect, Engine, EngineConfig};
use serde_json::json;

/// One action per condition; each must hold.
const CONDITIONS: [(&str, &str); 9] = [
    ("whole_r", "R == request.resource && P == request.principal"),
    (
        "fields",
        "R.id == 'd1' && R.kind == 'doc' && P.id == 'alice' && P.roles == ['user']",
    ),
    (
        "via_request",
        "request.resource.attr.owner == request.principal.id",
    ),
    // `[X][0]` reads the whole message, then its field.
    (
        "versions",
        "R.policyVersion == [R][0].policyVersion && P.policyVersion == [P][0].policyVersion",
    ),
    (
        "scopes",
        "R.scope == 'acme' && R.scope == [R][0].scope && P.scope == [P][0].scope",
    ),
    (
        "presence",
        "has(R.attr) && has(R.attr.owner) && !has(R.attr.missing)",
    ),
    (
        "field_of_whole",
        "[R][0].attr.owner == P.id && request.resource.attr == R.attr",
    ),
    ("aux", "request.auxData.jwt.size() == 0"),
    ("shadowed", "[P].all(R, R.id == 'alice')"),
];

fn policy() -> String {
    let mut rules = String::new();
    for (action, expr) in CONDITIONS {
        rules.push_str(&format!(
            "    - actions: [{action}]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n          expr: \"{expr}\"\n"
        ));
    }
    format!(
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n  resource: doc\n  scope: acme\n  rules:\n{rules}"
    )
}

#[test]
fn fields_and_whole_messages_show_the_same_request() {
    let compiled = compile_sources(
        vec![
            ("doc.yaml".to_string(), policy()),
            (
                "root.yaml".to_string(),
                "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n  resource: doc\n  rules: []\n"
                    .to_string(),
            ),
        ],
        &CompileOptions::default(),
    )
    .unwrap_or_else(|f| panic!("policy compiles: {:?}", f.diagnostics));
    let engine = Engine::new(compiled.bundle, EngineConfig::default()).expect("engine builds");
    let actions: Vec<&str> = CONDITIONS.iter().map(|(a, _)| *a).collect();
    let input: CheckInput = serde_json::from_value(json!({
        "requestId": "r",
        "actions": actions,
        "principal": {"id": "alice", "roles": ["user"]},
        "resource": {"kind": "doc", "id": "d1", "scope": "acme", "attr": {"owner": "alice"}},
    }))
    .expect("valid input");
    let out = engine.check_inputs(&[input], 0).remove(0);
    assert!(
        out.evaluation_errors.is_empty(),
        "{:?}",
        out.evaluation_errors
    );
    for action in actions {
        let effect = out.actions.get(action).map(|a| a.effect);
        assert_eq!(effect, Some(Effect::Allow), "{action}");
    }
}
