//! The deepest expressions the parser accepts can be checked, printed and
//! serialized on a default (2 MB) test thread, even in debug builds.
#![cfg(feature = "compiler")]

use portcullis::cel::ast::{Expr, ExprKind};
use portcullis::cel::checker::{check, referenced_fields, CheckEnv};
use portcullis::cel::parser::parse;
use portcullis::cel::printer::print;
use portcullis::cel::program::{DeclType, Declarations, Program};

/// Real height of a tree (macro expansions included), without recursion.
fn height(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, h)) = stack.pop() {
        max = max.max(h);
        let kids: Vec<&Expr> = match &e.kind {
            ExprKind::Literal(_) | ExprKind::Ident(_) => vec![],
            ExprKind::Select { operand, .. } => vec![operand],
            ExprKind::Call { target, args, .. } => {
                target.iter().map(|t| &**t).chain(args).collect()
            }
            ExprKind::List { elements, .. } => elements.iter().collect(),
            ExprKind::Map { entries } => entries.iter().flat_map(|e| [&e.key, &e.value]).collect(),
            ExprKind::Struct { fields, .. } => fields.iter().map(|f| &f.value).collect(),
            ExprKind::Comprehension(c) => vec![
                &c.iter_range,
                &c.accu_init,
                &c.loop_condition,
                &c.loop_step,
                &c.result,
            ],
        };
        stack.extend(kids.into_iter().map(|k| (k, h + 1)));
    }
    max
}

/// The deepest accepted nesting of `open … close` around `core`, found by
/// trying successively deeper inputs until the parser refuses.
fn deepest(open: &str, core: &str, close: &str) -> String {
    let mut best = None;
    for n in (1..=260).step_by(3) {
        let src = format!("{}{core}{}", open.repeat(n), close.repeat(n));
        match parse(&src) {
            Ok(_) => best = Some(src),
            Err(e) => {
                assert!(
                    e.iter().any(|e| e.message.contains("recursion limit")),
                    "{e:?}"
                );
                break;
            }
        }
    }
    best.unwrap_or_default()
}

#[test]
fn deepest_accepted_expressions_are_usable() {
    let shapes = [
        deepest("(", "V.x", ")"),
        deepest("[", "V.x", "]"),
        deepest("f(", "V.x", ")"),
        deepest("V.x + (", "1", ")"),
        deepest("true ? V.x : (", "1", ")"),
        deepest("[1].all(x, ", "V.x", ")"),
        deepest("[1].map(x, x > 0, ", "V.x", ")"),
        deepest("{'a': ", "V.x", "}"),
        deepest("!(", "V.x", ")"),
        format!("V.x{}", " + V.x".repeat(240)),
        format!("V.x{}", ".y".repeat(240)),
    ];
    let mut tallest = 0;
    for src in shapes {
        assert!(!src.is_empty());
        let parsed = parse(&src).unwrap_or_else(|e| panic!("{e:?}"));
        tallest = tallest.max(height(&parsed.expr));
        let env = CheckEnv::cerbos().declare("f").declare("x");
        let _ = check(&parsed, &env);
        assert!(referenced_fields(&parsed.expr, &["V"]).contains("x"));
        let printed = print(&parsed.expr);
        assert!(parse(&printed).is_ok(), "{printed}");
        // The runtime plan stays linear in the tree (nested `map`s once
        // doubled it per level, which took minutes at this depth).
        let mut decls = Declarations::new();
        decls.declare("V", DeclType::Dyn);
        decls.declare("f", DeclType::Dyn);
        decls.declare("x", DeclType::Dyn);
        let started = std::time::Instant::now();
        let _ = Program::prepare(&parsed.expr, &decls);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "preparing {} took {:?}",
            &src[..src.len().min(40)],
            started.elapsed()
        );
    }
    // The bound the runtime's tree walks can rely on.
    eprintln!("tallest accepted tree: {tallest} levels");
    assert!(tallest <= 1_300, "tallest tree has {tallest} levels");
}
