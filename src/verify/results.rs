//! Test results, shaped like Cerbos's `cerbos.policy.v1.TestResults` so that
//! `--format json` output can be consumed by tools written for Cerbos.
//!
//! Field order and names follow the protobuf JSON mapping (`protojson`):
//! camelCase names, default values omitted, enums as their names.

use serde::Serialize;

/// Skip reason: `--run` did not match.
pub const SKIP_NAME: &str = "Test name did not match the provided pattern";
/// Skip reason: the resource's policy is excluded.
pub const SKIP_RESOURCE: &str = "Resource matched a policy that was excluded from the bundle";
/// Skip reason: the principal's policy is excluded.
pub const SKIP_PRINCIPAL: &str = "Principal matched a policy that was excluded from the bundle";
/// Skip reason: suite filter.
pub const SKIP_FILTER_SUITE: &str = "Suite did not match the test filter";
/// Skip reason: test filter.
pub const SKIP_FILTER_TEST: &str = "Test did not match the test filter";
/// Skip reason: principal filter.
pub const SKIP_FILTER_PRINCIPAL: &str = "Principal did not match the test filter";
/// Skip reason: resource filter.
pub const SKIP_FILTER_RESOURCE: &str = "Resource did not match the test filter";
/// Skip reason: action filter.
pub const SKIP_FILTER_ACTION: &str = "No actions matched the test filter";

/// Outcome class of one action check, a suite or a whole run. The order is
/// significant: an aggregate's result is the maximum of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub enum TestResult {
    /// Nothing ran (the empty run).
    #[default]
    #[serde(rename = "RESULT_UNSPECIFIED")]
    Unspecified,
    /// Skipped by `skip`, a filter or an excluded policy.
    #[serde(rename = "RESULT_SKIPPED")]
    Skipped,
    /// The expectation held.
    #[serde(rename = "RESULT_PASSED")]
    Passed,
    /// The engine answered differently than expected.
    #[serde(rename = "RESULT_FAILED")]
    Failed,
    /// The check could not be run or the suite could not be loaded.
    #[serde(rename = "RESULT_ERRORED")]
    Errored,
}

impl TestResult {
    /// `true` for the protobuf default, which JSON output omits.
    pub fn is_unspecified(&self) -> bool {
        *self == TestResult::Unspecified
    }

    /// The protobuf enum name (`RESULT_PASSED`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            TestResult::Unspecified => "RESULT_UNSPECIFIED",
            TestResult::Skipped => "RESULT_SKIPPED",
            TestResult::Passed => "RESULT_PASSED",
            TestResult::Failed => "RESULT_FAILED",
            TestResult::Errored => "RESULT_ERRORED",
        }
    }
}

/// An action's effect as tests state and observe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Effect {
    /// No effect (protobuf default).
    #[default]
    #[serde(rename = "EFFECT_UNSPECIFIED")]
    Unspecified,
    /// `EFFECT_ALLOW`
    #[serde(rename = "EFFECT_ALLOW")]
    Allow,
    /// `EFFECT_DENY`
    #[serde(rename = "EFFECT_DENY")]
    Deny,
    /// `EFFECT_NO_MATCH`
    #[serde(rename = "EFFECT_NO_MATCH")]
    NoMatch,
}

impl Effect {
    /// The protobuf enum name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Effect::Unspecified => "EFFECT_UNSPECIFIED",
            Effect::Allow => "EFFECT_ALLOW",
            Effect::Deny => "EFFECT_DENY",
            Effect::NoMatch => "EFFECT_NO_MATCH",
        }
    }

    /// Parses a protobuf enum name.
    pub fn from_name(name: &str) -> Option<Effect> {
        match name {
            "EFFECT_UNSPECIFIED" => Some(Effect::Unspecified),
            "EFFECT_ALLOW" => Some(Effect::Allow),
            "EFFECT_DENY" => Some(Effect::Deny),
            "EFFECT_NO_MATCH" => Some(Effect::NoMatch),
            _ => None,
        }
    }

    /// `true` for the protobuf default, which JSON output omits.
    pub fn is_unspecified(&self) -> bool {
        *self == Effect::Unspecified
    }
}

