//! Cerbos conformance cases for the compiler: `compile/`, `index/`,
//! `parser/` and `policy_formats/` under `shared/conformance/cerbos`.
//!
//! Each folder prints `<folder>: P passed, F failed`; every case must pass.
#![cfg(feature = "compiler")]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portcullis::compiler::yaml;
use portcullis::compiler::{
    compile_sources, index_sources, parse_policy_documents, CompileKind, CompileOptions,
    Diagnostic, DiagnosticKind, IndexKind, ParseKind, Severity,
};
use serde_json::Value;

fn shared() -> Option<PathBuf> {
    support::shared_dir("conformance/cerbos")
}

/// Reads a YAML test-case file as JSON.
fn read_case(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("case readable");
    let docs = yaml::parse_documents(&text).expect("case is YAML");
    docs.first().map(|d| d.to_json()).unwrap_or(Value::Null)
}

/// txtar: `-- name --` lines start files.
fn txtar(text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = t.strip_prefix("-- ").and_then(|r| r.strip_suffix(" --")) {
            files.push((name.trim().to_string(), String::new()));
        } else if let Some(last) = files.last_mut() {
            last.1.push_str(line);
        }
    }
    files
}

fn cases(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn position(v: &Value) -> Option<(u32, u32)> {
    let p = v.get("position")?;
    let line = p.get("line")?.as_u64()? as u32;
    let col = p.get("column")?.as_u64()? as u32;
    Some((line, col))
}

fn report(folder: &str, failures: &[String], passed: usize) {
    println!("{folder}: {passed} passed, {} failed", failures.len());
    for f in failures {
        println!("  FAIL {f}");
    }
    assert!(failures.is_empty(), "{folder}: {} failures", failures.len());
}

fn errors(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn compile_name(d: &Diagnostic) -> String {
    match d.kind {
        DiagnosticKind::Compile(k) => k.cerbos_name().to_string(),
        // The compile cases see import and ancestor problems as compile
        // errors; here they are found by the index layer.
        DiagnosticKind::Index(IndexKind::MissingImport) => {
            CompileKind::ImportNotFound.cerbos_name().to_string()
        }
        DiagnosticKind::Index(IndexKind::MissingScope) => CompileKind::MissingPolicyDefinition
            .cerbos_name()
            .to_string(),
        other => other.label(),
    }
}

/// The quoted name in `… 'x' …` or `… "x" …`.
fn quoted(s: &str) -> Option<&str> {
    let i = s.find(['\'', '"'])?;
    let q = &s[i..i + 1];
    let rest = &s[i + 1..];
    rest.find(q).map(|j| &rest[..j])
}

fn compile_matches(want: &Value, d: &Diagnostic) -> bool {
    if d.file != s(want, "file") || compile_name(d) != s(want, "error").trim() {
        return false;
    }
    let desc = s(want, "description");
    let ok_desc = match d.kind {
        DiagnosticKind::Compile(CompileKind::InvalidExpression) => {
            // The whole text, CEL issues included, must agree.
            d.message == desc
        }
        DiagnosticKind::Index(IndexKind::MissingImport) => quoted(&desc) == quoted(&d.message),
        DiagnosticKind::Index(IndexKind::MissingScope) => d.message.starts_with(&desc),
        _ => d.message == desc,
    };
    if !ok_desc {
        return false;
    }
    match position(want) {
        Some((l, c)) => {
            let p = d.cerbos_position();
            (p.line, p.column) == (l, c)
        }
        None => true,
    }
}

#[test]
fn compile_cases() {
    let Some(root) = shared() else { return };
    let schemas: Vec<(String, String)> = walk(&root.join("schema/fs/_schemas"))
        .into_iter()
        .map(|(p, c)| (format!("_schemas/{p}"), c))
        .collect();
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut noted = Vec::new();
    for case in cases(&root.join("compile"), "yaml") {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let want = read_case(&case);
        let input = std::fs::read_to_string(case.with_extension("yaml.input")).unwrap();
        let mut files = txtar(&input);
        let files_for_unit = files.clone();
        files.extend(schemas.iter().cloned());
        let result = compile_sources(files, &CompileOptions::default());
        let want_errors = want
            .get("wantErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match result {
            Ok(c) => {
                if !want_errors.is_empty() {
                    failures.push(format!(
                        "{name}: compiled but {} errors expected",
                        want_errors.len()
                    ));
                    continue;
                }
                if let Some(err) = check_variables(&want, &c.bundle) {
                    failures.push(format!("{name}: {err}"));
                    continue;
                }
                passed += 1;
            }
            Err(f) => {
                let unit = unit_files(&files_for_unit, &s(&want, "mainDef"));
                let errs: Vec<&Diagnostic> = errors(&f.diagnostics)
                    .into_iter()
                    .filter(|d| unit.contains(&d.file))
                    .filter(|d| {
                        d.kind != DiagnosticKind::Index(IndexKind::MissingScope)
                            || d.file == s(&want, "mainDef")
                    })
                    .collect();
                if want_errors.is_empty() {
                    let list: Vec<String> = errs
                        .iter()
                        .map(|d| format!("{}:{}:{} {}", d.file, d.line, d.column, d.message))
                        .collect();
                    failures.push(format!("{name}: unexpected errors {list:#?}"));
                    continue;
                }
                // Documented difference: Cerbos's compiler stops walking a
                // unit's ancestors once one fails to compile, so it does not
                // report the missing root policy; we report it (as Cerbos's
                // index builder does, see index/missing_scopes.yaml).
                let errs: Vec<&Diagnostic> = if name == "scoped_rp_missing_import.yaml" {
                    noted.push(format!("{name}: extra missing-root-policy error tolerated"));
                    errs.into_iter()
                        .filter(|d| d.kind != DiagnosticKind::Index(IndexKind::MissingScope))
                        .collect()
                } else {
                    errs
                };
                let mut problems = Vec::new();
                for w in &want_errors {
                    if !errs.iter().any(|d| compile_matches(w, d)) {
                        problems.push(format!("missing {}", w));
                    }
                }
                for d in &errs {
                    if !want_errors.iter().any(|w| compile_matches(w, d)) {
                        let p = d.cerbos_position();
                        problems.push(format!(
                            "extra {}:{}:{} [{}] {}",
                            d.file,
                            p.line,
                            p.column,
                            compile_name(d),
                            d.message
                        ));
                    }
                }
                if problems.is_empty() {
                    passed += 1;
                } else {
                    failures.push(format!("{name}: {}", problems.join("\n      ")));
                }
            }
        }
    }
    for n in &noted {
        println!("  NOTE (passed with a documented difference) {n}");
    }
    report("compile", &failures, passed);
}

/// Files of the main policy's compilation unit: the policy, its scope
/// ancestors, and the derived-roles and export policies (Cerbos compiles
/// one unit per case).
fn unit_files(files: &[(String, String)], main: &str) -> Vec<String> {
    let docs: Vec<(String, Value)> = files
        .iter()
        .filter_map(|(n, c)| {
            let d = parse_policy_documents(n, c).ok()?;
            Some((n.clone(), d.into_iter().next()?))
        })
        .collect();
    let ident = |v: &Value| -> Option<(String, String, String, String)> {
        for (k, name) in [
            ("resourcePolicy", "resource"),
            ("principalPolicy", "principal"),
        ] {
            if let Some(b) = v.get(k) {
                return Some((k.to_string(), s(b, name), s(b, "version"), s(b, "scope")));
            }
        }
        None
    };
    let main_id = docs
        .iter()
        .find(|(n, _)| n == main)
        .and_then(|(_, v)| ident(v));
    let mut out = vec![main.to_string()];
    for (n, v) in &docs {
        if ["derivedRoles", "exportVariables", "exportConstants"]
            .iter()
            .any(|k| v.get(*k).is_some())
        {
            out.push(n.clone());
            continue;
        }
        if let (Some(m), Some(o)) = (&main_id, ident(v)) {
            let ancestor = o.3.is_empty() || m.3 == o.3 || m.3.starts_with(&format!("{}.", o.3));
            if m.0 == o.0 && m.1 == o.1 && m.2 == o.2 && ancestor {
                out.push(n.clone());
            }
        }
    }
    out
}

/// `wantVariables`: per scope of the main policy chain, the used variables
/// and constants of the policy and of its derived roles.
fn check_variables(want: &Value, b: &portcullis::bundle::Bundle) -> Option<String> {
    let list = want.get("wantVariables")?.as_array()?;
    let main = s(want, "mainDef");
    let main_policy = b.policies.iter().find(|p| p.source_file == main)?;
    for w in list {
        let scope = s(w, "scope");
        let Some((pid, _)) = b.policies.iter().enumerate().find(|(_, p)| {
            p.kind == main_policy.kind && p.name == main_policy.name && p.scope == scope
        }) else {
            return Some(format!("no policy at scope {scope:?}"));
        };
        let Some(row) = b.rows.iter().find(|r| r.origin as usize == pid) else {
            return Some(format!("no rows for scope {scope:?}"));
        };
        let names = |v: &Value, k: &str| -> Vec<String> {
            let mut x: Vec<String> = v
                .get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            x.sort();
            x
        };
        let params = |id: Option<u32>| -> (Vec<String>, Vec<String>) {
            let Some(ps) = id.and_then(|i| b.param_sets.get(i as usize)) else {
                return (vec![], vec![]);
            };
            let mut v: Vec<String> = ps.variables.iter().map(|(n, _)| n.clone()).collect();
            v.sort();
            (v, ps.constants.keys().cloned().collect())
        };
        let (vars, consts) = params(row.params);
        if vars != names(w, "variables") || consts != names(w, "constants") {
            return Some(format!(
                "scope {scope:?}: variables {vars:?} constants {consts:?}, want {:?} {:?}",
                names(w, "variables"),
                names(w, "constants")
            ));
        }
        let drs = b
            .policy_derived_roles
            .get(&(pid as u32))
            .cloned()
            .unwrap_or_default();
        let want_drs = w
            .get("derivedRoles")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if drs.len() != want_drs.len() {
            return Some(format!(
                "scope {scope:?}: {} derived roles, want {}",
                drs.len(),
                want_drs.len()
            ));
        }
        for wd in &want_drs {
            let dn = s(wd, "name");
            let Some(dr) = drs
                .iter()
                .filter_map(|&i| b.derived_roles.get(i as usize))
                .find(|d| d.name == dn)
            else {
                return Some(format!("scope {scope:?}: derived role {dn} missing"));
            };
            let (v, c) = params(Some(dr.params));
            if v != names(wd, "variables") || c != names(wd, "constants") {
                return Some(format!(
                    "derived role {dn}: variables {v:?} constants {c:?}, want {:?} {:?}",
                    names(wd, "variables"),
                    names(wd, "constants")
                ));
            }
        }
    }
    None
}

fn walk(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(c) = std::fs::read_to_string(&p) {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, c));
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------------ index

/// Our diagnostics in the shape of Cerbos's `IndexBuildErrors`, for comparison.
fn index_errors(diags: &[Diagnostic]) -> BTreeMap<&'static str, Vec<Value>> {
    let mut out: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for d in diags {
        let pos = serde_json::json!({"line": d.line, "column": d.column});
        match d.kind {
            DiagnosticKind::Parse(_) | DiagnosticKind::Validation => out
                .entry("loadFailures")
                .or_default()
                .push(serde_json::json!({"file": d.file, "message": d.message, "position": pos, "kind": d.kind.label()})),
            DiagnosticKind::Index(IndexKind::Layout) => out
                .entry("loadFailures")
                .or_default()
                .push(serde_json::json!({"file": d.file, "message": d.message})),
            DiagnosticKind::Index(IndexKind::Disabled) => out
                .entry("disabledDefs")
                .or_default()
                .push(serde_json::json!({"file": d.file, "position": pos})),
            DiagnosticKind::Index(IndexKind::DuplicateDefinition) => out
                .entry("duplicateDefs")
                .or_default()
                .push(serde_json::json!({"file": d.file, "position": pos, "message": d.message})),
            DiagnosticKind::Index(IndexKind::MissingImport) => out
                .entry("missingImports")
                .or_default()
                .push(serde_json::json!({"file": d.file, "position": pos, "message": d.message})),
            DiagnosticKind::Index(IndexKind::MissingScope) => out
                .entry("missingScopeDetails")
                .or_default()
                .push(serde_json::json!({"file": d.file, "message": d.message})),
            DiagnosticKind::Index(IndexKind::ScopePermissionsConflict) => out
                .entry("scopePermissionsConflicts")
                .or_default()
                .push(serde_json::json!({"file": d.file, "message": d.message})),
            _ => {}
        }
    }
    out
}

fn index_case_problems(want: &Value, diags: &[Diagnostic]) -> Vec<String> {
    let got = index_errors(diags);
    let empty = serde_json::Map::new();
    let want_list = want
        .get("wantErrList")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut problems = Vec::new();
    for key in [
        "loadFailures",
        "disabledDefs",
        "duplicateDefs",
        "missingImports",
        "missingScopeDetails",
        "scopePermissionsConflicts",
    ] {
        let w = want_list
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let g = got.get(key).cloned().unwrap_or_default();
        match key {
            "missingScopeDetails" => {
                // Ours: one diagnostic per (descendant, missing ancestor).
                let mut want_pairs: Vec<(String, String)> = Vec::new();
                for m in &w {
                    for d in m
                        .get("descendants")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        want_pairs
                            .push((s(m, "missingPolicy"), d.as_str().unwrap_or("").to_string()));
                    }
                }
                let mut got_pairs: Vec<(String, String)> = g
                    .iter()
                    .map(|x| {
                        let m = s(x, "message");
                        let missing = quoted(&m).unwrap_or("").to_string();
                        let desc = m
                            .rsplit("required by \"")
                            .next()
                            .unwrap_or("")
                            .trim_end_matches(")")
                            .trim_end_matches('"')
                            .to_string();
                        (missing, desc)
                    })
                    .collect();
                want_pairs.sort();
                got_pairs.sort();
                if want_pairs != got_pairs {
                    problems.push(format!("{key}: got {got_pairs:?} want {want_pairs:?}"));
                }
            }
            _ => {
                if w.len() != g.len() {
                    problems.push(format!(
                        "{key}: got {} want {}: got {g:?}",
                        g.len(),
                        w.len()
                    ));
                    continue;
                }
                for wi in &w {
                    let file = if key == "missingImports" {
                        s(wi, "importingFile")
                    } else {
                        s(wi, "file")
                    };
                    let found = g.iter().any(|gi| {
                        if s(gi, "file") != file {
                            return false;
                        }
                        let wpos =
                            position(wi).or_else(|| wi.get("errorDetails").and_then(position));
                        if let Some((l, c)) = wpos {
                            let gp = gi.get("position");
                            let gl = gp
                                .and_then(|p| p.get("line"))
                                .and_then(Value::as_u64)
                                .unwrap_or(0) as u32;
                            let gc = gp
                                .and_then(|p| p.get("column"))
                                .and_then(Value::as_u64)
                                .unwrap_or(0) as u32;
                            if (gl, gc) != (l, c) {
                                return false;
                            }
                        }
                        match key {
                            "loadFailures" => s(gi, "message") == s(wi, "error"),
                            "missingImports" => s(gi, "message") == s(wi, "desc"),
                            _ => true,
                        }
                    });
                    if !found {
                        problems.push(format!("{key}: missing {wi} (got {g:?})"));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn index_cases() {
    let Some(root) = shared() else { return };
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases(&root.join("index"), "yaml") {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let want = read_case(&case);
        let files: Vec<(String, String)> = want
            .get("files")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let diags = index_sources(files);
        let problems = index_case_problems(&want, &diags);
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!("{name}: {}", problems.join("\n      ")));
        }
    }
    report("index", &failures, passed);
}

// ------------------------------------------------------------------ parser

/// JSON equality with numbers compared by value (42 == 42.0).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn strip_schema(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("$schema");
    }
    v
}

#[test]
fn parser_cases() {
    let Some(root) = shared() else { return };
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases(&root.join("parser"), "json") {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
        let input = std::fs::read_to_string(case.with_extension("json.input")).unwrap();
        let got = parse_policy_documents("input", &input);
        let want_errors = want
            .get("wantErrors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let problem = match (got, want_errors.is_empty()) {
            (Ok(msgs), true) => {
                let want_msgs: Vec<Value> = want
                    .get("want")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|m| m.get("message").cloned()).collect())
                    .unwrap_or_default();
                let msgs: Vec<Value> = msgs.into_iter().map(strip_schema).collect();
                if msgs.len() == want_msgs.len()
                    && msgs.iter().zip(&want_msgs).all(|(a, b)| json_eq(a, b))
                {
                    None
                } else {
                    Some(format!(
                        "documents differ:\n got {}\nwant {}",
                        serde_json::to_string(&msgs).unwrap(),
                        serde_json::to_string(&want_msgs).unwrap()
                    ))
                }
            }
            (Ok(_), false) => Some(format!("parsed but errors expected: {want_errors:?}")),
            (Err(d), true) => Some(format!(
                "unexpected errors: {:?}",
                d.iter()
                    .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
                    .collect::<Vec<_>>()
            )),
            (Err(d), false) => {
                let mut probs = Vec::new();
                for w in &want_errors {
                    let want_kind = s(w, "kind");
                    let ok = d.iter().any(|g| {
                        let kind_ok = match want_kind.as_str() {
                            "KIND_PARSE_ERROR" => matches!(g.kind, DiagnosticKind::Parse(_)),
                            "KIND_VALIDATION_ERROR" => g.kind == DiagnosticKind::Validation,
                            _ => true,
                        };
                        let pos_ok = position(w).is_none_or(|(l, c)| (g.line, g.column) == (l, c));
                        // YAML syntax messages come from a different YAML library.
                        let msg_ok =
                            matches!(g.kind, DiagnosticKind::Parse(ParseKind::InvalidDocument))
                                && s(w, "message")
                                    != "invalid document: contents are not valid YAML or JSON"
                                || g.message == s(w, "message");
                        kind_ok && pos_ok && msg_ok
                    });
                    if !ok {
                        probs.push(format!("missing {w}"));
                    }
                }
                if d.len() != want_errors.len() {
                    probs.push(format!(
                        "got {} errors want {}: {:?}",
                        d.len(),
                        want_errors.len(),
                        d.iter()
                            .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
                            .collect::<Vec<_>>()
                    ));
                }
                if probs.is_empty() {
                    None
                } else {
                    Some(probs.join("\n      "))
                }
            }
        };
        match problem {
            None => passed += 1,
            Some(p) => failures.push(format!("{name}: {p}")),
        }
    }
    report("parser", &failures, passed);
}

