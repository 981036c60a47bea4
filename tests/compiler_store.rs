//! Compiles the Cerbos conformance store and checks the bundle round-trips.
#![cfg(feature = "compiler")]

use std::path::PathBuf;
use std::time::Instant;

use portcullis::bundle::Bundle;
use portcullis::compiler::{compile_dir, compile_sources, CompileOptions};

fn shared() -> Option<PathBuf> {
    let p = std::env::var("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if p.join("conformance/cerbos").is_dir() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("shared material not found at {}", p.display());
    }
    println!("SKIPPED: shared material not found at {}", p.display());
    None
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
