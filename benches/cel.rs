//! Evaluation cost of typical Cerbos conditions on prepared programs.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use portcullis::cel::cerbos::{self, Principal, Resource};
use portcullis::cel::parser::parse;
use portcullis::cel::program::{Activation, Program};
use portcullis::cel::time::parse_timestamp;
use portcullis::cel::value::Value;

fn activation() -> Activation {
    let mut p = Principal {
        id: "john".into(),
        roles: vec!["employee".into()],
        ..Default::default()
    };
    p.attr.insert("dept".into(), serde_json::json!("marketing"));
    let mut r = Resource {
        kind: "leave_request".into(),
        id: "XX125".into(),
        ..Default::default()
    };
    r.attr.insert("owner".into(), serde_json::json!("john"));
    r.attr.insert("scope".into(), serde_json::json!("a.b"));
    r.attr.insert("status".into(), serde_json::json!("b"));
    r.attr.insert("dept".into(), serde_json::json!("marketing"));
    r.attr.insert(
        "tags".into(),
        serde_json::Value::Array(
            (0..20)
                .map(|i| serde_json::json!(format!("tag{i}")))
                .collect(),
        ),
    );
    let now = parse_timestamp("2021-04-22T10:05:20.021-05:00").expect("now");
    cerbos::activation(&p, &r, None, now)
}

fn prepare(src: &str) -> Program {
    let parsed = parse(src).expect("parse");
    Program::prepare(&parsed.expr, &cerbos::declarations()).expect("prepare")
}

fn bench(c: &mut Criterion) {
    let mut act = activation();
    // The shared activation's budget would otherwise run out mid-benchmark.
    act.set_budget(u64::MAX);
    let cases = [
        ("owner_eq", "R.attr.owner == P.id"),
        (
            "status_in_and_dept",
            r#"R.attr.status in ["a","b"] && P.attr.dept == R.attr.dept"#,
        ),
        ("exists_20", r#"R.attr.tags.exists(t, t == "tag19")"#),
        (
            "hierarchy_ancestor",
            r#"hierarchy(R.attr.scope).ancestorOf(hierarchy("a.b.c.d"))"#,
        ),
    ];
    for (name, src) in cases {
        let prog = prepare(src);
        assert_eq!(prog.eval(&act), Ok(Value::Bool(true)), "{src}");
        c.bench_function(name, |b| {
            b.iter(|| {
                // The budget is per evaluation; reset it as the engine would.
                let mut a = act.clone();
                a.set_budget(1_000_000);
                black_box(prog.eval(black_box(&a)))
            })
        });
        c.bench_function(&format!("{name}_shared_activation"), |b| {
            b.iter(|| black_box(prog.eval(black_box(&act))))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
