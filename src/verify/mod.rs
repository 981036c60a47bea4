//! `portcullis test`: runs Cerbos-format policy test suites.
//!
//! Suites (`*_test.{yaml,yml,json}`) and their `testdata/` fixtures are read
//! the way `cerbos compile` reads them; every principal × resource × action
//! cell of a test becomes one check against the engine, and the results are
//! reported as a tree for people ([`render_tree`]), as Cerbos's `TestResults`
//! JSON ([`to_json`]) or as JUnit XML ([`to_junit`]).
//!
//! CLI surface (`portcullis test DIR`), mapped onto [`VerifyOptions`]:
//!
//! | flag | field |
//! |---|---|
//! | `--tests DIR` (default: the policy folder) | `tests_dir` |
//! | `--test-filter 'suite=g;test=g;principal=g;resource=g;action=g'` (repeatable, globs, comma-separated alternatives) | `filter` via [`FilterConfig::parse_into`] |
//! | `--run REGEXP` (Cerbos's legacy filter) | `run` |
//! | `--ignore-schemas` (suites otherwise run with schema enforcement `reject`) | `ignore_schemas` |
//! | `--skip-batching` (one check per action instead of per principal/resource) | `skip_batching` |
//! | `--strict-evaluation` | `strict_evaluation` |
//! | `--format tree\|json\|junit`, `--color` | [`OutputFormat`], [`render`] |
//! | `portcullis compile --skip-tests` | do not call [`run`] |
//!
//! Exit codes ([`exit_code`]): 0 when every test passed or was skipped, 3 when
//! the policies do not compile, 4 when a test failed or errored, 2 for
//! unusable input (bad filter, unreadable folder).

mod engine_check;
mod filter;
pub mod render;
pub mod results;
mod runner;
pub mod suite;
pub mod time;
pub mod txtar;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use filter::FilterConfig;
pub use render::{render_tree, to_json, to_junit};
pub use results::{TestResult, TestResults};
pub use runner::ERR_USED_DEFAULT_NOW;

use crate::bundle::Bundle;
use crate::compiler::{self, CompileOptions};

/// Exit code when every test passed or was skipped.
pub const EXIT_OK: u8 = 0;
/// Exit code for unusable input (bad filter, unreadable folder).
pub const EXIT_USAGE: u8 = 2;
/// Exit code when the policies do not compile (as `cerbos compile`).
pub const EXIT_COMPILE_FAILURE: u8 = 3;
/// Exit code when a test failed or errored (as `cerbos compile`).
pub const EXIT_TEST_FAILURE: u8 = 4;

/// Deepest folder nesting read when collecting test files.
const MAX_DIR_DEPTH: usize = 64;

/// How a run is configured.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Folder holding the suites; the policy folder when `None`.
    pub tests_dir: Option<PathBuf>,
    /// `--test-filter` globs.
    pub filter: FilterConfig,
    /// `--run`: only tests whose `<suite>/<test name>` matches this regexp.
    pub run: Option<String>,
    /// Run without schema enforcement (default is `reject`).
    pub ignore_schemas: bool,
    /// One check per action rather than one per principal × resource.
    pub skip_batching: bool,
    /// Strict evaluation for every suite (suites may also turn it on).
    pub strict_evaluation: bool,
    /// Tests whose resource would use one of these policies (FQN,
    /// `cerbos.resource.<kind>.v<version>[/<scope>]`) are skipped.
    pub excluded_resource_policies: Vec<String>,
    /// Tests whose principal would use one of these policies are skipped.
    pub excluded_principal_policies: Vec<String>,
}

/// Why a run could not produce results.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The policies do not compile.
    #[error("policies failed to compile ({} problem(s))", .0.diagnostics.len())]
    Compile(compiler::CompileFailure),
    /// A folder or file could not be read.
    #[error("failed to read {path}: {source}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A `--test-filter` value is malformed.
    #[error("invalid test filter: {0}")]
    Filter(String),
    /// The `--run` regexp is malformed.
    #[error("invalid run specification: {0}")]
    Run(String),
    /// The engine rejected the bundle.
    #[error("cannot start the engine: {0}")]
    Engine(String),
}

