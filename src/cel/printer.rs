//! Unparser: [`Expr`] → CEL source text.
//!
//! Round-trip property: for every tree `e` produced by
//! [`crate::cel::parser::parse`], `parse(&print(&e))` yields `e` again
//! (node ids aside). Macro expansions are printed as the macro call they
//! came from (`all`, `exists`, `exists_one`, `existsOne`, `map`, `filter`,
//! `transformList`, `transformMap`, `transformMapEntry`, `cel.bind`,
//! `optMap`, `optFlatMap`), so they re-expand to the same comprehension;
//! `math.@max`/`math.@min` print as `math.greatest`/`math.least`.
//!
//! Trees that no CEL source produces cannot round-trip and are printed on a
//! best-effort basis: comprehensions of any other shape (printed as a
//! pseudo-call `__comprehension__(…)`), non-finite doubles (printed as
//! `double("NaN")` etc.), identifiers or function names that are not CEL
//! identifiers (e.g. `@result`, `optional.of` as a global name), field names
//! with characters outside `` ` ``-escapable ones, and calls whose name and
//! shape make them macros (`l.all(x, p)` unexpanded, from parsing with macros
//! disabled). Output is fully parenthesised where CEL's balancing of `&&`/`||`
//! chains or `-` literal folding would otherwise change the tree.

use crate::cel::ast::{Comprehension, Expr, ExprKind, Literal};
use crate::cel::parser::{on_big_stack_if, tree_height, ACCUMULATOR_VAR, SHALLOW_TREE};
use std::fmt::Write;

/// Nesting beyond this is not printed (the parser never produces it; the
/// cap keeps hostile trees from exhausting the stack).
const MAX_PRINT_DEPTH: u32 = 2_000;

/// Prints `e` as CEL source; see the module docs for the round-trip property.
pub fn print(e: &Expr) -> String {
    let deep = tree_height(e) > SHALLOW_TREE;
    on_big_stack_if(deep, || {
        let mut p = Printer {
            out: String::new(),
            depth: 0,
        };
        p.expr(e);
        p.out
    })
}

struct Printer {
    out: String,
    depth: u32,
}

// Precedence levels, loosest first.
const P_TERNARY: u8 = 1;
const P_OR: u8 = 2;
const P_AND: u8 = 3;
const P_REL: u8 = 4;
const P_ADD: u8 = 5;
const P_MUL: u8 = 6;
const P_UNARY: u8 = 7;
const P_MEMBER: u8 = 8;

fn binary_op(function: &str) -> Option<(&'static str, u8)> {
    Some(match function {
        "_||_" => ("||", P_OR),
        "_&&_" => ("&&", P_AND),
        "_==_" => ("==", P_REL),
        "_!=_" => ("!=", P_REL),
        "_<_" => ("<", P_REL),
        "_<=_" => ("<=", P_REL),
        "_>_" => (">", P_REL),
        "_>=_" => (">=", P_REL),
        "@in" => ("in", P_REL),
        "_+_" => ("+", P_ADD),
        "_-_" => ("-", P_ADD),
        "_*_" => ("*", P_MUL),
        "_/_" => ("/", P_MUL),
        "_%_" => ("%", P_MUL),
        _ => return None,
    })
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Call {
            target: None,
            function,
            args,
        } => match (function.as_str(), args.len()) {
            ("_?_:_", 3) => P_TERNARY,
            ("!_" | "-_", 1) => P_UNARY,
            (f, 2) => binary_op(f).map_or(P_MEMBER, |(_, p)| p),
            _ => P_MEMBER,
        },
        _ => P_MEMBER,
    }
}

fn is_number_literal(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Literal(Literal::Int(_) | Literal::Double(_) | Literal::Uint(_))
    )
}

/// Is `s` a CEL identifier (`[A-Za-z_][A-Za-z0-9_]*`)?
pub fn is_identifier(s: &str) -> bool {
    is_ident(s)
}

