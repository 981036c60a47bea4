//! cel-go extension libraries as Cerbos enables them (latest versions):
//! strings, lists, math, sets, encoders, regex and the helpers of the
//! two-variable comprehension macros.

use std::cmp::Ordering;
use std::sync::Arc;

use super::functions::{
    arg, bind, int_arg, list_arg, list_value, no_overload, str_arg, string_value, value_to_string,
    Binding,
};
use super::functions::{Arity::*, CallStyle::*};
use super::program::Activation;
use super::re2::Compiled;
use super::value::{value_cmp, value_eq, EvalError, EvalResult, Map, Value};

/// The cel-go extension libraries' bindings (strings, lists, math, sets,
/// encoders, regex, two-variable comprehensions).
pub(crate) const BINDINGS: &[Binding] = &[
    // strings
    bind("charAt", Member, Exactly(2), char_at),
    bind("indexOf", Member, OneOf(2, 3), index_of),
    bind("lastIndexOf", Member, OneOf(2, 3), last_index_of),
    bind("lowerAscii", Member, Exactly(1), lower_ascii),
    bind("upperAscii", Member, Exactly(1), upper_ascii),
    bind("replace", Member, OneOf(3, 4), replace),
    bind("split", Member, OneOf(2, 3), split),
    bind("substring", Member, OneOf(2, 3), substring),
    bind("trim", Member, Exactly(1), trim),
    bind("join", Member, OneOf(1, 2), join),
    bind("strings.quote", Global, Exactly(1), quote),
    bind("reverse", Member, Exactly(1), reverse),
    bind("format", Member, Exactly(2), format),
    // lists
    bind("slice", Member, Exactly(3), slice),
    bind("flatten", Member, OneOf(1, 2), flatten),
    bind("distinct", Member, Exactly(1), distinct),
    bind("sort", Member, Exactly(1), sort),
    bind("@sortByAssociatedKeys", Either, Exactly(2), sort_by_keys),
    bind("lists.range", Global, Exactly(1), range),
    bind("first", Member, Exactly(1), first),
    bind("last", Member, Exactly(1), last),
    // math
    bind("math.greatest", Global, AtLeast(1), greatest),
    bind("math.@max", Global, AtLeast(1), greatest),
    bind("math.least", Global, AtLeast(1), least),
    bind("math.@min", Global, AtLeast(1), least),
    bind("math.ceil", Either, Exactly(1), |_, a| dbl(a, f64::ceil)),
    bind("math.floor", Either, Exactly(1), |_, a| dbl(a, f64::floor)),
    bind("math.round", Either, Exactly(1), |_, a| dbl(a, f64::round)),
    bind("math.trunc", Either, Exactly(1), |_, a| dbl(a, f64::trunc)),
    bind("math.isInf", Either, Exactly(1), |_, a| {
        dbl_pred(a, f64::is_infinite)
    }),
    bind("math.isNaN", Either, Exactly(1), |_, a| {
        dbl_pred(a, f64::is_nan)
    }),
    bind("math.isFinite", Either, Exactly(1), |_, a| {
        dbl_pred(a, f64::is_finite)
    }),
    bind("math.abs", Either, Exactly(1), abs),
    bind("math.sign", Either, Exactly(1), sign),
    bind("math.sqrt", Either, Exactly(1), sqrt),
    bind("math.bitAnd", Either, Exactly(2), |_, a| {
        bits(a, |x, y| x & y, |x, y| x & y)
    }),
    bind("math.bitOr", Either, Exactly(2), |_, a| {
        bits(a, |x, y| x | y, |x, y| x | y)
    }),
    bind("math.bitXor", Either, Exactly(2), |_, a| {
        bits(a, |x, y| x ^ y, |x, y| x ^ y)
    }),
    bind("math.bitNot", Either, Exactly(1), bit_not),
    bind("math.bitShiftLeft", Either, Exactly(2), shift_left),
    bind("math.bitShiftRight", Either, Exactly(2), shift_right),
    // sets
    bind("sets.contains", Either, Exactly(2), sets_contains),
    bind("sets.equivalent", Either, Exactly(2), sets_equivalent),
    bind("sets.intersects", Either, Exactly(2), sets_intersects),
    // encoders
    bind("base64.encode", Either, Exactly(1), b64_encode),
    bind("base64.decode", Either, Exactly(1), b64_decode),
    bind("json.encode", Either, Exactly(1), json_encode),
    // regex
    bind("regex.replace", Either, OneOf(3, 4), regex_replace),
    bind("regex.extract", Either, Exactly(2), regex_extract),
    bind("regex.extractAll", Either, Exactly(2), regex_extract_all),
    // two-variable comprehension helpers
    bind("cel.@mapInsert", Either, OneOf(2, 3), map_insert),
];

