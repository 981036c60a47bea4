//! Compiler diagnostics: what went wrong, where, and how to show it.
//!
//! Every error carries the file (relative to the store root), a 1-based
//! line and column, a kind that names the Cerbos error class it corresponds
//! to, and a message. [`Diagnostic::render`] prints it the way rustc does,
//! with the offending source line and a caret.

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The store cannot be compiled.
    Error,
    /// Compiled, but something deserves attention.
    Warning,
}

/// Errors found while reading a file (Cerbos `KIND_PARSE_ERROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ParseKind {
    /// Not YAML/JSON, or a YAML syntax error.
    InvalidDocument,
    /// More than one YAML document in a policy file.
    MultipleDocuments,
    /// A key the policy format does not have.
    UnknownField,
    /// A value of the wrong type (e.g. a mapping where a string belongs).
    WrongType,
    /// A key given twice in one mapping.
    DuplicateKey,
    /// A quoted scalar followed by more text (`expr: "a" in b`).
    QuotedStringContinues,
}

/// Cross-file problems found while indexing the store (Cerbos `IndexBuildErrors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IndexKind {
    /// Two files define the same policy (`duplicateDefs`).
    DuplicateDefinition,
    /// An import names a policy that does not exist (`missingImports`).
    MissingImport,
    /// A scoped policy lacks an ancestor (`missingScopeDetails`).
    MissingScope,
    /// Policies of one scope disagree on `scopePermissions`.
    ScopePermissionsConflict,
    /// A policy is disabled (`disabledDefs`, informational).
    Disabled,
    /// The store layout is wrong (e.g. `_schemas` not at the root).
    Layout,
}

/// Compilation errors (Cerbos `internal/compile/errors.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CompileKind {
    /// `import not found`
    ImportNotFound,
    /// `unknown derived role`
    UnknownDerivedRole,
    /// `ambiguous derived role`
    AmbiguousDerivedRole,
    /// `undefined variable`
    UndefinedVariable,
    /// `undefined constant`
    UndefinedConstant,
    /// `cyclical variable definitions`
    CyclicalVariables,
    /// `variable redefined`
    VariableRedefined,
    /// `constant redefined`
    ConstantRedefined,
    /// `invalid variable name`
    InvalidVariableName,
    /// `invalid constant name`
    InvalidConstantName,
    /// `invalid expression`
    InvalidExpression,
    /// `empty output`
    EmptyOutput,
    /// `invalid schema`
    InvalidSchema,
    /// `invalid resource rule`
    InvalidResourceRule,
    /// `missing policy definition`
    MissingPolicyDefinition,
    /// `scripts in conditions are no longer supported`
    ScriptCondition,
}

/// The class of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "layer", content = "kind", rename_all = "camelCase")]
pub enum DiagnosticKind {
    /// The file could not be read as a policy (Cerbos `KIND_PARSE_ERROR`).
    Parse(ParseKind),
    /// The policy breaks a field rule: pattern, required, enum, uniqueness
    /// (Cerbos `KIND_VALIDATION_ERROR`).
    Validation,
    /// A cross-file problem.
    Index(IndexKind),
    /// A compilation problem.
    Compile(CompileKind),
    /// A policy used an older form that still works (e.g. role policy without version).
    Deprecated,
}

impl CompileKind {
    /// The error string Cerbos uses for this kind.
    pub fn cerbos_name(self) -> &'static str {
        match self {
            CompileKind::ImportNotFound => "import not found",
            CompileKind::UnknownDerivedRole => "unknown derived role",
            CompileKind::AmbiguousDerivedRole => "ambiguous derived role",
            CompileKind::UndefinedVariable => "undefined variable",
            CompileKind::UndefinedConstant => "undefined constant",
            CompileKind::CyclicalVariables => "cyclical variable definitions",
            CompileKind::VariableRedefined => "variable redefined",
            CompileKind::ConstantRedefined => "constant redefined",
            CompileKind::InvalidVariableName => "invalid variable name",
            CompileKind::InvalidConstantName => "invalid constant name",
            CompileKind::InvalidExpression => "invalid expression",
            CompileKind::EmptyOutput => "empty output",
            CompileKind::InvalidSchema => "invalid schema",
            CompileKind::InvalidResourceRule => "invalid resource rule",
            CompileKind::MissingPolicyDefinition => "missing policy definition",
            CompileKind::ScriptCondition => "scripts in conditions are no longer supported",
        }
    }
}

