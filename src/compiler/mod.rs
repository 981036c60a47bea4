//! The policy compiler: a Cerbos policy folder in, a [`Bundle`] out.
//!
//! Pipeline, mirroring Cerbos's three validation layers
//! (`cerbos-semantics.md` §8):
//!
//! 1. [`source`] walks the folder and sorts files into policies, test
//!    suites and schemas; [`yaml`] reads each file into a located tree and
//!    [`parse`] turns it into the [`model`], checking keys, types, patterns
//!    and required fields;
//! 2. [`index`] checks the store as a whole: duplicate policies, missing
//!    imports and scope ancestors, scope-permission conflicts;
//! 3. [`compile`] resolves variables, constants and derived roles, parses
//!    and checks every CEL expression and flattens the policies into the
//!    rule table.
//!
//! Every error of a run is reported, each with a file, line and column.

mod celx;
mod compile;
pub mod diagnostics;
pub mod index;
pub mod model;
pub mod parse;
pub mod source;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bundle::Bundle;

pub use diagnostics::{
    diagnostics_to_json, CompileKind, Diagnostic, DiagnosticKind, IndexKind, ParseKind, Position,
    Severity,
};

use diagnostics::sort_diagnostics;
use index::Unit;
use source::FileRole;

/// Compiler settings.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {}

/// A successful compilation.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The bundle, digest filled in.
    pub bundle: Bundle,
    /// Warnings (disabled policies, deprecated forms).
    pub warnings: Vec<Diagnostic>,
    /// Test-suite files (`*_test.{yaml,yml,json}`) found, sorted: joined to the
    /// root by [`compile_dir`], relative paths from [`compile_sources`].
    pub test_suites: Vec<PathBuf>,
}

/// A failed compilation.
#[derive(Debug, Clone)]
pub struct CompileFailure {
    /// Every error of the run (and the warnings), sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for CompileFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        write!(f, "policy compilation failed with {n} error(s)")
    }
}

impl std::error::Error for CompileFailure {}

/// Compiles the policy folder at `root`.
pub fn compile_dir(root: &Path, opts: &CompileOptions) -> Result<Compiled, CompileFailure> {
    let files = source::read_dir(root).map_err(|diagnostics| CompileFailure { diagnostics })?;
    let mut compiled = compile_sources(files, opts)?;
    compiled.test_suites = compiled.test_suites.iter().map(|p| root.join(p)).collect();
    Ok(compiled)
}

/// Compiles in-memory files: `(path relative to the root, '/'-separated; content)`.
pub fn compile_sources(
    files: Vec<(String, String)>,
    opts: &CompileOptions,
) -> Result<Compiled, CompileFailure> {
    let _ = opts;
    let loaded = load(files);
    let mut diags = loaded.diags;
    let units = index::build(loaded.units, &mut diags);
    let (mut bundle, compile_diags) = compile::Compiler::new(&units, &loaded.schema_files).run();
    diags.extend(compile_diags);
    dedup(&mut diags);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(CompileFailure { diagnostics: diags });
    }
    bundle.digest = bundle.compute_digest();
    Ok(Compiled {
        bundle,
        warnings: diags,
        test_suites: loaded.test_suites,
    })
}

/// Runs only the parse and index layers (what Cerbos's index builder
/// checks) and returns their diagnostics.
pub fn index_sources(files: Vec<(String, String)>) -> Vec<Diagnostic> {
    let loaded = load(files);
    let mut diags = loaded.diags;
    index::build(loaded.units, &mut diags);
    dedup(&mut diags);
    diags
}

/// Parses every document of one file into Cerbos's canonical policy JSON
/// (camelCase keys, defaults omitted), as Cerbos's multi-document parser
/// does. `file` is only used in diagnostics.
pub fn parse_policy_documents(
    file: &str,
    src: &str,
) -> Result<Vec<serde_json::Value>, Vec<Diagnostic>> {
    let docs = yaml::parse_documents(src).map_err(|errs| {
        errs.into_iter()
            .map(|e| {
                Diagnostic::error(
                    file,
                    index::pos(e.pos),
                    DiagnosticKind::Parse(e.kind),
                    e.message,
                )
            })
            .collect::<Vec<_>>()
    })?;
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for d in &docs {
        let (p, errs) = parse::parse_policy(d);
        for e in &errs {
            diags.push(
                Diagnostic::error(file, index::pos(e.pos), e.kind, e.message.clone())
                    .with_path(e.path.clone()),
            );
        }
        if let (Some(p), true) = (p, errs.is_empty()) {
            out.push(serde_json::to_value(&p).unwrap_or(serde_json::Value::Null));
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

struct Loaded {
    units: Vec<Unit>,
    diags: Vec<Diagnostic>,
    schema_files: BTreeMap<String, String>,
    test_suites: Vec<PathBuf>,
}

fn load(mut files: Vec<(String, String)>) -> Loaded {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Loaded {
        units: Vec::new(),
        diags: Vec::new(),
        schema_files: BTreeMap::new(),
        test_suites: Vec::new(),
    };
    let mut bad_schema_dirs = std::collections::BTreeSet::new();
    for (path, content) in files {
        let path = path.trim_start_matches("./").to_string();
        if let Some(dir) = source::misplaced_schemas_dir(&path) {
            if bad_schema_dirs.insert(dir.clone()) {
                out.diags.push(Diagnostic::error(
                    dir,
                    Position::default(),
                    DiagnosticKind::Index(IndexKind::Layout),
                    "_schemas directory must be under the root of the storage directory",
                ));
            }
            continue;
        }
        match source::classify(&path) {
            FileRole::Ignored => {}
            FileRole::Schema => {
                out.schema_files.insert(path, content);
            }
            FileRole::TestSuite => out.test_suites.push(PathBuf::from(path)),
            FileRole::Policy => load_policy(&path, content, &mut out),
        }
    }
    out
}

fn load_policy(path: &str, content: String, out: &mut Loaded) {
    let docs = match yaml::parse_documents(&content) {
        Ok(d) => d,
        Err(errs) => {
            for e in errs {
                out.diags.push(Diagnostic::error(
                    path,
                    index::pos(e.pos),
                    DiagnosticKind::Parse(e.kind),
                    e.message,
                ));
            }
            return;
        }
    };
    let doc = match docs.as_slice() {
        [] => return,
        [doc] => doc,
        [_, second, ..] => {
            out.diags.push(Diagnostic::error(
                path,
                index::pos(second.pos),
                DiagnosticKind::Parse(ParseKind::MultipleDocuments),
                "more than one YAML document detected",
            ));
            return;
        }
    };
    let (policy, errs) = parse::parse_policy(doc);
    let failed = !errs.is_empty();
    for e in errs {
        out.diags
            .push(Diagnostic::error(path, index::pos(e.pos), e.kind, e.message).with_path(e.path));
    }
    if failed {
        // The policy stays out of the store, but its expressions are still
        // checked so that their errors show up in this run too.
        if let Some(p) = &policy {
            out.diags
                .extend(compile::check_expressions(path, &content, p));
        }
        return;
    }
    if let Some(policy) = policy {
        let key = index::policy_key(&policy);
        out.units.push(Unit {
            file: path.to_string(),
            src: content,
            policy,
            key,
        });
    }
}

fn dedup(diags: &mut Vec<Diagnostic>) {
    sort_diagnostics(diags);
    diags.dedup();
}
