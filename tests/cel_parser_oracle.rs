//! Differential test against the real Cerbos 0.55.0 (`cerbos compile`):
//! for each expression of `tests/data/cel_oracle_exprs.txt` (one per line),
//! the parser and checker must report exactly the issues Cerbos lists in
//! its `Invalid expression` error, or none when Cerbos compiles it.
//!
//! Needs the Cerbos binary that `../shared/oracle/install.sh` installs
//! (`~/.cache/portcullis-oracle/…`, or `PORTCULLIS_CERBOS_BIN`); without it
//! the test prints SKIPPED and returns.
#![cfg(feature = "compiler")]

use portcullis::cel::checker::{check, CheckEnv};
use portcullis::cel::parser::parse;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn cerbos_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PORTCULLIS_CERBOS_BIN") {
        return Some(PathBuf::from(p));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let bin =
        cache.join("portcullis-oracle/node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64");
    bin.is_file().then_some(bin)
}

/// Our issues for `src`, joined the way Cerbos joins them.
fn ours(src: &str, env: &CheckEnv) -> String {
    let issues: Vec<String> = match parse(src) {
        Err(errs) => errs.into_iter().map(|e| e.message).collect(),
        Ok(p) => match check(&p, env) {
            Ok(()) => Vec::new(),
            Err(errs) => errs.into_iter().map(|e| e.message).collect(),
        },
    };
    issues.join(", ")
}

#[test]
fn issues_match_cerbos_compile() {
    let Some(bin) = cerbos_bin() else {
        eprintln!("SKIPPED: Cerbos oracle binary not found (run ../shared/oracle/install.sh)");
        return;
    };
    let exprs: Vec<String> = include_str!("data/cel_oracle_exprs.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let dir = std::env::temp_dir().join(format!("portcullis-cel-oracle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (i, e) in exprs.iter().enumerate() {
        let doc = serde_json::json!({
            "apiVersion": "api.cerbos.dev/v1",
            "resourcePolicy": {
                "version": "default",
                "resource": format!("r{i}"),
                "rules": [{
                    "actions": ["a"],
                    "effect": "EFFECT_ALLOW",
                    "roles": ["user"],
                    "condition": {"match": {"expr": e}}
                }]
            }
        });
        std::fs::write(dir.join(format!("p{i:03}.json")), doc.to_string()).expect("write policy");
    }
    let out = Command::new(&bin)
        .args(["compile", "--output=json", "--no-color", "--skip-tests"])
        .arg(&dir)
        .output()
        .expect("run cerbos compile");
    let _ = std::fs::remove_dir_all(&dir);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("cerbos compile JSON output");
    // file → the issue list of its `Invalid expression` error.
    let mut theirs: BTreeMap<String, String> = BTreeMap::new();
    for err in report["compileErrors"]["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let desc = err["description"].as_str().unwrap_or_default();
        if let Some((_, issues)) = desc
            .strip_prefix("Invalid expression `")
            .and_then(|rest| rest.rsplit_once("`: ["))
        {
            let file = err["file"].as_str().unwrap_or_default().to_string();
            theirs.insert(file, issues.strip_suffix(']').unwrap_or(issues).to_string());
        }
    }
    let env = CheckEnv::cerbos();
    let mut mismatches = Vec::new();
    for (i, e) in exprs.iter().enumerate() {
        let want = theirs.remove(&format!("p{i:03}.json")).unwrap_or_default();
        let got = ours(e, &env);
        if got != want {
            mismatches.push(format!("{e:?}\n  cerbos: [{want}]\n  ours:   [{got}]"));
        }
    }
    eprintln!(
        "oracle: {} of {} expressions get Cerbos's issues",
        exprs.len() - mismatches.len(),
        exprs.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
