//! Every expression of the CEL conformance suite ("simple" tests) must parse.
//!
//! The suite has no parse-failure cases (those live in a separate cel-spec
//! suite), so every `expr` is expected to parse; tests with
//! `disable_macros` are parsed with macro expansion turned off.
#![cfg(feature = "compiler")]

use portcullis::cel::parser::{parse_with, ParseOptions};
use std::path::PathBuf;

/// Root of the shared material, or `None` (after a loud message) when it is
/// absent outside CI.
fn shared_root() -> Option<PathBuf> {
    let root = std::env::var_os("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if root.join("conformance/cel").is_dir() {
        return Some(root);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("shared material not found at {}", root.display());
    }
    eprintln!("SKIPPED: shared material not found at {}", root.display());
    None
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
                if let Err(errs) = parse_with(expr, &opts) {
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
    eprintln!(
        "conformance parse: {} of {total} expressions parsed",
        total - failures.len()
    );
    assert!(total > 2000, "expected the full suite, found {total} tests");
    assert!(
        failures.is_empty(),
        "parse failures:\n{}",
        failures.join("\n")
    );
}