fn is_ident(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn is_accu(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Ident(n) if n == ACCUMULATOR_VAR)
}

fn call<'e>(e: &'e Expr, name: &str, argc: usize) -> Option<&'e [Expr]> {
    match &e.kind {
        ExprKind::Call {
            target: None,
            function,
            args,
        } if function == name && args.len() == argc => Some(args),
        _ => None,
    }
}

fn lit_bool(e: &Expr, v: bool) -> bool {
    matches!(e.kind, ExprKind::Literal(Literal::Bool(b)) if b == v)
}

fn lit_int(e: &Expr, v: i64) -> bool {
    matches!(e.kind, ExprKind::Literal(Literal::Int(i)) if i == v)
}

fn empty_list(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::List { elements, .. } if elements.is_empty())
}

fn empty_map(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Map { entries } if entries.is_empty())
}

/// `accu + [x]` → `x`.
fn append_of(e: &Expr) -> Option<&Expr> {
    let [a, list] = call(e, "_+_", 2)? else {
        return None;
    };
    match &list.kind {
        ExprKind::List {
            elements,
            optional_indices,
        } if is_accu(a) && elements.len() == 1 && optional_indices.is_empty() => elements.first(),
        _ => None,
    }
}

/// `f ? step : accu` → `(Some(f), step)`; anything else → `(None, e)`.
fn unfilter(e: &Expr) -> (Option<&Expr>, &Expr) {
    if let Some([f, step, a]) = call(e, "_?_:_", 3) {
        if is_accu(a) {
            return (Some(f), step);
        }
    }
    (None, e)
}

/// Equality that ignores node ids.
fn same(a: &Expr, b: &Expr) -> bool {
    fn all(a: &[Expr], b: &[Expr]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
    }
    match (&a.kind, &b.kind) {
        (ExprKind::Literal(x), ExprKind::Literal(y)) => x == y,
        (ExprKind::Ident(x), ExprKind::Ident(y)) => x == y,
        (
            ExprKind::Select {
                operand: o1,
                field: f1,
                test_only: t1,
                optional: p1,
            },
            ExprKind::Select {
                operand: o2,
                field: f2,
                test_only: t2,
                optional: p2,
            },
        ) => f1 == f2 && t1 == t2 && p1 == p2 && same(o1, o2),
        (
            ExprKind::Call {
                target: t1,
                function: f1,
                args: a1,
            },
            ExprKind::Call {
                target: t2,
                function: f2,
                args: a2,
            },
        ) => {
            f1 == f2
                && all(a1, a2)
                && match (t1, t2) {
                    (Some(x), Some(y)) => same(x, y),
                    (None, None) => true,
                    _ => false,
                }
        }
        (
            ExprKind::List {
                elements: e1,
                optional_indices: i1,
            },
            ExprKind::List {
                elements: e2,
                optional_indices: i2,
            },
        ) => i1 == i2 && all(e1, e2),
        (ExprKind::Map { entries: e1 }, ExprKind::Map { entries: e2 }) => {
            e1.len() == e2.len()
                && e1.iter().zip(e2).all(|(x, y)| {
                    x.optional == y.optional && same(&x.key, &y.key) && same(&x.value, &y.value)
                })
        }
        (
            ExprKind::Struct {
                type_name: n1,
                fields: f1,
            },
            ExprKind::Struct {
                type_name: n2,
                fields: f2,
            },
        ) => {
            n1 == n2
                && f1.len() == f2.len()
                && f1.iter().zip(f2).all(|(x, y)| {
                    x.field == y.field && x.optional == y.optional && same(&x.value, &y.value)
                })
        }
        (ExprKind::Comprehension(x), ExprKind::Comprehension(y)) => {
            x.iter_var == y.iter_var
                && x.iter_var2 == y.iter_var2
                && x.accu_var == y.accu_var
                && same(&x.iter_range, &y.iter_range)
                && same(&x.accu_init, &y.accu_init)
                && same(&x.loop_condition, &y.loop_condition)
                && same(&x.loop_step, &y.loop_step)
                && same(&x.result, &y.result)
        }
        _ => false,
    }
}