// ---------------------------------------------------------------- strings

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn char_at(_: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0)?;
    let i = int_arg(a, 1)?;
    let cs = chars(s);
    if i < 0 || i as usize > cs.len() {
        return Err(EvalError::msg(format!("index out of range: {i}")));
    }
    Ok(Value::from(
        cs.get(i as usize)
            .map(|c| c.to_string())
            .unwrap_or_default(),
    ))
}

fn find_from(hay: &[char], needle: &[char], from: usize) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

fn index_of(_: &Activation, a: &[Value]) -> EvalResult {
    let s = chars(str_arg(a, 0)?);
    let sub = chars(str_arg(a, 1)?);
    let off = if a.len() > 2 { int_arg(a, 2)? } else { 0 };
    if off < 0 {
        return Err(EvalError::msg(format!("index out of range: {off}")));
    }
    let off_u = off as usize;
    if sub.is_empty() {
        return Ok(Value::Int(off.min(s.len() as i64)));
    }
    if off_u >= s.len() {
        return Ok(Value::Int(-1));
    }
    Ok(Value::Int(
        find_from(&s, &sub, off_u).map(|i| i as i64).unwrap_or(-1),
    ))
}

fn last_index_of(_: &Activation, a: &[Value]) -> EvalResult {
    let s = chars(str_arg(a, 0)?);
    let sub = chars(str_arg(a, 1)?);
    let off = if a.len() > 2 {
        int_arg(a, 2)?
    } else {
        if sub.is_empty() {
            return Ok(Value::Int(s.len() as i64));
        }
        if s.len() < sub.len() {
            return Ok(Value::Int(-1));
        }
        s.len() as i64 - 1
    };
    if off < 0 {
        return Err(EvalError::msg(format!("index out of range: {off}")));
    }
    if sub.is_empty() {
        return Ok(Value::Int(off.min(s.len() as i64)));
    }
    if off as usize >= s.len() || sub.len() > s.len() {
        return Ok(Value::Int(-1));
    }
    let start = (off as usize).min(s.len() - sub.len());
    for i in (0..=start).rev() {
        if s.get(i..i + sub.len()) == Some(sub.as_slice()) {
            return Ok(Value::Int(i as i64));
        }
    }
    Ok(Value::Int(-1))
}

fn lower_ascii(act: &Activation, a: &[Value]) -> EvalResult {
    string_value(act, str_arg(a, 0)?.to_ascii_lowercase())
}

fn upper_ascii(act: &Activation, a: &[Value]) -> EvalResult {
    string_value(act, str_arg(a, 0)?.to_ascii_uppercase())
}

fn replace(act: &Activation, a: &[Value]) -> EvalResult {
    let (s, old, new) = (str_arg(a, 0)?, str_arg(a, 1)?, str_arg(a, 2)?);
    let n = if a.len() > 3 { int_arg(a, 3)? } else { -1 };
    // Bound the output before building it.
    let count = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    act.charge((count as u64).saturating_mul(new.len() as u64) / 16)?;
    let out = if n < 0 {
        s.replace(old, new)
    } else {
        s.replacen(old, new, n as usize)
    };
    string_value(act, out)
}

fn split(act: &Activation, a: &[Value]) -> EvalResult {
    let (s, sep) = (str_arg(a, 0)?, str_arg(a, 1)?);
    let n = if a.len() > 2 { int_arg(a, 2)? } else { -1 };
    if n == 0 {
        return Ok(Value::List(Arc::from(Vec::new())));
    }
    let parts: Vec<Value> = if sep.is_empty() {
        // Go splits into UTF-8 sequences, the last one keeping the rest.
        let cs: Vec<char> = s.chars().collect();
        let limit = if n < 0 {
            cs.len()
        } else {
            (n as usize).min(cs.len())
        };
        let mut out = Vec::with_capacity(limit);
        for (i, c) in cs.iter().enumerate() {
            if limit > 0 && i + 1 == limit {
                out.push(Value::from(cs[i..].iter().collect::<String>()));
                break;
            }
            out.push(Value::from(c.to_string()));
        }
        out
    } else if n < 0 {
        s.split(sep).map(Value::from).collect()
    } else {
        s.splitn(n as usize, sep).map(Value::from).collect()
    };
    list_value(act, parts)
}

