//! Property tests: printer/parser round trip and AST JSON round trip.
#![cfg(feature = "compiler")]

use portcullis::cel::ast::{Expr, ExprKind, Literal, MapEntry, StructField};
use portcullis::cel::parser::parse;
use portcullis::cel::printer::print;
use proptest::prelude::*;

fn node(kind: ExprKind) -> Expr {
    Expr { id: 0, kind }
}

/// Names that are neither reserved, keywords nor macro names.
fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a", "b", "x", "R", "P", "request", "_x", "int", "size"
        ])
        .prop_map(str::to_string),
        "[a-z_][a-zA-Z0-9_]{0,6}".prop_filter("not reserved or a macro", |s| !matches!(
            s.as_str(),
            "as" | "break"
                | "const"
                | "continue"
                | "else"
                | "false"
                | "for"
                | "function"
                | "if"
                | "import"
                | "in"
                | "let"
                | "loop"
                | "namespace"
                | "null"
                | "package"
                | "return"
                | "true"
                | "var"
                | "void"
                | "while"
                | "has"
                | "all"
                | "exists"
                | "exists_one"
                | "existsOne"
                | "map"
                | "filter"
                | "transformList"
                | "transformMap"
                | "transformMapEntry"
                | "optMap"
                | "optFlatMap"
                | "bind"
                | "cel"
        )),
    ]
}

/// Field names, including ones that need backquotes.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ident(),
        1 => prop::sample::select(vec!["in", "true", "null", "a-b", "x.y", "p/q r", "if"])
            .prop_map(str::to_string),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        any::<i64>().prop_map(Literal::Int),
        any::<u64>().prop_map(Literal::Uint),
        any::<f64>()
            .prop_filter("finite", |d| d.is_finite())
            .prop_map(Literal::Double),
        prop_oneof![
            Just(0.1f64),
            Just(-0.0),
            Just(1e300),
            Just(5e-324),
            Just(2.5)
        ]
        .prop_map(Literal::Double),
        any::<String>().prop_map(Literal::String),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Literal::Bytes),
    ]
}

const BINARY: &[&str] = &[
    "_||_", "_&&_", "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "@in", "_+_", "_-_", "_*_",
    "_/_", "_%_", "_[_]", "_[?_]",
];

/// Trees the parser can produce, without comprehensions.
fn tree() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal().prop_map(|l| node(ExprKind::Literal(l))),
        ident().prop_map(|n| node(ExprKind::Ident(n))),
        ident().prop_map(|n| node(ExprKind::Ident(format!(".{n}")))),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (inner.clone(), field(), 0u8..3).prop_map(|(operand, field, mode)| node(
                ExprKind::Select {
                    operand: Box::new(operand),
                    field,
                    test_only: mode == 1,
                    optional: mode == 2,
                }
            )),
            (prop::sample::select(BINARY), inner.clone(), inner.clone()).prop_map(
                |(f, l, r)| node(ExprKind::Call {
                    target: None,
                    function: f.to_string(),
                    args: vec![l, r],
                })
            ),
            (prop::sample::select(vec!["!_", "-_"]), inner.clone()).prop_map(|(f, x)| node(
                ExprKind::Call {
                    target: None,
                    function: f.to_string(),
                    args: vec![x],
                }
            )),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, f)| node(
                ExprKind::Call {
                    target: None,
                    function: "_?_:_".to_string(),
                    args: vec![c, t, f],
                }
            )),
            (
                prop::option::of(inner.clone()),
                ident(),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(target, function, args)| node(ExprKind::Call {
                    target: target.map(Box::new),
                    function,
                    args,
                })),
            prop::collection::vec((inner.clone(), any::<bool>()), 0..4).prop_map(|els| {
                let optional_indices = els
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, o))| *o)
                    .map(|(i, _)| i as u32)
                    .collect();
                node(ExprKind::List {
                    elements: els.into_iter().map(|(e, _)| e).collect(),
                    optional_indices,
                })
            }),
            prop::collection::vec((inner.clone(), inner.clone(), any::<bool>()), 0..3).prop_map(
                |es| node(ExprKind::Map {
                    entries: es
                        .into_iter()
                        .map(|(key, value, optional)| MapEntry {
                            key,
                            value,
                            optional,
                        })
                        .collect(),
                })
            ),
            (
                any::<bool>(),
                prop::collection::vec(ident(), 1..3),
                prop::collection::vec((field(), inner, any::<bool>()), 0..3)
            )
                .prop_map(|(dot, names, fields)| node(ExprKind::Struct {
                    type_name: format!("{}{}", if dot { "." } else { "" }, names.join(".")),
                    fields: fields
                        .into_iter()
                        .map(|(field, value, optional)| StructField {
                            field,
                            value,
                            optional,
                        })
                        .collect(),
                })),
        ]
    })
}

