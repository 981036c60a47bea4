//! The compiler's view of the CEL front end: parse and check one
//! expression, and list the `V.x` / `C.x` names it references.

use std::collections::BTreeSet;

use crate::cel::ast::{Expr, ExprKind};

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

/// Collects `Select(Ident(V|variables|C|constants), field)` references.
/// Purely syntactic, as in Cerbos; iterative so hostile nesting cannot
/// overflow the stack.
pub(crate) fn references(e: &Expr) -> Refs {
    let mut refs = Refs::default();
    let mut stack: Vec<&Expr> = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Literal(_) | ExprKind::Ident(_) => {}
            ExprKind::Select { operand, field, .. } => {
                if let ExprKind::Ident(name) = &operand.kind {
                    match name.as_str() {
                        "V" | "variables" => {
                            refs.vars.insert(field.clone());
                        }
                        "C" | "constants" => {
                            refs.consts.insert(field.clone());
                        }
                        _ => {}
                    }
                }
                stack.push(operand);
            }
            ExprKind::Call { target, args, .. } => {
                if let Some(t) = target {
                    stack.push(t);
                }
                stack.extend(args.iter());
            }
            ExprKind::List { elements, .. } => stack.extend(elements.iter()),
            ExprKind::Map { entries } => {
                for en in entries {
                    stack.push(&en.key);
                    stack.push(&en.value);
                }
            }
            ExprKind::Struct { fields, .. } => stack.extend(fields.iter().map(|f| &f.value)),
            ExprKind::Comprehension(c) => {
                stack.push(&c.iter_range);
                stack.push(&c.accu_init);
                stack.push(&c.loop_condition);
                stack.push(&c.loop_step);
                stack.push(&c.result);
            }
        }
    }
    refs
}