impl DiagnosticKind {
    /// A short stable label, e.g. `parse`, `index.missingImport`, `compile.invalid expression`.
    pub fn label(&self) -> String {
        match self {
            DiagnosticKind::Parse(_) => "parse".into(),
            DiagnosticKind::Validation => "validation".into(),
            DiagnosticKind::Index(k) => format!("index.{k:?}"),
            DiagnosticKind::Compile(k) => k.cerbos_name().into(),
            DiagnosticKind::Deprecated => "deprecated".into(),
        }
    }
}

/// A 1-based line/column position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
}

/// One problem found by the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// File relative to the store root (`/`-separated); empty for store-wide problems.
    pub file: String,
    /// 1-based line (0 when the problem has no position).
    pub line: u32,
    /// 1-based column (0 when the problem has no position).
    pub column: u32,
    /// What kind of problem.
    pub kind: DiagnosticKind,
    /// Human-readable description.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
    /// JSON path of the policy element, Cerbos style (`$.resourcePolicy.rules[0]`), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where Cerbos reports this problem when that differs from `line`/`column`
    /// (Cerbos points at the field key of an expression; we point inside it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_position: Option<Position>,
}

impl Diagnostic {
    /// An error at a position.
    pub fn error(
        file: impl Into<String>,
        pos: Position,
        kind: DiagnosticKind,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            line: pos.line,
            column: pos.column,
            kind,
            message: message.into(),
            severity: Severity::Error,
            path: None,
            field_position: None,
        }
    }

    /// Sets the Cerbos-style JSON path.
    pub fn with_path(mut self, path: impl Into<String>) -> Diagnostic {
        let p = path.into();
        self.path = if p.is_empty() { None } else { Some(p) };
        self
    }

    /// Turns the diagnostic into a warning.
    pub fn warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    /// The position Cerbos would report (the field), falling back to ours.
    pub fn cerbos_position(&self) -> Position {
        self.field_position.unwrap_or(Position {
            line: self.line,
            column: self.column,
        })
    }

    /// Renders the diagnostic like rustc: a `file:line:col: error: message`
    /// header, then the offending source line with a caret under the column.
    /// `source` is the content of `file` (may be empty when unavailable).
    pub fn render(&self, source: &str) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let loc = if self.line > 0 {
            format!("{}:{}:{}", self.file, self.line, self.column)
        } else if self.file.is_empty() {
            "<store>".to_string()
        } else {
            self.file.clone()
        };
        out.push_str(&format!(
            "{loc}: {sev}[{}]: {}\n",
            self.kind.label(),
            self.message
        ));
        if self.line == 0 {
            return out;
        }
        let Some(text) = source.lines().nth(self.line as usize - 1) else {
            return out;
        };
        let gutter = self.line.to_string();
        let pad = " ".repeat(gutter.len());
        out.push_str(&format!("{pad} |\n{gutter} | {text}\n"));
        // Keep tabs so that the caret lines up with the echoed line.
        let caret_pad: String = text
            .chars()
            .take(self.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("{pad} | {caret_pad}^\n"));
        if let Some(p) = &self.path {
            out.push_str(&format!("{pad} = at {p}\n"));
        }
        out
    }
}

/// Diagnostics as a JSON array (for `--output json` and editors).
pub fn diagnostics_to_json(diags: &[Diagnostic]) -> serde_json::Value {
    serde_json::Value::Array(
        diags
            .iter()
            .map(|d| {
                let mut obj = serde_json::Map::new();
                obj.insert("file".into(), d.file.clone().into());
                obj.insert("line".into(), d.line.into());
                obj.insert("column".into(), d.column.into());
                obj.insert(
                    "severity".into(),
                    match d.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }
                    .into(),
                );
                obj.insert("kind".into(), d.kind.label().into());
                obj.insert("message".into(), d.message.clone().into());
                if let Some(p) = &d.path {
                    obj.insert("path".into(), p.clone().into());
                }
                serde_json::Value::Object(obj)
            })
            .collect(),
    )
}

/// Stable order for reporting: by file, then position, then message.
pub(crate) fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    });
}
