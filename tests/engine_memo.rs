//! An engine remembers, per (table, kind, principal, roles), the rule rows a
//! check can match and, per action, the bindings of its queries
//! (`engine::memo`). These checks run a varied stream of inputs through one
//! engine, twice, and compare every decision and output with those of an
//! engine that remembers nothing: the memo must never hand one combination
//! the rows of another.

#![cfg(feature = "compiler")]

mod support;

use portcullis::compiler::{compile_dir, CompileOptions};
use portcullis::engine::{ActionEffect, CheckInput, CheckOutput, Effect, Engine, EngineConfig};
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

fn decision(out: &CheckOutput, action: &str) -> ActionEffect {
    out.actions
        .get(action)
        .cloned()
        .unwrap_or_else(|| panic!("action {action} decided"))
}

/// The outputs evaluating `action` produced, in order.
fn outputs_of(out: &CheckOutput, action: &str) -> Vec<String> {
    out.outputs
        .iter()
        .filter(|e| e.action == action)
        .map(|e| format!("{}={:?}", e.src, e.val))
        .collect()
}

fn config() -> EngineConfig {
    EngineConfig {
        lenient_scope_search: true,
        ..EngineConfig::default()
    }
}

#[test]
fn remembered_rows_give_the_decisions_of_a_fresh_engine() {
    let Some(store) = support::shared_dir("conformance/cerbos/store") else {
        return;
    };
    let bundle = compile_dir(&store, &CompileOptions::default())
        .unwrap_or_else(|f| panic!("store compiles: {:?}", f.diagnostics))
        .bundle;
    let shared = Engine::new(bundle.clone(), config()).expect("engine builds");
    let inputs = inputs();
    let unremembered = Engine::new(bundle, config())
        .expect("engine builds")
        .without_rows_memo();
    let fresh: Vec<Vec<_>> = inputs
        .iter()
        .map(|input| {
            let out = unremembered
                .check_inputs(std::slice::from_ref(input), NOW)
                .remove(0);
            input
                .actions
                .iter()
                .map(|a| (decision(&out, a), outputs_of(&out, a)))
                .collect()
        })
        .collect();
    let mut allowed = 0;
    for pass in 0..2 {
        for (input, want) in inputs.iter().zip(&fresh) {
            let got = shared
                .check_inputs(std::slice::from_ref(input), NOW)
                .remove(0);
            for (action, (effect, outputs)) in input.actions.iter().zip(want) {
                let context = format!("pass {pass}, request {}, action {action}", input.request_id);
                assert_eq!(&decision(&got, action), effect, "{context}");
                assert_eq!(&outputs_of(&got, action), outputs, "{context}");
                allowed += usize::from(effect.effect == Effect::Allow);
            }
        }
    }
    // The stream must exercise real matches, not only default denials.
    assert!(allowed > 20, "only {allowed} allowed decisions");
}
