use super::*;

fn p(src: &str) -> Expr {
    match parse(src) {
        Ok(e) => e.expr,
        Err(errs) => panic!("parse of {src:?} failed: {errs:?}"),
    }
}

/// Compact s-expression rendering used to pin tree shapes.
pub(crate) fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(l) => match l {
            Literal::Null => "null".into(),
            Literal::Bool(b) => b.to_string(),
            Literal::Int(i) => i.to_string(),
            Literal::Uint(u) => format!("{u}u"),
            Literal::Double(d) => format!("{d:?}d"),
            Literal::String(s) => format!("{s:?}"),
            Literal::Bytes(b) => format!("b{b:?}"),
        },
        ExprKind::Ident(n) => n.clone(),
        ExprKind::Select {
            operand,
            field,
            test_only,
            optional,
        } => {
            let op = if *test_only {
                "has"
            } else if *optional {
                "?."
            } else {
                "."
            };
            format!("({op} {} {field})", sx(operand))
        }
        ExprKind::Call {
            target,
            function,
            args,
        } => {
            let mut s = format!("({function}");
            if let Some(t) = target {
                s.push_str(&format!(" [{}]", sx(t)));
            }
            for a in args {
                s.push(' ');
                s.push_str(&sx(a));
            }
            s.push(')');
            s
        }
        ExprKind::List {
            elements,
            optional_indices,
        } => {
            let items: Vec<String> = elements
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let q = if optional_indices.contains(&(i as u32)) {
                        "?"
                    } else {
                        ""
                    };
                    format!("{q}{}", sx(e))
                })
                .collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Map { entries } => {
            let items: Vec<String> = entries
                .iter()
                .map(|en| {
                    let q = if en.optional { "?" } else { "" };
                    format!("{q}{}:{}", sx(&en.key), sx(&en.value))
                })
                .collect();
            format!("{{{}}}", items.join(" "))
        }
        ExprKind::Struct { type_name, fields } => {
            let items: Vec<String> = fields
                .iter()
                .map(|f| {
                    let q = if f.optional { "?" } else { "" };
                    format!("{q}{}:{}", f.field, sx(&f.value))
                })
                .collect();
            format!("{type_name}{{{}}}", items.join(" "))
        }
        ExprKind::Comprehension(c) => format!(
            "(comp {}{} {} {} {} {} {} {})",
            c.iter_var,
            c.iter_var2
                .as_ref()
                .map(|v| format!(",{v}"))
                .unwrap_or_default(),
            sx(&c.iter_range),
            c.accu_var,
            sx(&c.accu_init),
            sx(&c.loop_condition),
            sx(&c.loop_step),
            sx(&c.result)
        ),
    }
}

fn s(src: &str) -> String {
    sx(&p(src))
}

fn err(src: &str) -> String {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed unexpectedly: {}", sx(&e.expr)),
        Err(errs) => errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(s("1 + 2 * 3"), "(_+_ 1 (_*_ 2 3))");
    assert_eq!(s("1 - 2 - 3"), "(_-_ (_-_ 1 2) 3)");
    assert_eq!(s("a < b == c"), "(_==_ (_<_ a b) c)");
    assert_eq!(s("a in b && c"), "(_&&_ (@in a b) c)");
    assert_eq!(s("a || b && c"), "(_||_ a (_&&_ b c))");
    assert_eq!(s("a || b || c"), "(_||_ (_||_ a b) c)");
    assert_eq!(s("a || b || c || d"), "(_||_ (_||_ a b) (_||_ c d))");
    assert_eq!(
        s("a && b && c && d && e"),
        "(_&&_ (_&&_ (_&&_ a b) c) (_&&_ d e))"
    );
    assert_eq!(s("a ? b : c ? d : e"), "(_?_:_ a b (_?_:_ c d e))");
    assert_eq!(s("a || b ? c : d"), "(_?_:_ (_||_ a b) c d)");
    assert_eq!(s("!a"), "(!_ a)");
    assert_eq!(s("!!a"), "a");
    assert_eq!(s("!!!a"), "(!_ a)");
    assert_eq!(s("-a"), "(-_ a)");
    assert_eq!(s("--a"), "a");
    assert_eq!(s("-a.b"), "(-_ (. a b))");
    assert_eq!(s("a % b / c * d"), "(_*_ (_/_ (_%_ a b) c) d)");
    assert_eq!(
        s("a != b >= c <= d > e < f"),
        "(_<_ (_>_ (_<=_ (_>=_ (_!=_ a b) c) d) e) f)"
    );
}

