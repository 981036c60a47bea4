//! Cerbos's `cel_eval` test cases (`shared/conformance/cerbos/cel_eval/`):
//! each condition is parsed, prepared against the Cerbos environment and
//! evaluated with the fixed `now` of Cerbos's evaluator tests; errors make
//! an expression false (non-strict evaluation), and the combined result
//! must equal `want`.
#![cfg(feature = "compiler")]

mod support;

use std::path::PathBuf;

use portcullis::cel::cerbos::{self, Principal, Resource};
use portcullis::cel::parser::parse;
use portcullis::cel::program::{Activation, Program};
use portcullis::cel::time::parse_timestamp;
use portcullis::cel::value::Value;

const NOW: &str = "2021-04-22T10:05:20.021-05:00";

fn case_dir() -> Option<PathBuf> {
    support::shared_dir("conformance/cerbos/cel_eval")
}

fn string_field(o: &serde_json::Value, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| o.get(*k).and_then(|v| v.as_str()))
        .unwrap_or_default()
        .to_string()
}

fn attr(o: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    o.get("attr")
        .and_then(|a| a.as_object())
        .cloned()
        .unwrap_or_default()
}

fn activation(req: &serde_json::Value) -> Activation {
    let p = &req["principal"];
    let r = &req["resource"];
    let principal = Principal {
        id: string_field(p, &["id"]),
        roles: p["roles"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        attr: attr(p),
        policy_version: string_field(p, &["policyVersion", "policy_version"]),
        scope: string_field(p, &["scope"]),
    };
    let resource = Resource {
        kind: string_field(r, &["kind"]),
        id: string_field(r, &["id"]),
        attr: attr(r),
        policy_version: string_field(r, &["policyVersion", "policy_version"]),
        scope: string_field(r, &["scope"]),
    };
    let aux = req
        .get("auxData")
        .or_else(|| req.get("aux_data"))
        .and_then(|a| a.get("jwt"))
        .and_then(|j| j.as_object());
    let now = parse_timestamp(NOW).expect("now");
    cerbos::activation(&principal, &resource, aux, now)
}

/// Evaluates a Cerbos `Match` (expr / all / any / none) non-strictly.
fn eval_match(
    m: &serde_json::Value,
    act: &Activation,
    log: &mut Vec<String>,
) -> Result<bool, String> {
    if let Some(expr) = m.get("expr").and_then(|e| e.as_str()) {
        let parsed = parse(expr).map_err(|e| format!("parse `{expr}`: {e:?}"))?;
        let prog = Program::prepare(&parsed.expr, &cerbos::declarations())
            .map_err(|e| format!("prepare `{expr}`: {e}"))?;
        return Ok(match prog.eval(act) {
            Ok(Value::Bool(b)) => {
                log.push(format!("  `{expr}` = {b}"));
                b
            }
            Ok(other) => {
                log.push(format!("  `{expr}` = non-bool {other:?}"));
                false
            }
            Err(e) => {
                log.push(format!("  `{expr}` error: {e}"));
                false
            }
        });
    }
    let list = |key: &str| -> Option<Vec<serde_json::Value>> {
        m.get(key)
            .and_then(|x| x.get("of"))
            .and_then(|x| x.as_array())
            .cloned()
    };
    if let Some(of) = list("all") {
        let mut all = true;
        for c in &of {
            all &= eval_match(c, act, log)?;
        }
        return Ok(all);
    }
    if let Some(of) = list("any") {
        let mut any = false;
        for c in &of {
            any |= eval_match(c, act, log)?;
        }
        return Ok(any);
    }
    if let Some(of) = list("none") {
        let mut any = false;
        for c in &of {
            any |= eval_match(c, act, log)?;
        }
        return Ok(!any);
    }
    Err(format!("unsupported condition {m}"))
}

#[test]
fn cerbos_cel_eval_cases() {
    let Some(dir) = case_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read cel_eval dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no cel_eval cases in {}", dir.display());
    let (mut passed, mut failed) = (0usize, 0usize);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read case");
        let case: serde_json::Value = serde_saphyr::from_str(&text).expect("case YAML");
        let act = activation(&case["request"]);
        let want = case["want"].as_bool().unwrap_or(false);
        let want_error = case["wantError"].as_bool().unwrap_or(false);
        let mut log = Vec::new();
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        match eval_match(&case["condition"], &act, &mut log) {
            Ok(got) if !want_error && got == want => passed += 1,
            Err(_) if want_error => passed += 1,
            other => {
                failed += 1;
                eprintln!(
                    "FAIL {name}: got {other:?}, want {want}\n{}",
                    log.join("\n")
                );
            }
        }
    }
    println!("cerbos-cel-eval: {passed} passed, {failed} failed, 0 skipped");
    assert_eq!(failed, 0, "cel_eval cases failed");
}
