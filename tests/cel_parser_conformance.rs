//! Every expression of the CEL conformance suite ("simple" tests) must parse.
//!
//! The suite has no parse-failure cases (those live in a separate cel-spec
//! suite), so every `expr` is expected to parse; tests with
//! `disable_macros` are parsed with macro expansion turned off.
#![cfg(feature = "compiler")]

mod support;

use portcullis::cel::ast::{Expr, ExprKind};
use portcullis::cel::checker::{check, CheckEnv};
use portcullis::cel::parser::{parse_with, ParseOptions};
use portcullis::cel::printer::print;
use std::path::PathBuf;

/// Root of the shared material, or `None` (after a loud message) when it is
/// absent outside CI.
fn shared_root() -> Option<PathBuf> {
    support::shared_root("conformance/cel")
}

#[test]
fn every_conformance_expression_parses() {
    let Some(root) = shared_root() else { return };
    let dir = root.join("conformance/cel");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read conformance dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0usize;
    let mut failures = Vec::new();
    let mut printed = 0usize;
    let mut rt_failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read conformance file");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("conformance JSON");
        let sections = doc["sections"].as_array().cloned().unwrap_or_default();
        for section in sections {
            for test in section["tests"].as_array().cloned().unwrap_or_default() {
                let expr = test["expr"].as_str().unwrap_or_default();
                let opts = ParseOptions {
                    enable_macros: !test["disable_macros"].as_bool().unwrap_or(false),
                    enable_block_macros: true,
                    ..ParseOptions::default()
                };
                total += 1;
                match parse_with(expr, &opts) {
                    Ok(parsed) => {
                        round_trip(expr, parsed.expr, &opts, &mut printed, &mut rt_failures)
                    }
                    Err(errs) => {
                        failures.push(format!(
                            "{}/{}/{}: {expr:?}: {}",
                            file.file_stem().and_then(|s| s.to_str()).unwrap_or("?"),
                            section["name"].as_str().unwrap_or("?"),
                            test["name"].as_str().unwrap_or("?"),
                            errs.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "conformance parse: {} of {total} expressions parsed",
        total - failures.len()
    );
    eprintln!(
        "conformance print round trip: {printed} of {total} expressions \
         (not attempted: trees holding cel.block's internal @-names, which \
         have no source form)"
    );
    assert!(total > 2000, "expected the full suite, found {total} tests");
    assert!(
        failures.is_empty(),
        "parse failures:\n{}",
        failures.join("\n")
    );
    assert!(
        rt_failures.is_empty(),
        "print round-trip failures:\n{}",
        rt_failures.join("\n")
    );
    assert!(
        printed > 2000,
        "only {printed} expressions were round-tripped"
    );
}

/// Conformance tests whose expression `cerbos compile` (cel-go v0.30)
/// rejects, `(section/test, Cerbos's message)`: the checker must reject them
/// with that message (checked against the real Cerbos 0.55).
const CERBOS_REJECTS: &[(&str, &str)] = &[
    (
        "ipv4/ipv4_equals_ipv6",
        "invalid ip argument: IPv4-mapped IPv6 address \"::ffff:c0a8:1\" is not allowed",
    ),
    (
        "ipv4/ipv4_not_equals_ipv6",
        "invalid ip argument: IPv4-mapped IPv6 address \"::ffff:c0a8:1\" is not allowed",
    ),
];

/// Every conformance test that is type-checked and expects a value passes
/// the checker when the environment declares the test's bindings and
/// `type_env` names (the conformance mode of the checker), except the ones
/// Cerbos rejects, which must fail with Cerbos's message.
#[test]
fn conformance_expressions_pass_the_checker() {
    let Some(root) = shared_root() else { return };
    let dir = root.join("conformance/cel");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read conformance dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut checked, mut not_applicable, mut rejected_as_cerbos) = (0usize, 0usize, 0usize);
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read conformance file");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("conformance JSON");
        for section in doc["sections"].as_array().cloned().unwrap_or_default() {
            for test in section["tests"].as_array().cloned().unwrap_or_default() {
                let expects_value = test["expected"].get("value").is_some();
                // proto.getExt/hasExt need proto2 extension descriptors, which
                // neither Cerbos nor this crate has.
                let needs_protos = test["needs"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|t| t == "ext:protos"));
                if needs_protos {
                    skipped.push(format!(
                        "{}: needs proto2 extensions (ext:protos)",
                        test["name"].as_str().unwrap_or("?")
                    ));
                    continue;
                }
                if test["disable_check"].as_bool().unwrap_or(false) || !expects_value {
                    not_applicable += 1;
                    continue;
                }
                let opts = ParseOptions {
                    enable_macros: !test["disable_macros"].as_bool().unwrap_or(false),
                    enable_block_macros: true,
                    ..ParseOptions::default()
                };
                let Ok(parsed) = parse_with(test["expr"].as_str().unwrap_or_default(), &opts)
                else {
                    failures.push(format!("{}: does not parse", test["name"]));
                    continue;
                };
                let env = conformance_env(&test);
                checked += 1;
                let name = format!(
                    "{}/{}",
                    section["name"].as_str().unwrap_or("?"),
                    test["name"].as_str().unwrap_or("?")
                );
                if let Some((_, want)) = CERBOS_REJECTS.iter().find(|(n, _)| *n == name) {
                    match check(&parsed, &env) {
                        Err(errs) if errs.iter().any(|e| e.message == *want) => {
                            rejected_as_cerbos += 1
                        }
                        other => failures.push(format!(
                            "{name}: Cerbos rejects it with {want:?}, we gave {:?}",
                            other.map(|_| ()).map_err(|errs| errs
                                .iter()
                                .map(|e| e.message.clone())
                                .collect::<Vec<_>>())
                        )),
                    }
                    continue;
                }
                if let Err(errs) = check(&parsed, &env) {
                    failures.push(format!(
                        "{}/{}: {:?}: {}",
                        section["name"].as_str().unwrap_or("?"),
                        test["name"].as_str().unwrap_or("?"),
                        test["expr"].as_str().unwrap_or_default(),
                        errs.iter()
                            .map(|e| e.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
            }
        }
    }
    eprintln!(
        "conformance check: {} of {checked} checked expressions pass, {rejected_as_cerbos} \
         rejected as Cerbos rejects them ({not_applicable} tests not applicable: \
         disable_check or an expected error)",
        checked - failures.len() - rejected_as_cerbos
    );
    assert_eq!(
        rejected_as_cerbos,
        CERBOS_REJECTS.len(),
        "every listed rejection was checked"
    );
    eprintln!("skipped {}:\n  {}", skipped.len(), skipped.join("\n  "));
    assert!(checked > 1500, "only {checked} tests were checked");
    assert!(
        failures.is_empty(),
        "check failures:\n{}",
        failures.join("\n")
    );
}

fn conformance_env(test: &serde_json::Value) -> CheckEnv {
    // cel-go's conformance harness declares the cel.block slots @index0..29.
    let mut env = CheckEnv::new()
        .with_runtime_functions()
        .allow_unknown_type_names(true)
        .declare_all((0..30).map(|i| format!("@index{i}")));
    if let Some(c) = test["container"].as_str() {
        env = env.with_container(c);
    }
    if let Some(b) = test["bindings"].as_object() {
        env = env.declare_all(b.keys().cloned());
    }
    for decl in test["type_env"].as_array().cloned().unwrap_or_default() {
        let name = decl["name"].as_str().unwrap_or_default().to_string();
        if decl.get("function").is_some() {
            env = env.declare_function(name);
        } else {
            env = env.declare(name);
        }
    }
    env
}

/// print → parse must give the same tree (ids aside).
fn round_trip(
    src: &str,
    mut tree: Expr,
    opts: &ParseOptions,
    printed: &mut usize,
    failures: &mut Vec<String>,
) {
    if has_internal_names(&tree) {
        return;
    }
    let text = print(&tree);
    match parse_with(&text, opts) {
        Ok(again) => {
            let mut again = again.expr;
            tree.clear_ids();
            again.clear_ids();
            if tree == again {
                *printed += 1;
            } else {
                failures.push(format!("{src:?} printed as {text:?}: different tree"));
            }
        }
        Err(e) => failures.push(format!("{src:?} printed as {text:?}: {e:?}")),
    }
}

fn has_internal_names(e: &Expr) -> bool {
    let own = match &e.kind {
        ExprKind::Ident(n) => {
            n.starts_with("@index") || n.starts_with("@it:") || n.starts_with("@ac:")
        }
        ExprKind::Call { function, .. } => function == "cel.@block",
        ExprKind::Comprehension(c) => c.iter_var.starts_with('@'),
        _ => false,
    };
    own || e.kind.children().into_iter().any(has_internal_names)
}
