//! Fuzz-style robustness: arbitrary bytes, random YAML and mutated policies
//! never panic the compiler; every input yields a bundle or diagnostics.
#![cfg(feature = "compiler")]

use portcullis::compiler::{compile_sources, parse_policy_documents, CompileOptions};
use proptest::prelude::*;

fn compile_one(name: &str, text: String) {
    let r = compile_sources(
        vec![(name.to_string(), text.clone())],
        &CompileOptions::default(),
    );
    if let Err(f) = r {
        assert!(!f.diagnostics.is_empty(), "a failure carries diagnostics");
        for d in &f.diagnostics {
            // Rendering must cope with any position.
            let _ = d.render(&text);
        }
    }
    let _ = parse_policy_documents(name, &text);
}

const SEED: &str = "apiVersion: api.cerbos.dev/v1
variables:
  a: V.b
resourcePolicy:
  resource: doc
  version: default
  scope: acme.hr
  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS
  importDerivedRoles: [x]
  constants:
    local: {c: 1, d: [1, 2], e: {f: g}}
  variables:
    local:
      b: C.c + 1
  rules:
    - actions: ['*', view]
      roles: [user]
      derivedRoles: [owner]
      effect: EFFECT_ALLOW
      condition:
        match:
          all:
            of:
              - expr: V.a > 0
              - none: {of: [{expr: 'R.attr.x == \"y\"'}]}
      output:
        when:
          ruleActivated: |-
            \"hello\"
";

fn yaml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("'*'".to_string()),
        Just("EFFECT_ALLOW".to_string()),
        Just("V.a + C.b".to_string()),
        "[a-z_.:*]{0,8}".prop_map(|s| s),
        any::<i64>().prop_map(|i| i.to_string()),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("resourcePolicy"),
                        Just("principalPolicy"),
                        Just("rolePolicy"),
                        Just("derivedRoles"),
                        Just("rules"),
                        Just("actions"),
                        Just("roles"),
                        Just("condition"),
                        Just("match"),
                        Just("expr"),
                        Just("all"),
                        Just("of"),
                        Just("variables"),
                        Just("local"),
                        Just("import"),
                        Just("output"),
                        Just("when"),
                        Just("resource"),
                        Just("version"),
                        Just("scope"),
                        Just("definitions"),
                        Just("parentRoles"),
                        Just("name"),
                        Just("<<"),
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|v| format!(
                "{{{}}}",
                v.into_iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        compile_one("p.yaml", String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn random_yaml_never_panics(body in yaml_value(), kind in 0usize..4) {
        let key = ["resourcePolicy", "principalPolicy", "rolePolicy", "derivedRoles"][kind];
        compile_one("p.yaml", format!("apiVersion: api.cerbos.dev/v1\n{key}: {body}\n"));
        compile_one("p.json", body);
    }

    #[test]
    fn mutated_policies_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..8)
    ) {
        let mut text: Vec<char> = SEED.chars().collect();
        for (at, op, c) in edits {
            if text.is_empty() { break; }
            let i = at.index(text.len());
            match op {
                0 => { text.remove(i); }
                1 => text.insert(i, c),
                _ => text[i] = c,
            }
        }
        compile_one("p.yaml", text.into_iter().collect());
    }
}

#[test]
fn seed_policy_is_valid_apart_from_imports() {
    let r = compile_sources(
        vec![("p.yaml".into(), SEED.into())],
        &CompileOptions::default(),
    );
    let f = r.expect_err("the seed imports a missing derived-roles set");
    assert!(
        f.diagnostics.iter().all(|d| !matches!(
            d.kind,
            portcullis::compiler::DiagnosticKind::Parse(_)
                | portcullis::compiler::DiagnosticKind::Validation
        )),
        "{:?}",
        f.diagnostics
    );
}

#[test]
fn hostile_nesting_and_aliases_are_errors_not_crashes() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    compile_one("deep.yaml", deep);
    let deep_map = "a: {".repeat(10_000);
    compile_one("deep2.yaml", deep_map);
    // Billion laughs.
    let mut lol = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        lol.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let r = compile_sources(vec![("lol.yaml".into(), lol)], &CompileOptions::default());
    assert!(r.is_err());
    let deep_cond = format!(
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: a\n  version: default\n  rules:\n    - actions: [a]\n      roles: [a]\n      effect: EFFECT_ALLOW\n      condition:\n        match: {}{}\n",
        "{all: {of: [".repeat(200),
        "]}}".repeat(200)
    );
    assert!(compile_sources(
        vec![("c.yaml".into(), deep_cond)],
        &CompileOptions::default()
    )
    .is_err());
}
