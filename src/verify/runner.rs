//! Running suites: fixture lookup, the principal × resource × action matrix,
//! one check per cell, and comparison against the expectations.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::filter::{TestFilter, SKIP_FILTER_ACTION};
use super::results::{
    Decision, Details, Effect, Failure, Outcome, OutputEntry, OutputFailure, OutputFailureKind,
    Success, SuiteResult, TestResult, TestResults,
};
use super::suite::{
    parse_aux_data_fixtures, parse_principal_fixtures, parse_resource_fixtures, parse_suite,
    AuxData, Expectation, Principal, PrincipalFixtures, Resource, ResourceFixtures, Suite, Test,
    TestOptions, TestTable,
};

/// Error text when a policy called `now()` and the test did not fix the time.
pub const ERR_USED_DEFAULT_NOW: &str =
    "a policy used a time-based condition, but `now` was not provided in the test options";

/// One check as the runner asks it.
pub(crate) struct CheckRequest<'a> {
    pub principal: &'a Principal,
    pub resource: &'a Resource,
    pub actions: &'a [String],
    pub aux_data: Option<&'a AuxData>,
    pub options: Option<&'a TestOptions>,
}

/// The engine's answer for one action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionAnswer {
    pub effect: Effect,
    pub policy: String,
    pub scope: String,
    /// Deciding rule's name (empty when no rule decided).
    pub rule: String,
}

/// The engine's answer for one check.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CheckAnswer {
    pub actions: Vec<(String, ActionAnswer)>,
    pub outputs: Vec<OutputEntry>,
    /// A condition read `now()` (or `timeSince()`) during the check.
    pub used_now: bool,
}

/// Something that answers checks (the engine, or a stand-in in unit tests).
pub(crate) trait Checker {
    fn check(&self, req: &CheckRequest<'_>) -> Result<CheckAnswer, String>;
}

/// Test files as `(relative path, contents)`, `/`-separated.
pub(crate) type Files = BTreeMap<String, String>;

fn is_supported_ext(path: &str) -> Option<usize> {
    let lower = path.to_ascii_lowercase();
    for ext in [".yaml", ".yml", ".json"] {
        if lower.ends_with(ext) {
            return Some(ext.len());
        }
    }
    None
}

/// `*_test.{yaml,yml,json}` (case-insensitive).
pub(crate) fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    // INVARIANT: the matched extension is ASCII, so `name.len() - n` is a
    // character boundary.
    match is_supported_ext(name) {
        Some(n) => {
            name.len() > n
                && name[..name.len() - n]
                    .to_ascii_lowercase()
                    .ends_with("_test")
        }
        None => false,
    }
}

/// Suite files: test files outside any `testdata` directory.
pub(crate) fn discover_suites(files: &Files) -> Vec<String> {
    files
        .keys()
        .filter(|p| {
            let mut parts: Vec<&str> = p.split('/').collect();
            parts.pop();
            !parts.contains(&"testdata") && is_test_file(p)
        })
        .cloned()
        .collect()
}

fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Fixtures of one `testdata` directory.
#[derive(Debug, Default, Clone)]
pub(crate) struct Fixture {
    pub principals: Option<PrincipalFixtures>,
    pub resources: Option<ResourceFixtures>,
    pub aux_data: Option<BTreeMap<String, AuxData>>,
}

/// First `<dir>/<stem>.*` with a supported extension, in lexical order (Go's
/// `fs.Glob` order).
fn find_fixture_file<'a>(
    files: &'a Files,
    dir: &str,
    stem: &str,
) -> Option<(&'a String, &'a String)> {
    let prefix = format!("{}.", join(dir, stem));
    files
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .find(|(k, _)| !k[prefix.len()..].contains('/') && is_supported_ext(k).is_some())
}

fn check_groups(
    groups: &BTreeMap<String, Vec<String>>,
    exists: impl Fn(&str) -> bool,
) -> Result<(), String> {
    for (name, members) in groups {
        for m in members {
            if !exists(m) {
                return Err(format!(
                    "missing fixture {m:?} referenced in group {name:?}"
                ));
            }
        }
    }
    Ok(())
}