fn substring(act: &Activation, a: &[Value]) -> EvalResult {
    let cs = chars(str_arg(a, 0)?);
    let start = int_arg(a, 1)?;
    let l = cs.len() as i64;
    let end = if a.len() > 2 { int_arg(a, 2)? } else { l };
    if a.len() > 2 && start > end {
        return Err(EvalError::msg(format!(
            "invalid substring range. start: {start}, end: {end}"
        )));
    }
    if start < 0 || start > l {
        return Err(EvalError::msg(format!("index out of range: {start}")));
    }
    if end < 0 || end > l {
        return Err(EvalError::msg(format!("index out of range: {end}")));
    }
    string_value(
        act,
        cs.get(start as usize..end as usize)
            .map(|c| c.iter().collect())
            .unwrap_or_default(),
    )
}

fn trim(act: &Activation, a: &[Value]) -> EvalResult {
    string_value(act, str_arg(a, 0)?.trim().to_string())
}

fn join(act: &Activation, a: &[Value]) -> EvalResult {
    let l = list_arg(a, 0)?;
    let sep = if a.len() > 1 { str_arg(a, 1)? } else { "" };
    let mut out = String::new();
    for (i, e) in l.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        match e {
            Value::String(s) => out.push_str(s),
            // cel-go's guard checks the list's elements against `list(string)`.
            _ => return Err(no_overload("join", a)),
        }
    }
    string_value(act, out)
}

fn quote(act: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0)?;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    string_value(act, out)
}

fn reverse(act: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::String(s) => string_value(act, s.chars().rev().collect()),
        Value::List(l) => list_value(act, l.iter().rev().cloned().collect()),
        _ => Err(no_overload("reverse", a)),
    }
}

// ---------------------------------------------------------------- format

fn fmt_err(msg: String) -> EvalError {
    EvalError::msg(format!("error during formatting: {msg}"))
}

fn special_double(d: f64) -> Option<String> {
    if d.is_nan() {
        Some("NaN".into())
    } else if d.is_infinite() {
        Some(if d > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        None
    }
}

/// The `%s` rendering of a value inside `format`.
fn fmt_string(v: &Value, depth: usize) -> EvalResult<String> {
    if depth > super::value::MAX_VALUE_DEPTH {
        return Err(fmt_err("value nesting too deep".into()));
    }
    Ok(match v {
        Value::Null => "null".into(),
        Value::Double(d) => special_double(*d).unwrap_or_else(|| format!("{d}")),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::List(l) => {
            let parts = l
                .iter()
                .map(|e| fmt_string(e, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", parts.join(", "))
        }
        Value::Map(m) => {
            let mut parts = m
                .iter()
                .map(|(k, v)| Ok((fmt_string(k, depth + 1)?, fmt_string(v, depth + 1)?)))
                .collect::<EvalResult<Vec<_>>>()?;
            crate::sort::sort(&mut parts);
            let parts: Vec<String> = parts.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Timestamp(t) => t.to_rfc3339_utc(),
        Value::Message(_) | Value::Optional(_) => {
            return Err(fmt_err(format!(
                "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given {}",
                v.type_name()
            )))
        }
        other => value_to_string(other).map_err(|_| {
            fmt_err(format!(
                "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given {}",
                other.type_name()
            ))
        })?,
    })
}

fn go_exp(d: f64, prec: usize) -> String {
    let s = format!("{d:.prec$e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let e: i32 = e.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", e.abs())
        }
        None => s,
    }
}

fn as_double_for_fmt(v: &Value, clause: &str) -> EvalResult<f64> {
    match v {
        Value::Double(d) => Ok(*d),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        other => Err(fmt_err(format!(
            "{clause} clause can only be used on ints, uints, and doubles, was given {}",
            other.type_name()
        ))),
    }
}

fn format(act: &Activation, a: &[Value]) -> EvalResult {
    let f = str_arg(a, 0)?;
    let args = list_arg(a, 1)?;
    let mut out = String::new();
    let mut it = f.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if it.peek() == Some(&'%') {
            it.next();
            out.push('%');
            continue;
        }
        let mut prec: Option<usize> = None;
        if it.peek() == Some(&'.') {
            it.next();
            let mut p = 0usize;
            while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                p = p.saturating_mul(10).saturating_add(d as usize).min(1000);
                it.next();
            }
            prec = Some(p);
        }
        let verb = it.next().ok_or_else(|| {
            EvalError::msg("could not parse formatting clause: unexpected end of string")
        })?;
        if !matches!(verb, 's' | 'd' | 'f' | 'e' | 'b' | 'o' | 'x' | 'X') {
            return Err(EvalError::msg(format!(
                "could not parse formatting clause: unrecognized formatting clause \"{verb}\""
            )));
        }
        let v = args
            .get(next_arg)
            .ok_or_else(|| EvalError::msg(format!("index {next_arg} out of range")))?;
        next_arg += 1;
        let piece = match verb {
            's' => fmt_string(v, 0)?,
            'd' => match v {
                Value::Int(i) => i.to_string(),
                Value::Uint(u) => u.to_string(),
                Value::Double(d) => special_double(*d).unwrap_or_else(|| format!("{d}")),
                other => {
                    return Err(fmt_err(format!(
                        "decimal clause can only be used on ints, uints, and doubles, was given {}",
                        other.type_name()
                    )))
                }
            },
            'f' => {
                let d = as_double_for_fmt(v, "fixed-point")?;
                special_double(d).unwrap_or_else(|| {
                    let p = prec.unwrap_or(6);
                    format!("{d:.p$}")
                })
            }
            'e' => {
                let d = as_double_for_fmt(v, "scientific")?;
                special_double(d).unwrap_or_else(|| go_exp(d, prec.unwrap_or(6)))
            }
            'b' => match v {
                Value::Int(i) => {
                    if *i < 0 {
                        format!("-{:b}", i.unsigned_abs())
                    } else {
                        format!("{i:b}")
                    }
                }
                Value::Uint(u) => format!("{u:b}"),
                Value::Bool(b) => u8::from(*b).to_string(),
                other => {
                    return Err(fmt_err(format!(
                        "only ints, uints, and bools can be formatted as binary, was given {}",
                        other.type_name()
                    )))
                }
            },
            'o' => match v {
                Value::Int(i) => {
                    if *i < 0 {
                        format!("-{:o}", i.unsigned_abs())
                    } else {
                        format!("{i:o}")
                    }
                }
                Value::Uint(u) => format!("{u:o}"),
                other => {
                    return Err(fmt_err(format!(
                        "octal clause can only be used on ints and uints, was given {}",
                        other.type_name()
                    )))
                }
            },
            _ => {
                let s = match v {
                    Value::Int(i) => {
                        if *i < 0 {
                            format!("-{:x}", i.unsigned_abs())
                        } else {
                            format!("{i:x}")
                        }
                    }
                    Value::Uint(u) => format!("{u:x}"),
                    Value::String(s) => s.bytes().map(|b| format!("{b:02x}")).collect(),
                    Value::Bytes(b) => b.iter().map(|b| format!("{b:02x}")).collect(),
                    other => {
                        return Err(fmt_err(format!(
                            "only ints, uints, bytes, and strings can be formatted as hex, was given {}",
                            other.type_name()
                        )))
                    }
                };
                if verb == 'X' {
                    s.to_ascii_uppercase()
                } else {
                    s
                }
            }
        };
        out.push_str(&piece);
    }
    string_value(act, out)
}

