//! Cost of regex conditions: constant patterns are compiled once when the
//! program is prepared; patterns read from request data go through a small
//! cache. `compile_each_time` is what every evaluation paid before.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use portcullis::cel::cerbos::{self, Principal, Resource};
use portcullis::cel::parser::parse;
use portcullis::cel::program::{Activation, Program};
use portcullis::cel::re2::{compile, translate};
use portcullis::cel::re2_tables::UnicodeTables;
use portcullis::cel::time::parse_timestamp;
use portcullis::cel::value::Value;

const EMAIL: &str = r"^[a-z0-9._%+-]+@example\.com$";

fn activation() -> Activation {
    let mut r = Resource {
        kind: "doc".into(),
        id: "1".into(),
        ..Default::default()
    };
    r.attr
        .insert("email".into(), serde_json::json!("jane.doe@example.com"));
    r.attr.insert("name".into(), serde_json::json!("Σοφία"));
    r.attr.insert("pattern".into(), serde_json::json!(EMAIL));
    let now = parse_timestamp("2021-04-22T10:05:20.021-05:00").expect("now");
    let mut act = cerbos::activation(&Principal::default(), &r, None, now);
    act.set_budget(u64::MAX);
    act
}

fn prepare(src: &str) -> Program {
    let parsed = parse(src).expect("parse");
    Program::prepare(&parsed.expr, &cerbos::declarations()).expect("prepare")
}

fn bench(c: &mut Criterion) {
    let act = activation();
    let q = |s: &str| serde_json::to_string(s).expect("quote");
    // What the compiler stores for a pattern that needs Unicode tables.
    let greek = translate(r"(?i)^\p{Greek}+$", &UnicodeTables)
        .expect("translate")
        .pattern;
    let cases = [
        (
            "matches_constant",
            format!("R.attr.email.matches({})", q(EMAIL)),
        ),
        (
            "matches_unicode_constant",
            format!("R.attr.name.matches({})", q(&greek)),
        ),
        (
            "matches_dynamic_cached",
            "R.attr.email.matches(R.attr.pattern)".to_string(),
        ),
    ];
    for (name, src) in &cases {
        let prog = prepare(src);
        assert_eq!(prog.eval(&act), Ok(Value::Bool(true)), "{src}");
        c.bench_function(name, |b| b.iter(|| black_box(prog.eval(black_box(&act)))));
    }
    c.bench_function("compile_each_time", |b| {
        b.iter(|| {
            let re = compile(black_box(EMAIL)).expect("compile");
            black_box(re.re.is_match(black_box("jane.doe@example.com")))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