fn load_fixture(files: &Files, dir: &str) -> Result<Fixture, String> {
    let mut f = Fixture::default();
    if let Some((_, src)) = find_fixture_file(files, dir, "principals") {
        let p = parse_principal_fixtures(src)
            .map_err(|e| format!("failed to load principals:\n{e}"))?;
        check_groups(&p.groups, |k| p.principals.contains_key(k))
            .map_err(|e| format!("failed to load principals: {e}"))?;
        f.principals = Some(p);
    }
    if let Some((_, src)) = find_fixture_file(files, dir, "resources") {
        let r =
            parse_resource_fixtures(src).map_err(|e| format!("failed to load resources:\n{e}"))?;
        check_groups(&r.groups, |k| r.resources.contains_key(k))
            .map_err(|e| format!("failed to load resources: {e}"))?;
        f.resources = Some(r);
    }
    for stem in ["auxdata", "auxData", "aux_data"] {
        if let Some((_, src)) = find_fixture_file(files, dir, stem) {
            let a = parse_aux_data_fixtures(src)
                .map_err(|e| format!("failed to load aux data:\n{e}"))?;
            f.aux_data = Some(a);
            break;
        }
    }
    Ok(f)
}

/// Options for one run.
pub(crate) struct RunConfig<'a> {
    pub filter: &'a TestFilter,
    pub skip_batching: bool,
}

/// Runs every suite in `files`.
pub(crate) fn run_all(files: &Files, checker: &dyn Checker, cfg: &RunConfig<'_>) -> TestResults {
    let mut results = TestResults::default();
    let mut fixtures: HashMap<String, Result<Option<Fixture>, String>> = HashMap::new();
    for file in discover_suites(files) {
        let Some(src) = files.get(&file) else {
            continue;
        };
        let suite = match parse_suite(src) {
            Ok(s) => s,
            Err(e) => {
                results.push_suite(SuiteResult::errored(
                    &file,
                    "Unknown",
                    "",
                    format!("failed to load test suite:\n{e}"),
                ));
                continue;
            }
        };
        let dir = join(dir_of(&file), "testdata");
        let fixture = fixtures
            .entry(dir.clone())
            .or_insert_with(|| {
                let prefix = format!("{dir}/");
                if files.keys().any(|k| k.starts_with(&prefix)) {
                    load_fixture(files, &dir).map(Some)
                } else {
                    Ok(None)
                }
            })
            .clone();
        let fixture = match fixture {
            Ok(f) => f.unwrap_or_default(),
            Err(e) => {
                results.push_suite(SuiteResult::errored(
                    &file,
                    &suite.name,
                    &suite.description,
                    format!("failed to load test fixtures from {dir}: {e}"),
                ));
                continue;
            }
        };
        results.push_suite(run_suite(&file, &suite, &fixture, checker, cfg));
    }
    results.sort();
    results
}

struct SuiteRun<'a> {
    suite: &'a Suite,
    fixture: &'a Fixture,
}

impl SuiteRun<'_> {
    fn principal(&self, key: &str) -> Result<&Principal, String> {
        self.suite
            .principals
            .get(key)
            .or_else(|| self.fixture.principals.as_ref()?.principals.get(key))
            .ok_or_else(|| format!("principal {key:?} not found"))
    }

    fn resource(&self, key: &str) -> Result<&Resource, String> {
        self.suite
            .resources
            .get(key)
            .or_else(|| self.fixture.resources.as_ref()?.resources.get(key))
            .ok_or_else(|| format!("resource {key:?} not found"))
    }

    fn aux_data(&self, key: &str) -> Result<Option<&AuxData>, String> {
        if key.is_empty() {
            return Ok(None);
        }
        self.suite
            .aux_data
            .get(key)
            .or_else(|| self.fixture.aux_data.as_ref()?.get(key))
            .map(Some)
            .ok_or_else(|| format!("auxData {key:?} not found"))
    }

    fn principal_group(&self, name: &str) -> Result<&[String], String> {
        self.suite
            .principal_groups
            .get(name)
            .or_else(|| self.fixture.principals.as_ref()?.groups.get(name))
            .map(Vec::as_slice)
            .ok_or_else(|| format!("principal group {name:?} not found"))
    }

    fn resource_group(&self, name: &str) -> Result<&[String], String> {
        self.suite
            .resource_groups
            .get(name)
            .or_else(|| self.fixture.resources.as_ref()?.groups.get(name))
            .map(Vec::as_slice)
            // Cerbos reuses the principal wording here.
            .ok_or_else(|| format!("principal group {name:?} not found"))
    }
}

