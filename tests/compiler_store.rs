//! Compiles the Cerbos conformance store and checks the bundle round-trips.
#![cfg(feature = "compiler")]

mod support;

use std::path::PathBuf;
use std::time::Instant;

use portcullis::bundle::Bundle;
use portcullis::compiler::{compile_dir, compile_sources, CompileOptions};

fn shared() -> Option<PathBuf> {
    support::shared_root("conformance/cerbos")
}

#[test]
fn thin_path_single_condition() {
    let files = vec![(
        "resource.yaml".to_string(),
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n          expr: request.resource.attr.owner == request.principal.id\n"
            .to_string(),
    )];
    let c = compile_sources(files, &CompileOptions::default()).expect("compiles");
    let b = &c.bundle;
    assert_eq!(b.policies.len(), 1);
    assert_eq!(b.policies[0].key, "resource.doc.vdefault");
    assert_eq!(b.rows.len(), 1);
    assert_eq!(b.rows[0].role, "user");
    assert_eq!(b.rows[0].action.as_deref(), Some("view"));
    assert_eq!(b.rows[0].name, "rule-001");
    assert_eq!(b.expressions.len(), 1);
    assert_eq!(
        b.expressions[0].source,
        "request.resource.attr.owner == request.principal.id"
    );
    assert_eq!(b.resource_scopes, vec![String::new()]);
    assert_eq!(b.digest, b.compute_digest());
    let again = Bundle::from_json(&b.to_json()).expect("reads back");
    assert_eq!(again.to_json(), b.to_json());
}

#[test]
fn store_compiles_and_round_trips() {
    let Some(shared) = shared() else { return };
    let store = shared.join("conformance/cerbos/store");
    let start = Instant::now();
    let c = match compile_dir(&store, &CompileOptions::default()) {
        Ok(c) => c,
        Err(f) => {
            for d in &f.diagnostics {
                let src = std::fs::read_to_string(store.join(&d.file)).unwrap_or_default();
                eprintln!("{}", d.render(&src));
            }
            panic!("store failed to compile");
        }
    };
    let elapsed = start.elapsed();
    println!(
        "store: {} policies, {} rows, {} expressions compiled in {:.1} ms (debug build)",
        c.bundle.policies.len(),
        c.bundle.rows.len(),
        c.bundle.expressions.len(),
        elapsed.as_secs_f64() * 1e3
    );
    for w in &c.warnings {
        println!("warning: {}:{}: {}", w.file, w.line, w.message);
    }
    assert!(c.bundle.policies.len() >= 50);
    assert!(!c.test_suites.is_empty());
    let json = c.bundle.to_json();
    let back = Bundle::from_json(&json).expect("bundle reads back");
    assert_eq!(back.to_json(), json, "bundle JSON round-trip changed bytes");
    // Deterministic: a second compile gives the same bytes.
    let c2 = compile_dir(&store, &CompileOptions::default()).expect("compiles again");
    assert_eq!(c2.bundle.to_json(), json);
}

/// `cerbos-semantics.md` Appendix A1: the rows of `policy_01.yaml`.
#[test]
fn store_policy_01_rows_match_the_rule_table() {
    let Some(shared) = shared() else { return };
    let c = compile_dir(
        &shared.join("conformance/cerbos/store"),
        &CompileOptions::default(),
    )
    .expect("store compiles");
    let b = &c.bundle;
    let pid = b
        .policies
        .iter()
        .position(|p| p.key == "resource.leave_request.v20210210")
        .expect("policy present") as u32;
    let rows: Vec<(String, String, String, Option<String>)> = b
        .rows
        .iter()
        .filter(|r| r.origin == pid)
        .map(|r| {
            (
                r.name.clone(),
                r.role.clone(),
                r.action.clone().unwrap_or_default(),
                r.derived_role
                    .map(|d| b.derived_roles[d as usize].name.clone()),
            )
        })
        .collect();
    let has = |name: &str, role: &str, action: &str, dr: Option<&str>| {
        rows.iter()
            .any(|(n, r, a, d)| n == name && r == role && a == action && d.as_deref() == dr)
    };
    assert!(has("wildcard", "admin", "*", None), "{rows:#?}");
    assert!(has(
        "rule-002",
        "employee",
        "create",
        Some("employee_that_owns_the_record")
    ));
    assert!(has("rule-003", "*", "view", None));
    assert!(has("rule-004", "*", "view", Some("reader")));
    assert!(has(
        "rule-005",
        "employee",
        "view:*",
        Some("employee_that_owns_the_record")
    ));
    assert!(has("rule-005", "manager", "view:*", Some("direct_manager")));
    assert!(has(
        "public-view",
        "employee",
        "view:public",
        Some("any_employee")
    ));
    let params = b
        .rows
        .iter()
        .find(|r| r.origin == pid)
        .and_then(|r| r.params)
        .unwrap();
    let vars: Vec<&str> = b.param_sets[params as usize]
        .variables
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(vars, vec!["pending_approval", "principal_location"]);
    // Only derived roles referenced by rules are compiled in.
    let drs = &b.policy_derived_roles[&pid];
    let names: Vec<&str> = drs
        .iter()
        .map(|&d| b.derived_roles[d as usize].name.as_str())
        .collect();
    assert!(
        names.contains(&"direct_manager") && !names.contains(&"tester"),
        "{names:?}"
    );
}

