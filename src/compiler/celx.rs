//! The compiler's view of the CEL front end: parse and check one
//! expression, and list the `V.x` / `C.x` names it references.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::cel::ast::Expr;
use crate::cel::checker::{check, referenced_fields, CheckEnv};
use crate::cel::program::MAX_EXPR_DEPTH;

/// One problem with an expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExprIssue {
    /// Cerbos-style text, e.g. `Syntax error: token recognition error at: '^'`.
    pub message: String,
    /// Byte offset in the expression, when known.
    pub offset: Option<usize>,
}

/// Parses and type-checks `src` in Cerbos's CEL environment.
pub(crate) fn compile_expr(src: &str) -> Result<Expr, Vec<ExprIssue>> {
    let parsed = crate::cel::parser::parse(src).map_err(|errs| {
        errs.into_iter()
            .map(|e| ExprIssue {
                message: if e.message.starts_with("Syntax error") {
                    e.message
                } else {
                    format!("Syntax error: {}", e.message)
                },
                offset: Some(e.offset),
            })
            .collect::<Vec<_>>()
    })?;
    static ENV: OnceLock<CheckEnv> = OnceLock::new();
    // Cerbos's declarations, the runtime's function table and its literal
    // parsers for `duration`, `timestamp` and `matches`.
    let env = ENV.get_or_init(CheckEnv::cerbos);
    check(&parsed, env).map_err(|errs| {
        errs.into_iter()
            .map(|e| ExprIssue {
                message: e.message,
                offset: Some(e.offset),
            })
            .collect::<Vec<_>>()
    })?;
    // The runtime refuses deeper trees (its evaluation stack is bounded), so
    // refuse them here, where the author can see where and why.
    let height = parsed.expr.height();
    if height > MAX_EXPR_DEPTH {
        return Err(vec![ExprIssue {
            message: format!(
                "expression nests {height} levels deep; Portcullis evaluates at most {MAX_EXPR_DEPTH} (split it into variables)"
            ),
            offset: Some(0),
        }]);
    }
    Ok(parsed.expr)
}

/// Variables and constants an expression names.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Refs {
    /// `V.x` / `variables.x`.
    pub vars: BTreeSet<String>,
    /// `C.x` / `constants.x`.
    pub consts: BTreeSet<String>,
}

/// The `V.x` / `C.x` references of an expression (syntactic, as in Cerbos;
/// comprehension variables that shadow `V` or `C` do not count).
pub(crate) fn references(e: &Expr) -> Refs {
    Refs {
        vars: referenced_fields(e, &["V", "variables"]),
        consts: referenced_fields(e, &["C", "constants"]),
    }
}
