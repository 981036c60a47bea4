//! CEL error reporting and strict evaluation (`cerbos-semantics.md` §2.13):
//! the scenarios of Cerbos's `internal/ruletable` CEL-error and
//! strict-evaluation tests, as policies compiled by our compiler.

#![cfg(feature = "compiler")]

use std::path::Path;

use portcullis::compiler::{compile_dir, CompileOptions};
use portcullis::engine::{CheckInput, CheckOutput, Effect, Engine, EngineConfig};
use serde_json::{json, Value};

const AMOUNT: &str = "request.resource.attr.amount > 1000";
const EDR: &str = "\"owner\" in runtime.effectiveDerivedRoles";

const POLICIES: &[(&str, &str)] = &[
    (
        "derived_roles/common_roles.yaml",
        r#"apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: common_roles
  definitions:
    - name: owner
      parentRoles: [user]
      condition:
        match:
          expr: request.resource.attr.amount > 1000
"#,
    ),
    (
        "derived_roles/variable_roles.yaml",
        r#"apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: variable_roles
  variables:
    local:
      dv: request.resource.attr.amount > 1000
  definitions:
    - name: spender
      parentRoles: [user]
      condition:
        match:
          expr: V.dv
"#,
    ),
    (
        "resource_policies/account.yaml",
        r#"apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: account
  version: default
  rules:
    - actions: [read]
      roles: [user]
      effect: EFFECT_ALLOW
    - actions: [read]
      roles: [user]
      effect: EFFECT_DENY
      condition:
        match:
          expr: request.resource.attr.amount > 1000
    - actions: [write]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: request.resource.attr.amount > 1000
"#,
    ),
    (
        "resource_policies/ledger.yaml",
        r#"apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: ledger
  version: default
  variables:
    local:
      v1: request.resource.attr.amount > 1000
  rules:
    - actions: [export]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.v1
    - actions: [view]
      roles: [user]
      effect: EFFECT_ALLOW
"#,
    ),
    (
        "resource_policies/record.yaml",
        r#"apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: record
  version: default
  importDerivedRoles: [common_roles]
  rules:
    - actions: [view]
      roles: [user]
      effect: EFFECT_ALLOW
    - actions: [view]
      derivedRoles: [owner]
      effect: EFFECT_DENY
    - actions: [list]
      roles: [user]
      effect: EFFECT_ALLOW
    - actions: [export]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: '"owner" in runtime.effectiveDerivedRoles'
"#,
    ),
    (
        "resource_policies/wallet.yaml",
        r#"apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: wallet
  version: default
  importDerivedRoles: [variable_roles]
  rules:
    - actions: [view]
      roles: [user]
      effect: EFFECT_ALLOW
    - actions: [view]
      derivedRoles: [spender]
      effect: EFFECT_DENY
"#,
    ),
];