/// Referenced schemas and the store schemas they `$ref` are bundled.
#[test]
fn schemas_and_their_refs_are_bundled() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("conformance/cerbos/schema/fs/_schemas");
    let mut files: Vec<(String, String)> = [
        "customer_relative.json",
        "customer_absolute.json",
        "address.json",
    ]
    .iter()
    .map(|n| {
        (
            format!("_schemas/{n}"),
            std::fs::read_to_string(dir.join(n)).expect("schema"),
        )
    })
    .collect();
    files.push((
        "p.yaml".into(),
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  schemas:\n    principalSchema:\n      ref: cerbos:///customer_relative.json\n    resourceSchema:\n      ref: cerbos:///customer_absolute.json\n      ignoreWhen:\n        actions: ['delete:*']\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALLOW\n".into(),
    ));
    let c = compile_sources(files, &CompileOptions::default()).expect("compiles");
    let keys: Vec<&String> = c.bundle.schemas.keys().collect();
    assert!(
        c.bundle
            .schemas
            .contains_key("cerbos:///customer_relative.json"),
        "{keys:?}"
    );
    assert!(c.bundle.schemas.contains_key("/address.json"), "{keys:?}");
    assert!(
        c.bundle.schemas.contains_key("cerbos:///address.json"),
        "{keys:?}"
    );
    let ps = &c.bundle.policy_schemas[&0];
    assert_eq!(
        ps.resource.as_ref().map(|r| r.ignore_actions.clone()),
        Some(vec!["delete:*".to_string()])
    );
}

/// The query-planner policy corpus compiles too.
#[test]
fn query_planner_policies_compile() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("conformance/cerbos/query_planner/policies");
    match compile_dir(&dir, &CompileOptions::default()) {
        Ok(c) => println!(
            "query_planner/policies: {} policies, {} rows",
            c.bundle.policies.len(),
            c.bundle.rows.len()
        ),
        Err(f) => {
            for d in &f.diagnostics {
                let src = std::fs::read_to_string(dir.join(&d.file)).unwrap_or_default();
                eprintln!("{}", d.render(&src));
            }
            panic!("query planner policies failed to compile");
        }
    }
}

/// Every condition of the Cerbos CEL evaluation cases passes the
/// compile-time checks (no false positives from the function table or the
/// literal validators).
#[test]
fn cel_eval_conditions_compile() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("conformance/cerbos/cel_eval");
    let mut n = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("case");
        let docs = portcullis::compiler::yaml::parse_documents(&text).expect("yaml");
        let case = docs[0].to_json();
        let cond = case.get("condition").expect("condition");
        let policy = format!(
            "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: x\n  version: default\n  rules:\n    - actions: [a]\n      roles: [r]\n      effect: EFFECT_ALLOW\n      condition: {{\"match\": {}}}\n",
            serde_json::to_string(cond).expect("json")
        );
        if let Err(f) = compile_sources(vec![("p.yaml".into(), policy)], &CompileOptions::default())
        {
            failures.push(format!(
                "{}: {:?}",
                path.display(),
                f.diagnostics
                    .iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        n += 1;
    }
    println!(
        "cel_eval: {n} conditions compiled, {} failed",
        failures.len()
    );
    for f in &failures {
        println!("  FAIL {f}");
    }
    assert!(failures.is_empty());
    assert!(n >= 17, "only {n} conditions found");
}