// ---------------------------------------------------------------- lists

fn slice(act: &Activation, a: &[Value]) -> EvalResult {
    let l = list_arg(a, 0)?;
    let (start, end) = (int_arg(a, 1)?, int_arg(a, 2)?);
    if start < 0 || end < 0 {
        return Err(EvalError::msg(format!(
            "cannot slice({start}, {end}), negative indexes not supported"
        )));
    }
    if start > end {
        return Err(EvalError::msg(format!(
            "cannot slice({start}, {end}), start index must be less than or equal to end index"
        )));
    }
    if (l.len() as i64) < end {
        return Err(EvalError::msg(format!(
            "cannot slice({start}, {end}), list is length {}",
            l.len()
        )));
    }
    list_value(
        act,
        l.get(start as usize..end as usize)
            .map(|s| s.to_vec())
            .unwrap_or_default(),
    )
}

/// A value's runtime type as cel-go prints a `*types.Type` (aggregates
/// with their `dyn` parameters).
fn go_type_string(v: &Value) -> String {
    match v {
        Value::List(_) => "list(dyn)".into(),
        Value::Map(_) => "map(dyn, dyn)".into(),
        Value::Optional(_) => "optional_type(dyn)".into(),
        other => other.type_name().into(),
    }
}

fn flatten_into(l: &[Value], depth: i64, out: &mut Vec<Value>, guard: usize) -> EvalResult<()> {
    if guard > super::value::MAX_VALUE_DEPTH {
        return Err(EvalError::msg("flatten: nesting too deep"));
    }
    for v in l {
        match v {
            Value::List(inner) if depth > 0 => flatten_into(inner, depth - 1, out, guard + 1)?,
            other => out.push(other.clone()),
        }
    }
    Ok(())
}

