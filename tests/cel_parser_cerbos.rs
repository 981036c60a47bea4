//! The parser and checker against Cerbos's own test data: every CEL
//! expression of the executable policy store and of the `cel_eval` cases
//! compiles, and the `invalid expression` errors of the `compile` cases are
//! reproduced word for word.
#![cfg(feature = "compiler")]

mod support;

use portcullis::cel::checker::{check, CheckEnv};
use portcullis::cel::parser::parse;
use std::path::{Path, PathBuf};

fn shared_root() -> Option<PathBuf> {
    support::shared_root("conformance/cerbos")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

/// Strings in positions where Cerbos documents hold CEL: `expr`,
/// `ruleActivated`, `conditionNotMet`, and the values of variable maps
/// (`variables.local`, `exportVariables.definitions`, deprecated top-level
/// `variables`). `path` holds the keys down to `v` (`[]` for list items).
fn expressions(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            let cel = match p.as_slice() {
                [.., "expr" | "ruleActivated" | "conditionNotMet"] => true,
                [.., "variables", "local", _] => true,
                [.., "exportVariables", "definitions", _] => true,
                ["variables", name] => *name != "import",
                _ => false,
            };
            if cel {
                out.push(s.clone());
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                path.push("[]".to_string());
                expressions(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                path.push(k.clone());
                expressions(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn store_and_cel_eval_expressions_compile() {
    let Some(root) = shared_root() else { return };
    let base = root.join("conformance/cerbos");
    let mut files = Vec::new();
    for sub in [
        "store/derived_roles",
        "store/export_constants",
        "store/export_variables",
        "store/principal_policies",
        "store/resource_policies",
        "store/role_policies",
        "cel_eval",
    ] {
        yaml_files(&base.join(sub), &mut files);
    }
    files.sort();
    let env = CheckEnv::cerbos();
    let (mut total, mut failures) = (0usize, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read YAML");
        // Multi-document files and the deliberately broken ones are not
        // policies this test is about.
        let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut exprs = Vec::new();
        expressions(&doc, &mut Vec::new(), &mut exprs);
        for src in exprs {
            total += 1;
            let outcome = parse(&src)
                .map_err(|e| format!("{e:?}"))
                .and_then(|p| check(&p, &env).map_err(|e| format!("{e:?}")));
            if let Err(e) = outcome {
                failures.push(format!("{}: {src:?}: {e}", file.display()));
            }
        }
    }
    eprintln!(
        "cerbos store + cel_eval: {} of {total} expressions compile",
        total - failures.len()
    );
    assert!(total > 100, "only {total} expressions found");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn compile_testdata_invalid_expressions_match() {
    let Some(root) = shared_root() else { return };
    let mut files = Vec::new();
    yaml_files(&root.join("conformance/cerbos/compile"), &mut files);
    files.sort();
    let env = CheckEnv::cerbos();
    let (mut compared, mut mismatches) = (0usize, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read YAML");
        let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        for want in doc["wantErrors"].as_array().cloned().unwrap_or_default() {
            if want["error"].as_str().map(str::trim) != Some("invalid expression") {
                continue;
            }
            let desc = want["description"].as_str().unwrap_or_default();
            // "Invalid expression `<expr>`: [<issue>, <issue>]"
            let Some(rest) = desc.strip_prefix("Invalid expression `") else {
                continue;
            };
            let Some((src, issues)) = rest.rsplit_once("`: [") else {
                continue;
            };
            let issues = issues.strip_suffix(']').unwrap_or(issues);
            let got = match parse(src) {
                Err(errs) => errs.into_iter().map(|e| e.message).collect::<Vec<_>>(),
                Ok(p) => match check(&p, &env) {
                    Ok(()) => Vec::new(),
                    Err(errs) => errs.into_iter().map(|e| e.message).collect(),
                },
            };
            compared += 1;
            if got.join(", ") != issues {
                mismatches.push(format!(
                    "{}: {src:?}\n  want [{issues}]\n  got  [{}]",
                    file.display(),
                    got.join(", ")
                ));
            }
        }
    }
    eprintln!(
        "compile testdata: {} of {compared} invalid-expression descriptions reproduced",
        compared - mismatches.len()
    );
    assert!(compared >= 5, "only {compared} cases found");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