/// Fixture keys named directly plus those of groups, deduplicated, in order.
fn collect<'a>(
    single: &str,
    keys: &[String],
    groups: &[String],
    lookup: impl Fn(&str) -> Result<&'a [String], String>,
) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = if single.is_empty() {
        keys.to_vec()
    } else {
        vec![single.to_string()]
    };
    let mut seen: BTreeSet<String> = out.iter().cloned().collect();
    for g in groups {
        for m in lookup(g)? {
            if seen.insert(m.clone()) {
                out.push(m.clone());
            }
        }
    }
    Ok(out)
}

#[derive(Default, Clone)]
struct Expected {
    actions: BTreeMap<String, Effect>,
    outputs: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

fn merge(
    target: &mut Expected,
    principal: &str,
    resource: &str,
    x: &Expectation,
) -> Result<(), String> {
    for (action, effect) in &x.actions {
        match target.actions.get(action) {
            Some(old) if old != effect => {
                return Err(format!(
                    "found inconsistent expectations for principal {principal:?} performing action {action:?} on resource {resource:?}"
                ))
            }
            Some(_) => {}
            None => {
                target.actions.insert(action.clone(), *effect);
            }
        }
    }
    for oe in &x.outputs {
        let entries = target.outputs.entry(oe.action.clone()).or_default();
        // Within one expectation a later src replaces an earlier one.
        let mut own: BTreeMap<&String, &serde_json::Value> = BTreeMap::new();
        for (src, val) in &oe.expected {
            own.insert(src, val);
        }
        for (src, val) in own {
            match entries.get(src) {
                Some(old) if !values_equal(old, val) => {
                    return Err(format!(
                        "found inconsistent expectations for output {src:?} from principal {principal:?} performing action {:?} on resource {resource:?}",
                        oe.action
                    ))
                }
                Some(_) => {}
                None => {
                    entries.insert(src.clone(), val.clone());
                }
            }
        }
    }
    Ok(())
}

/// Equality with protobuf `Value` semantics: every number is a double.
pub(crate) fn values_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

impl SuiteRun<'_> {
    fn build_tests(&self, table: &TestTable) -> Result<Vec<Test>, String> {
        let input_actions: BTreeSet<&String> = table.input.actions.iter().collect();
        let mut lookup: Vec<((String, String), Expected)> = Vec::new();
        for x in &table.expected {
            let unreachable: Vec<&str> = x
                .outputs
                .iter()
                .filter(|o| !input_actions.contains(&o.action))
                .map(|o| o.action.as_str())
                .collect();
            if !unreachable.is_empty() {
                return Err(format!(
                    "found output expectations for actions that are not in the input actions list: [{}]",
                    unreachable.join(",")
                ));
            }
            let ps = collect(&x.principal, &x.principals, &x.principal_groups, |g| {
                self.principal_group(g)
            })?;
            let rs = collect(&x.resource, &x.resources, &x.resource_groups, |g| {
                self.resource_group(g)
            })?;
            for p in &ps {
                for r in &rs {
                    let mut extra: Vec<&str> = x
                        .actions
                        .iter()
                        .filter(|(a, _)| !input_actions.contains(a))
                        .map(|(a, _)| a.as_str())
                        .collect();
                    if !extra.is_empty() {
                        extra.sort_unstable();
                        return Err(format!(
                            "found expectations for actions that do not exist in the input actions list: [{}]",
                            extra.join(",")
                        ));
                    }
                    let key = (p.clone(), r.clone());
                    let idx = match lookup.iter().position(|(k, _)| *k == key) {
                        Some(i) => i,
                        None => {
                            lookup.push((key, Expected::default()));
                            lookup.len() - 1
                        }
                    };
                    if let Some((_, target)) = lookup.get_mut(idx) {
                        merge(target, p, r, x)?;
                    }
                }
            }
        }

        let principals = collect(
            "",
            &table.input.principals,
            &table.input.principal_groups,
            |g| self.principal_group(g),
        )?;
        let resources = collect(
            "",
            &table.input.resources,
            &table.input.resource_groups,
            |g| self.resource_group(g),
        )?;

        let mut cells = Vec::new();
        for p in &principals {
            for r in &resources {
                let key = (p.clone(), r.clone());
                let expected = match lookup.iter().position(|(k, _)| *k == key) {
                    Some(i) => lookup.remove(i).1,
                    None => Expected {
                        actions: table
                            .input
                            .actions
                            .iter()
                            .map(|a| (a.clone(), Effect::Deny))
                            .collect(),
                        outputs: BTreeMap::new(),
                    },
                };
                cells.push((p.clone(), r.clone(), expected));
            }
        }
        if let Some(((p, r), _)) = lookup.first() {
            return Err(format!(
                "found an expectation for principal {p:?} and resource {r:?}, but at least one of these is not present in input"
            ));
        }

        let options = table.options.clone().or_else(|| self.suite.options.clone());
        let mut tests = Vec::with_capacity(cells.len());
        for (p, r, expected) in cells {
            let principal = self.principal(&p)?.clone();
            let resource = self.resource(&r)?.clone();
            let aux_data = self.aux_data(&table.input.aux_data)?.cloned();
            tests.push(Test {
                table_name: table.name.clone(),
                description: table.description.clone(),
                principal_key: p,
                resource_key: r,
                principal,
                resource,
                actions: table.input.actions.clone(),
                aux_data,
                expected: expected.actions,
                expected_outputs: expected.outputs,
                options: options.clone(),
                skip: table.skip,
                skip_reason: table.skip_reason.clone(),
            });
        }
        Ok(tests)
    }