/// How many actions ended with one result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// The result.
    pub result: TestResult,
    /// How many.
    #[serde(skip_serializing_if = "is_zero")]
    pub count: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Counts for a suite or the whole run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The worst result seen.
    #[serde(skip_serializing_if = "TestResult::is_unspecified")]
    pub overall_result: TestResult,
    /// Number of action checks counted (filter skips are not counted).
    #[serde(skip_serializing_if = "is_zero")]
    pub tests_count: u32,
    /// Per-result counts, in result order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub result_counts: Vec<Tally>,
}

impl Summary {
    /// Adds `delta` to the tally of `result`, keeping tallies sorted.
    pub fn add_tally(&mut self, result: TestResult, delta: u32) {
        if let Some(t) = self.result_counts.iter_mut().find(|t| t.result == result) {
            t.count = t.count.saturating_add(delta);
            return;
        }
        self.result_counts.push(Tally {
            result,
            count: delta,
        });
        self.result_counts.sort_by_key(|t| t.result);
    }

    /// Count of one result.
    pub fn count(&self, result: TestResult) -> u32 {
        self.result_counts
            .iter()
            .find(|t| t.result == result)
            .map_or(0, |t| t.count)
    }
}

/// One output entry produced by a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputEntry {
    /// Rule that produced it (`resource.kind.vdefault#rule-001`).
    pub src: String,
    /// The value, absent when evaluation failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val: Option<serde_json::Value>,
    /// Action being evaluated.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub action: String,
    /// Evaluation error, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// Why an expected output did not match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OutputFailureKind {
    /// Produced, but with another value.
    Mismatched {
        /// Wanted.
        expected: serde_json::Value,
        /// Got.
        actual: serde_json::Value,
    },
    /// Not produced at all.
    Missing {
        /// Wanted.
        expected: serde_json::Value,
    },
    /// Its expression failed to evaluate.
    Errored {
        /// Wanted.
        expected: serde_json::Value,
        /// The evaluation error.
        error: String,
    },
}

/// An unmet output expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFailure {
    /// Output source key.
    pub src: String,
    /// What went wrong.
    #[serde(flatten)]
    pub kind: OutputFailureKind,
}

/// A passed check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Success {
    /// The effect (as expected).
    pub effect: Effect,
    /// Outputs produced for this action.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputEntry>,
}

/// A failed check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// Expected effect.
    pub expected: Effect,
    /// Actual effect.
    pub actual: Effect,
    /// Unmet output expectations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputFailure>,
}

/// What happened to one action check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Expected effect differs, or outputs do not match.
    Failure(Failure),
    /// The check could not be performed.
    Error(String),
    /// The expectation held.
    Success(Success),
    /// Not run, with the reason.
    SkipReason(String),
}

/// Which policy decided an action (not part of Cerbos's JSON; shown in the
/// tree so that a failure says where to look).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// Policy key reported by the engine (`resource.leave_request.v20210210`).
    pub policy: String,
    /// Scope where the decision was made.
    pub scope: String,
    /// Name of the deciding rule, when the engine reports one.
    pub rule: String,
}

/// Result of one action check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    /// The result.
    pub result: TestResult,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Which policy decided (present when the engine answered).
    #[serde(skip)]
    pub decision: Option<Decision>,
}

/// An action within a resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    /// Action name.
    pub name: String,
    /// What happened.
    pub details: Details,
}

/// A resource fixture within a principal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceResult {
    /// Resource fixture key.
    pub name: String,
    /// Actions, in input order.
    pub actions: Vec<ActionResult>,
}

/// A principal fixture within a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalResult {
    /// Principal fixture key.
    pub name: String,
    /// Resources, in input order.
    pub resources: Vec<ResourceResult>,
}

/// One test table of a suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCaseResult {
    /// Test name.
    pub name: String,
    /// Principals, in input order.
    pub principals: Vec<PrincipalResult>,
}

