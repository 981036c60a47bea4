//! Diagnostics a person can act on: positions inside expressions, caret
//! rendering, JSON output, every error of a run reported.
#![cfg(feature = "compiler")]

use portcullis::compiler::{
    compile_sources, diagnostics_to_json, CompileKind, CompileOptions, DiagnosticKind,
};

fn fail(files: &[(&str, &str)]) -> Vec<portcullis::compiler::Diagnostic> {
    let files = files
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    compile_sources(files, &CompileOptions::default())
        .expect_err("should fail")
        .diagnostics
}

const HEAD: &str = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n";

#[test]
fn cel_error_in_block_scalar_points_inside_the_expression() {
    let src = format!(
        "{HEAD}          expr: |-\n            R.attr.a == 1 &&\n              R.attr.b ==\n"
    );
    let d = fail(&[("p.yaml", &src)]);
    let e = d
        .iter()
        .find(|d| d.kind == DiagnosticKind::Compile(CompileKind::InvalidExpression))
        .expect("invalid expression reported");
    assert!(e.line >= 12, "inside the block: {e:?}");
    let field = e.field_position.expect("Cerbos position kept");
    assert_eq!((field.line, field.column), (11, 11));
    let shown = e.render(&src);
    assert!(
        shown.starts_with(&format!("p.yaml:{}:{}: error", e.line, e.column)),
        "{shown}"
    );
    assert!(shown.contains('^'), "{shown}");
}

#[test]
fn cel_error_in_quoted_scalar_has_exact_column() {
    let src = format!("{HEAD}          expr: \"R.attr.a ^^ 1\"\n");
    let d = fail(&[("p.yaml", &src)]);
    let e = d
        .iter()
        .find(|d| d.kind == DiagnosticKind::Compile(CompileKind::InvalidExpression))
        .expect("invalid expression reported");
    // `expr: "` starts at column 11; the expression text at 18; `^` at 27.
    assert_eq!(e.line, 11);
    assert_eq!(e.column, 27, "{e:?}");
}

#[test]
fn all_errors_of_all_layers_are_reported() {
    let bad_field = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: a\n  version: default\n  wat: 1\n";
    let bad_scope = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: b\n  version: default\n  scope: 'a..b'\n";
    let bad_import = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: c\n  version: default\n  importDerivedRoles: [nope]\n  rules:\n    - actions: [x]\n      derivedRoles: [ghost]\n      effect: EFFECT_ALLOW\n";
    let d = fail(&[
        ("a.yaml", bad_field),
        ("b.yaml", bad_scope),
        ("c.yaml", bad_import),
    ]);
    let files: Vec<&str> = d.iter().map(|d| d.file.as_str()).collect();
    assert!(
        files.contains(&"a.yaml") && files.contains(&"b.yaml") && files.contains(&"c.yaml"),
        "{d:?}"
    );
    let json = diagnostics_to_json(&d);
    assert_eq!(json.as_array().map(Vec::len), Some(d.len()));
    assert!(json[0].get("line").is_some() && json[0].get("kind").is_some());
}

#[test]
fn json_policies_with_tabs_and_snake_case_keys() {
    let json = "{\n\t\"apiVersion\": \"api.cerbos.dev/v1\",\n\t\"resource_policy\": {\n\t\t\"resource\": \"doc\",\n\t\t\"version\": \"default\",\n\t\t\"rules\": [{\"actions\": [\"view\"], \"roles\": [\"user\"], \"effect\": \"EFFECT_ALLOW\"}]\n\t}\n}\n";
    let c = compile_sources(
        vec![("p.json".into(), json.into())],
        &CompileOptions::default(),
    )
    .expect("compiles");
    assert_eq!(c.bundle.rows.len(), 1);
}

#[test]
fn require_parental_consent_rewrites_conditional_allows() {
    let src = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n          expr: R.attr.a == 1\n    - actions: [edit]\n      roles: [user]\n      effect: EFFECT_ALLOW\n";
    let c = compile_sources(
        vec![("p.yaml".into(), src.into())],
        &CompileOptions::default(),
    )
    .expect("compiles");
    let rows = &c.bundle.rows;
    assert_eq!(rows[0].effect, portcullis::bundle::Effect::Deny);
    assert!(matches!(
        rows[0].condition,
        Some(portcullis::bundle::Condition::None(_))
    ));
    assert_eq!(rows[1].effect, portcullis::bundle::Effect::Allow);
}

#[test]
fn rendering_shows_line_caret_and_path() {
    let src = format!(
        "{HEAD}          expr: |-\n            R.attr.a == 1 &&\n              R.attr.b ==\n"
    );
    let d = fail(&[("p.yaml", &src)]);
    let shown = d[0].render(&src);
    println!("{shown}");
    assert!(shown.contains("13 |               R.attr.b =="), "{shown}");
    assert!(
        shown.contains("= at $.resourcePolicy.rules[0].condition.match.expr"),
        "{shown}"
    );
}

#[test]
fn expression_errors_are_reported_alongside_field_errors() {
    let src = "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  rules:\n    - actions: [view]\n      roles: [user]\n      effect: EFFECT_ALOW\n    - actions: [edit]\n      roles: [user]\n      effect: EFFECT_ALLOW\n      condition:\n        match:\n          expr: R.attr.status = \"draft\"\n";
    let d = fail(&[("p.yaml", src)]);
    assert!(d.iter().any(|d| d.message.contains("EFFECT_ALOW")), "{d:?}");
    let cel = d
        .iter()
        .find(|d| d.kind == DiagnosticKind::Compile(CompileKind::InvalidExpression))
        .expect("CEL error reported in the same run");
    assert_eq!(cel.line, 14);
}