    fn check_unique_names(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        let mut errs = Vec::new();
        for t in &self.suite.tests {
            if !seen.insert(t.name.as_str()) {
                errs.push(format!("another test named {} already exists", t.name));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("; "))
        }
    }
}

fn run_suite(
    file: &str,
    suite: &Suite,
    fixture: &Fixture,
    checker: &dyn Checker,
    cfg: &RunConfig<'_>,
) -> SuiteResult {
    let mut results = SuiteResult {
        file: file.to_string(),
        name: suite.name.clone(),
        description: suite.description.clone(),
        ..SuiteResult::default()
    };
    let run = SuiteRun { suite, fixture };

    if let Err(e) = check_groups(&suite.principal_groups, |k| run.principal(k).is_ok()) {
        return SuiteResult::errored(
            file,
            &suite.name,
            &suite.description,
            format!("Invalid principal groups in test suite: {e}"),
        );
    }
    if let Err(e) = check_groups(&suite.resource_groups, |k| run.resource(k).is_ok()) {
        return SuiteResult::errored(
            file,
            &suite.name,
            &suite.description,
            format!("Invalid resource groups in test suite: {e}"),
        );
    }
    if suite.skip {
        results.summary.overall_result = TestResult::Skipped;
        results.skip_reason = suite.skip_reason.clone();
        return results;
    }
    if let Err(e) = run.check_unique_names() {
        return SuiteResult::errored(
            file,
            &suite.name,
            &suite.description,
            format!("Invalid test suite: {e}"),
        );
    }
    let mut tests = Vec::new();
    for table in &suite.tests {
        match run.build_tests(table) {
            Ok(t) => tests.extend(t),
            Err(e) => {
                return SuiteResult::errored(
                    file,
                    &suite.name,
                    &suite.description,
                    format!(
                        "Failed to load the test suite: invalid test {:?}: {e}",
                        table.name
                    ),
                )
            }
        }
    }

    for test in &tests {
        let add = |results: &mut SuiteResult, action: &str, details: Details| {
            results.add_result(
                &test.table_name,
                &test.principal_key,
                &test.resource_key,
                action,
                details,
            )
        };
        if let Some(reason) = cfg.filter.skip_reason(&suite.name, test) {
            for action in &test.actions {
                add(&mut results, action, skipped(reason.clone()));
            }
            continue;
        }
        let (actions, skipped_actions) = cfg.filter.partition_actions(&test.actions);
        if cfg.skip_batching {
            for action in &actions {
                let one = std::slice::from_ref(action);
                for (a, d) in run_test(checker, test, one) {
                    add(&mut results, &a, d);
                }
            }
        } else {
            for (a, d) in run_test(checker, test, &actions) {
                add(&mut results, &a, d);
            }
        }
        for action in &skipped_actions {
            add(
                &mut results,
                action,
                skipped(SKIP_FILTER_ACTION.to_string()),
            );
        }
    }
    results
}

