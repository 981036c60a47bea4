//! Decisions of policies whose conditions use `matches` and the regex
//! extension with RE2 features regex-lite lacks or means differently
//! (`\p{Greek}`, Unicode `(?i)` incl. K/U+212A, ASCII `\w`/`\s` without
//! `\v`, `\Q..\E`): the expected allowed actions are Cerbos 0.55's answers
//! (`shared/oracle/oracle.py check` on `tests/data/regex/doc.yaml`).
#![cfg(feature = "compiler")]

use portcullis::compiler::{compile_sources, CompileOptions};
use portcullis::engine::{CheckResourcesRequest, Engine, EngineConfig};
use serde_json::json;

const ACTIONS: &[&str] = &[
    "greek", "fold", "word", "space", "kelvin", "letters", "quoted",
];

/// (resource attribute `name`, actions Cerbos allows).
const CASES: &[(&str, &[&str])] = &[
    ("αβγ", &["greek"]),
    ("ΣΟΦΊΑ", &["fold", "greek"]),
    ("σοφία", &["fold", "greek"]),
    ("ΣΟΦΙΑ", &["greek"]),
    ("abc", &["kelvin", "word"]),
    ("é", &[]),
    ("a_1", &["word"]),
    ("a b", &["letters", "space"]),
    ("a\u{b}b", &["letters"]),
    ("a\tb", &["letters", "space"]),
    ("\u{212a}elvin", &["kelvin"]),
    ("Kelvin", &["kelvin", "word"]),
    ("ab cd", &["letters"]),
    ("héllo wörld", &["letters"]),
    ("a.bb", &["letters", "quoted"]),
    ("a.b{2}", &["letters"]),
    ("", &[]),
    ("ab", &["kelvin", "word"]),
];

#[test]
fn regex_conditions_decide_like_cerbos() {
    let src = include_str!("data/regex/doc.yaml");
    let compiled = compile_sources(
        vec![("doc.yaml".into(), src.into())],
        &CompileOptions::default(),
    )
    .unwrap_or_else(|e| panic!("compiles: {:?}", e.diagnostics));
    let engine = Engine::new(compiled.bundle, EngineConfig::default()).expect("engine");
    for (name, want) in CASES {
        let req: CheckResourcesRequest = serde_json::from_value(json!({
            "requestId": "r",
            "principal": {"id": "u", "roles": ["user"]},
            "resources": [{"actions": ACTIONS, "resource": {"kind": "doc", "id": "1", "attr": {"name": name}}}]
        }))
        .expect("request");
        let out = engine.check_resources(&req, 0).expect("check");
        let out = serde_json::to_value(&out).expect("json");
        let actions = &out["results"][0]["actions"];
        let mut allowed: Vec<&str> = ACTIONS
            .iter()
            .copied()
            .filter(|a| actions[*a] == "EFFECT_ALLOW")
            .collect();
        allowed.sort_unstable();
        assert_eq!(allowed, *want, "name {name:?}: {actions}");
    }
}

#[test]
fn patterns_built_at_run_time_that_need_unicode_tables_fail_closed() {
    let src = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n          expr: R.attr.name.matches(R.attr.pattern)\n";
    let compiled = compile_sources(
        vec![("p.yaml".into(), src.into())],
        &CompileOptions::default(),
    )
    .unwrap_or_else(|e| panic!("compiles: {:?}", e.diagnostics));
    let engine = Engine::new(compiled.bundle, EngineConfig::default()).expect("engine");
    let check = |pattern: &str| {
        let req: CheckResourcesRequest = serde_json::from_value(json!({
            "requestId": "r",
            "principal": {"id": "u", "roles": ["user"]},
            "resources": [{"actions": ["view"], "resource": {"kind": "doc", "id": "1", "attr": {"name": "αβγ", "pattern": pattern}}}]
        }))
        .expect("request");
        let out =
            serde_json::to_value(engine.check_resources(&req, 0).expect("check")).expect("json");
        out["results"][0]["actions"]["view"].clone()
    };
    // Without tables at run time: denied (an evaluation error), never a guess.
    assert_eq!(check("^\\p{Greek}+$"), json!("EFFECT_DENY"));
    // What the runtime can translate exactly is evaluated.
    assert_eq!(check("^.{3}$"), json!("EFFECT_ALLOW"));
    assert_eq!(check("^\\w+$"), json!("EFFECT_DENY"));
}