/// A comprehension recognised as the expansion of a macro call.
struct MacroCall<'e> {
    /// Receiver (`cel` for `cel.bind`, rendered as an identifier).
    target: Option<&'e Expr>,
    name: &'static str,
    /// Leading variable-name arguments.
    vars: Vec<&'e str>,
    args: Vec<&'e Expr>,
}

fn recognise(c: &Comprehension) -> Option<MacroCall<'_>> {
    let two = c.iter_var2.is_some();
    // cel.bind(var, init, body)
    if c.iter_var == "#unused"
        && !two
        && empty_list(&c.iter_range)
        && lit_bool(&c.loop_condition, false)
        && matches!(&c.loop_step.kind, ExprKind::Ident(n) if *n == c.accu_var)
        && is_ident(&c.accu_var)
    {
        return Some(MacroCall {
            target: None,
            name: "cel.bind",
            vars: vec![c.accu_var.as_str()],
            args: vec![&c.accu_init, &c.result],
        });
    }
    let mut vars = vec![c.iter_var.as_str()];
    vars.extend(c.iter_var2.as_deref());
    if c.accu_var != ACCUMULATOR_VAR || !vars.iter().all(|v| is_ident(v)) {
        return None;
    }
    let range = Some(&c.iter_range);
    let mk = |name, args| {
        Some(MacroCall {
            target: range,
            name,
            vars: vars.clone(),
            args,
        })
    };
    // all
    if lit_bool(&c.accu_init, true) && is_accu(&c.result) {
        if let (Some([a]), Some([a2, p])) = (
            call(&c.loop_condition, "@not_strictly_false", 1),
            call(&c.loop_step, "_&&_", 2),
        ) {
            if is_accu(a) && is_accu(a2) {
                return mk("all", vec![p]);
            }
        }
    }
    // exists
    if lit_bool(&c.accu_init, false) && is_accu(&c.result) {
        if let (Some([n]), Some([a2, p])) = (
            call(&c.loop_condition, "@not_strictly_false", 1),
            call(&c.loop_step, "_||_", 2),
        ) {
            if call(n, "!_", 1).is_some_and(|a| a.first().is_some_and(is_accu)) && is_accu(a2) {
                return mk("exists", vec![p]);
            }
        }
    }
    // exists_one / existsOne
    if lit_int(&c.accu_init, 0) && lit_bool(&c.loop_condition, true) {
        if let (Some([p, inc, a]), Some([r, one])) =
            (call(&c.loop_step, "_?_:_", 3), call(&c.result, "_==_", 2))
        {
            let inc_ok = call(inc, "_+_", 2)
                .is_some_and(|x| x.len() == 2 && is_accu(&x[0]) && lit_int(&x[1], 1));
            if inc_ok && is_accu(a) && is_accu(r) && lit_int(one, 1) {
                return mk(if two { "existsOne" } else { "exists_one" }, vec![p]);
            }
        }
    }
    if !lit_bool(&c.loop_condition, true) || !is_accu(&c.result) {
        return None;
    }
    let (filter, step) = unfilter(&c.loop_step);
    // map / filter / transformList
    if empty_list(&c.accu_init) {
        let elem = append_of(step)?;
        let mut args: Vec<&Expr> = filter.into_iter().collect();
        args.push(elem);
        return mk(if two { "transformList" } else { "map" }, args);
    }
    // transformMap / transformMapEntry
    if empty_map(&c.accu_init) && two {
        if let Some([a, k, v]) = call(step, "cel.@mapInsert", 3) {
            if is_accu(a) && matches!(&k.kind, ExprKind::Ident(n) if *n == c.iter_var) {
                let mut args: Vec<&Expr> = filter.into_iter().collect();
                args.push(v);
                return mk("transformMap", args);
            }
        }
        if let Some([a, v]) = call(step, "cel.@mapInsert", 2) {
            if is_accu(a) {
                let mut args: Vec<&Expr> = filter.into_iter().collect();
                args.push(v);
                return mk("transformMapEntry", args);
            }
        }
    }
    None
}