#[test]
fn negative_literals_fold() {
    assert_eq!(s("-1"), "-1");
    assert_eq!(s("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(s("- 1"), "-1");
    assert_eq!(s("-1.5"), "-1.5d");
    assert_eq!(s("-0x10"), "-16");
    assert_eq!(s("-1u"), "(-_ 1u)");
    assert_eq!(s("2 - 1"), "(_-_ 2 1)");
    assert_eq!(s("2 -1"), "(_-_ 2 1)");
    assert_eq!(s("---1"), "(-_ 1)");
    assert!(err("9223372036854775808").contains("invalid int literal"));
    assert!(err("-9223372036854775809").contains("invalid int literal"));
}

#[test]
fn smoke() {
    let e = p("a.b + 1 * 2 > 3 && has(x.y) || [1, 2].all(v, v > 0)");
    assert!(matches!(e.kind, ExprKind::Call { ref function, .. } if function == "_||_"));
}

#[test]
fn macros_expand_like_cel_go() {
    assert_eq!(s("has(a.b)"), "(has a b)");
    assert!(err("has(a)").contains("invalid argument to has() macro"));
    assert!(err("has(a.?b)").contains("invalid argument to has() macro"));
    assert_eq!(
        s("l.all(x, x > 0)"),
        "(comp x l @result true (@not_strictly_false @result) (_&&_ @result (_>_ x 0)) @result)"
    );
    assert_eq!(
        s("l.exists(x, p)"),
        "(comp x l @result false (@not_strictly_false (!_ @result)) (_||_ @result p) @result)"
    );
    assert_eq!(
        s("l.exists_one(x, p)"),
        "(comp x l @result 0 true (_?_:_ p (_+_ @result 1) @result) (_==_ @result 1))"
    );
    assert_eq!(
        s("l.map(x, x * 2)"),
        "(comp x l @result [] true (_+_ @result [(_*_ x 2)]) @result)"
    );
    assert_eq!(
        s("l.map(x, x > 1, x * 2)"),
        "(comp x l @result [] true (_?_:_ (_>_ x 1) (_+_ @result [(_*_ x 2)]) @result) @result)"
    );
    assert_eq!(
        s("l.filter(x, x > 1)"),
        "(comp x l @result [] true (_?_:_ (_>_ x 1) (_+_ @result [x]) @result) @result)"
    );
    assert_eq!(
        s("cel.bind(a, 1, a + 1)"),
        "(comp #unused [] a 1 false a (_+_ a 1))"
    );
    assert_eq!(s("x.bind(a, 1, a)"), "(bind [x] a 1 a)");
    assert_eq!(
        s("m.all(k, v, v > k)"),
        "(comp k,v m @result true (@not_strictly_false @result) (_&&_ @result (_>_ v k)) @result)"
    );
    assert_eq!(
        s("m.existsOne(k, v, v)"),
        "(comp k,v m @result 0 true (_?_:_ v (_+_ @result 1) @result) (_==_ @result 1))"
    );
    assert_eq!(
        s("m.transformList(i, v, v > 0, v)"),
        "(comp i,v m @result [] true (_?_:_ (_>_ v 0) (_+_ @result [v]) @result) @result)"
    );
    assert_eq!(
        s("m.transformMap(k, v, v + 1)"),
        "(comp k,v m @result {} true (cel.@mapInsert @result k (_+_ v 1)) @result)"
    );
    assert_eq!(
        s("m.transformMapEntry(k, v, {v: k})"),
        "(comp k,v m @result {} true (cel.@mapInsert @result {v:k}) @result)"
    );
    assert_eq!(
        s("o.optMap(v, v + 1)"),
        "(_?_:_ (hasValue [o]) (optional.of (comp #unused [] v (value [o]) false v (_+_ v 1))) (optional.none))"
    );
    assert_eq!(
        s("o.optFlatMap(v, f(v))"),
        "(_?_:_ (hasValue [o]) (comp #unused [] v (value [o]) false v (f v)) (optional.none))"
    );
    assert!(err("l.all(x.y, true)").contains("argument must be a simple name"));
    assert!(err("l.map(1, true)").contains("argument is not an identifier"));
    assert!(err("m.all(k, k, true)").contains("duplicate variable name: k"));
    assert!(err("l.all(@result, true)").contains("token recognition"));
    assert!(err("cel.bind(a.b, 1, 2)").contains("simple identifiers"));
    // Not macros: wrong arity or global form.
    assert_eq!(s("all(l, x, p)"), "(all l x p)");
    assert_eq!(s("l.filter(x)"), "(filter [l] x)");
    let no_macros = ParseOptions {
        enable_macros: false,
        ..ParseOptions::default()
    };
    let e = parse_with("has(a.b) && l.all(x, x)", &no_macros).map(|p| sx(&p.expr));
    assert_eq!(e.as_deref(), Ok("(_&&_ (has (. a b)) (all [l] x x))"));
}

#[test]
fn literals() {
    assert_eq!(s("0"), "0");
    assert_eq!(s("0x1F"), "31");
    assert_eq!(s("0x7fffffffffffffff"), "9223372036854775807");
    assert_eq!(s("-0x8000000000000000"), "-9223372036854775808");
    assert_eq!(s("1u"), "1u");
    assert_eq!(s("1U"), "1u");
    assert_eq!(s("0xFFu"), "255u");
    assert_eq!(s("18446744073709551615u"), "18446744073709551615u");
    assert!(err("18446744073709551616u").contains("invalid uint literal"));
    assert_eq!(s("1.5"), "1.5d");
    assert_eq!(s("1e3"), "1000.0d");
    assert_eq!(s("1E-3"), "0.001d");
    assert_eq!(s("1.5e+2"), "150.0d");
    assert_eq!(s(".5"), "0.5d");
    assert_eq!(s(".5e1"), "5.0d");
    assert!(err("1e400").contains("invalid double literal"));
    assert_eq!(s("true"), "true");
    assert_eq!(s("false"), "false");
    assert_eq!(s("null"), "null");
    assert_eq!(s("'a'"), "\"a\"");
    assert_eq!(s("\"a'b\""), "\"a'b\"");
    assert_eq!(
        s(r#"'\a\b\f\n\r\t\v\\\'\"\`\?'"#),
        r#""\u{7}\u{8}\u{c}\n\r\t\u{b}\\'\"`?""#
    );
    assert_eq!(s(r"'\101\x41\X41\u0041\U00000041'"), "\"AAAAA\"");
    assert_eq!(s(r"'\377'"), "\"ÿ\"");
    assert_eq!(s(r"'\xff'"), "\"ÿ\"");
    assert_eq!(s(r"'\u00e9\U0001F600'"), "\"é😀\"");
    assert_eq!(s(r"b'\377\xff'"), "b[255, 255]");
    assert!(err(r"b'\u00ff'").contains("unable to unescape string"));
    assert_eq!(s("'''a\r\nb\rc'''"), "\"a\\nb\\nc\"");
    assert_eq!(s(r"'\r\n'"), "\"\\r\\n\"");
    assert_eq!(s("b'ÿ'"), "b[195, 191]");
    assert_eq!(s("B\"a\""), "b[97]");
    assert_eq!(s(r"r'\n'"), "\"\\\\n\"");
    assert_eq!(s(r#"R"\d+""#), "\"\\\\d+\"");
    assert_eq!(s(r"br'\x'"), "b[92, 120]");
    assert_eq!(s(r"bR'\x'"), "b[92, 120]");
    assert_eq!(s("'''a\n'b'\n'''"), "\"a\\n'b'\\n\"");
    assert_eq!(s("\"\"\"x\"\"y\"\"\""), "\"x\\\"\\\"y\"");
    assert_eq!(s("r'''\\n\n'''"), "\"\\\\n\\n\"");
    assert_eq!(s("''"), "\"\"");
    assert!(err(r"'\q'").contains("token recognition error"));
    assert!(err(r"'\400'").contains("token recognition error"));
    assert!(err(r"'\ud800'").contains("invalid unicode code point"));
    assert!(err(r"'\U00110000'").contains("invalid unicode code point"));
    assert!(err("'a\nb'").contains("token recognition error"));
    assert!(err("'abc").contains("token recognition error"));
    assert!(err("r'a\nb'").contains("token recognition error"));
}

#[test]
fn members_lists_maps_messages() {
    assert_eq!(s("a.b.c"), "(. (. a b) c)");
    assert_eq!(s(".a.b"), "(. .a b)");
    assert_eq!(s("a.b(c)"), "(b [a] c)");
    assert_eq!(s("f()"), "(f)");
    assert_eq!(s(".f(1)"), "(.f 1)");
    assert_eq!(s("a[0][1]"), "(_[_] (_[_] a 0) 1)");
    assert_eq!(s("a.?b"), "(?. a b)");
    assert_eq!(s("a[?b]"), "(_[?_] a b)");
    assert_eq!(s("[1, ?a, 3,]"), "[1 ?a 3]");
    assert_eq!(s("[]"), "[]");
    assert_eq!(s("[,]"), "[]");
    assert_eq!(s("{}"), "{}");
    assert_eq!(s("{'a': 1, ?b: c,}"), "{\"a\":1 ?b:c}");
    assert_eq!(s("a.b.C{f: 1, ?g: x}"), "a.b.C{f:1 ?g:x}");
    assert_eq!(s(".a.C{}"), ".a.C{}");
    assert_eq!(s("C{}.f"), "(. C{} f)");
    assert_eq!(s("a.as"), "(. a as)");
    assert_eq!(s("a // comment\n + b"), "(_+_ a b)");
    assert!(err("a.?b(1)").contains("Syntax error"));
    assert_eq!(s("math.greatest(1, a)"), "(math.@max 1 a)");
    assert_eq!(s("math.least([1, 2.0])"), "(math.@min [1 2.0d])");
    assert_eq!(s("math.greatest(1, 2, 3)"), "(math.@max [1 2 3])");
    assert!(err("math.greatest()").contains("requires at least one argument"));
    assert!(err("math.least('a')").contains("math.least() invalid single argument value"));
    assert!(err("math.greatest(1, 'a')")
        .contains("math.greatest() simple literal arguments must be numeric"));
    assert_eq!(s("x.greatest(1)"), "(greatest [x] 1)");
    assert!(err("if").contains("reserved identifier: if"));
    assert!(err("while(1)").contains("reserved identifier: while"));
    assert!(err("a.in").contains("no viable alternative"));
    assert_eq!(s("a.`b`"), "(. a b)");
    let no_esc = ParseOptions {
        enable_ident_escape: false,
        ..ParseOptions::default()
    };
    let e = parse_with("a.`b`", &no_esc).map(|p| sx(&p.expr));
    assert!(e.is_err_and(|e| e[0].message == "unsupported syntax: '`'"));
}

#[test]
fn syntax_errors_have_positions() {
    let e = parse("a +\n  * b").unwrap_err();
    assert_eq!((e[0].line, e[0].column, e[0].offset), (2, 3, 6));
    assert!(
        e[0].message.starts_with("Syntax error:"),
        "{}",
        e[0].message
    );
    assert_eq!(e[0].to_string(), format!("2:3: {}", e[0].message));
    let e = parse("a ^ b").unwrap_err();
    assert_eq!(
        e[0].message,
        "Syntax error: token recognition error at: '^'"
    );
    assert_eq!(e[0].column, 3);
    let e = parse("é ^").unwrap_err();
    assert_eq!(e[0].column, 1);
    let e = parse("'é' ^").unwrap_err();
    assert_eq!((e[0].column, e[0].offset), (5, 5));
    assert!(err("a b").contains("extraneous input 'b' expecting <EOF>"));
    assert!(err("").contains("<EOF>"));
    // Messages checked against Cerbos 0.55 (`cerbos compile`).
    assert_eq!(messages("(a"), ["Syntax error: missing ')' at '<EOF>'"]);
    assert_eq!(
        messages("[1, 2"),
        ["Syntax error: mismatched input '<EOF>' expecting {']', ','}"]
    );
    assert_eq!(
        messages("{1: 2"),
        ["Syntax error: mismatched input '<EOF>' expecting {'}', ','}"]
    );
    assert_eq!(
        messages("a."),
        ["Syntax error: no viable alternative at input '.'"]
    );
    assert_eq!(
        messages("a.in"),
        [
            "Syntax error: no viable alternative at input '.in'",
            "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', \
             'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"
        ]
    );
    assert_eq!(
        messages("-"),
        [
            "Syntax error: no viable alternative at input '-'",
            "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', \
             'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"
        ]
    );
    assert_eq!(messages("f(a"), ["Syntax error: missing ')' at '<EOF>'"]);
    assert_eq!(
        messages("1..2"),
        ["Syntax error: no viable alternative at input '..2'"]
    );
    assert_eq!(
        messages("a.?"),
        [
            "Syntax error: mismatched input '<EOF>' expecting {IDENTIFIER, ESC_IDENTIFIER}",
            "unsupported ident kind"
        ]
    );
    assert_eq!(
        messages("a.b("),
        [
            "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', ')', '.', '-', \
          '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"
        ]
    );
    assert_eq!(
        messages("'''a"),
        ["Syntax error: token recognition error at: ''a'"]
    );
    assert_eq!(
        messages("f(1 2)"),
        ["Syntax error: extraneous input '2' expecting ')'"]
    );
    assert_eq!(messages("a[1"), ["Syntax error: missing ']' at '<EOF>'"]);
    assert_eq!(
        messages("!!"),
        [
            "Syntax error: extraneous input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', \
          'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"
        ]
    );
    assert_eq!(
        messages("1 ? 2"),
        ["Syntax error: mismatched input '<EOF>' expecting ':'"]
    );
    assert_eq!(
        messages("[1 2]"),
        ["Syntax error: extraneous input '2' expecting {']', ','}"]
    );
    assert!(err("a = b").contains("token recognition error at: '= '"));
    assert!(err("a & b").contains("token recognition error"));
}

#[test]
fn limits_are_errors_not_crashes() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep).contains("exceeds limit") || err(&deep).contains("recursion"));
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(err(&deep).contains("recursion limit"));
    let chain = vec!["a"; 5_000].join(" + ");
    assert!(err(&chain).contains("recursion limit"));
    let chain = format!("a{}", ".b".repeat(5_000));
    assert!(err(&chain).contains("recursion limit"));
    let unary = format!("{}a", "!".repeat(50_000));
    assert_eq!(s(&unary), "a");
    let ors = vec!["a"; 5_000].join(" || ");
    assert!(parse(&ors).is_ok(), "balanced chains stay shallow");
    let ok = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    assert_eq!(s(&ok), "1");
    let big = "1+".repeat(60_000);
    assert!(err(&big).contains("code point size exceeds limit"));
}

#[test]
fn block_macros_and_escaped_fields() {
    let block = ParseOptions {
        enable_block_macros: true,
        ..ParseOptions::default()
    };
    let b = |src: &str| parse_with(src, &block).map(|p| sx(&p.expr));
    assert_eq!(
        b("cel.block([1, cel.index(0) + 1], cel.index(1))").as_deref(),
        Ok("(cel.@block [1 (_+_ @index0 1)] @index1)")
    );
    assert_eq!(
        b("[1].exists(cel.iterVar(0, 1), cel.iterVar(0, 1) > cel.accuVar(0, 1))").as_deref(),
        Ok("(comp @it:0:1 [1] @result false (@not_strictly_false (!_ @result)) (_||_ @result (_>_ @it:0:1 @ac:0:1)) @result)")
    );
    assert!(b("cel.index(-1)").is_err_and(|e| e[0].message.contains("non-negative")));
    assert!(b("cel.block(1, 2)").is_err_and(|e| e[0].message.contains("list literal")));
    assert_eq!(b("x.index(1)").as_deref(), Ok("(index [x] 1)"));
    // Cerbos's environment has no block macros.
    assert_eq!(s("cel.index(1)"), "(index [cel] 1)");
    assert_eq!(s("T{`in`: 1}.`a.b-c/d e`"), "(. T{in:1} a.b-c/d e)");
    assert_eq!(s("l.existsOne(x, p)"), "(existsOne [l] x p)");
}

fn messages(src: &str) -> Vec<String> {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed unexpectedly: {}", sx(&e.expr)),
        Err(errs) => errs.into_iter().map(|e| e.message).collect(),
    }
}

#[test]
fn error_recovery_matches_cerbos_compile_testdata() {
    // compile/bad_cel_expr.yaml
    assert_eq!(
        messages("resource.attr.dev_record ^^ true"),
        [
            "Syntax error: token recognition error at: '^'",
            "Syntax error: token recognition error at: '^'",
            "Syntax error: extraneous input 'true' expecting <EOF>"
        ]
    );
    // compile/yaml_comment_in_condition.yaml
    assert_eq!(
        messages("# YAML comment\nrequest.resource.attr.status == \"PENDING_APPROVAL\""),
        [
            "Syntax error: token recognition error at: '#'",
            "Syntax error: mismatched input 'comment' expecting <EOF>"
        ]
    );
    assert_eq!(
        messages("a & b"),
        [
            "Syntax error: token recognition error at: '& '",
            "Syntax error: extraneous input 'b' expecting <EOF>"
        ]
    );
    assert_eq!(
        messages("'abc"),
        [
            "Syntax error: token recognition error at: ''abc'",
            "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', \
             'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"
        ]
    );
    assert_eq!(
        messages(r"'\q' + 1"),
        [
            r"Syntax error: token recognition error at: ''\q'",
            "Syntax error: token recognition error at: '' + 1'",
            "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', \
             'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"
        ]
    );
    assert_eq!(
        messages(r"'\ud800' == b'\u0041'"),
        ["invalid unicode code point", "unable to unescape string"]
    );
}