fn skipped(reason: String) -> Details {
    Details {
        result: TestResult::Skipped,
        outcome: Outcome::SkipReason(reason),
        decision: None,
    }
}

fn errored(message: String) -> Details {
    Details {
        result: TestResult::Errored,
        outcome: Outcome::Error(message),
        decision: None,
    }
}

/// Checks one cell and compares every action with its expectation.
fn run_test(checker: &dyn Checker, test: &Test, actions: &[String]) -> Vec<(String, Details)> {
    let req = CheckRequest {
        principal: &test.principal,
        resource: &test.resource,
        actions,
        aux_data: test.aux_data.as_ref(),
        options: test.options.as_ref(),
    };
    let answer = checker.check(&req).and_then(|a| {
        let now_given = test.options.as_ref().is_some_and(|o| o.now.is_some());
        if a.used_now && !now_given {
            Err(ERR_USED_DEFAULT_NOW.to_string())
        } else {
            Ok(a)
        }
    });
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            return actions
                .iter()
                .map(|a| (a.clone(), errored(e.clone())))
                .collect()
        }
    };

    let mut out = Vec::with_capacity(actions.len());
    for action in actions {
        let outputs: Vec<OutputEntry> = answer
            .outputs
            .iter()
            .filter(|o| &o.action == action)
            .cloned()
            .collect();
        let Some((_, actual)) = answer.actions.iter().find(|(a, _)| a == action) else {
            out.push((
                action.clone(),
                errored(format!("no result for action {action:?}")),
            ));
            continue;
        };
        let decision = Some(Decision {
            policy: actual.policy.clone(),
            scope: actual.scope.clone(),
            rule: actual.rule.clone(),
        });
        let expected = match test.expected.get(action) {
            Some(Effect::Unspecified) | None => Effect::Deny,
            Some(e) => *e,
        };
        if expected != actual.effect {
            out.push((
                action.clone(),
                Details {
                    result: TestResult::Failed,
                    outcome: Outcome::Failure(Failure {
                        expected,
                        actual: actual.effect,
                        outputs: Vec::new(),
                    }),
                    decision,
                },
            ));
            continue;
        }
        if let Some(want) = test.expected_outputs.get(action) {
            // Last entry per src wins, as in a map.
            let by_src: BTreeMap<&str, &OutputEntry> =
                outputs.iter().map(|o| (o.src.as_str(), o)).collect();
            let mut failures = Vec::new();
            for (src, val) in want {
                let kind = match by_src.get(src.as_str()) {
                    None => Some(OutputFailureKind::Missing {
                        expected: val.clone(),
                    }),
                    Some(o) if !o.error.is_empty() => Some(OutputFailureKind::Errored {
                        expected: val.clone(),
                        error: o.error.clone(),
                    }),
                    Some(o) => {
                        let got = o.val.clone().unwrap_or(serde_json::Value::Null);
                        if values_equal(val, &got) {
                            None
                        } else {
                            Some(OutputFailureKind::Mismatched {
                                expected: val.clone(),
                                actual: got,
                            })
                        }
                    }
                };
                if let Some(kind) = kind {
                    failures.push(OutputFailure {
                        src: src.clone(),
                        kind,
                    });
                }
            }
            if !failures.is_empty() {
                out.push((
                    action.clone(),
                    Details {
                        result: TestResult::Failed,
                        outcome: Outcome::Failure(Failure {
                            expected,
                            actual: actual.effect,
                            outputs: failures,
                        }),
                        decision,
                    },
                ));
                continue;
            }
        }
        out.push((
            action.clone(),
            Details {
                result: TestResult::Passed,
                outcome: Outcome::Success(Success {
                    effect: actual.effect,
                    outputs,
                }),
                decision,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests_support {
    pub(crate) fn run_fake() -> super::TestResults {
        super::tests::run(&[("a_test.yaml", super::tests::SUITE)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support as support;
    use crate::verify::filter::TestFilter;
    use crate::verify::txtar;

    /// Answers every action with ALLOW from a fixed policy, and reports
    /// `now()` use for one resource kind.
    struct Fake;

    impl Checker for Fake {
        fn check(&self, req: &CheckRequest<'_>) -> Result<CheckAnswer, String> {
            Ok(CheckAnswer {
                actions: req
                    .actions
                    .iter()
                    .map(|a| {
                        (
                            a.clone(),
                            ActionAnswer {
                                effect: if a == "deny" {
                                    Effect::Deny
                                } else {
                                    Effect::Allow
                                },
                                policy: format!("resource.{}.vdefault", req.resource.kind),
                                scope: String::new(),
                                rule: "r1".into(),
                            },
                        )
                    })
                    .collect(),
                outputs: vec![OutputEntry {
                    src: "resource.x.vdefault#r1".into(),
                    val: Some(serde_json::json!({"n": 1})),
                    action: "view".into(),
                    error: String::new(),
                }],
                used_now: req.resource.kind == "timed",
            })
        }
    }

    pub(super) fn run(files: &[(&str, &str)]) -> TestResults {
        let files: Files = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let filter = TestFilter::default();
        run_all(
            &files,
            &Fake,
            &RunConfig {
                filter: &filter,
                skip_batching: false,
            },
        )
    }

    pub(super) const SUITE: &str = r#"
name: S
principals:
  alice: {id: alice, roles: [user]}
resources:
  doc: {id: d1, kind: doc}
  clock: {id: c1, kind: timed}
principalGroups:
  everyone: {principals: [alice]}
tests:
  - name: matrix
    input:
      principalGroups: [everyone]
      resources: [doc]
      actions: [view, edit, deny]
    expected:
      - principal: alice
        resource: doc
        actions: {view: EFFECT_ALLOW}
        outputs:
          - action: view
            expected:
              - {src: "resource.x.vdefault#r1", val: {n: 1.0}}
  - name: time
    input: {principals: [alice], resources: [clock], actions: [view]}
    expected:
      - {principal: alice, resource: clock, actions: {view: EFFECT_ALLOW}}
  - name: time with now
    options: {now: "2024-01-01T00:00:00Z"}
    input: {principals: [alice], resources: [clock], actions: [view]}
    expected:
      - {principal: alice, resource: clock, actions: {view: EFFECT_ALLOW}}
"#;

    #[test]
    fn matrix_implicit_deny_outputs_and_now() {
        let r = run(&[("a_test.yaml", SUITE)]);
        let s = &r.suites[0];
        assert_eq!(s.error, "");
        let acts: Vec<(String, TestResult)> = s
            .test_cases
            .iter()
            .flat_map(|t| {
                t.principals.iter().flat_map(move |p| {
                    p.resources.iter().flat_map(move |r| {
                        r.actions
                            .iter()
                            .map(move |a| (format!("{}/{}", t.name, a.name), a.details.result))
                    })
                })
            })
            .collect();
        assert_eq!(
            acts,
            vec![
                ("matrix/view".to_string(), TestResult::Passed),
                // edit is not listed: DENY expected, fake says ALLOW.
                ("matrix/edit".to_string(), TestResult::Failed),
                ("matrix/deny".to_string(), TestResult::Passed),
                ("time/view".to_string(), TestResult::Errored),
                ("time with now/view".to_string(), TestResult::Passed),
            ]
        );
        assert_eq!(s.summary.tests_count, 5);
        assert_eq!(s.summary.overall_result, TestResult::Errored);
        let errored = &s.test_cases[1].principals[0].resources[0].actions[0].details;
        assert_eq!(errored.outcome, Outcome::Error(ERR_USED_DEFAULT_NOW.into()));
    }

    #[test]
    fn inconsistent_expectations_error_the_suite() {
        let bad = SUITE.replace(
            "        actions: {view: EFFECT_ALLOW}\n        outputs:",
            "        actions: {view: EFFECT_ALLOW}\n      - principal: alice\n        resource: doc\n        actions: {view: EFFECT_DENY}\n        outputs:",
        );
        let r = run(&[("a_test.yaml", &bad)]);
        assert_eq!(
            r.suites[0].error,
            "Failed to load the test suite: invalid test \"matrix\": found inconsistent expectations for principal \"alice\" performing action \"view\" on resource \"doc\""
        );
    }

    fn get_tests_fixture() -> Fixture {
        let p = |id: &str| Principal {
            id: id.into(),
            roles: vec!["user".into()],
            ..Principal::default()
        };
        let r = |id: &str| Resource {
            kind: "leave_request".into(),
            id: id.into(),
            ..Resource::default()
        };
        let mut pf = PrincipalFixtures::default();
        for id in ["employee", "manager", "department_head"] {
            pf.principals.insert(id.into(), p(id));
        }
        pf.groups.insert(
            "management".into(),
            vec!["manager".into(), "department_head".into()],
        );
        let mut rf = ResourceFixtures::default();
        for id in ["employee", "manager", "department_head"] {
            rf.resources.insert(format!("{id}_leave_request"), r(id));
        }
        rf.groups.insert(
            "management_leave_requests".into(),
            vec![
                "manager_leave_request".into(),
                "department_head_leave_request".into(),
            ],
        );
        let mut aux = BTreeMap::new();
        let mut jwt = serde_json::Map::new();
        jwt.insert("answer".into(), serde_json::json!(42));
        aux.insert(
            "test_aux_data".to_string(),
            AuxData {
                jwt,
                jwts: BTreeMap::new(),
            },
        );
        Fixture {
            principals: Some(pf),
            resources: Some(rf),
            aux_data: Some(aux),
        }
    }

    /// A built test in the shape of Cerbos's `policy.v1.Test` JSON.
    fn test_json(t: &Test) -> serde_json::Value {
        use serde_json::json;
        let mut principal = json!({"id": t.principal.id, "roles": t.principal.roles});
        if !t.principal.attr.is_empty() {
            principal["attr"] = serde_json::Value::Object(t.principal.attr.clone());
        }
        let resource = json!({"kind": t.resource.kind, "id": t.resource.id});
        let mut input = json!({"principal": principal, "resource": resource, "actions": t.actions});
        if let Some(a) = &t.aux_data {
            input["auxData"] = json!({"jwt": a.jwt});
        }
        let mut out = json!({
            "name": {"testTableName": t.table_name, "principalKey": t.principal_key, "resourceKey": t.resource_key},
            "input": input,
            "expected": t.expected.iter().map(|(k, v)| (k.clone(), json!(v.as_str()))).collect::<serde_json::Map<_, _>>(),
        });
        if !t.description.is_empty() {
            out["description"] = json!(t.description);
        }
        if !t.expected_outputs.is_empty() {
            out["expectedOutputs"] = t
                .expected_outputs
                .iter()
                .map(|(k, v)| (k.clone(), json!({"entries": v})))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        out
    }

    /// `verify/test_suite_run_get_tests`: matrix expansion and its errors.
    #[test]
    fn get_tests_cases() {
        let Some(dir) = support::shared_dir("conformance/cerbos/verify/test_suite_run_get_tests")
        else {
            return;
        };
        let fixture = get_tests_fixture();
        let (mut passed, mut failed) = (0, Vec::new());
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let src = std::fs::read_to_string(&path).unwrap();
            let doc = crate::compiler::yaml::parse_documents(&src)
                .unwrap()
                .remove(0);
            let crate::compiler::yaml::Value::Map(entries) = &doc.value else {
                panic!("{name}")
            };
            let get = |k: &str| entries.iter().find(|e| e.key == k).map(|e| &e.value);
            let table = crate::verify::suite::parse_test_table(get("table").unwrap()).unwrap();
            let suite = Suite {
                tests: vec![table.clone()],
                ..Suite::default()
            };
            let run = SuiteRun {
                suite: &suite,
                fixture: &fixture,
            };
            let got = run
                .build_tests(&table)
                .map_err(|e| format!("invalid test {:?}: {e}", table.name));
            let ok = match (got, get("wantErr")) {
                (Err(e), Some(want)) => want.to_json() == serde_json::json!(e),
                (Ok(tests), None) => {
                    let want = get("wantTests").map(|w| w.to_json()).unwrap_or_default();
                    let have = serde_json::Value::Array(tests.iter().map(test_json).collect());
                    values_equal(&want, &have)
                }
                _ => false,
            };
            if ok {
                passed += 1;
            } else {
                failed.push(name);
            }
        }
        eprintln!(
            "verify/test_suite_run_get_tests: {passed} passed, {} failed",
            failed.len()
        );
        assert!(failed.is_empty(), "failed: {failed:?}");
        assert_eq!(passed, 11);
    }

    /// The verify cases whose golden results need no policy decisions
    /// (suite-level errors and skips) must match exactly even without an engine.
    #[test]
    fn suite_level_errors_match_cerbos() {
        let Some(dir) = support::shared_dir("conformance/cerbos/verify/cases") else {
            return;
        };
        let mut checked = 0;
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        for path in names {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".yaml.golden") {
                continue;
            }
            let golden: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let suites = golden["suites"].as_array().cloned().unwrap_or_default();
            if suites.iter().any(|s| s.get("testCases").is_some()) {
                continue;
            }
            let input = std::fs::read_to_string(path.with_extension("input")).unwrap();
            let archive = txtar::parse(&input);
            let files: Files = archive.files.into_iter().collect();
            let filter = TestFilter::default();
            let got = run_all(
                &files,
                &Fake,
                &RunConfig {
                    filter: &filter,
                    skip_batching: false,
                },
            );
            let got = serde_json::to_value(&got).unwrap();
            assert_eq!(got, golden, "{name}");
            checked += 1;
        }
        eprintln!("suite-level verify cases matched: {checked}");
        assert!(checked >= 15);
    }
}

#[cfg(test)]
mod render_tests {
    use super::tests_support::*;

    #[test]
    fn tree_names_the_failure() {
        let r = run_fake();
        let tree = crate::verify::render_tree(&r, false);
        println!("{tree}");
        assert!(tree.contains(
            "alice → doc : edit: expected DENY, got ALLOW (decided by resource.doc.vdefault#r1)"
        ));
        assert!(tree.contains(crate::verify::ERR_USED_DEFAULT_NOW));
        let junit = crate::verify::to_junit(&r);
        // As in Cerbos, a suite whose overall result is ERRORED is reported
        // as a suite-level error without its test cases.
        assert!(junit.contains(r#"<error type="RESULT_ERRORED"></error>"#));
        let json = crate::verify::to_json(&r);
        assert!(json.contains("\"overallResult\": \"RESULT_ERRORED\""));
    }
}
