//! `portcullis test` behaviour beyond Cerbos's goldens: filters, batching,
//! the `now()` rule, renderers and exit codes, on the example policies.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use portcullis::verify::{self, FilterConfig, TestResult, TestResults, VerifyOptions};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// A scratch policy folder holding the example policies plus `extra` files.
fn scratch(extra: &[(&str, &str)]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "portcullis-verify-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in ["document.yaml", "document_roles.yaml"] {
        std::fs::copy(example_dir().join(name), dir.join(name)).expect("copy policy");
    }
    for (name, content) in extra {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }
    dir
}

/// The document policies with their suite only, so counts do not move when
/// other example policies are added to `policies/`.
fn document_suite() -> PathBuf {
    scratch(&[(
        "tests/document_test.yaml",
        include_str!("../policies/tests/document_test.yaml"),
    )])
}

fn run(dir: &Path, opts: &VerifyOptions) -> TestResults {
    verify::run(dir, opts).unwrap_or_else(|e| panic!("run failed: {e}"))
}

fn action_results(r: &TestResults) -> Vec<(String, TestResult)> {
    let mut out = Vec::new();
    for s in &r.suites {
        for t in &s.test_cases {
            for p in &t.principals {
                for res in &p.resources {
                    for a in &res.actions {
                        out.push((
                            format!("{}/{}/{}/{}", t.name, p.name, res.name, a.name),
                            a.details.result,
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn test_filter_skips_without_counting() {
    let mut filter = FilterConfig::default();
    filter.parse_into("test=Locked*").expect("filter");
    let r = run(
        &document_suite(),
        &VerifyOptions {
            filter,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.summary.overall_result, TestResult::Passed);
    // Only the 3 principals × 3 actions of the locked-document test count.
    assert_eq!(r.summary.tests_count, 9);
    assert_eq!(r.summary.count(TestResult::Skipped), 0);
    let skipped = action_results(&r)
        .into_iter()
        .filter(|(_, res)| *res == TestResult::Skipped)
        .count();
    assert_eq!(skipped, 12);
}

#[test]
fn action_filter_runs_only_matching_actions() {
    let mut filter = FilterConfig::default();
    filter
        .parse_into("action=view;principal=alice,bob")
        .expect("filter");
    let r = run(
        &document_suite(),
        &VerifyOptions {
            filter,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.summary.overall_result, TestResult::Passed);
    // alice and bob × view, in both tests.
    assert_eq!(r.summary.tests_count, 4);
    assert_eq!(r.summary.count(TestResult::Passed), 4);
}

#[test]
fn skip_batching_gives_the_same_results() {
    let batched = run(&document_suite(), &VerifyOptions::default());
    let single = run(
        &document_suite(),
        &VerifyOptions {
            skip_batching: true,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(action_results(&batched), action_results(&single));
    assert_eq!(batched.summary, single.summary);
}

#[test]
fn run_regexp_selects_tests() {
    let r = run(
        &document_suite(),
        &VerifyOptions {
            run: Some("Owner, member".into()),
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.summary.count(TestResult::Passed), 12);
    assert_eq!(r.summary.count(TestResult::Skipped), 9);
    assert!(matches!(
        verify::run(
            &document_suite(),
            &VerifyOptions {
                run: Some("(".into()),
                ..VerifyOptions::default()
            }
        ),
        Err(verify::VerifyError::Run(_))
    ));
}

const FAILING_SUITE: &str = r#"
name: Failing
principals:
  bob: {id: bob, roles: [member], attr: {orgId: acme}}
resources:
  draft: {kind: document, id: d1, attr: {ownerId: alice, orgId: acme, status: draft, locked: false}}
  locked: {kind: document, id: d2, attr: {ownerId: bob, orgId: acme, status: draft, locked: true}}
tests:
  - name: Bob edits a draft
    input: {principals: [bob], resources: [draft], actions: [view, edit]}
    expected:
      - principal: bob
        resource: draft
        actions: {edit: EFFECT_ALLOW}
  - name: Bob deletes his locked document
    input: {principals: [bob], resources: [locked], actions: [delete]}
    expected:
      - principal: bob
        resource: locked
        actions: {delete: EFFECT_ALLOW}
"#;

#[test]
fn failures_are_readable_and_exit_4() {
    let dir = scratch(&[("tests/failing_test.yaml", FAILING_SUITE)]);
    let outcome = verify::run(&dir, &VerifyOptions::default());
    assert_eq!(verify::exit_code(&outcome), verify::EXIT_TEST_FAILURE);
    let r = outcome.expect("ran");
    assert_eq!(r.summary.overall_result, TestResult::Failed);
    let tree = verify::render_tree(&r, false);
    println!("{tree}");
    // view is not listed, so DENY is expected and DENY happens; edit fails.
    assert!(
        tree.contains(
            "bob → draft : edit: expected ALLOW, got DENY (no rule of resource.document.vdefault matched)"
        ),
        "{tree}"
    );
    assert!(
        tree.contains("bob → locked : delete: expected ALLOW, got DENY (decided by resource.document.vdefault#no-delete-when-locked)"),
        "{tree}"
    );
    assert!(tree.contains("1 passed, 2 failed"), "{tree}");
    let json: serde_json::Value = serde_json::from_str(&verify::to_json(&r)).expect("json");
    assert_eq!(json["summary"]["overallResult"], "RESULT_FAILED");
    assert_eq!(
        json["suites"][0]["testCases"][0]["principals"][0]["resources"][0]["actions"][1]["details"]
            ["failure"],
        serde_json::json!({"expected": "EFFECT_ALLOW", "actual": "EFFECT_DENY"})
    );
    let junit = verify::to_junit(&r);
    assert!(junit.contains(r#"classname="bob.draft.edit""#), "{junit}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn now_without_options_errors_the_test() {
    let policy = r#"
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: clock
  version: default
  rules:
    - actions: ["read"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          expr: now() > timestamp("2000-01-01T00:00:00Z")
"#;
    let suite = r#"
name: Clock
principals:
  u: {id: u, roles: [user]}
resources:
  c: {kind: clock, id: c1}
tests:
  - name: no now
    input: {principals: [u], resources: [c], actions: [read]}
    expected: [{principal: u, resource: c, actions: {read: EFFECT_ALLOW}}]
  - name: with now
    options: {now: "2024-01-01T00:00:00Z"}
    input: {principals: [u], resources: [c], actions: [read]}
    expected: [{principal: u, resource: c, actions: {read: EFFECT_ALLOW}}]
"#;
    let dir = scratch(&[("clock.yaml", policy), ("clock_test.yaml", suite)]);
    let r = run(&dir, &VerifyOptions::default());
    assert_eq!(
        action_results(&r),
        vec![
            ("no now/u/c/read".to_string(), TestResult::Errored),
            ("with now/u/c/read".to_string(), TestResult::Passed),
        ]
    );
    assert!(verify::render_tree(&r, false).contains(verify::ERR_USED_DEFAULT_NOW));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compile_failure_exits_3() {
    let dir = scratch(&[(
        "broken.yaml",
        "apiVersion: api.cerbos.dev/v1\nresourcePolicy: {resource: x}\n",
    )]);
    let outcome = verify::run(&dir, &VerifyOptions::default());
    assert!(matches!(outcome, Err(verify::VerifyError::Compile(_))));
    assert_eq!(verify::exit_code(&outcome), verify::EXIT_COMPILE_FAILURE);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schemas_are_enforced_unless_ignored() {
    let policy = r#"
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: note
  version: default
  schemas:
    resourceSchema:
      ref: cerbos:///note.json
  rules:
    - actions: ["read"]
      effect: EFFECT_ALLOW
      roles: ["user"]
"#;
    let schema =
        r#"{"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}"#;
    let suite = r#"
name: Notes
principals:
  u: {id: u, roles: [user]}
resources:
  untitled: {kind: note, id: n1, attr: {}}
tests:
  - name: read an untitled note
    input: {principals: [u], resources: [untitled], actions: [read]}
    expected: [{principal: u, resource: untitled, actions: {read: EFFECT_ALLOW}}]
"#;
    let dir = scratch(&[
        ("note.yaml", policy),
        ("_schemas/note.json", schema),
        ("note_test.yaml", suite),
    ]);
    // `reject` (the default for test runs) denies the invalid resource.
    let strict = run(&dir, &VerifyOptions::default());
    assert_eq!(strict.summary.overall_result, TestResult::Failed);
    let relaxed = run(
        &dir,
        &VerifyOptions {
            ignore_schemas: true,
            ..VerifyOptions::default()
        },
    );
    assert_eq!(relaxed.summary.overall_result, TestResult::Passed);
    let _ = std::fs::remove_dir_all(&dir);
}