#[test]
fn policy_format_cases() {
    let Some(root) = shared() else { return };
    let dir = root.join("policy_formats");
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut all: Vec<PathBuf> = cases(&dir, "yaml");
    all.extend(cases(&dir, "json"));
    all.sort();
    let mut canon: BTreeMap<String, Value> = BTreeMap::new();
    for f in &all {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let result = compile_sources(
            vec![(name.clone(), text.clone())],
            &CompileOptions::default(),
        );
        if name == "multiple_policies.yaml" {
            match result {
                Err(e)
                    if e.diagnostics
                        .iter()
                        .any(|d| d.kind == DiagnosticKind::Parse(ParseKind::MultipleDocuments)) =>
                {
                    passed += 1
                }
                _ => failures.push(format!("{name}: multiple documents not rejected")),
            }
            continue;
        }
        // Imports are not part of these single files: judge the parse layer.
        let parse_errors: Vec<Diagnostic> = match &result {
            Ok(_) => vec![],
            Err(e) => e
                .diagnostics
                .iter()
                .filter(|d| {
                    matches!(
                        d.kind,
                        DiagnosticKind::Parse(_) | DiagnosticKind::Validation
                    )
                })
                .cloned()
                .collect(),
        };
        if !parse_errors.is_empty() {
            failures.push(format!(
                "{name}: {:?}",
                parse_errors.iter().map(|d| &d.message).collect::<Vec<_>>()
            ));
            continue;
        }
        if let Some(e) = result.as_ref().err() {
            let cel: Vec<_> = e
                .diagnostics
                .iter()
                .filter(|d| d.kind == DiagnosticKind::Compile(CompileKind::InvalidExpression))
                .map(|d| d.message.clone())
                .collect();
            if !cel.is_empty() {
                failures.push(format!("{name}: {cel:?}"));
                continue;
            }
        }
        match parse_policy_documents(&name, &text) {
            Ok(docs) if docs.len() == 1 => {
                let stem = name
                    .rsplit_once('.')
                    .map(|x| x.0)
                    .unwrap_or(&name)
                    .to_string();
                let doc = strip_schema(docs[0].clone());
                if let Some(other) = canon.get(&stem) {
                    if !json_eq(other, &doc) {
                        failures.push(format!("{name}: YAML and JSON forms differ"));
                        continue;
                    }
                }
                canon.insert(stem, doc);
                passed += 1;
            }
            other => failures.push(format!("{name}: {other:?}")),
        }
    }
    report("policy_formats", &failures, passed);
}