fn engine(strict: bool) -> Engine {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-engine-strict-{}-{strict}",
        std::process::id()
    ));
    for (path, text) in POLICIES {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("temp dir");
        }
        std::fs::write(&p, text).expect("write policy");
    }
    let bundle = match compile_dir(Path::new(&dir), &CompileOptions::default()) {
        Ok(c) => c.bundle,
        Err(e) => panic!("policies do not compile: {e:?}"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    Engine::new(
        bundle,
        EngineConfig {
            strict_evaluation: strict,
            ..EngineConfig::default()
        },
    )
    .expect("engine builds")
}

fn check(engine: &Engine, kind: &str, amount: Option<Value>, actions: &[&str]) -> CheckOutput {
    let mut attr = serde_json::Map::new();
    if let Some(a) = amount {
        attr.insert("amount".into(), a);
    }
    let input: CheckInput = serde_json::from_value(json!({
        "requestId": "1",
        "resource": {"kind": kind, "id": "1", "attr": attr},
        "principal": {"id": "sam", "roles": ["user"]},
        "actions": actions,
    }))
    .expect("input");
    engine.check_inputs(&[input], 0).pop().expect("one output")
}

fn effect(out: &CheckOutput, action: &str) -> Effect {
    out.actions
        .get(action)
        .map(|a| a.effect)
        .expect("action present")
}

fn error_exprs(out: &CheckOutput) -> Vec<&str> {
    out.evaluation_errors
        .iter()
        .map(|e| {
            assert!(!e.cel_error.message.is_empty());
            &*e.cel_error.expression
        })
        .collect()
}

#[test]
fn non_strict_errors_are_reported_and_count_as_false() {
    let e = engine(false);
    let o = check(&e, "account", Some(json!(500)), &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Allow, vec![])
    );
    let o = check(&e, "account", Some(json!(5000)), &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Deny, vec![])
    );
    // An erroring DENY fails open.
    let o = check(&e, "account", Some(json!("5000")), &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Allow, vec![AMOUNT])
    );
    let o = check(&e, "account", None, &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Allow, vec![AMOUNT])
    );
    assert_eq!(
        o.evaluation_errors[0].cel_error.message,
        "no such key: amount"
    );
    let o = check(&e, "account", Some(json!("5000")), &["write"]);
    assert_eq!(
        (effect(&o, "write"), error_exprs(&o)),
        (Effect::Deny, vec![AMOUNT])
    );
    // The unset variable errors again where it is used.
    let o = check(&e, "ledger", Some(json!("5000")), &["export"]);
    assert_eq!(
        (effect(&o, "export"), error_exprs(&o)),
        (Effect::Deny, vec!["V.v1", AMOUNT])
    );
    let v1 = o
        .evaluation_errors
        .iter()
        .find(|x| &*x.cel_error.expression == "V.v1");
    assert_eq!(
        v1.map(|x| x.cel_error.message.as_str()),
        Some("undefined field 'v1'")
    );
    // Evaluated more than once, reported once.
    let o = check(&e, "record", Some(json!("5000")), &["view"]);
    assert_eq!(
        (effect(&o, "view"), error_exprs(&o)),
        (Effect::Allow, vec![AMOUNT])
    );
    let o = check(&e, "wallet", Some(json!("5000")), &["view"]);
    assert_eq!(
        (effect(&o, "view"), error_exprs(&o)),
        (Effect::Allow, vec!["V.dv", AMOUNT])
    );
    let o = check(&e, "record", Some(json!(5000)), &["view"]);
    assert_eq!(
        (effect(&o, "view"), error_exprs(&o)),
        (Effect::Deny, vec![])
    );
    assert_eq!(
        o.effective_derived_roles,
        vec![std::sync::Arc::<str>::from("owner")]
    );
    let o = check(&e, "record", Some(json!(500)), &["view"]);
    assert_eq!(
        (effect(&o, "view"), error_exprs(&o)),
        (Effect::Allow, vec![])
    );
}

#[test]
fn strict_errors_deny_the_actions_that_touch_them() {
    let e = engine(true);
    let o = check(&e, "account", Some(json!(500)), &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Allow, vec![])
    );
    let o = check(&e, "account", Some(json!(5000)), &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Deny, vec![])
    );
    let o = check(&e, "account", Some(json!("5000")), &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Deny, vec![AMOUNT])
    );
    let o = check(&e, "account", None, &["read"]);
    assert_eq!(
        (effect(&o, "read"), error_exprs(&o)),
        (Effect::Deny, vec![AMOUNT])
    );
    let o = check(&e, "account", Some(json!("5000")), &["write"]);
    assert_eq!(
        (effect(&o, "write"), error_exprs(&o)),
        (Effect::Deny, vec![AMOUNT])
    );

    let o = check(&e, "ledger", Some(json!("5000")), &["export", "view"]);
    assert_eq!(effect(&o, "export"), Effect::Deny);
    assert_eq!(
        o.actions.get("export").map(|a| &*a.policy),
        Some("resource.ledger.vdefault")
    );
    assert_eq!(effect(&o, "view"), Effect::Allow);
    assert_eq!(error_exprs(&o), vec!["V.v1", AMOUNT]);

    let o = check(&e, "record", Some(json!("5000")), &["view"]);
    assert_eq!(
        (effect(&o, "view"), error_exprs(&o)),
        (Effect::Deny, vec![AMOUNT])
    );

    // `view` uses the erroring derived role, `export` reads runtime, `list` neither.
    let o = check(
        &e,
        "record",
        Some(json!("5000")),
        &["view", "list", "export"],
    );
    assert_eq!(effect(&o, "view"), Effect::Deny);
    assert_eq!(effect(&o, "export"), Effect::Deny);
    assert_eq!(effect(&o, "list"), Effect::Allow);
    assert_eq!(error_exprs(&o), vec![EDR, AMOUNT]);
    let runtime_err = o
        .evaluation_errors
        .iter()
        .find(|x| &*x.cel_error.expression == EDR);
    assert_eq!(
        runtime_err.map(|x| x.cel_error.message.as_str()),
        Some("failed to compute effective derived roles [owner]")
    );

    let o = check(&e, "record", Some(json!(5000)), &["export"]);
    assert_eq!(
        (effect(&o, "export"), error_exprs(&o)),
        (Effect::Allow, vec![])
    );

    let o = check(&e, "wallet", Some(json!("5000")), &["view"]);
    assert_eq!(
        (effect(&o, "view"), error_exprs(&o)),
        (Effect::Deny, vec!["V.dv", AMOUNT])
    );
}
