//! `portcullis test` against Cerbos's own test-runner conformance data:
//! `verify/cases` (TestResults JSON goldens), `verify_junit/cases` (JUnit
//! goldens), the suites shipped in the conformance store, and the example
//! suite of this repository.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portcullis::compiler::{self, yaml, CompileOptions};
use portcullis::verify::{self, txtar, TestResult, VerifyOptions};

/// Cases expected to fail, with the reason. Every other case must pass.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn shared_root() -> Option<PathBuf> {
    support::shared_root("conformance/cerbos")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Case files (`case_*.yaml`) of a folder, sorted.
fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

fn case_yaml(path: &Path) -> serde_json::Value {
    yaml::parse_documents(&read(path))
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .map(|d| d.to_json())
        .unwrap_or_default()
}

fn archive_files(path: &Path) -> BTreeMap<String, String> {
    let input = PathBuf::from(format!("{}.input", path.display()));
    txtar::parse(&read(&input)).files.into_iter().collect()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Protobuf comparison semantics: numbers are doubles; Cerbos's own test
/// treats non-breaking spaces as spaces.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::String(x), J::String(y)) => x.replace('\u{a0}', " ") == y.replace('\u{a0}', " "),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn report(folder: &str, failures: &[(String, String)], passed: usize) {
    println!("{folder}: {passed} passed, {} failed", failures.len());
    for (name, why) in failures {
        println!("  FAIL {name}: {why}");
    }
    let known: Vec<&str> = KNOWN_FAILURES.iter().map(|(n, _)| *n).collect();
    let unexpected: Vec<&String> = failures
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !known.contains(&n.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{folder}: unexpected failures {unexpected:?}"
    );
}

#[test]
fn verify_cases_match_cerbos_goldens() {
    let Some(shared) = shared_root() else { return };
    let base = shared.join("conformance/cerbos");
    let compiled = compiler::compile_dir(&base.join("store"), &CompileOptions::default())
        .unwrap_or_else(|e| panic!("store does not compile: {e}"));
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases(&base.join("verify/cases")) {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let spec = case_yaml(&case);
        let config = &spec["config"];
        let opts = VerifyOptions {
            // The Go harness builds its engine without schema enforcement.
            ignore_schemas: true,
            excluded_resource_policies: strings(&config["excludedResourcePolicyFqns"]),
            excluded_principal_policies: strings(&config["excludedPrincipalPolicyFqns"]),
            run: config["includedTestNamesRegexp"]
                .as_str()
                .map(str::to_string),
            ..VerifyOptions::default()
        };
        let files = archive_files(&case);
        let outcome = verify::run_bundle(&compiled.bundle, &files, &opts);
        if spec["wantErr"].as_bool() == Some(true) {
            match outcome {
                Err(_) => passed += 1,
                Ok(_) => failures.push((name, "expected an error".into())),
            }
            continue;
        }
        let results = match outcome {
            Ok(r) => r,
            Err(e) => {
                failures.push((name, format!("run failed: {e}")));
                continue;
            }
        };
        let have: serde_json::Value =
            serde_json::from_str(&verify::to_json(&results)).unwrap_or_default();
        let want: serde_json::Value =
            serde_json::from_str(&read(&PathBuf::from(format!("{}.golden", case.display()))))
                .unwrap_or_default();
        if same(&have, &want) {
            passed += 1;
        } else {
            failures.push((
                name,
                format!(
                    "\n    want {}\n    have {}",
                    serde_json::to_string(&want).unwrap_or_default(),
                    serde_json::to_string(&have).unwrap_or_default()
                ),
            ));
        }
    }
    report("verify", &failures, passed);
    assert!(passed >= 45, "only {passed} verify cases ran");
}

#[test]
fn verify_junit_cases_match_cerbos_goldens() {
    let Some(shared) = shared_root() else { return };
    let base = shared.join("conformance/cerbos/verify_junit");
    let compiled = compiler::compile_dir(&base.join("store"), &CompileOptions::default())
        .unwrap_or_else(|e| panic!("junit store does not compile: {e}"));
    let opts = VerifyOptions {
        ignore_schemas: true,
        ..VerifyOptions::default()
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases(&base.join("cases")) {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let files = archive_files(&case);
        let results = match verify::run_bundle(&compiled.bundle, &files, &opts) {
            Ok(r) => r,
            Err(e) => {
                failures.push((name, format!("run failed: {e}")));
                continue;
            }
        };
        let have = verify::to_junit(&results);
        let want = read(&PathBuf::from(format!("{}.golden", case.display())));
        if have.trim_end() == want.trim_end() {
            passed += 1;
        } else {
            failures.push((name, format!("\n--- want\n{want}\n--- have\n{have}")));
        }
    }
    report("verify_junit", &failures, passed);
    assert_eq!(passed, 7);
}

#[test]
fn conformance_store_suites_pass() {
    let Some(shared) = shared_root() else { return };
    let store = shared.join("conformance/cerbos/store");
    // Suites run with schema enforcement `reject`, as `cerbos compile` does.
    let results = verify::run(&store, &VerifyOptions::default())
        .unwrap_or_else(|e| panic!("store suites did not run: {e}"));
    print!("{}", verify::render_tree(&results, false));
    assert_eq!(results.suites.len(), 3);
    assert!(results.summary.tests_count > 0);
    assert_eq!(results.summary.overall_result, TestResult::Passed);
}

#[test]
fn example_suite_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let results = verify::run(&root, &VerifyOptions::default())
        .unwrap_or_else(|e| panic!("example suite did not run: {e}"));
    print!("{}", verify::render_tree(&results, false));
    assert!(!results.suites.is_empty());
    assert_eq!(results.summary.overall_result, TestResult::Passed);
    assert_eq!(verify::exit_code(&Ok(results)), verify::EXIT_OK);
}
