//! Engine latency: the `leave_request` request from the Cerbos conformance
//! store (1 resource, 3 actions, derived roles, conditions), and generated
//! policy sets of 10 … 10,000 resource kinds to show the cost stays flat.
//!
//! Run: `cargo bench --bench engine` (set PORTCULLIS_SHARED to the shared
//! folder if it is not at `../shared`).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use portcullis::bundle::{
    Bundle, CompiledExpr, Condition, Effect, ParamSet, PolicyInfo, PolicyKind, Row,
    ScopePermissions, FORMAT_VERSION,
};
use portcullis::cel::ast::{Expr, ExprKind};
use portcullis::compiler::{compile_dir, CompileOptions};
use portcullis::engine::{CheckInput, Engine, EngineConfig};

const NOW: i64 = 1_700_000_000_000_000_000;

fn shared_root() -> PathBuf {
    std::env::var("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn leave_request_input() -> CheckInput {
    serde_json::from_value(serde_json::json!({
        "requestId": "bench",
        "actions": ["view:public", "approve", "create"],
        "principal": {"id": "john", "policyVersion": "20210210", "roles": ["employee"],
                      "attr": {"department": "marketing", "geography": "GB", "team": "design"}},
        "resource": {"kind": "leave_request", "policyVersion": "20210210", "id": "XX125",
                     "attr": {"department": "marketing", "geography": "GB", "id": "XX125",
                              "owner": "john", "team": "design"}}
    }))
    .expect("valid input")
}

fn bench_store(c: &mut Criterion) {
    let store = shared_root().join("conformance/cerbos/store");
    if !store.is_dir() {
        eprintln!("SKIPPED: shared material not found at {}", store.display());
        return;
    }
    let bundle = match compile_dir(&store, &CompileOptions::default()) {
        Ok(c) => c.bundle,
        Err(e) => {
            eprintln!("SKIPPED: store does not compile: {e:?}");
            return;
        }
    };
    // Loading: the store's bundle text read (`Bundle::from_json`) and
    // indexed (`Engine::new`), as a reload does.
    let text = bundle.to_json();
    c.bench_function("load_store_bundle", |b| {
        b.iter(|| {
            let bundle = Bundle::from_json(black_box(&text)).expect("reads");
            black_box(Engine::new(bundle, EngineConfig::default()).expect("engine builds"))
        })
    });
    let mut globals = serde_json::Map::new();
    globals.insert("environment".into(), "test".into());
    let engine = Engine::new(
        bundle,
        EngineConfig {
            globals,
            ..EngineConfig::default()
        },
    )
    .expect("engine builds");
    let inputs = vec![leave_request_input()];
    c.bench_function("leave_request_3_actions", |b| {
        b.iter(|| black_box(engine.check_inputs(black_box(&inputs), NOW)))
    });
    // The whole JSON path the wasm boundary takes: parse the Cerbos API
    // body, validate, check, assemble and serialize the response.
    let body = leave_request_body(1);
    c.bench_function("leave_request_3_actions_json", |b| {
        b.iter(|| black_box(engine.check_resources_json(black_box(&body), 1.7e12)))
    });
    // A list page: one principal, 20 resources in one request.
    let body = leave_request_body(20);
    c.bench_function("leave_request_3_actions_json_20_resources", |b| {
        b.iter(|| black_box(engine.check_resources_json(black_box(&body), 1.7e12)))
    });
}

fn leave_request_body(resources: usize) -> String {
    let entry = serde_json::json!({
        "actions": ["view:public", "approve", "create"],
        "resource": {"kind": "leave_request", "policyVersion": "20210210", "id": "XX125",
                     "attr": {"department": "marketing", "geography": "GB", "id": "XX125",
                              "owner": "john", "team": "design"}}
    });
    serde_json::json!({
        "requestId": "bench",
        "includeMeta": true,
        "principal": {"id": "john", "policyVersion": "20210210", "roles": ["employee"],
                      "attr": {"department": "marketing", "geography": "GB", "team": "design"}},
        "resources": vec![entry; resources]
    })
    .to_string()
}

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

/// `R.attr.owner == P.id`
fn owner_expr() -> Expr {
    Expr {
        id: 0,
        kind: ExprKind::Call {
            target: None,
            function: "_==_".to_string(),
            args: vec![
                select(select(ident("R"), "attr"), "owner"),
                select(ident("P"), "id"),
            ],
        },
    }
}

fn row(
    kind: &str,
    role: &str,
    action: &str,
    cond: Option<Condition>,
    name: &str,
    origin: u32,
) -> Row {
    Row {
        kind: PolicyKind::Resource,
        version: "default".into(),
        scope: String::new(),
        resource: kind.into(),
        role: role.into(),
        action: Some(action.into()),
        allow_actions: None,
        principal: None,
        effect: Effect::Allow,
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

/// `n` resource kinds, each with a plain ALLOW, a conditional ALLOW and an admin wildcard.
fn generated_bundle(n: u32) -> Bundle {
    let mut policies = Vec::new();
    let mut rows = Vec::new();
    for i in 0..n {
        let kind = format!("kind_{i}");
        policies.push(PolicyInfo {
            kind: PolicyKind::Resource,
            key: format!("resource.{kind}.vdefault"),
            name: kind.clone(),
            version: "default".into(),
            scope: String::new(),
            source_file: format!("{kind}.yaml"),
            annotations: BTreeMap::new(),
            source_attributes: BTreeMap::new(),
        });
        rows.push(row(&kind, "user", "view", None, "rule-001", i));
        rows.push(row(
            &kind,
            "user",
            "edit",
            Some(Condition::Expr(0)),
            "rule-002",
            i,
        ));
        rows.push(row(&kind, "admin", "*", None, "rule-003", i));
    }
    let mut scope_permissions = BTreeMap::new();
    scope_permissions.insert(String::new(), ScopePermissions::OverrideParent);
    Bundle {
        format_version: FORMAT_VERSION,
        compiler_version: "bench".into(),
        digest: String::new(),
        policies,
        expressions: vec![CompiledExpr {
            source: "R.attr.owner == P.id".into(),
            ast: owner_expr(),
        }],
        param_sets: vec![ParamSet::default()],
        derived_roles: Vec::new(),
        rows,
        resource_scopes: vec![String::new()],
        principal_scopes: Vec::new(),
        scope_permissions,
        scope_parent_roles: BTreeMap::new(),
        policy_derived_roles: BTreeMap::new(),
        policy_schemas: BTreeMap::new(),
        schemas: BTreeMap::new(),
    }
}

fn bench_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("kinds");
    for n in [10u32, 100, 1_000, 10_000] {
        let engine =
            Engine::new(generated_bundle(n), EngineConfig::default()).expect("engine builds");
        let input: CheckInput = serde_json::from_value(serde_json::json!({
            "requestId": "bench",
            "actions": ["view", "edit", "delete"],
            "principal": {"id": "alice", "roles": ["user"]},
            "resource": {"kind": format!("kind_{}", n / 2), "id": "r1", "attr": {"owner": "alice"}}
        }))
        .expect("valid input");
        let inputs = vec![input];
        group.bench_with_input(BenchmarkId::from_parameter(n), &inputs, |b, inputs| {
            b.iter(|| black_box(engine.check_inputs(black_box(inputs), NOW)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_store, bench_scaling);
criterion_main!(benches);