fn flatten(act: &Activation, a: &[Value]) -> EvalResult {
    // The lists extension disables type guards here and words its own
    // refusal with the receiver's and argument's runtime types.
    let refuse = || {
        let args: Vec<String> = a.iter().skip(1).map(go_type_string).collect();
        EvalError::msg(format!(
            "no such overload: {}.flatten({})",
            a.first().map(go_type_string).unwrap_or_default(),
            args.join(", ")
        ))
    };
    let Some(Value::List(l)) = a.first() else {
        return Err(refuse());
    };
    let depth = match a.get(1) {
        None => 1,
        Some(Value::Int(d)) => *d,
        Some(_) => return Err(refuse()),
    };
    if depth < 0 {
        return Err(EvalError::msg("level must be non-negative"));
    }
    let mut out = Vec::new();
    flatten_into(l, depth, &mut out, 0)?;
    list_value(act, out)
}

fn distinct(act: &Activation, a: &[Value]) -> EvalResult {
    let l = list_arg(a, 0)?;
    act.charge((l.len() as u64).saturating_mul(l.len() as u64) / 64)?;
    let mut out: Vec<Value> = Vec::new();
    for v in l.iter() {
        if !out.iter().any(|o| value_eq(o, v, 0)) {
            out.push(v.clone());
        }
    }
    list_value(act, out)
}

fn sortable(l: &[Value]) -> EvalResult<()> {
    let Some(first) = l.first() else {
        return Ok(());
    };
    // cel-go checks that the first element is comparable, then that every
    // element has its type.
    if !matches!(
        first,
        Value::Int(_)
            | Value::Uint(_)
            | Value::Double(_)
            | Value::String(_)
            | Value::Bytes(_)
            | Value::Bool(_)
            | Value::Timestamp(_)
            | Value::Duration(_)
    ) {
        return Err(EvalError::msg("list elements must be comparable"));
    }
    if l.iter()
        .any(|v| std::mem::discriminant(v) != std::mem::discriminant(first))
    {
        return Err(EvalError::msg("list elements must have the same type"));
    }
    Ok(())
}

fn sort(act: &Activation, a: &[Value]) -> EvalResult {
    let l = list_arg(a, 0)?;
    sortable(l)?;
    let mut v = l.to_vec();
    crate::sort::sort_by(&mut v, |x, y| value_cmp(x, y).unwrap_or(Ordering::Equal));
    list_value(act, v)
}

fn sort_by_keys(act: &Activation, a: &[Value]) -> EvalResult {
    let l = list_arg(a, 0)?;
    let keys = list_arg(a, 1)?;
    if l.len() != keys.len() {
        return Err(EvalError::msg(format!(
            "@sortByAssociatedKeys() expected a list of the same size as the associated keys list, but got {} and {} elements respectively",
            l.len(),
            keys.len()
        )));
    }
    sortable(keys)?;
    let mut idx: Vec<usize> = (0..l.len()).collect();
    crate::sort::sort_by(&mut idx, |&i, &j| match (keys.get(i), keys.get(j)) {
        (Some(x), Some(y)) => value_cmp(x, y).unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    });
    list_value(
        act,
        idx.into_iter().filter_map(|i| l.get(i).cloned()).collect(),
    )
}

fn range(act: &Activation, a: &[Value]) -> EvalResult {
    let n = int_arg(a, 0)?;
    let n = n.max(0);
    act.charge(n as u64)?;
    Ok(Value::List(Arc::from(
        (0..n).map(Value::Int).collect::<Vec<_>>(),
    )))
}

fn first(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Optional(
        list_arg(a, 0)?.first().cloned().map(Arc::new),
    ))
}

fn last(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Optional(
        list_arg(a, 0)?.last().cloned().map(Arc::new),
    ))
}

// ---------------------------------------------------------------- math

fn numeric_list(a: &[Value], function: &str) -> EvalResult<Vec<Value>> {
    // One argument that is a list, or three and more (which the macro
    // gathers into a list), go through cel-go's list implementation; one
    // scalar or two arguments through guarded overloads.
    let (vals, listed): (Vec<Value>, bool) = match a {
        [Value::List(l)] => (l.to_vec(), true),
        _ => (a.to_vec(), a.len() > 2),
    };
    if vals.is_empty() {
        return Err(EvalError::msg(format!(
            "{function}(list) argument must not be empty"
        )));
    }
    let numeric = |v: &Value| matches!(v, Value::Int(_) | Value::Uint(_) | Value::Double(_));
    // cel-go's guard judges a list by its first element; a later
    // non-number fails the implementation's pairwise comparison.
    if !vals.iter().all(numeric) {
        return Err(if listed && vals.first().is_some_and(numeric) {
            EvalError::NoOperatorOverload {
                operator: function.to_string(),
            }
        } else {
            EvalError::NoSuchOverload
        });
    }
    Ok(vals)
}

