//! Renderers: a tree for people, Cerbos's JSON, and JUnit XML.

use std::fmt::Write as _;

use super::results::{
    Details, Effect, Outcome, OutputFailureKind, SuiteResult, TestResult, TestResults,
};

// ---------------------------------------------------------------------------
// Values as protojson prints `google.protobuf.Value` (every number a double).

/// Formats a double the way Go's `strconv.FormatFloat(f, 'g'-ish, -1, 64)`
/// does inside protojson: integers without a fraction, exponents for very
/// large or small magnitudes.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "\"NaN\"".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        }
        .into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is shortest round-trip, like Go; only the exponent
        // spelling differs (Go: `1e+21`, `1e-07`).
        let s = format!("{f:e}");
        if let Some((mant, exp)) = s.split_once('e') {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            let digits = if digits.len() < 2 {
                format!("0{digits}")
            } else {
                digits.to_string()
            };
            return format!("{mant}e{sign}{digits}");
        }
        return s;
    }
    if f == f.trunc() && abs < 1e21 {
        // INVARIANT: |f| < 1e21 so the integer text is exact and short.
        return format!("{f:.0}");
    }
    format!("{f}")
}

/// Compact JSON with protojson number formatting and sorted object keys.
pub(crate) fn compact_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_json(&mut out, v, 0);
    out
}

const MAX_RENDER_DEPTH: usize = 256;

fn write_json(out: &mut String, v: &serde_json::Value, depth: usize) {
    use serde_json::Value as J;
    if depth > MAX_RENDER_DEPTH {
        out.push_str("null");
        return;
    }
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => match n.as_f64() {
            Some(f) => out.push_str(&go_float(f)),
            None => out.push_str(&n.to_string()),
        },
        J::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item, depth + 1);
            }
            out.push(']');
        }
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(val) = map.get(*k) {
                    write_json(out, val, depth + 1);
                }
            }
            out.push('}');
        }
    }
}

/// Rewrites integral doubles to integers so JSON output reads like protojson.
fn normalise_numbers(v: &mut serde_json::Value, depth: usize) {
    use serde_json::Value as J;
    if depth > MAX_RENDER_DEPTH {
        return;
    }
    match v {
        J::Number(n) => {
            if let Some(f) = n.as_f64() {
                if n.is_f64() && f == f.trunc() && f.abs() < 9.0e15 {
                    // INVARIANT: |f| < 2^53, so the cast is exact.
                    *v = J::Number(serde_json::Number::from(f as i64));
                }
            }
        }
        J::Array(items) => items
            .iter_mut()
            .for_each(|i| normalise_numbers(i, depth + 1)),
        J::Object(map) => map
            .values_mut()
            .for_each(|i| normalise_numbers(i, depth + 1)),
        _ => {}
    }
}

/// Cerbos's `TestResults` as pretty-printed JSON (`--format json`).
pub fn to_json(results: &TestResults) -> String {
    match serde_json::to_value(results) {
        Ok(mut v) => {
            normalise_numbers(&mut v, 0);
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into())
        }
        Err(_) => "{}".into(),
    }
}

// ---------------------------------------------------------------------------
// Tree

struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn result(&self, r: TestResult) -> String {
        match r {
            TestResult::Passed => self.wrap("32", "✔"),
            TestResult::Failed => self.wrap("31", "✘"),
            TestResult::Errored => self.wrap("1;31", "⚠"),
            TestResult::Skipped => self.wrap("33", "↷"),
            TestResult::Unspecified => "·".into(),
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

#[derive(Default)]
struct Counts {
    passed: u32,
    failed: u32,
    errored: u32,
    skipped: u32,
}

impl Counts {
    fn add(&mut self, r: TestResult) {
        match r {
            TestResult::Passed => self.passed += 1,
            TestResult::Failed => self.failed += 1,
            TestResult::Errored => self.errored += 1,
            TestResult::Skipped => self.skipped += 1,
            TestResult::Unspecified => {}
        }
    }
    fn worst(&self) -> TestResult {
        if self.errored > 0 {
            TestResult::Errored
        } else if self.failed > 0 {
            TestResult::Failed
        } else if self.passed > 0 {
            TestResult::Passed
        } else if self.skipped > 0 {
            TestResult::Skipped
        } else {
            TestResult::Unspecified
        }
    }
    fn text(&self) -> String {
        let mut parts = Vec::new();
        for (n, label) in [
            (self.passed, "passed"),
            (self.failed, "failed"),
            (self.errored, "errored"),
            (self.skipped, "skipped"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        if parts.is_empty() {
            "no tests".into()
        } else {
            parts.join(", ")
        }
    }
}

fn effect_word(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "ALLOW",
        Effect::Deny => "DENY",
        Effect::NoMatch => "NO_MATCH",
        Effect::Unspecified => "UNSPECIFIED",
    }
}

fn decided_by(d: &Details) -> String {
    match &d.decision {
        Some(dec) if dec.policy == "NO_MATCH" => " (no policy matched)".into(),
        Some(dec) if !dec.policy.is_empty() && dec.rule.is_empty() => {
            format!(" (no rule of {} matched)", dec.policy)
        }
        Some(dec) if !dec.policy.is_empty() => {
            let scope = if dec.scope.is_empty() {
                String::new()
            } else {
                format!(", scope {:?}", dec.scope)
            };
            let rule = if dec.rule.is_empty() {
                String::new()
            } else {
                format!("#{}", dec.rule)
            };
            format!(" (decided by {}{rule}{scope})", dec.policy)
        }
        Some(_) => " (no policy matched)".into(),
        None => String::new(),
    }
}

/// A tree of suites and tests with pass/fail/skip/error counts; every failed
/// or errored check is listed with its principal, resource, action, expected
/// and actual effect and the policy that decided it.
pub fn render_tree(results: &TestResults, color: bool) -> String {
    let paint = Paint { color };
    let mut out = String::new();
    let mut total = Counts::default();
    for suite in &results.suites {
        render_suite(&mut out, &paint, suite, &mut total);
    }
    let overall = results.summary.overall_result;
    let _ = writeln!(
        out,
        "{} {} — {} checks: {}",
        paint.result(if overall == TestResult::Unspecified {
            total.worst()
        } else {
            overall
        }),
        paint.bold(match overall {
            TestResult::Failed => "FAILED",
            TestResult::Errored => "ERRORED",
            TestResult::Passed => "PASSED",
            TestResult::Skipped => "SKIPPED",
            TestResult::Unspecified => "NO TESTS",
        }),
        results.summary.tests_count,
        total.text()
    );
    out
}

fn render_suite(out: &mut String, paint: &Paint, suite: &SuiteResult, total: &mut Counts) {
    let mut counts = Counts::default();
    for tc in &suite.test_cases {
        for p in &tc.principals {
            for r in &p.resources {
                for a in &r.actions {
                    counts.add(a.details.result);
                }
            }
        }
    }
    let header = format!(
        "{} {}",
        paint.bold(&suite.name),
        paint.dim(&format!("({})", suite.file))
    );
    if !suite.error.is_empty() {
        total.errored += 1;
        let _ = writeln!(
            out,
            "{} {header}: {}",
            paint.result(TestResult::Errored),
            paint.wrap("31", "suite error")
        );
        for line in suite.error.lines() {
            let _ = writeln!(out, "    {line}");
        }
        return;
    }
    if suite.summary.overall_result == TestResult::Skipped && suite.test_cases.is_empty() {
        total.skipped += 1;
        let reason = if suite.skip_reason.is_empty() {
            String::new()
        } else {
            format!(": {}", suite.skip_reason)
        };
        let _ = writeln!(
            out,
            "{} {header} skipped{reason}",
            paint.result(TestResult::Skipped)
        );
        return;
    }
    let _ = writeln!(
        out,
        "{} {header} — {}",
        paint.result(counts.worst()),
        counts.text()
    );
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.errored += counts.errored;
    total.skipped += counts.skipped;

    let n = suite.test_cases.len();
    for (i, tc) in suite.test_cases.iter().enumerate() {
        let last = i + 1 == n;
        let (branch, indent) = if last {
            ("└─", "   ")
        } else {
            ("├─", "│  ")
        };
        let mut c = Counts::default();
        let mut skip_reasons: Vec<&str> = Vec::new();
        for p in &tc.principals {
            for r in &p.resources {
                for a in &r.actions {
                    c.add(a.details.result);
                    if let Outcome::SkipReason(s) = &a.details.outcome {
                        if !skip_reasons.contains(&s.as_str()) {
                            skip_reasons.push(s);
                        }
                    }
                }
            }
        }
        let skip_note = if c.worst() == TestResult::Skipped && !skip_reasons.is_empty() {
            format!(" — {}", paint.dim(&skip_reasons.join("; ")))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {branch} {} {} ({}){skip_note}",
            paint.result(c.worst()),
            tc.name,
            c.text()
        );
        for p in &tc.principals {
            for r in &p.resources {
                for a in &r.actions {
                    let d = &a.details;
                    if !matches!(d.result, TestResult::Failed | TestResult::Errored) {
                        continue;
                    }
                    let who = format!("{} → {} : {}", p.name, r.name, paint.bold(&a.name));
                    match &d.outcome {
                        Outcome::Failure(f) if f.outputs.is_empty() => {
                            let _ = writeln!(
                                out,
                                "  {indent}   {} {who}: expected {}, got {}{}",
                                paint.result(d.result),
                                paint.wrap("32", effect_word(f.expected)),
                                paint.wrap("31", effect_word(f.actual)),
                                decided_by(d)
                            );
                        }
                        Outcome::Failure(f) => {
                            let _ = writeln!(
                                out,
                                "  {indent}   {} {who}: {} as expected{}, but outputs differ",
                                paint.result(d.result),
                                effect_word(f.actual),
                                decided_by(d)
                            );
                            for o in &f.outputs {
                                let line = match &o.kind {
                                    OutputFailureKind::Missing { expected } => {
                                        format!("missing; expected {}", compact_json(expected))
                                    }
                                    OutputFailureKind::Errored { expected, error } => format!(
                                        "failed to evaluate: {error}; expected {}",
                                        compact_json(expected)
                                    ),
                                    OutputFailureKind::Mismatched { expected, actual } => format!(
                                        "expected {}, got {}",
                                        compact_json(expected),
                                        compact_json(actual)
                                    ),
                                };
                                let _ = writeln!(out, "  {indent}       output {}: {line}", o.src);
                            }
                        }
                        Outcome::Error(e) => {
                            let _ = writeln!(
                                out,
                                "  {indent}   {} {who}: error: {e}",
                                paint.result(d.result)
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// JUnit (byte-compatible with `cerbos compile --output junit`, which uses Go's
// `xml.MarshalIndent` with two-space indentation).

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn cdata(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

/// A minimal element tree printed like Go's encoder.
struct El {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    text: Option<String>,
    children: Vec<El>,
}

impl El {
    fn new(name: &'static str) -> El {
        El {
            name,
            attrs: Vec::new(),
            text: None,
            children: Vec::new(),
        }
    }
    fn attr(mut self, k: &'static str, v: impl Into<String>) -> El {
        self.attrs.push((k, v.into()));
        self
    }
    fn text(mut self, t: String) -> El {
        self.text = Some(t);
        self
    }
    fn child(mut self, c: El) -> El {
        self.children.push(c);
        self
    }
    fn write(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        let _ = write!(out, "{pad}<{}", self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", xml_escape(v));
        }
        out.push('>');
        if let Some(t) = &self.text {
            out.push_str(t);
        }
        if !self.children.is_empty() {
            for c in &self.children {
                out.push('\n');
                c.write(out, depth + 1);
            }
            out.push('\n');
            out.push_str(&pad);
        }
        let _ = write!(out, "</{}>", self.name);
    }
}

fn output_el(src: &str, expected: String, actual: String) -> El {
    El::new("output")
        .attr("src", src)
        .child(El::new("expected").text(cdata(&expected)))
        .child(El::new("actual").text(cdata(&actual)))
}

const OUTPUT_ERROR_PREFIX: &str = "Failed to evaluate output expression: ";

fn render_opt(v: &Option<serde_json::Value>) -> String {
    match v {
        Some(v) => compact_json(v),
        None => "null".into(),
    }
}

/// JUnit XML (`--format junit`), as `cerbos compile --output junit` writes it.
pub fn to_junit(results: &TestResults) -> String {
    let mut suites = Vec::new();
    let mut error_count: u64 = 0;
    let mut skipped_count: u64 = 0;
    for s in &results.suites {
        let mut el = El::new("testsuite");
        if !s.description.is_empty() {
            el = el.attr("description", s.description.clone());
        }
        el = el.attr("name", s.name.clone()).attr("file", s.file.clone());
        let (mut errors, mut failures, mut skipped) = (0u64, 0u64, 0u64);
        let mut children = Vec::new();
        let mut cases = Vec::new();
        match s.summary.overall_result {
            TestResult::Errored => {
                children.push(
                    El::new("error")
                        .attr("type", TestResult::Errored.as_str())
                        .text(xml_escape(&s.error)),
                );
                errors += 1;
                error_count += 1;
            }
            TestResult::Skipped => {
                children.push(El::new("skipped").attr("message", "This test suite was skipped"));
                skipped += 1;
                skipped_count += 1;
            }
            _ => {
                for tc in &s.test_cases {
                    for p in &tc.principals {
                        for r in &p.resources {
                            for a in &r.actions {
                                let mut case = El::new("testcase")
                                    .attr("file", s.file.clone())
                                    .attr("classname", format!("{}.{}.{}", p.name, r.name, a.name))
                                    .attr("name", tc.name.clone());
                                let d = &a.details;
                                match &d.outcome {
                                    Outcome::Error(e) => {
                                        case = case.child(
                                            El::new("error")
                                                .attr("type", d.result.as_str())
                                                .text(xml_escape(e)),
                                        );
                                        errors += 1;
                                    }
                                    Outcome::Failure(f) => {
                                        let mut fe = El::new("failure")
                                            .attr("type", d.result.as_str())
                                            .attr(
                                                "message",
                                                if f.outputs.is_empty() {
                                                    "Effect expectation unsatisfied"
                                                } else {
                                                    "Output expectation unsatisfied"
                                                },
                                            );
                                        if !f.outputs.is_empty() {
                                            let mut outs = El::new("outputs");
                                            for o in &f.outputs {
                                                outs = outs.child(match &o.kind {
                                                    OutputFailureKind::Errored {
                                                        expected,
                                                        error,
                                                    } => output_el(
                                                        &o.src,
                                                        compact_json(expected),
                                                        format!("{OUTPUT_ERROR_PREFIX}{error}"),
                                                    ),
                                                    OutputFailureKind::Mismatched {
                                                        expected,
                                                        actual,
                                                    } => output_el(
                                                        &o.src,
                                                        compact_json(expected),
                                                        compact_json(actual),
                                                    ),
                                                    OutputFailureKind::Missing { expected } => {
                                                        output_el(
                                                            &o.src,
                                                            compact_json(expected),
                                                            String::new(),
                                                        )
                                                    }
                                                });
                                            }
                                            fe = fe.child(outs);
                                        }
                                        fe = fe
                                            .child(
                                                El::new("actual")
                                                    .text(xml_escape(f.actual.as_str())),
                                            )
                                            .child(
                                                El::new("expected")
                                                    .text(xml_escape(f.expected.as_str())),
                                            );
                                        case = case.child(fe);
                                        failures += 1;
                                    }
                                    Outcome::Success(ok) => {
                                        let mut se =
                                            El::new("success").attr("type", d.result.as_str());
                                        if !ok.outputs.is_empty() {
                                            let mut outs = El::new("outputs");
                                            for o in &ok.outputs {
                                                let expected = render_opt(&o.val);
                                                let actual = if o.error.is_empty() {
                                                    expected.clone()
                                                } else {
                                                    format!("{OUTPUT_ERROR_PREFIX}{}", o.error)
                                                };
                                                outs =
                                                    outs.child(output_el(&o.src, expected, actual));
                                            }
                                            se = se.child(outs);
                                        }
                                        se = se
                                            .child(
                                                El::new("actual")
                                                    .text(xml_escape(ok.effect.as_str())),
                                            )
                                            .child(
                                                El::new("expected")
                                                    .text(xml_escape(ok.effect.as_str())),
                                            );
                                        case = case.child(se);
                                    }
                                    Outcome::SkipReason(_) => {
                                        case = case.child(
                                            El::new("skipped")
                                                .attr("message", "This test was skipped"),
                                        );
                                        skipped += 1;
                                    }
                                }
                                let props = El::new("properties")
                                    .child(
                                        El::new("property")
                                            .attr("name", "principal")
                                            .text(xml_escape(&p.name)),
                                    )
                                    .child(
                                        El::new("property")
                                            .attr("name", "resource")
                                            .text(xml_escape(&r.name)),
                                    )
                                    .child(
                                        El::new("property")
                                            .attr("name", "action")
                                            .text(xml_escape(&a.name)),
                                    );
                                cases.push(case.child(props));
                            }
                        }
                    }
                }
            }
        }
        children.push(El::new("properties"));
        children.extend(cases);
        el = el
            .attr("errors", errors.to_string())
            .attr("failures", failures.to_string())
            .attr("skipped", skipped.to_string())
            .attr("tests", s.summary.tests_count.to_string());
        el.children = children;
        suites.push(el);
    }
    let mut failure_count: u64 = 0;
    for t in &results.summary.result_counts {
        match t.result {
            TestResult::Errored => error_count += u64::from(t.count),
            TestResult::Failed => failure_count = u64::from(t.count),
            TestResult::Skipped => skipped_count += u64::from(t.count),
            _ => {}
        }
    }
    let mut root = El::new("testsuites")
        .attr("errors", error_count.to_string())
        .attr("failures", failure_count.to_string())
        .attr("skipped", skipped_count.to_string())
        .attr("tests", results.summary.tests_count.to_string());
    root.children = suites;
    let mut out = String::new();
    root.write(&mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(1.01), "1.01");
        assert_eq!(go_float(-3.5), "-3.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1e-7), "1e-07");
        assert_eq!(go_float(0.0), "0");
    }

    #[test]
    fn compact_sorted() {
        let v = serde_json::json!({"b": [1.0, "x"], "a": {"z": true, "y": null}});
        assert_eq!(compact_json(&v), r#"{"a":{"y":null,"z":true},"b":[1,"x"]}"#);
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(xml_escape("a\"b'<&>\n"), "a&#34;b&#39;&lt;&amp;&gt;&#xA;");
        assert_eq!(cdata("x]]>y"), "<![CDATA[x]]]]><![CDATA[>y]]>");
        assert_eq!(cdata(""), "");
    }
}
