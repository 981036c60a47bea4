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
            // cel-go prefixes only the grammar's errors with "Syntax error:"
            // (the parser does too); macro, literal and limit errors are bare.
            .map(|e| ExprIssue {
                message: e.message,
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
    let mut parsed = parsed;
    translate_patterns(&mut parsed.expr);
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

/// Rewrites constant patterns of `matches` and `regex.*` that need Unicode
/// tables (`\p{Greek}`, `(?i)` on non-ASCII letters) into their RE2
/// translation with those tables resolved into explicit classes (same
/// meaning, see [`crate::cel::re2`]); the runtime carries no Unicode
/// tables. Patterns the runtime translates itself, and invalid ones (an
/// error at run time, as in Cerbos), stay as written.
fn translate_patterns(e: &mut Expr) {
    use crate::cel::ast::{ExprKind, Literal};
    use crate::cel::re2::{translate, AsciiTables, Re2Error};
    if let ExprKind::Call {
        target,
        function,
        args,
    } = &mut e.kind
    {
        let is_regex_ns = matches!(target.as_deref(), Some(Expr { kind: ExprKind::Ident(n), .. }) if n == "regex");
        let pattern = match (function.as_str(), target.is_some(), args.len()) {
            ("matches", true, 1) => args.get_mut(0),
            ("matches", false, 2) => args.get_mut(1),
            ("replace", true, 3 | 4) | ("extract" | "extractAll", true, 2) if is_regex_ns => {
                args.get_mut(1)
            }
            _ => None,
        };
        if let Some(Expr {
            kind: ExprKind::Literal(Literal::String(p)),
            ..
        }) = pattern
        {
            if let Err(Re2Error::NeedsUnicode(_)) = translate(p, &AsciiTables) {
                if let Ok(t) = translate(p, &crate::cel::re2_tables::UnicodeTables) {
                    *p = t.pattern;
                }
            }
        }
    }
    for c in e.kind.children_mut() {
        translate_patterns(c);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::cerbos;
    use crate::cel::program::Program;

    /// Compiles `src` as the compiler does and evaluates it with
    /// `R.attr.pat` = `pat`; the result as JSON, or the error text.
    fn eval(src: &str, pat: &str) -> Result<serde_json::Value, String> {
        let expr = compile_expr(src).map_err(|e| format!("compile: {}", e[0].message))?;
        let prog = Program::prepare(&expr, &cerbos::declarations()).map_err(|e| e.to_string())?;
        let mut r = cerbos::Resource {
            kind: "doc".into(),
            id: "1".into(),
            ..Default::default()
        };
        r.attr.insert("pat".into(), serde_json::json!(pat));
        let now = crate::cel::time::parse_timestamp("2021-04-22T10:05:20.021-05:00")
            .map_err(|e| e.to_string())?;
        let act = cerbos::activation(&cerbos::Principal::default(), &r, None, now);
        let v = prog.eval(&act).map_err(|e| e.to_string())?;
        let v = match v {
            crate::cel::value::Value::Optional(o) => match o {
                Some(v) => v.as_ref().clone(),
                None => crate::cel::value::Value::Null,
            },
            v => v,
        };
        v.to_json().map_err(|e| e.to_string())
    }

    /// cel-go's regex extension over Go's regexp; expected values are what
    /// Cerbos 0.55 answers (`cerbos repl`).
    #[test]
    fn regex_functions_like_cel_go() {
        use serde_json::json;
        let ok = |src: &str, want: serde_json::Value| {
            assert_eq!(eval(src, ""), Ok(want), "{src}");
        };
        ok(r#"regex.replace("baaac", "a*", "X")"#, json!("XbXcX"));
        ok(r#"regex.replace("abc", "", "-")"#, json!("-a-b-c-"));
        ok(r#"regex.replace("héllo", "", "-")"#, json!("-h-é-l-l-o-"));
        ok(r#"regex.replace("aaa", "a*?", "X")"#, json!("XaXaXaX"));
        ok(
            r#"regex.replace("abab", "(a)(b)?", "[\\2\\1\\\\]", 1)"#,
            json!("[ba\\]ab"),
        );
        ok(r#"regex.replace("ab", "(?i)B", "\\0\\0")"#, json!("abb"));
        // Replacement strings are only checked when used.
        ok(r#"regex.replace("abc", "x", "\\5")"#, json!("abc"));
        ok(
            r#"regex.extractAll("a1b22c333", "\\d*")"#,
            json!(["", "1", "22", "333"]),
        );
        ok(
            r#"regex.extractAll("a1b22c333", "(\\d)+")"#,
            json!(["1", "2", "3"]),
        );
        ok(r#"regex.extractAll("abcxc", "(b?)c")"#, json!(["b"]));
        ok(r#"regex.extract("abc", "x*")"#, json!(""));
        ok(r#"regex.extract("abc", "(x*)")"#, json!(null));
        ok(r#"regex.extract("abc", "x(b?)c")"#, json!(null));
        let err = |src: &str, want: &str| {
            assert_eq!(eval(src, ""), Err(want.to_string()), "{src}");
        };
        err(
            r#"regex.replace("abc", "b", "\\5")"#,
            "replacement string references group 5 but regex has only 0 group(s)",
        );
        err(
            r#"regex.replace("abc", "b", "\\x")"#,
            "invalid replacement string: '\\x' \\ must be followed by a digit or \\",
        );
        err(
            r#"regex.extract("abc", "(a)(b)")"#,
            "regular expression has more than one capturing group: \"(a)(b)\"",
        );
        err(
            r#"regex.extract("a", "(")"#,
            "error parsing regexp: missing closing ): `(`",
        );
    }

    #[test]
    fn unicode_patterns_are_resolved_at_compile_time() {
        use serde_json::json;
        assert_eq!(
            eval(r#""αβγ".matches("^\\p{Greek}+$")"#, ""),
            Ok(json!(true))
        );
        assert_eq!(eval(r#""ΑΒΓ".matches("(?i)^αβγ$")"#, ""), Ok(json!(true)));
        assert_eq!(
            eval(r#"regex.extract("x Ωmega", "\\p{Lu}\\pL+")"#, ""),
            Ok(json!("Ωmega"))
        );
        assert_eq!(
            eval(r#"regex.replace("Straße", "(?i)SS|ß", "ss")"#, ""),
            Ok(json!("Strasse"))
        );
        // Built at run time: refused rather than answered differently.
        assert_eq!(
            eval(r#""α".matches(R.attr.pat)"#, "\\p{Greek}"),
            Err("regexp needs Unicode tables not available at run time: \\p{Greek}".into())
        );
        assert_eq!(eval(r#""x".matches(R.attr.pat)"#, "(?i)X"), Ok(json!(true)));
        assert_eq!(
            eval(r#""a".matches("\\p{Grek}")"#, ""),
            Err("compile: invalid matches argument".into())
        );
        assert_eq!(
            eval(r#""a".matches("a{1001}")"#, ""),
            Err("compile: invalid matches argument".into())
        );
    }
}
