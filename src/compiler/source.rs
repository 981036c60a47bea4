//! Reading a policy folder and sorting its files.
//!
//! Cerbos's store rules (`internal/storage/index/builder.go`,
//! `internal/util/filesystem.go`): `.yaml`/`.yml`/`.json` files are
//! policies, except `*_test.*` (test suites); `testdata/` directories and
//! hidden files or directories are skipped; `_schemas/` at the root holds
//! JSON schemas and is an error anywhere else.

use std::path::{Path, PathBuf};

use super::diagnostics::{Diagnostic, DiagnosticKind, IndexKind, ParseKind, Position};

/// Deepest folder nesting walked.
const MAX_DIR_DEPTH: usize = 64;

/// What a file of the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRole {
    /// A policy file.
    Policy,
    /// A test suite (`*_test.yaml`).
    TestSuite,
    /// A JSON schema under the root `_schemas/`.
    Schema,
    /// Not part of the store.
    Ignored,
}

/// The file name's stem and extension, lowercase extension.
fn split_ext(name: &str) -> (&str, String) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], name[i + 1..].to_ascii_lowercase()),
        _ => (name, String::new()),
    }
}

/// Classifies a `/`-separated path relative to the store root.
pub fn classify(rel: &str) -> FileRole {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let Some((file, dirs)) = parts.split_last() else {
        return FileRole::Ignored;
    };
    if parts.iter().any(|p| p.starts_with('.')) || dirs.contains(&"testdata") {
        return FileRole::Ignored;
    }
    if dirs.first() == Some(&"_schemas") {
        return FileRole::Schema;
    }
    let (stem, ext) = split_ext(file);
    if !matches!(ext.as_str(), "yaml" | "yml" | "json") {
        return FileRole::Ignored;
    }
    if stem.ends_with("_test") {
        FileRole::TestSuite
    } else {
        FileRole::Policy
    }
}

/// A `_schemas` directory below the root, which Cerbos refuses.
pub fn misplaced_schemas_dir(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let (_, dirs) = parts.split_last()?;
    if dirs.iter().any(|p| p.starts_with('.')) || dirs.contains(&"testdata") {
        return None;
    }
    dirs.iter()
        .enumerate()
        .skip(1)
        .find(|(_, d)| **d == "_schemas")
        .map(|(i, _)| dirs[..=i].join("/"))
}

/// Reads every relevant file under `root` (sorted, `/`-separated relative paths).
pub fn read_dir(root: &Path) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if !root.is_dir() {
        return Err(vec![Diagnostic::error(
            root.display().to_string(),
            Position::default(),
            DiagnosticKind::Index(IndexKind::Layout),
            "not a directory",
        )]);
    }
    walk(root, root, 0, &mut files, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    files.sort_by(|a: &(String, String), b| a.0.cmp(&b.0));
    Ok(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    files: &mut Vec<(String, String)>,
    errors: &mut Vec<Diagnostic>,
) {
    let rel_of = |p: &Path| -> String {
        p.strip_prefix(root)
            .unwrap_or(p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    if depth > MAX_DIR_DEPTH {
        errors.push(Diagnostic::error(
            rel_of(dir),
            Position::default(),
            DiagnosticKind::Index(IndexKind::Layout),
            format!("directories nested deeper than {MAX_DIR_DEPTH} levels"),
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(Diagnostic::error(
                rel_of(dir),
                Position::default(),
                DiagnosticKind::Index(IndexKind::Layout),
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        // Directory symlinks are not followed: they could loop.
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if name == "testdata" {
                continue;
            }
            walk(root, &p, depth + 1, files, errors);
            continue;
        }
        let rel = rel_of(&p);
        let role = classify(&rel);
        let misplaced = misplaced_schemas_dir(&rel).is_some();
        if role == FileRole::Ignored && !misplaced {
            continue;
        }
        match std::fs::read(&p) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push((rel, text)),
                Err(_) => errors.push(Diagnostic::error(
                    rel,
                    Position { line: 1, column: 1 },
                    DiagnosticKind::Parse(ParseKind::InvalidDocument),
                    "invalid document: file is not UTF-8 text",
                )),
            },
            Err(e) => errors.push(Diagnostic::error(
                rel,
                Position::default(),
                DiagnosticKind::Index(IndexKind::Layout),
                format!("cannot read file: {e}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("a/b.yaml"), FileRole::Policy);
        assert_eq!(classify("a/b.JSON"), FileRole::Policy);
        assert_eq!(classify("a/b_test.yml"), FileRole::TestSuite);
        assert_eq!(classify("a/testdata/b.yaml"), FileRole::Ignored);
        assert_eq!(classify("a/.hidden/b.yaml"), FileRole::Ignored);
        assert_eq!(classify(".b.yaml"), FileRole::Ignored);
        assert_eq!(classify("_schemas/x.json"), FileRole::Schema);
        assert_eq!(classify("notes.txt"), FileRole::Ignored);
        assert_eq!(
            misplaced_schemas_dir("policies/_schemas/p.json").as_deref(),
            Some("policies/_schemas")
        );
        assert_eq!(misplaced_schemas_dir("_schemas/p.json"), None);
    }
}