/// `t.hasValue() ? optional.of(<bind v = t.value() in body>) : optional.none()`
/// → `(t, v, body, is_optmap)`.
fn recognise_opt_map(args: &[Expr]) -> Option<(&Expr, &str, &Expr, bool)> {
    let [has, some, none] = args else {
        return None;
    };
    let ExprKind::Call {
        target: Some(t),
        function,
        args: hargs,
    } = &has.kind
    else {
        return None;
    };
    if function != "hasValue" || !hargs.is_empty() || call(none, "optional.none", 0).is_none() {
        return None;
    }
    let (comp, is_map) = match call(some, "optional.of", 1) {
        Some([c]) => (c, true),
        _ => (some, false),
    };
    let ExprKind::Comprehension(c) = &comp.kind else {
        return None;
    };
    let m = recognise(c)?;
    if m.name != "cel.bind" {
        return None;
    }
    let ExprKind::Call {
        target: Some(t2),
        function: vf,
        args: vargs,
    } = &c.accu_init.kind
    else {
        return None;
    };
    if vf != "value" || !vargs.is_empty() || !same(t, t2) {
        return None;
    }
    Some((t, c.accu_var.as_str(), &c.result, is_map))
}

fn escapable_field(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/' | b' '))
}

impl Printer {
    fn expr(&mut self, e: &Expr) {
        if self.depth >= MAX_PRINT_DEPTH {
            self.out.push_str("/* too deep */");
            return;
        }
        self.depth += 1;
        self.expr_inner(e);
        self.depth -= 1;
    }

    /// Prints `e`, parenthesised when its precedence is below `min`.
    fn operand(&mut self, e: &Expr, min: u8) {
        if precedence(e) < min {
            self.out.push('(');
            self.expr(e);
            self.out.push(')');
        } else {
            self.expr(e);
        }
    }

    /// Operand of `.`, `[`, or a receiver call.
    fn member_operand(&mut self, e: &Expr) {
        if precedence(e) < P_MEMBER || is_number_literal(e) {
            self.out.push('(');
            self.expr(e);
            self.out.push(')');
        } else {
            self.expr(e);
        }
    }

    fn field(&mut self, name: &str) {
        if is_ident(name) && !matches!(name, "in" | "true" | "false" | "null") {
            self.out.push_str(name);
        } else if escapable_field(name) {
            self.out.push('`');
            self.out.push_str(name);
            self.out.push('`');
        } else {
            // Not expressible in CEL source; printed as is.
            self.out.push_str(name);
        }
    }

