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

/// 1,000 random patterns and inputs answered by Cerbos 0.55
/// (`tests/data/regex/re2_random.json`): `matches` and the match
/// boundaries of `regex.replace`, through the compiler's translation and
/// the runtime's evaluation.
#[test]
fn random_patterns_match_like_cerbos() {
    use portcullis::cel::parser::parse;
    use portcullis::cel::program::{Activation, Declarations, Program};
    use portcullis::cel::re2::translate;
    use portcullis::cel::re2_tables::UnicodeTables;
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("data/regex/re2_random.json")).expect("json");
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1000);
    let q = |x: &str| serde_json::to_string(x).expect("quote");
    let mut wrong = Vec::new();
    for c in cases {
        let (p, s) = (
            c["pattern"].as_str().expect("p"),
            c["input"].as_str().expect("s"),
        );
        let translated = translate(p, &UnicodeTables).expect("valid RE2").pattern;
        let (src, want) = match (c.get("matches"), c.get("replaced")) {
            (Some(m), _) => (format!("{}.matches({})", q(s), q(&translated)), m.clone()),
            (_, Some(r)) => (
                format!("regex.replace({}, {}, \"[\\\\0]\")", q(s), q(&translated)),
                r.clone(),
            ),
            _ => panic!("case without expectation: {c}"),
        };
        let parsed = parse(&src).expect("parse");
        let prog = Program::prepare(&parsed.expr, &Declarations::new()).expect("prepare");
        let got = prog
            .eval(&Activation::new(0))
            .map_err(|e| e.to_string())
            .and_then(|v| v.to_json().map_err(|e| e.to_string()));
        if got.as_ref() != Ok(&want) {
            wrong.push(format!("{p:?} on {s:?}: got {got:?}, Cerbos {want}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