/// Source text with macros around printed trees.
fn macro_source() -> impl Strategy<Value = String> {
    (tree(), tree(), 0usize..12).prop_map(|(a, b, which)| {
        let (a, b) = (print(&a), print(&b));
        match which {
            0 => format!("({a}).all(v, {b})"),
            1 => format!("({a}).exists(v, {b})"),
            2 => format!("({a}).exists_one(v, {b})"),
            3 => format!("({a}).map(v, {b})"),
            4 => format!("({a}).map(v, v, {b})"),
            5 => format!("({a}).filter(v, {b})"),
            6 => format!("cel.bind(v, {a}, {b})"),
            7 => format!("({a}).all(k, v, {b})"),
            8 => format!("({a}).existsOne(k, v, {b})"),
            9 => format!("({a}).transformMap(k, v, {b}, v)"),
            10 => format!("({a}).optMap(v, {b})"),
            _ => format!("has(({a}).f) && ({a}).transformMapEntry(k, v, {{k: {b}}})"),
        }
    })
}

fn reparse(text: &str) -> Result<Expr, TestCaseError> {
    parse(text)
        .map(|p| p.expr)
        .map_err(|e| TestCaseError::fail(format!("{text:?} does not parse: {e:?}")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// print → parse gives the same tree for every macro-free tree the
    /// parser can produce.
    #[test]
    fn print_parse_round_trip(tree in tree()) {
        let text = print(&tree);
        let mut again = reparse(&text)?;
        again.clear_ids();
        prop_assert_eq!(&again, &tree, "printed as {}", text);
    }

    /// parse → print → parse is stable for sources with macros.
    #[test]
    fn macro_round_trip(src in macro_source()) {
        let mut first = reparse(&src)?;
        let text = print(&first);
        let mut again = reparse(&text)?;
        first.clear_ids();
        again.clear_ids();
        prop_assert_eq!(&again, &first, "{} printed as {}", src, text);
    }

    /// The bundle's JSON form of a tree reads back as the same tree (ids
    /// are not serialized).
    #[test]
    fn json_round_trip(src in macro_source()) {
        let mut tree = reparse(&src)?;
        tree.clear_ids();
        let json = serde_json::to_string(&tree)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let value: serde_json::Value = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        let back: Expr = portcullis::bundle::read_expr(value)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        prop_assert_eq!(&back, &tree, "{}", json);
    }

    /// Arbitrary input never panics or overflows the stack.
    #[test]
    fn arbitrary_text_never_panics(src in "[a-z0-9 .,()\\[\\]{}!?:<>=&|+*/%'\"\\\\-]{0,80}") {
        let _ = parse(&src);
    }
}

#[test]
fn json_keeps_special_doubles() {
    for d in [
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        5e-324,
        1.38e-23,
        -5.43e-21,
        7e23,
    ] {
        let e = node(ExprKind::Literal(Literal::Double(d)));
        let json = serde_json::to_string(&e).unwrap_or_default();
        let back = serde_json::from_str(&json)
            .map_err(|e| e.to_string())
            .and_then(portcullis::bundle::read_expr);
        match back.map(|b| b.kind) {
            Ok(ExprKind::Literal(Literal::Double(x))) => {
                assert_eq!(x.to_bits(), d.to_bits(), "{d} via {json}")
            }
            other => panic!("{d} via {json}: {other:?}"),
        }
    }
}