    fn list(&mut self, items: &[&Expr]) {
        for (i, a) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(a);
        }
    }

    fn expr_inner(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(l) => self.literal(l),
            ExprKind::Ident(n) => self.out.push_str(n),
            ExprKind::Select {
                operand,
                field,
                test_only,
                optional,
            } => {
                if *test_only {
                    self.out.push_str("has(");
                }
                self.member_operand(operand);
                self.out.push_str(if *optional { ".?" } else { "." });
                self.field(field);
                if *test_only {
                    self.out.push(')');
                }
            }
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(target.as_deref(), function, args),
            ExprKind::List {
                elements,
                optional_indices,
            } => {
                self.out.push('[');
                for (i, el) in elements.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    if u32::try_from(i).is_ok_and(|i| optional_indices.contains(&i)) {
                        self.out.push('?');
                    }
                    self.expr(el);
                }
                self.out.push(']');
            }
            ExprKind::Map { entries } => {
                self.out.push('{');
                for (i, en) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    if en.optional {
                        self.out.push('?');
                    }
                    self.expr(&en.key);
                    self.out.push_str(": ");
                    self.expr(&en.value);
                }
                self.out.push('}');
            }
            ExprKind::Struct { type_name, fields } => {
                self.out.push_str(type_name);
                self.out.push('{');
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    if f.optional {
                        self.out.push('?');
                    }
                    self.field(&f.field);
                    self.out.push_str(": ");
                    self.expr(&f.value);
                }
                self.out.push('}');
            }
            ExprKind::Comprehension(c) => self.comprehension(c),
        }
    }

    fn call(&mut self, target: Option<&Expr>, function: &str, args: &[Expr]) {
        if let Some(t) = target {
            self.member_operand(t);
            self.out.push('.');
            self.out.push_str(function);
            self.out.push('(');
            self.list(&args.iter().collect::<Vec<_>>());
            self.out.push(')');
            return;
        }
        match (function, args) {
            ("_?_:_", [c, t, f]) => {
                if let Some((target, var, body, is_map)) = recognise_opt_map(args) {
                    self.member_operand(target);
                    self.out
                        .push_str(if is_map { ".optMap(" } else { ".optFlatMap(" });
                    self.out.push_str(var);
                    self.out.push_str(", ");
                    self.expr(body);
                    self.out.push(')');
                    return;
                }
                // The condition and the middle branch are `||`-level
                // expressions; a nested conditional needs parentheses.
                self.operand(c, P_OR);
                self.out.push_str(" ? ");
                self.operand(t, P_OR);
                self.out.push_str(" : ");
                self.expr(f);
            }
            ("!_" | "-_", [x]) => {
                self.out.push_str(if function == "!_" { "!" } else { "-" });
                // The operand of a prefix operator is a member expression;
                // parentheses also keep `-(1)` from folding into `-1` and
                // `!(!a)` from collapsing into `a`.
                let bare = precedence(x) == P_MEMBER
                    && !matches!(
                        x.kind,
                        ExprKind::Literal(Literal::Int(_) | Literal::Double(_))
                    );
                if bare {
                    self.expr(x);
                } else {
                    self.out.push('(');
                    self.expr(x);
                    self.out.push(')');
                }
            }
            ("_[_]" | "_[?_]", [x, i]) => {
                self.member_operand(x);
                self.out
                    .push_str(if function == "_[_]" { "[" } else { "[?" });
                self.expr(i);
                self.out.push(']');
            }
            (f, [l, r]) if binary_op(f).is_some() => {
                let (op, p) = binary_op(f).unwrap_or(("?", P_MEMBER));
                // `&&`/`||` chains are rebalanced by the parser, so nested
                // logical operands are always parenthesised; other operators
                // are left-associative.
                let (lmin, rmin) = if p == P_OR || p == P_AND {
                    (p + 1, p + 1)
                } else {
                    (p, p + 1)
                };
                self.operand(l, lmin);
                self.out.push(' ');
                self.out.push_str(op);
                self.out.push(' ');
                self.operand(r, rmin);
            }
            _ => {
                // ext.Math's macros expand to these internal names.
                let shown = match function {
                    "math.@max" => "math.greatest",
                    "math.@min" => "math.least",
                    f => f,
                };
                self.out.push_str(shown);
                self.out.push('(');
                self.list(&args.iter().collect::<Vec<_>>());
                self.out.push(')');
            }
        }
    }

    fn comprehension(&mut self, c: &Comprehension) {
        if let Some(m) = recognise(c) {
            if let Some(t) = m.target {
                self.member_operand(t);
                self.out.push('.');
            }
            self.out.push_str(m.name);
            self.out.push('(');
            for v in &m.vars {
                self.out.push_str(v);
                self.out.push_str(", ");
            }
            self.list(&m.args);
            self.out.push(')');
            return;
        }
        self.out.push_str("__comprehension__(");
        self.out.push_str(&c.iter_var);
        if let Some(v2) = &c.iter_var2 {
            self.out.push_str(", ");
            self.out.push_str(v2);
        }
        self.out.push_str(", ");
        self.expr(&c.iter_range);
        self.out.push_str(", ");
        self.out.push_str(&c.accu_var);
        self.out.push_str(", ");
        self.list(&[&c.accu_init, &c.loop_condition, &c.loop_step, &c.result]);
        self.out.push(')');
    }

    fn literal(&mut self, l: &Literal) {
        match l {
            Literal::Null => self.out.push_str("null"),
            Literal::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Literal::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Literal::Uint(u) => {
                let _ = write!(self.out, "{u}u");
            }
            Literal::Double(d) => {
                if d.is_nan() {
                    self.out.push_str("double(\"NaN\")");
                } else if d.is_infinite() {
                    self.out.push_str(if *d > 0.0 {
                        "double(\"Infinity\")"
                    } else {
                        "double(\"-Infinity\")"
                    });
                } else {
                    // `{:?}` is the shortest text that parses back to the
                    // same f64 and always has a `.` or an exponent.
                    let _ = write!(self.out, "{d:?}");
                }
            }
            Literal::String(s) => {
                self.out.push('"');
                for ch in s.chars() {
                    match ch {
                        '"' => self.out.push_str("\\\""),
                        '\\' => self.out.push_str("\\\\"),
                        '\n' => self.out.push_str("\\n"),
                        '\r' => self.out.push_str("\\r"),
                        '\t' => self.out.push_str("\\t"),
                        c if c.is_control() => {
                            let _ = write!(self.out, "\\u{:04x}", u32::from(c));
                        }
                        c => self.out.push(c),
                    }
                }
                self.out.push('"');
            }
            Literal::Bytes(b) => {
                self.out.push_str("b\"");
                for &c in b {
                    match c {
                        b'"' => self.out.push_str("\\\""),
                        b'\\' => self.out.push_str("\\\\"),
                        0x20..=0x7e => self.out.push(char::from(c)),
                        _ => {
                            let _ = write!(self.out, "\\x{c:02x}");
                        }
                    }
                }
                self.out.push('"');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::parser::parse;

    fn zero(e: &mut Expr) {
        e.id = 0;
        match &mut e.kind {
            ExprKind::Literal(_) | ExprKind::Ident(_) => {}
            ExprKind::Select { operand, .. } => zero(operand),
            ExprKind::Call { target, args, .. } => {
                if let Some(t) = target {
                    zero(t);
                }
                args.iter_mut().for_each(zero);
            }
            ExprKind::List { elements, .. } => elements.iter_mut().for_each(zero),
            ExprKind::Map { entries } => entries.iter_mut().for_each(|en| {
                zero(&mut en.key);
                zero(&mut en.value);
            }),
            ExprKind::Struct { fields, .. } => fields.iter_mut().for_each(|f| zero(&mut f.value)),
            ExprKind::Comprehension(c) => {
                zero(&mut c.iter_range);
                zero(&mut c.accu_init);
                zero(&mut c.loop_condition);
                zero(&mut c.loop_step);
                zero(&mut c.result);
            }
        }
    }

    fn round_trip(src: &str) -> String {
        let mut a = parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}")).expr;
        let printed = print(&a);
        let mut b = parse(&printed)
            .unwrap_or_else(|e| panic!("{src} printed as {printed}: {e:?}"))
            .expr;
        zero(&mut a);
        zero(&mut b);
        assert_eq!(a, b, "{src} printed as {printed}");
        printed
    }

    #[test]
    fn prints_and_round_trips() {
        let cases = [
            ("a.b + 1 * 2 > 3", "a.b + 1 * 2 > 3"),
            ("(1 + 2) * 3", "(1 + 2) * 3"),
            ("1 - (2 - 3)", "1 - (2 - 3)"),
            ("1 - 2 - 3", "1 - 2 - 3"),
            ("a || b || c || d", "(a || b) || (c || d)"),
            ("a && b || c", "a && b || c"),
            ("a ? b : c ? d : e", "a ? b : c ? d : e"),
            ("(a ? b : c) ? d : e", "(a ? b : c) ? d : e"),
            ("-(1)", "-(1)"),
            ("-1", "-1"),
            ("-(-1)", "-(-1)"),
            ("!(!a)", "!(!a)"),
            ("-a.b", "-a.b"),
            ("(-1).abs()", "(-1).abs()"),
            ("4 - -4", "4 - -4"),
            ("has(a.b)", "has(a.b)"),
            ("a.?b[?c]", "a.?b[?c]"),
            ("[1, ?a]", "[1, ?a]"),
            ("{'k': 1, ?x: y}", "{\"k\": 1, ?x: y}"),
            (".a.b.C{f: 1, ?g: 2}", ".a.b.C{f: 1, ?g: 2}"),
            ("T{`in`: 1}.`a-b`", "T{`in`: 1}.`a-b`"),
            ("'a\"\\\\\\n\\x01é'", "\"a\\\"\\\\\\n\\u0001é\""),
            ("b'\\xff\"a'", "b\"\\xff\\\"a\""),
            ("1.0 + 1e-7 + 2.5e300 + 0.1", "1.0 + 1e-7 + 2.5e300 + 0.1"),
            ("18446744073709551615u", "18446744073709551615u"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("l.all(x, x > 0)", "l.all(x, x > 0)"),
            ("l.exists(x, x > 0)", "l.exists(x, x > 0)"),
            ("l.exists_one(x, x > 0)", "l.exists_one(x, x > 0)"),
            ("l.map(x, x * 2)", "l.map(x, x * 2)"),
            ("l.map(x, x > 0, x * 2)", "l.map(x, x > 0, x * 2)"),
            ("l.filter(x, x > 0)", "l.map(x, x > 0, x)"),
            ("cel.bind(a, 1, a + 1)", "cel.bind(a, 1, a + 1)"),
            ("m.all(k, v, k < v)", "m.all(k, v, k < v)"),
            ("m.exists(k, v, k < v)", "m.exists(k, v, k < v)"),
            ("m.existsOne(k, v, k < v)", "m.existsOne(k, v, k < v)"),
            ("m.exists_one(k, v, k < v)", "m.existsOne(k, v, k < v)"),
            ("m.transformList(k, v, v)", "m.transformList(k, v, v)"),
            (
                "m.transformList(k, v, k > 1, v)",
                "m.transformList(k, v, k > 1, v)",
            ),
            ("m.transformMap(k, v, v)", "m.transformMap(k, v, v)"),
            (
                "m.transformMap(k, v, v > 0, v)",
                "m.transformMap(k, v, v > 0, v)",
            ),
            (
                "m.transformMapEntry(k, v, {k: v})",
                "m.transformMapEntry(k, v, {k: v})",
            ),
            ("o.optMap(v, v + 1)", "o.optMap(v, v + 1)"),
            ("a.b.optFlatMap(v, f(v))", "a.b.optFlatMap(v, f(v))"),
            ("(a || b).all(x, x)", "(a || b).all(x, x)"),
            ("x in [1, 2] && !y", "x in [1, 2] && !y"),
            ("f(a, b).g()[0]", "f(a, b).g()[0]"),
        ];
        for (src, want) in cases {
            assert_eq!(round_trip(src), want, "{src}");
        }
    }

    #[test]
    fn unprintable_trees_are_marked() {
        let e = Expr {
            id: 0,
            kind: ExprKind::Literal(Literal::Double(f64::NAN)),
        };
        assert_eq!(print(&e), "double(\"NaN\")");
        let mut comp = parse("l.all(x, x)")
            .unwrap_or_else(|e| panic!("{e:?}"))
            .expr;
        if let ExprKind::Comprehension(c) = &mut comp.kind {
            c.accu_var = "acc".into();
        }
        assert!(print(&comp).starts_with("__comprehension__(x, l, acc, "));
    }
}