/// Output formats of `portcullis test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// A tree for people.
    #[default]
    Tree,
    /// Cerbos's `TestResults` JSON.
    Json,
    /// JUnit XML.
    Junit,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    /// `tree`, `json` or `junit` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "tree" => Ok(OutputFormat::Tree),
            "json" => Ok(OutputFormat::Json),
            "junit" => Ok(OutputFormat::Junit),
            other => Err(format!(
                "unknown test output format {other:?}: expected tree, json or junit"
            )),
        }
    }
}

/// Renders results in the chosen format (`color` only affects the tree).
pub fn render(results: &TestResults, format: OutputFormat, color: bool) -> String {
    match format {
        OutputFormat::Tree => render_tree(results, color),
        OutputFormat::Json => to_json(results),
        OutputFormat::Junit => to_junit(results),
    }
}

/// The process exit code for a run's outcome.
pub fn exit_code(outcome: &Result<TestResults, VerifyError>) -> u8 {
    match outcome {
        Ok(r) if r.is_success() => EXIT_OK,
        Ok(_) => EXIT_TEST_FAILURE,
        Err(VerifyError::Compile(_)) => EXIT_COMPILE_FAILURE,
        Err(_) => EXIT_USAGE,
    }
}

/// Compiles the policy folder `root`, then runs every suite under
/// `opts.tests_dir` (default `root`) against it.
pub fn run(root: &Path, opts: &VerifyOptions) -> Result<TestResults, VerifyError> {
    let compiled =
        compiler::compile_dir(root, &CompileOptions::default()).map_err(VerifyError::Compile)?;
    let tests_dir = opts.tests_dir.as_deref().unwrap_or(root);
    let files = read_test_files(tests_dir)?;
    run_bundle(&compiled.bundle, &files, opts)
}

/// Runs the suites in `files` (`relative path → contents`, `/`-separated;
/// suites plus their `testdata/` fixtures) against a compiled bundle.
pub fn run_bundle(
    bundle: &Bundle,
    files: &BTreeMap<String, String>,
    opts: &VerifyOptions,
) -> Result<TestResults, VerifyError> {
    let filter = make_filter(opts)?;
    let checker = engine_check::EngineChecker::new(bundle, opts)?;
    let cfg = runner::RunConfig {
        filter: &filter,
        skip_batching: opts.skip_batching,
    };
    Ok(runner::run_all(files, &checker, &cfg))
}

fn make_filter(opts: &VerifyOptions) -> Result<filter::TestFilter, VerifyError> {
    let run = match opts.run.as_deref() {
        Some(re) if !re.is_empty() => {
            Some(regex_lite::Regex::new(re).map_err(|e| VerifyError::Run(e.to_string()))?)
        }
        _ => None,
    };
    Ok(filter::TestFilter {
        excluded_resource_policies: opts.excluded_resource_policies.iter().cloned().collect(),
        excluded_principal_policies: opts.excluded_principal_policies.iter().cloned().collect(),
        run,
        filter: opts.filter.clone(),
    })
}

/// Reads the suites and fixtures under `dir`: every `*_test.{yaml,yml,json}`
/// and every supported file inside a `testdata` folder. Symlinked folders are
/// not followed.
pub fn read_test_files(dir: &Path) -> Result<BTreeMap<String, String>, VerifyError> {
    let mut out = BTreeMap::new();
    walk(dir, dir, 0, false, &mut out)?;
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    in_testdata: bool,
    out: &mut BTreeMap<String, String>,
) -> Result<(), VerifyError> {
    if depth > MAX_DIR_DEPTH {
        return Ok(());
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| VerifyError::Io { path, source }
    };
    let entries = std::fs::read_dir(dir).map_err(io(dir))?;
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io(&path))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() {
            if name == ".git" {
                continue;
            }
            walk(
                root,
                &path,
                depth + 1,
                in_testdata || name == "testdata",
                out,
            )?;
            continue;
        }
        let rel = match path.strip_prefix(root) {
            Ok(r) => r
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => continue,
        };
        let wanted = if in_testdata {
            let lower = name.to_ascii_lowercase();
            lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
        } else {
            runner::is_test_file(&name)
        };
        if wanted {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            out.insert(rel, text);
        }
    }
    Ok(())
}
