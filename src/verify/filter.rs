//! Test selection: `--test-filter` globs, the legacy `--run` regexp and
//! policies excluded from the bundle.

use std::collections::BTreeSet;

use super::suite::{Test, TestOptions};
use super::VerifyError;
use crate::engine::names;

pub use super::results::{
    SKIP_FILTER_ACTION, SKIP_FILTER_PRINCIPAL, SKIP_FILTER_RESOURCE, SKIP_FILTER_SUITE,
    SKIP_FILTER_TEST, SKIP_NAME, SKIP_PRINCIPAL, SKIP_RESOURCE,
};

/// Globs per dimension, parsed from `--test-filter` values
/// (`suite=g1,g2;test=g;principal=g;resource=g;action=g`). A dimension with
/// no globs matches everything; a test runs when every dimension matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterConfig {
    /// Suite name globs.
    pub suite: Vec<String>,
    /// Test name globs.
    pub test: Vec<String>,
    /// Principal fixture key globs.
    pub principal: Vec<String>,
    /// Resource fixture key globs.
    pub resource: Vec<String>,
    /// Action globs.
    pub action: Vec<String>,
}

impl FilterConfig {
    /// `true` when no dimension has a glob.
    pub fn is_empty(&self) -> bool {
        self.suite.is_empty()
            && self.test.is_empty()
            && self.principal.is_empty()
            && self.resource.is_empty()
            && self.action.is_empty()
    }

    /// Parses one `--test-filter` value and adds its globs (the flag may be
    /// given several times; all of them are merged).
    pub fn parse_into(&mut self, spec: &str) -> Result<(), VerifyError> {
        let spec = spec.trim();
        let mut added = FilterConfig::default();
        for dimension in spec.split(';') {
            let dimension = dimension.trim();
            if dimension.is_empty() {
                continue;
            }
            let Some((name, globs)) = dimension.split_once('=') else {
                return Err(VerifyError::Filter(format!(
                    "invalid filter dimension format {dimension:?}: expected 'dimension=glob1,glob2'"
                )));
            };
            let globs: Vec<String> = globs
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect();
            let target = match name.trim().to_ascii_lowercase().as_str() {
                "suite" => &mut added.suite,
                "test" => &mut added.test,
                "principal" => &mut added.principal,
                "resource" => &mut added.resource,
                "action" => &mut added.action,
                _ => {
                    return Err(VerifyError::Filter(format!(
                        "unknown filter dimension {name:?}: valid dimensions are suite, test, principal, resource, action"
                    )))
                }
            };
            target.extend(globs);
        }
        if added.is_empty() {
            return Err(VerifyError::Filter(
                "filter must contain at least one glob pattern in at least one dimension".into(),
            ));
        }
        self.suite.extend(added.suite);
        self.test.extend(added.test);
        self.principal.extend(added.principal);
        self.resource.extend(added.resource);
        self.action.extend(added.action);
        Ok(())
    }
}

/// Everything that can make a test skip before it runs.
#[derive(Debug, Default)]
pub(crate) struct TestFilter {
    pub excluded_resource_policies: BTreeSet<String>,
    pub excluded_principal_policies: BTreeSet<String>,
    pub run: Option<regex_lite::Regex>,
    pub filter: FilterConfig,
}

fn any_glob(globs: &[String], value: &str) -> bool {
    globs.is_empty() || globs.iter().any(|g| glob_matches(g, value))
}

