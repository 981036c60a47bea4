//! An engine remembers, per (table, kind, principal, roles), the rule rows a
//! check can match (`engine::memo`). These checks run a varied stream of
//! inputs through one engine, twice, and compare every output with the one
//! a fresh engine gives for that input alone: the memo must never hand one
//! combination the rows of another.

#![cfg(feature = "compiler")]

mod support;

use portcullis::compiler::{compile_dir, CompileOptions};
use portcullis::engine::{CheckInput, Engine, EngineConfig};
use serde_json::json;

const NOW: i64 = 1_700_000_000_000_000_000;

fn inputs() -> Vec<CheckInput> {
    let principals = ["john", "donald_duck", "maggie", "nobody"];
    let role_sets: [&[&str]; 6] = [
        &["employee"],
        &["manager"],
        &["employee", "manager"],
        &["admin"],
        &["user"],
        &["never_named_anywhere"],
    ];
    let resources = [
        ("leave_request", "20210210", ""),
        ("leave_request", "default", "acme.hr.uk"),
        ("leave_request", "default", "acme.hr"),
        ("purchase_order", "default", ""),
        ("salary_record", "default", ""),
        ("unknown_kind", "default", ""),
    ];
    let mut out = Vec::new();
    for (i, principal) in principals.iter().enumerate() {
        for (j, roles) in role_sets.iter().enumerate() {
            let (kind, version, scope) = resources[(i + j) % resources.len()];
            let input = json!({
                "requestId": format!("r{i}{j}"),
                "actions": ["view:public", "approve", "create", "delete", "view"],
                "principal": {"id": principal, "roles": roles, "scope": scope,
                              "attr": {"department": "marketing", "geography": "GB",
                                       "team": "design", "managed_geographies": "GB"}},
                "resource": {"kind": kind, "policyVersion": version, "id": "XX125",
                             "scope": scope,
                             "attr": {"department": "marketing", "geography": "GB",
                                      "owner": "john", "team": "design",
                                      "status": "PENDING_APPROVAL"}}
            });
            out.push(serde_json::from_value(input).expect("valid input"));
        }
    }
    out
}

#[test]
fn remembered_rows_give_the_decisions_of_a_fresh_engine() {
    let Some(store) = support::shared_dir("conformance/cerbos/store") else {
        return;
    };
    let bundle = compile_dir(&store, &CompileOptions::default())
        .unwrap_or_else(|f| panic!("store compiles: {:?}", f.diagnostics))
        .bundle;
    let config = || EngineConfig {
        lenient_scope_search: true,
        ..EngineConfig::default()
    };
    let shared = Engine::new(bundle.clone(), config()).expect("engine builds");
    let inputs = inputs();
    let fresh: Vec<_> = inputs
        .iter()
        .map(|input| {
            let engine = Engine::new(bundle.clone(), config()).expect("engine builds");
            engine.check_inputs(std::slice::from_ref(input), NOW)
        })
        .collect();
    let mut allowed = 0;
    for pass in 0..2 {
        for (input, want) in inputs.iter().zip(&fresh) {
            let got = shared.check_inputs(std::slice::from_ref(input), NOW);
            assert_eq!(&got, want, "pass {pass}, request {}", input.request_id);
            allowed += input
                .actions
                .iter()
                .filter(|a| {
                    got[0].actions.get(a).map(|e| e.effect)
                        == Some(portcullis::engine::Effect::Allow)
                })
                .count();
        }
    }
    // The stream must exercise real matches, not only default denials.
    assert!(allowed > 20, "only {allowed} allowed decisions");
}