/// Results of one suite file.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuiteResult {
    /// Suite file, relative to the tests root, `/`-separated.
    pub file: String,
    /// Suite name (`Unknown` when the file could not be read).
    pub name: String,
    /// Counts.
    pub summary: Summary,
    /// Why the suite could not run.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// Tests, in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test_cases: Vec<TestCaseResult>,
    /// Suite description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Why the whole suite was skipped.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub skip_reason: String,
}

/// Skip reasons that come from `--test-filter`; such skips are not counted.
pub(crate) fn is_filter_skip_reason(reason: &str) -> bool {
    matches!(
        reason,
        SKIP_FILTER_SUITE
            | SKIP_FILTER_TEST
            | SKIP_FILTER_PRINCIPAL
            | SKIP_FILTER_RESOURCE
            | SKIP_FILTER_ACTION
    )
}

impl SuiteResult {
    /// Records one action result under test / principal / resource, creating
    /// the intermediate nodes in first-seen order, and updates the counts.
    pub fn add_result(
        &mut self,
        test: &str,
        principal: &str,
        resource: &str,
        action: &str,
        details: Details,
    ) {
        let counted = match &details.outcome {
            Outcome::SkipReason(r) => !is_filter_skip_reason(r),
            _ => true,
        };
        if counted {
            self.summary.tests_count = self.summary.tests_count.saturating_add(1);
            self.summary.add_tally(details.result, 1);
        }
        if details.result > self.summary.overall_result {
            self.summary.overall_result = details.result;
        }

        let tc = find_or_push(
            &mut self.test_cases,
            |t| t.name == test,
            || TestCaseResult {
                name: test.to_string(),
                principals: Vec::new(),
            },
        );
        let p = find_or_push(
            &mut tc.principals,
            |p| p.name == principal,
            || PrincipalResult {
                name: principal.to_string(),
                resources: Vec::new(),
            },
        );
        let r = find_or_push(
            &mut p.resources,
            |r| r.name == resource,
            || ResourceResult {
                name: resource.to_string(),
                actions: Vec::new(),
            },
        );
        match r.actions.iter_mut().find(|a| a.name == action) {
            Some(a) => a.details = details,
            None => r.actions.push(ActionResult {
                name: action.to_string(),
                details,
            }),
        }
    }

    /// A suite that could not run.
    pub fn errored(file: &str, name: &str, description: &str, error: String) -> SuiteResult {
        SuiteResult {
            file: file.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            summary: Summary {
                overall_result: TestResult::Errored,
                ..Summary::default()
            },
            error,
            ..SuiteResult::default()
        }
    }
}

/// The first element matching `pred`, or a new one appended (first-seen
/// order is the report order).
fn find_or_push<T>(
    items: &mut Vec<T>,
    pred: impl Fn(&T) -> bool,
    make: impl FnOnce() -> T,
) -> &mut T {
    let idx = match items.iter().position(pred) {
        Some(i) => i,
        None => {
            items.push(make());
            items.len() - 1
        }
    };
    // INVARIANT: `idx` is a position found in, or just pushed onto, `items`.
    &mut items[idx]
}

/// Results of a whole run.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestResults {
    /// Suites, sorted by file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suites: Vec<SuiteResult>,
    /// Totals.
    pub summary: Summary,
}

impl TestResults {
    /// Adds a suite's results and folds its counts into the totals.
    pub fn push_suite(&mut self, suite: SuiteResult) {
        self.summary.tests_count = self
            .summary
            .tests_count
            .saturating_add(suite.summary.tests_count);
        for t in &suite.summary.result_counts {
            self.summary.add_tally(t.result, t.count);
        }
        if suite.summary.overall_result > self.summary.overall_result {
            self.summary.overall_result = suite.summary.overall_result;
        }
        self.suites.push(suite);
    }

    /// Sorts suites by file name, as Cerbos reports them.
    pub fn sort(&mut self) {
        self.suites.sort_by(|a, b| a.file.cmp(&b.file));
    }

    /// `true` when nothing failed or errored.
    pub fn is_success(&self) -> bool {
        self.summary.overall_result < TestResult::Failed
    }
}
