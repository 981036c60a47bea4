//! Engine behaviour on small hand-built bundles (no compiler needed).

use std::collections::BTreeMap;

use portcullis::bundle::{
    Bundle, CompiledExpr, Condition, Effect, ParamSet, PolicyInfo, PolicyKind, Row,
    ScopePermissions, FORMAT_VERSION,
};
use portcullis::cel::ast::{Expr, ExprKind};
use portcullis::engine::{CheckInput, CheckResourcesRequest, Engine, EngineConfig};
use serde_json::json;

const NOW: i64 = 1_700_000_000_000_000_000;

fn ident(n: &str) -> Expr {
    Expr {
        id: 0,
        kind: ExprKind::Ident(n.to_string()),
    }
}

fn select(operand: Expr, field: &str) -> Expr {
    Expr {
        id: 0,
        kind: ExprKind::Select {
            operand: Box::new(operand),
            field: field.to_string(),
            test_only: false,
            optional: false,
        },
    }
}

fn call(f: &str, args: Vec<Expr>) -> Expr {
    Expr {
        id: 0,
        kind: ExprKind::Call {
            target: None,
            function: f.to_string(),
            args,
        },
    }
}

fn policy(kind: &str, scope: &str) -> PolicyInfo {
    PolicyInfo {
        kind: PolicyKind::Resource,
        key: if scope.is_empty() {
            format!("resource.{kind}.vdefault")
        } else {
            format!("resource.{kind}.vdefault/{scope}")
        },
        name: kind.into(),
        version: "default".into(),
        scope: scope.into(),
        source_file: format!("{kind}.yaml"),
        annotations: BTreeMap::new(),
        source_attributes: BTreeMap::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    kind: &str,
    scope: &str,
    role: &str,
    action: &str,
    effect: Effect,
    cond: Option<Condition>,
    name: &str,
    origin: u32,
) -> Row {
    Row {
        kind: PolicyKind::Resource,
        version: "default".into(),
        scope: scope.into(),
        resource: kind.into(),
        role: role.into(),
        action: Some(action.into()),
        allow_actions: None,
        principal: None,
        effect,
        condition: cond,
        derived_role: None,
        params: Some(0),
        output: None,
        name: name.into(),
        origin,
        from_role_policy: false,
        no_op: false,
        rule_index: None,
    }
}

/// `doc` at the root: users view; owners edit (`R.attr.owner == P.id`); `*` denies `delete`
/// when `R.attr.locked`; scope `acme` overrides: users may `archive`.
fn bundle() -> Bundle {
    let owner = call(
        "_==_",
        vec![
            select(select(ident("R"), "attr"), "owner"),
            select(ident("P"), "id"),
        ],
    );
    let locked = select(select(ident("R"), "attr"), "locked");
    let mut scope_permissions = BTreeMap::new();
    scope_permissions.insert(String::new(), ScopePermissions::OverrideParent);
    scope_permissions.insert("acme".to_string(), ScopePermissions::OverrideParent);
    Bundle {
        format_version: FORMAT_VERSION,
        compiler_version: "test".into(),
        digest: String::new(),
        policies: vec![policy("doc", ""), policy("doc", "acme")],
        expressions: vec![
            CompiledExpr {
                source: "R.attr.owner == P.id".into(),
                ast: owner,
            },
            CompiledExpr {
                source: "R.attr.locked".into(),
                ast: locked,
            },
        ],
        param_sets: vec![ParamSet::default()],
        derived_roles: Vec::new(),
        rows: vec![
            row(
                "doc",
                "",
                "user",
                "view",
                Effect::Allow,
                None,
                "rule-001",
                0,
            ),
            row(
                "doc",
                "",
                "user",
                "edit",
                Effect::Allow,
                Some(Condition::Expr(0)),
                "rule-002",
                0,
            ),
            row(
                "doc",
                "",
                "user",
                "delete",
                Effect::Allow,
                None,
                "rule-003",
                0,
            ),
            row(
                "doc",
                "",
                "*",
                "delete",
                Effect::Deny,
                Some(Condition::Expr(1)),
                "rule-004",
                0,
            ),
            row(
                "doc",
                "acme",
                "user",
                "archive",
                Effect::Allow,
                None,
                "rule-001",
                1,
            ),
        ],
        resource_scopes: vec![String::new(), "acme".into()],
        principal_scopes: Vec::new(),
        scope_permissions,
        scope_parent_roles: BTreeMap::new(),
        policy_derived_roles: BTreeMap::new(),
        policy_schemas: BTreeMap::new(),
        schemas: BTreeMap::new(),
    }
}

fn input(v: serde_json::Value) -> CheckInput {
    serde_json::from_value(v).expect("valid input")
}

#[test]
fn roles_conditions_and_defaults() {
    let engine = Engine::new(bundle(), EngineConfig::default()).expect("engine");
    let out = engine.check_inputs(
        &[input(json!({
            "requestId": "r",
            "actions": ["view", "edit", "delete", "publish"],
            "principal": {"id": "alice", "roles": ["user"]},
            "resource": {"kind": "doc", "id": "d1", "attr": {"owner": "bob"}}
        }))],
        NOW,
    );
    let got = serde_json::to_value(&out[0]).expect("serializes");
    assert_eq!(
        got,
        json!({
            "requestId": "r", "resourceId": "d1",
            "actions": {
                "view": {"effect": "EFFECT_ALLOW", "policy": "resource.doc.vdefault"},
                "edit": {"effect": "EFFECT_DENY", "policy": "resource.doc.vdefault"},
                "delete": {"effect": "EFFECT_ALLOW", "policy": "resource.doc.vdefault"},
                "publish": {"effect": "EFFECT_DENY", "policy": "resource.doc.vdefault"}
            },
            "evaluationErrors": [{"celError": {"expression": "R.attr.locked", "message": "no such key: locked"}}]
        })
    );
}

#[test]
fn scoped_walk_reports_first_scope_key() {
    let engine = Engine::new(bundle(), EngineConfig::default()).expect("engine");
    let out = engine.check_inputs(
        &[input(json!({
            "requestId": "r",
            "actions": ["archive", "view", "delete"],
            "principal": {"id": "alice", "roles": ["user"]},
            "resource": {"kind": "doc", "id": "d1", "scope": "acme", "attr": {"owner": "alice", "locked": true}}
        }))],
        NOW,
    );
    let got = serde_json::to_value(&out[0]).expect("serializes");
    assert_eq!(
        got["actions"],
        json!({
            "archive": {"effect": "EFFECT_ALLOW", "policy": "resource.doc.vdefault/acme", "scope": "acme"},
            "view": {"effect": "EFFECT_ALLOW", "policy": "resource.doc.vdefault/acme"},
            "delete": {"effect": "EFFECT_DENY", "policy": "resource.doc.vdefault/acme"}
        })
    );
}

#[test]
fn unknown_kind_is_no_match_and_api_errors_are_cerbos_shaped() {
    let engine = Engine::new(bundle(), EngineConfig::default()).expect("engine");
    let resp = engine.check_resources_json(
        r#"{"requestId":"x","principal":{"id":"a","roles":["user"]},"resources":[{"actions":["view"],"resource":{"kind":"other","id":"1"}}],"includeMeta":true}"#,
        0.0,
    );
    let v: serde_json::Value = serde_json::from_str(&resp).expect("json");
    assert_eq!(v["results"][0]["actions"], json!({"view": "EFFECT_DENY"}));
    assert_eq!(
        v["results"][0]["meta"]["actions"]["view"],
        json!({"matchedPolicy": "NO_MATCH"})
    );

    let err = engine.check_resources_json(r#"{"requestId":"x","resources":[]}"#, 0.0);
    let v: serde_json::Value = serde_json::from_str(&err).expect("json");
    assert_eq!(v["error"]["code"], json!(3));

    let req: CheckResourcesRequest = serde_json::from_value(json!({
        "principal": {"id": "a", "roles": ["user", "user"]},
        "resources": [{"actions": ["view"], "resource": {"kind": "doc", "id": "1"}}]
    }))
    .expect("parses");
    let e = engine
        .check_resources(&req, NOW)
        .expect_err("duplicate roles");
    assert_eq!(e.message, "validation error:\n - principal.roles: repeated value must contain unique items [repeated.unique]");
}

#[test]
fn engine_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    let engine =
        std::sync::Arc::new(Engine::new(bundle(), EngineConfig::default()).expect("engine"));
    let e2 = engine.clone();
    let handle = std::thread::spawn(move || {
        e2.check_resources_json(
            r#"{"principal":{"id":"a","roles":["user"]},"resources":[{"actions":["view"],"resource":{"kind":"doc","id":"1"}}]}"#,
            0.0,
        )
    });
    let out = handle.join().expect("thread");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["results"][0]["actions"]["view"], json!("EFFECT_ALLOW"));
}

#[test]
fn config_reads_camel_case_json_with_cerbos_defaults() {
    let c: EngineConfig = serde_json::from_str(
        r#"{"globals":{"env":"prod"},"defaultScope":"acme","lenientScopeSearch":true,
            "strictEvaluation":true,"schemaEnforcement":"reject","limits":{"maxActions":5}}"#,
    )
    .expect("config parses");
    assert_eq!(c.default_policy_version, "default");
    assert_eq!(c.default_scope, "acme");
    assert!(c.lenient_scope_search && c.strict_evaluation);
    assert_eq!(
        c.schema_enforcement,
        portcullis::engine::SchemaEnforcement::Reject
    );
    assert_eq!((c.limits.max_actions, c.limits.max_resources), (5, 50));
    assert_eq!(c.globals.get("env"), Some(&json!("prod")));
    let d = EngineConfig::default();
    assert_eq!((d.limits.max_actions, d.limits.max_resources), (50, 50));
}