fn pick(a: &[Value], want: Ordering) -> EvalResult {
    let function = if want == Ordering::Greater {
        "math.@max"
    } else {
        "math.@min"
    };
    let vals = numeric_list(a, function)?;
    let mut best = vals.first().cloned().ok_or(EvalError::NoSuchOverload)?;
    for v in vals.iter().skip(1) {
        match value_cmp(v, &best) {
            Ok(o) if o == want => best = v.clone(),
            Ok(_) => {}
            Err(_) => {
                // NaN propagates through comparisons.
                if matches!(v, Value::Double(d) if d.is_nan()) {
                    best = v.clone();
                }
            }
        }
    }
    Ok(best)
}

fn greatest(_: &Activation, a: &[Value]) -> EvalResult {
    pick(a, Ordering::Greater)
}

fn least(_: &Activation, a: &[Value]) -> EvalResult {
    pick(a, Ordering::Less)
}

fn dbl(a: &[Value], f: fn(f64) -> f64) -> EvalResult {
    match arg(a, 0)? {
        Value::Double(d) => Ok(Value::Double(f(*d))),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn dbl_pred(a: &[Value], f: fn(f64) -> bool) -> EvalResult {
    match arg(a, 0)? {
        Value::Double(d) => Ok(Value::Bool(f(*d))),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn abs(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        Value::Uint(u) => Ok(Value::Uint(*u)),
        Value::Double(d) => Ok(Value::Double(d.abs())),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn sign(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Int(i) => Ok(Value::Int(i.signum())),
        Value::Uint(u) => Ok(Value::Uint(u64::from(*u != 0))),
        Value::Double(d) => Ok(Value::Double(if d.is_nan() {
            *d
        } else if *d > 0.0 {
            1.0
        } else if *d < 0.0 {
            -1.0
        } else {
            0.0
        })),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn sqrt(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Int(i) => Ok(Value::Double((*i as f64).sqrt())),
        Value::Uint(u) => Ok(Value::Double((*u as f64).sqrt())),
        Value::Double(d) => Ok(Value::Double(d.sqrt())),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn bits(a: &[Value], fi: fn(i64, i64) -> i64, fu: fn(u64, u64) -> u64) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::Int(x), Value::Int(y)) => Ok(Value::Int(fi(*x, *y))),
        (Value::Uint(x), Value::Uint(y)) => Ok(Value::Uint(fu(*x, *y))),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn bit_not(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Int(x) => Ok(Value::Int(!x)),
        Value::Uint(x) => Ok(Value::Uint(!x)),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn shift_left(_: &Activation, a: &[Value]) -> EvalResult {
    let n = int_arg(a, 1)?;
    if n < 0 {
        return Err(EvalError::msg(format!(
            "math.bitShiftLeft() negative offset: {n}"
        )));
    }
    match arg(a, 0)? {
        Value::Int(x) => Ok(Value::Int(if n >= 64 { 0 } else { x << n })),
        Value::Uint(x) => Ok(Value::Uint(if n >= 64 { 0 } else { x << n })),
        _ => Err(EvalError::NoSuchOverload),
    }
}

fn shift_right(_: &Activation, a: &[Value]) -> EvalResult {
    let n = int_arg(a, 1)?;
    if n < 0 {
        return Err(EvalError::msg(format!(
            "math.bitShiftRight() negative offset: {n}"
        )));
    }
    match arg(a, 0)? {
        Value::Int(x) => Ok(Value::Int(if n >= 64 {
            0
        } else {
            ((*x as u64) >> n) as i64
        })),
        Value::Uint(x) => Ok(Value::Uint(if n >= 64 { 0 } else { x >> n })),
        _ => Err(EvalError::NoSuchOverload),
    }
}

// ---------------------------------------------------------------- sets

fn contains_elem(l: &[Value], v: &Value) -> bool {
    l.iter().any(|e| value_eq(e, v, 0))
}

fn sets_contains(act: &Activation, a: &[Value]) -> EvalResult {
    let (x, y) = (list_arg(a, 0)?, list_arg(a, 1)?);
    act.charge((x.len() as u64).saturating_mul(y.len() as u64) / 64)?;
    Ok(Value::Bool(y.iter().all(|e| contains_elem(x, e))))
}

fn sets_equivalent(act: &Activation, a: &[Value]) -> EvalResult {
    let (x, y) = (list_arg(a, 0)?, list_arg(a, 1)?);
    act.charge((x.len() as u64).saturating_mul(y.len() as u64) / 32)?;
    Ok(Value::Bool(
        y.iter().all(|e| contains_elem(x, e)) && x.iter().all(|e| contains_elem(y, e)),
    ))
}

fn sets_intersects(act: &Activation, a: &[Value]) -> EvalResult {
    let (x, y) = (list_arg(a, 0)?, list_arg(a, 1)?);
    act.charge((x.len() as u64).saturating_mul(y.len() as u64) / 64)?;
    Ok(Value::Bool(x.iter().any(|e| contains_elem(y, e))))
}

// ---------------------------------------------------------------- encoders

fn b64_encode(act: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Bytes(b) => string_value(act, super::functions::base64_encode(b)),
        _ => Err(no_overload("base64.encode", a)),
    }
}

fn b64_decode(act: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0)?;
    act.charge(s.len() as u64 / 16)?;
    // cel-go decodes with Go's padded standard encoding and, on corrupt
    // input, retries unpadded, reporting the second attempt's error.
    let out = go_base64_decode(s.as_bytes(), true)
        .or_else(|_| go_base64_decode(s.as_bytes(), false))
        .map_err(|at| EvalError::msg(format!("illegal base64 data at input byte {at}")))?;
    Ok(Value::Bytes(Arc::from(out)))
}

/// Go's `base64.StdEncoding` / `RawStdEncoding` decoding (not strict:
/// line breaks are skipped and trailing bits ignored); the error is the
/// offset Go's `CorruptInputError` reports.
fn go_base64_decode(src: &[u8], padded: bool) -> Result<Vec<u8>, usize> {
    fn sextet(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let newline = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 3);
    let mut si = 0;
    loop {
        // One quantum of up to four sextets.
        let mut buf = [0u8; 4];
        let mut len = 4;
        let mut j = 0;
        let mut end = false;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                if j == 0 {
                    return Ok(out);
                }
                if j == 1 || padded {
                    return Err(si - j);
                }
                len = j;
                end = true;
                break;
            };
            si += 1;
            if let Some(v) = sextet(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if newline(c) {
                continue;
            }
            if !padded || c != b'=' {
                return Err(si - 1);
            }
            // Padding: only after two or three sextets, and last.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while src.get(si).is_some_and(|&c| newline(c)) {
                        si += 1;
                    }
                    match src.get(si) {
                        None => return Err(src.len()),
                        Some(&b'=') => si += 1,
                        Some(_) => return Err(si - 1),
                    }
                }
                _ => {}
            }
            while src.get(si).is_some_and(|&c| newline(c)) {
                si += 1;
            }
            if si < src.len() {
                return Err(si);
            }
            len = j;
            end = true;
            break;
        }
        let v = u32::from(buf[0]) << 18
            | u32::from(buf[1]) << 12
            | u32::from(buf[2]) << 6
            | u32::from(buf[3]);
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(bytes.get(..len - 1).unwrap_or(&[]));
        if end {
            return Ok(out);
        }
    }
}

fn json_encode(act: &Activation, a: &[Value]) -> EvalResult {
    let j = arg(a, 0)?.to_json()?;
    let s = serde_json::to_string(&j).map_err(|e| EvalError::msg(e.to_string()))?;
    string_value(act, s)
}

// ---------------------------------------------------------------- regex
//
// cel-go's `ext/regex.go` over Go's `FindAll*` iteration (see `go_find_all`).

fn regex_replace(act: &Activation, a: &[Value]) -> EvalResult {
    super::functions::with_dynamic_regex(regex_replace_with, 1, act, a)
}

fn regex_extract(act: &Activation, a: &[Value]) -> EvalResult {
    super::functions::with_dynamic_regex(regex_extract_with, 1, act, a)
}

fn regex_extract_all(act: &Activation, a: &[Value]) -> EvalResult {
    super::functions::with_dynamic_regex(regex_extract_all_with, 1, act, a)
}

/// Go's `allMatches`: successive matches, where an empty match right after
/// the previous match is skipped (regex-lite's iterator differs there).
fn go_find_all<'h>(
    re: &regex_lite::Regex,
    s: &'h str,
    mut each: impl FnMut(&regex_lite::Captures<'h>) -> EvalResult<bool>,
) -> EvalResult<()> {
    let mut pos = 0;
    let mut prev_end: Option<usize> = None;
    while pos <= s.len() {
        let Some(caps) = re.captures_at(s, pos) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        let mut accept = true;
        if m.end() == pos {
            if Some(m.start()) == prev_end {
                accept = false;
            }
            pos += s
                .get(pos..)
                .and_then(|r| r.chars().next())
                .map_or(1, char::len_utf8);
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept && !each(&caps)? {
            break;
        }
    }
    Ok(())
}

/// cel-go's `replaceStrValidator`: `\N` inserts group N, `\\` a backslash.
fn expand_replacement(
    repl: &str,
    caps: &regex_lite::Captures<'_>,
    groups: usize,
    out: &mut String,
) -> EvalResult<()> {
    let mut it = repl.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            None => {
                return Err(EvalError::msg(format!(
                    "invalid replacement string: '{repl}' \\ not allowed at end"
                )))
            }
            Some('\\') => out.push('\\'),
            Some(d) => {
                let Some(g) = d.to_digit(10).filter(|_| d.is_ascii_digit()) else {
                    return Err(EvalError::msg(format!(
                        "invalid replacement string: '{repl}' \\ must be followed by a digit or \\"
                    )));
                };
                let g = g as usize;
                if g > groups {
                    return Err(EvalError::msg(format!(
                        "replacement string references group {g} but regex has only {groups} group(s)"
                    )));
                }
                if let Some(m) = caps.get(g) {
                    out.push_str(m.as_str());
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn regex_replace_with(act: &Activation, a: &[Value], re: &Compiled) -> EvalResult {
    let (s, repl) = (str_arg(a, 0)?, str_arg(a, 2)?);
    let n = if a.len() > 3 { int_arg(a, 3)? } else { -1 };
    if n == 0 {
        return Ok(Value::from(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut count: i64 = 0;
    go_find_all(&re.re, s, |caps| {
        if n >= 0 && count >= n {
            return Ok(false);
        }
        let Some(m) = caps.get(0) else {
            return Ok(false);
        };
        out.push_str(s.get(last..m.start()).unwrap_or(""));
        expand_replacement(repl, caps, re.groups, &mut out)?;
        last = m.end();
        count += 1;
        act.charge(1)?;
        Ok(true)
    })?;
    out.push_str(s.get(last..).unwrap_or(""));
    string_value(act, out)
}

fn too_many_groups(a: &[Value]) -> EvalError {
    EvalError::msg(format!(
        "regular expression has more than one capturing group: {:?}",
        str_arg(a, 1).unwrap_or("")
    ))
}

pub(crate) fn regex_extract_with(_: &Activation, a: &[Value], re: &Compiled) -> EvalResult {
    let s = str_arg(a, 0)?;
    if re.groups > 1 {
        return Err(too_many_groups(a));
    }
    let Some(caps) = re.re.captures(s) else {
        return Ok(Value::Optional(None));
    };
    // With a group, an empty or absent group is "no match" (cel-go).
    let found = if re.groups == 1 {
        caps.get(1).map(|m| m.as_str()).filter(|t| !t.is_empty())
    } else {
        caps.get(0).map(|m| m.as_str())
    };
    Ok(Value::Optional(found.map(|t| Arc::new(Value::from(t)))))
}

pub(crate) fn regex_extract_all_with(act: &Activation, a: &[Value], re: &Compiled) -> EvalResult {
    let s = str_arg(a, 0)?;
    if re.groups > 1 {
        return Err(too_many_groups(a));
    }
    let mut out = Vec::new();
    go_find_all(&re.re, s, |caps| {
        let g = if re.groups == 1 {
            caps.get(1).map(|m| m.as_str()).filter(|t| !t.is_empty())
        } else {
            caps.get(0).map(|m| m.as_str())
        };
        if let Some(t) = g {
            act.charge(1)?;
            out.push(Value::from(t));
        }
        Ok(true)
    })?;
    list_value(act, out)
}

// ---------------------------------------------------------------- comprehensions

fn map_insert(act: &Activation, a: &[Value]) -> EvalResult {
    let m = match arg(a, 0)? {
        Value::Map(m) => m,
        _ => return Err(EvalError::NoSuchOverload),
    };
    let mut out: Map = m.as_ref().clone();
    let mut put = |k: &Value, v: &Value| -> EvalResult<()> {
        if !k.is_valid_key() {
            return Err(EvalError::UnsupportedKeyType);
        }
        if out.contains_key(k) {
            return Err(EvalError::msg(format!(
                "insert failed: key {} already exists",
                value_to_string(k).unwrap_or_default()
            )));
        }
        out.insert(k.clone(), v.clone());
        Ok(())
    };
    match a {
        [_, Value::Map(other)] => {
            for (k, v) in other.iter() {
                put(k, v)?;
            }
        }
        [_, k, v] => put(k, v)?,
        _ => return Err(EvalError::NoSuchOverload),
    }
    act.charge(1)?;
    Ok(Value::Map(Arc::new(out)))
}