impl TestFilter {
    /// Returns the skip reason for a test, or `None` when it should run.
    /// The order of the checks is Cerbos's: a test that is both excluded and
    /// marked `skip` reports the exclusion.
    pub fn skip_reason(&self, suite_name: &str, test: &Test) -> Option<String> {
        if let Some(re) = &self.run {
            // Cerbos matches the regexp against "<suite>/<Test.TestName proto text>".
            let name = format!(
                "{suite_name}/test_table_name:{:?} principal_key:{:?} resource_key:{:?}",
                test.table_name, test.principal_key, test.resource_key
            );
            if !re.is_match(&name) {
                return Some(SKIP_NAME.into());
            }
        }
        if !self.excluded_resource_policies.is_empty() {
            let r = &test.resource;
            let fqn = format!(
                "cerbos.{}",
                names::resource_policy_key(
                    &r.kind,
                    &version_of(&r.policy_version, &test.options),
                    &scope_of(&r.scope, &test.options),
                )
            );
            if self.excluded_resource_policies.contains(&fqn) {
                return Some(SKIP_RESOURCE.into());
            }
        }
        if !self.excluded_principal_policies.is_empty() {
            let p = &test.principal;
            let fqn = format!(
                "cerbos.{}",
                names::principal_policy_key(
                    &p.id,
                    &version_of(&p.policy_version, &test.options),
                    &scope_of(&p.scope, &test.options),
                )
            );
            if self.excluded_principal_policies.contains(&fqn) {
                return Some(SKIP_PRINCIPAL.into());
            }
        }
        if !any_glob(&self.filter.suite, suite_name) {
            return Some(SKIP_FILTER_SUITE.into());
        }
        if !any_glob(&self.filter.test, &test.table_name) {
            return Some(SKIP_FILTER_TEST.into());
        }
        if !any_glob(&self.filter.principal, &test.principal_key) {
            return Some(SKIP_FILTER_PRINCIPAL.into());
        }
        if !any_glob(&self.filter.resource, &test.resource_key) {
            return Some(SKIP_FILTER_RESOURCE.into());
        }
        if self.partition_actions(&test.actions).0.is_empty() {
            return Some(SKIP_FILTER_ACTION.into());
        }
        if test.skip {
            return Some(test.skip_reason.clone());
        }
        None
    }

    /// Splits actions into those the action filter selects and the rest.
    pub fn partition_actions(&self, actions: &[String]) -> (Vec<String>, Vec<String>) {
        if self.filter.action.is_empty() {
            return (actions.to_vec(), Vec::new());
        }
        actions
            .iter()
            .cloned()
            .partition(|a| any_glob(&self.filter.action, a))
    }
}

fn version_of(version: &str, options: &Option<TestOptions>) -> String {
    if !version.is_empty() {
        return version.to_string();
    }
    match options {
        Some(o) if !o.default_policy_version.is_empty() => o.default_policy_version.clone(),
        _ => "default".to_string(),
    }
}

fn scope_of(scope: &str, options: &Option<TestOptions>) -> String {
    let scope = names::scope_value(scope);
    if !scope.is_empty() {
        return scope.to_string();
    }
    match options {
        Some(o) if !o.default_scope.is_empty() => o.default_scope.clone(),
        _ => String::new(),
    }
}

/// Cerbos glob matching (gobwas/glob with `:` as separator): `*` matches a run
/// of characters without `:`, `**` (or a pattern that is just `*`) matches
/// anything, `?` one non-separator character.
pub(crate) fn glob_matches(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // Iterative DP keeps hostile patterns from blowing the stack.
    // dp[j] = pattern prefix p[..i] matches value prefix v[..j].
    // INVARIANT: `dp` and `next` have v.len() + 1 entries, `i < p.len()` in
    // the loop and every `v[j - 1]` is guarded by `j >= 1`.
    let mut dp = vec![false; v.len() + 1];
    dp[0] = true;
    let mut i = 0;
    while i < p.len() {
        let mut next = vec![false; v.len() + 1];
        match p[i] {
            '*' => {
                let any = p.get(i + 1) == Some(&'*');
                for j in 0..=v.len() {
                    next[j] = dp[j] || (j > 0 && next[j - 1] && (any || v[j - 1] != ':'));
                }
                if any {
                    i += 1;
                }
            }
            '?' => {
                for j in 1..=v.len() {
                    next[j] = dp[j - 1] && v[j - 1] != ':';
                }
            }
            c => {
                for j in 1..=v.len() {
                    next[j] = dp[j - 1] && v[j - 1] == c;
                }
            }
        }
        dp = next;
        i += 1;
    }
    dp[v.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("*", "a:b"));
        assert!(glob_matches("view:*", "view:public"));
        assert!(!glob_matches("view*", "view:public"));
        assert!(glob_matches("view**", "view:public"));
        assert!(glob_matches("John*", "John and his leave request"));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "a:c"));
        assert!(!glob_matches("abc", "abcd"));
        assert!(glob_matches("", ""));
    }

    #[test]
    fn parse_filters() {
        let mut f = FilterConfig::default();
        f.parse_into("suite=S*; test=a,b ;action=view").unwrap();
        f.parse_into("principal=alice").unwrap();
        assert_eq!(f.suite, vec!["S*"]);
        assert_eq!(f.test, vec!["a", "b"]);
        assert_eq!(f.principal, vec!["alice"]);
        assert_eq!(f.action, vec!["view"]);
        assert!(f.parse_into("bogus=x").is_err());
        assert!(f.parse_into("test").is_err());
        assert!(f.parse_into("test=").is_err());
    }
}
