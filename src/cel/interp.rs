//! The tree-walking interpreter over prepared [`Program`]s.
//!
//! Recursion follows the prepared tree, whose depth
//! [`Program::prepare`](super::program::Program::prepare) bounds; loops are
//! bounded by the activation's budget.

use std::sync::Arc;

use std::borrow::Cow;

use super::program::{Activation, Append, CompNode, Node, PathStep, Program, RelOp};
use super::value::value_eq;
use super::value::{EvalError, EvalResult, Map, Opaque, Value};

struct Ctx<'a> {
    act: &'a Activation,
    /// Comprehension variables; the accumulator may hold an error, which a
    /// later step can still absorb (`false && error`).
    locals: Vec<EvalResult>,
}

pub(crate) fn run(p: &Program, act: &Activation) -> EvalResult {
    // Plans without comprehensions (most conditions) skip the frame setup.
    if let Node::Const(v) = &p.root {
        return Ok(v.clone());
    }
    let mut locals = Vec::new();
    if p.locals > 0 {
        locals.resize_with(p.locals, || Ok(Value::Null));
    }
    let mut ctx = Ctx { act, locals };
    eval(&p.root, &mut ctx)
}

fn bool_of(v: &EvalResult) -> Option<bool> {
    match v {
        Ok(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn non_bool(v: EvalResult) -> EvalError {
    match v {
        Err(e) => e,
        Ok(_) => EvalError::NoSuchOverload,
    }
}

fn eval(n: &Node, ctx: &mut Ctx<'_>) -> EvalResult {
    match n {
        Node::Const(v) => Ok(v.clone()),
        Node::Error(e) => Err(e.clone()),
        Node::Slot(i, name) => ctx
            .act
            .get(*i)
            .cloned()
            .ok_or_else(|| EvalError::NoSuchAttribute(name.to_string())),
        Node::Local(i) => match ctx.locals.get(*i) {
            Some(r) => r.clone(),
            None => Ok(Value::Null),
        },
        Node::Field {
            operand,
            ty,
            idx,
            name,
        } => {
            let v = eval(operand, ctx)?;
            match &v {
                Value::Message(m) if std::ptr::eq(m.ty, *ty) => m.get(*idx),
                _ => select(&v, name, false, false),
            }
        }
        Node::Select {
            operand,
            field,
            test_only,
            optional,
        } => {
            let v = eval(operand, ctx)?;
            select(&v, field, *test_only, *optional)
        }
        Node::Path { root, steps } => eval_path(root, steps, ctx),
        Node::Rel { op, a, b } => eval_rel(*op, a, b, ctx),
        Node::And(a, b) => eval_and(a, b, ctx),
        Node::Or(a, b) => eval_or(a, b, ctx),
        Node::Cond(c, t, f) => match eval(c, ctx)? {
            Value::Bool(true) => eval(t, ctx),
            Value::Bool(false) => eval(f, ctx),
            _ => Err(EvalError::NoSuchOverload),
        },
        Node::Not(a) => match eval(a, ctx)? {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            other => Err(super::functions::no_overload("!_", &[other])),
        },
        Node::NotStrictlyFalse(a) => match eval(a, ctx) {
            Ok(Value::Bool(b)) => Ok(Value::Bool(b)),
            _ => Ok(Value::Bool(true)),
        },
        Node::Call {
            func,
            name,
            args,
            non_strict,
        } => {
            if *non_strict {
                eval_non_strict_call(func, name, args, ctx)
            } else {
                eval_call(func, name, args, ctx)
            }
        }
        Node::Regex {
            func,
            name,
            args,
            re,
        } => eval_regex(*func, name, args, re, ctx),
        Node::OptOr {
            target,
            alt,
            or_value,
        } => eval_opt_or(target, alt, *or_value, ctx),
        Node::List { elems, optional } => eval_list(elems, optional, ctx),
        Node::Map { entries } => eval_map(entries, ctx),
        Node::Comprehension(c) => comprehension(c, ctx),
    }
}

#[inline(never)]
fn eval_regex(
    func: super::functions::RegexFn,
    name: &str,
    args: &[Node],
    re: &super::re2::Compiled,
    ctx: &mut Ctx<'_>,
) -> EvalResult {
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(eval(a, ctx)?);
    }
    func(ctx.act, &vals, re).map_err(|e| match e {
        EvalError::NoSuchOverload => super::functions::no_overload(name, &vals),
        other => other,
    })
}

#[inline(never)]
fn eval_path(root: &Node, steps: &[PathStep], ctx: &mut Ctx<'_>) -> EvalResult {
    let start: &Value = match root {
        &Node::Slot(i, ref name) => ctx
            .act
            .get(i)
            .ok_or_else(|| EvalError::NoSuchAttribute(name.to_string()))?,
        &Node::Local(i) => match ctx.locals.get(i) {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(e.clone()),
            None => return Err(EvalError::NoSuchAttribute(String::new())),
        },
        other => return walk_owned(eval(other, ctx)?, steps),
    };
    walk(start, steps)
}

#[inline(never)]
fn eval_rel(op: RelOp, a: &Node, b: &Node, ctx: &mut Ctx<'_>) -> EvalResult {
    let (l, r) = if borrowable(a) && borrowable(b) {
        let c: &Ctx<'_> = ctx;
        (
            borrowed(a, c.act, &c.locals).unwrap_or(Err(EvalError::NoSuchOverload))?,
            borrowed(b, c.act, &c.locals).unwrap_or(Err(EvalError::NoSuchOverload))?,
        )
    } else {
        (Cow::Owned(eval(a, ctx)?), Cow::Owned(eval(b, ctx)?))
    };
    match op {
        RelOp::Eq => Ok(Value::Bool(value_eq(&l, &r, 0))),
        RelOp::Ne => Ok(Value::Bool(!value_eq(&l, &r, 0))),
        RelOp::In => match r.as_ref() {
            Value::List(list) => Ok(Value::Bool(list.iter().any(|e| value_eq(e, &l, 0)))),
            Value::Map(m) => Ok(Value::Bool(m.contains_key(&l))),
            _ => Err(super::functions::no_overload(
                "@in",
                &[l.into_owned(), r.into_owned()],
            )),
        },
    }
}

#[inline(never)]
fn eval_and(a: &Node, b: &Node, ctx: &mut Ctx<'_>) -> EvalResult {
    let l = eval(a, ctx);
    if bool_of(&l) == Some(false) {
        return Ok(Value::Bool(false));
    }
    let r = eval(b, ctx);
    match (bool_of(&l), bool_of(&r)) {
        (_, Some(false)) => Ok(Value::Bool(false)),
        (Some(true), Some(true)) => Ok(Value::Bool(true)),
        (Some(true), None) => Err(non_bool(r)),
        _ => Err(non_bool(l)),
    }
}

#[inline(never)]
fn eval_or(a: &Node, b: &Node, ctx: &mut Ctx<'_>) -> EvalResult {
    let l = eval(a, ctx);
    if bool_of(&l) == Some(true) {
        return Ok(Value::Bool(true));
    }
    let r = eval(b, ctx);
    match (bool_of(&l), bool_of(&r)) {
        (_, Some(true)) => Ok(Value::Bool(true)),
        (Some(false), Some(false)) => Ok(Value::Bool(false)),
        (Some(false), None) => Err(non_bool(r)),
        _ => Err(non_bool(l)),
    }
}

#[inline(never)]
fn eval_call(
    func: &super::functions::FnImpl,
    name: &str,
    args: &[Node],
    ctx: &mut Ctx<'_>,
) -> EvalResult {
    let detail = |e: EvalError, vals: &[Value]| match e {
        EvalError::NoSuchOverload => super::functions::no_overload(name, vals),
        other => other,
    };
    match args {
        [] => func(ctx.act, &[]).map_err(|e| detail(e, &[])),
        [a] => {
            let a = eval(a, ctx)?;
            let vals = std::slice::from_ref(&a);
            func(ctx.act, vals).map_err(|e| detail(e, vals))
        }
        [a, b] => {
            let vals = [eval(a, ctx)?, eval(b, ctx)?];
            func(ctx.act, &vals).map_err(|e| detail(e, &vals))
        }
        [a, b, c] => {
            let vals = [eval(a, ctx)?, eval(b, ctx)?, eval(c, ctx)?];
            func(ctx.act, &vals).map_err(|e| detail(e, &vals))
        }
        many => {
            let mut vals = Vec::with_capacity(many.len());
            for a in many {
                vals.push(eval(a, ctx)?);
            }
            func(ctx.act, &vals).map_err(|e| detail(e, &vals))
        }
    }
}

/// A non-strict call: Cerbos's set functions receive an error argument
/// and refuse it with a bare "no such overload".
#[inline(never)]
fn eval_non_strict_call(
    func: &super::functions::FnImpl,
    name: &str,
    args: &[Node],
    ctx: &mut Ctx<'_>,
) -> EvalResult {
    let mut vals = Vec::with_capacity(args.len());
    let mut refused = false;
    for a in args {
        match eval(a, ctx) {
            Ok(v) => vals.push(v),
            Err(EvalError::CostLimitExceeded) => return Err(EvalError::CostLimitExceeded),
            Err(_) => refused = true,
        }
    }
    if refused {
        return Err(EvalError::Refused);
    }
    func(ctx.act, &vals).map_err(|e| match e {
        EvalError::NoSuchOverload => super::functions::no_overload(name, &vals),
        other => other,
    })
}

#[inline(never)]
fn eval_opt_or(target: &Node, alt: &Node, or_value: bool, ctx: &mut Ctx<'_>) -> EvalResult {
    match eval(target, ctx)? {
        Value::Optional(Some(v)) => {
            if or_value {
                Ok(v.as_ref().clone())
            } else {
                Ok(Value::Optional(Some(v)))
            }
        }
        // cel-go returns the alternative as it is, optional or not.
        Value::Optional(None) => eval(alt, ctx),
        _ => Err(EvalError::NoSuchOverload),
    }
}

/// A value as Go's `%v` prints an attribute-derived cel-go value: lists
/// show their elements as `google.protobuf.Value` text (whose spacing Go
/// derives from a hash of the binary: two spaces in Cerbos 0.55.0).
fn go_display(v: &Value, depth: usize) -> String {
    if depth > 16 {
        return "...".into();
    }
    match v {
        Value::String(s) => s.to_string(),
        Value::Null => "0".into(),
        Value::Double(d) => super::functions::format_double(*d),
        Value::List(l) => {
            let items: Vec<String> = l.iter().map(|e| proto_text(e, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, e)| format!("{}: {}", go_display(k, depth + 1), go_display(e, depth + 1)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        other => {
            super::functions::value_to_string(other).unwrap_or_else(|_| other.type_name().into())
        }
    }
}

/// A value as the text form of a `google.protobuf.Value`.
fn proto_text(v: &Value, depth: usize) -> String {
    match v {
        Value::Null => "null_value:NULL_VALUE".into(),
        Value::Bool(b) => format!("bool_value:{b}"),
        Value::Double(_) | Value::Int(_) | Value::Uint(_) => {
            format!("number_value:{}", go_display(v, depth))
        }
        Value::String(s) => format!("string_value:{}", super::goip::quote(s)),
        Value::List(l) => {
            let items: Vec<String> = l
                .iter()
                .map(|e| format!("values:{{{}}}", proto_text(e, depth + 1)))
                .collect();
            format!("list_value:{{{}}}", items.join("  "))
        }
        Value::Map(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, e)| {
                    format!(
                        "fields:{{key:{} value:{{{}}}}}",
                        super::goip::quote(&go_display(k, depth + 1)),
                        proto_text(e, depth + 1)
                    )
                })
                .collect();
            format!("struct_value:{{{}}}", items.join("  "))
        }
        other => go_display(other, depth),
    }
}

#[inline(never)]
fn eval_list(elems: &[Node], optional: &[bool], ctx: &mut Ctx<'_>) -> EvalResult {
    let mut out = Vec::with_capacity(elems.len());
    for (i, e) in elems.iter().enumerate() {
        let v = eval(e, ctx)?;
        if optional.get(i).copied().unwrap_or(false) {
            match v {
                Value::Optional(Some(inner)) => out.push(inner.as_ref().clone()),
                Value::Optional(None) => {}
                other => {
                    return Err(EvalError::msg(format!(
                        "cannot initialize optional list element from non-optional value {}",
                        go_display(&other, 0)
                    )))
                }
            }
        } else {
            out.push(v);
        }
    }
    ctx.act.charge(out.len() as u64)?;
    Ok(Value::List(Arc::from(out)))
}

#[inline(never)]
fn eval_map(entries: &[(Node, Node, bool)], ctx: &mut Ctx<'_>) -> EvalResult {
    let mut m = Map::new();
    for (k, v, opt) in entries {
        let k = eval(k, ctx)?;
        let v = eval(v, ctx)?;
        if !k.is_valid_key() {
            return Err(EvalError::UnsupportedKeyType);
        }
        let v = if *opt {
            match v {
                Value::Optional(Some(inner)) => inner.as_ref().clone(),
                Value::Optional(None) => continue,
                other => {
                    return Err(EvalError::msg(format!(
                        "cannot initialize optional entry '{}' from non-optional value {}",
                        go_display(&k, 0),
                        go_display(&other, 0)
                    )))
                }
            }
        } else {
            v
        };
        if m.contains_key(&k) {
            return Err(EvalError::RepeatedKey);
        }
        m.insert(k, v);
    }
    ctx.act.charge(m.len() as u64)?;
    Ok(Value::Map(Arc::new(m)))
}

fn borrowable(n: &Node) -> bool {
    match n {
        Node::Const(_) | Node::Slot(..) | Node::Local(_) => true,
        Node::Path { root, .. } => matches!(root.as_ref(), Node::Slot(..) | Node::Local(_)),
        _ => false,
    }
}

/// Evaluates constants, variables and variable-rooted paths without
/// cloning; `None` for nodes that need the full evaluator.
fn borrowed<'a>(
    n: &'a Node,
    act: &'a Activation,
    locals: &'a [EvalResult],
) -> Option<EvalResult<Cow<'a, Value>>> {
    let root = |r: &'a Node| -> Option<EvalResult<&'a Value>> {
        match r {
            Node::Slot(i, name) => Some(
                act.get(*i)
                    .ok_or_else(|| EvalError::NoSuchAttribute(name.to_string())),
            ),
            Node::Local(i) => Some(match locals.get(*i) {
                Some(Ok(v)) => Ok(v),
                Some(Err(e)) => Err(e.clone()),
                None => Err(EvalError::NoSuchAttribute(String::new())),
            }),
            _ => None,
        }
    };
    match n {
        Node::Const(v) => Some(Ok(Cow::Borrowed(v))),
        Node::Slot(..) | Node::Local(_) => root(n).map(|r| r.map(Cow::Borrowed)),
        Node::Path { root: r, steps } => root(r).map(|v| v.and_then(|v| walk_ref(v, steps))),
        _ => None,
    }
}

fn walk_ref<'a>(mut v: &'a Value, steps: &[PathStep]) -> EvalResult<Cow<'a, Value>> {
    for (i, step) in steps.iter().enumerate() {
        let next = match (step, v) {
            (PathStep::Field { ty, idx, .. }, Value::Message(m)) if std::ptr::eq(m.ty, *ty) => {
                match m.fields.get(*idx) {
                    Some(Some(x)) => Some(x),
                    _ => None,
                }
            }
            (PathStep::Key(k), Value::Map(m)) => match m.get_str(k) {
                Some(x) => Some(x),
                None => return Err(EvalError::NoSuchKey(k.clone())),
            },
            _ => None,
        };
        match next {
            Some(x) => v = x,
            None => {
                let owned = step_owned(v, step)?;
                return walk_owned(owned, steps.get(i + 1..).unwrap_or(&[])).map(Cow::Owned);
            }
        }
    }
    Ok(Cow::Borrowed(v))
}

/// Follows `steps` from `v` by reference, cloning only the result (or
/// switching to owned values where a default must be materialised).
fn walk(v: &Value, steps: &[PathStep]) -> EvalResult {
    walk_ref(v, steps).map(Cow::into_owned)
}

fn step_owned(v: &Value, step: &PathStep) -> EvalResult {
    match (step, v) {
        (PathStep::Field { ty, idx, .. }, Value::Message(m)) if std::ptr::eq(m.ty, *ty) => {
            m.get(*idx)
        }
        (PathStep::Field { name, .. }, _) => select(v, name, false, false),
        (PathStep::Key(k), _) => select(v, k, false, false),
    }
}

fn walk_owned(mut v: Value, steps: &[PathStep]) -> EvalResult {
    for step in steps {
        v = step_owned(&v, step)?;
    }
    Ok(v)
}

fn set_local(ctx: &mut Ctx<'_>, i: usize, v: EvalResult) {
    if let Some(slot) = ctx.locals.get_mut(i) {
        *slot = v;
    }
}

/// `map`/`filter` over a list or map, appending to one buffer. Any error in
/// the predicate or the element makes the whole result that error, as the
/// error-valued accumulator would in the generic loop.
fn append_loop(c: &CompNode, ap: &Append, ctx: &mut Ctx<'_>) -> EvalResult {
    let range = eval(&c.range, ctx)?;
    let items: Vec<(Value, Option<Value>)> = match &range {
        Value::List(l) => l
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if c.iter_var2.is_some() {
                    (Value::Int(i as i64), Some(v.clone()))
                } else {
                    (v.clone(), None)
                }
            })
            .collect(),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| {
                if c.iter_var2.is_some() {
                    (k.clone(), Some(v.clone()))
                } else {
                    (k.clone(), None)
                }
            })
            .collect(),
        other => return Err(not_iterable(other, c.iter_var2.is_some())),
    };
    let mut out = Vec::new();
    for (a, b) in items {
        ctx.act.charge(2)?;
        set_local(ctx, c.iter_var, Ok(a));
        if let (Some(i2), Some(b)) = (c.iter_var2, b) {
            set_local(ctx, i2, Ok(b));
        }
        match ap {
            Append::Map(e) => out.push(eval(e, ctx)?),
            Append::Filter(p, e) => match eval(p, ctx)? {
                Value::Bool(true) => out.push(eval(e, ctx)?),
                Value::Bool(false) => {}
                _ => return Err(EvalError::NoSuchOverload),
            },
        }
    }
    Ok(Value::List(Arc::from(out)))
}

/// cel-go's error for ranging over a non-container (Go type names); the
/// two-variable comprehensions have their own wording.
fn not_iterable(v: &Value, two_vars: bool) -> EvalError {
    let go = match v {
        Value::Null => "types.Null",
        Value::Bool(_) => "types.Bool",
        Value::Int(_) => "types.Int",
        Value::Uint(_) => "types.Uint",
        Value::Double(_) => "types.Double",
        Value::String(_) => "types.String",
        Value::Bytes(_) => "types.Bytes",
        Value::Timestamp(_) => "types.Timestamp",
        Value::Duration(_) => "types.Duration",
        Value::Optional(_) => "*types.Optional",
        Value::Type(_) => "*types.Type",
        other => other.type_name(),
    };
    if two_vars {
        return EvalError::msg(format!("unsupported comprehension range type: {go}"));
    }
    EvalError::msg(format!("got '{go}', expected iterable type"))
}

fn comprehension(c: &CompNode, ctx: &mut Ctx<'_>) -> EvalResult {
    if let Some(ap) = &c.append {
        return append_loop(c, ap, ctx);
    }
    let range = eval(&c.range, ctx)?;
    let init = eval(&c.init, ctx)?;
    set_local(ctx, c.accu, Ok(init));
    let step = |ctx: &mut Ctx<'_>, a: Value, b: Option<Value>| -> EvalResult<bool> {
        ctx.act.charge(1)?;
        set_local(ctx, c.iter_var, Ok(a));
        if let (Some(i2), Some(b)) = (c.iter_var2, b) {
            set_local(ctx, i2, Ok(b));
        }
        // A loop condition that is not `false` (including errors) continues.
        // The macros' `@not_strictly_false(!accu)` / `@not_strictly_false(accu)`
        // conditions are read straight from the accumulator.
        let stop = match &c.cond {
            Node::NotStrictlyFalse(inner) => match inner.as_ref() {
                Node::Not(x) if matches!(x.as_ref(), Node::Local(a) if *a == c.accu) => {
                    matches!(ctx.locals.get(c.accu), Some(Ok(Value::Bool(true))))
                }
                Node::Local(a) if *a == c.accu => {
                    matches!(ctx.locals.get(c.accu), Some(Ok(Value::Bool(false))))
                }
                _ => matches!(eval(&c.cond, ctx), Ok(Value::Bool(false))),
            },
            _ => matches!(eval(&c.cond, ctx), Ok(Value::Bool(false))),
        };
        if stop {
            return Ok(false);
        }
        let next = eval(&c.step, ctx);
        set_local(ctx, c.accu, next);
        Ok(true)
    };
    match &range {
        Value::List(l) => {
            for (i, v) in l.iter().enumerate() {
                let cont = if c.iter_var2.is_some() {
                    step(ctx, Value::Int(i as i64), Some(v.clone()))?
                } else {
                    step(ctx, v.clone(), None)?
                };
                if !cont {
                    break;
                }
            }
        }
        Value::Map(m) => {
            for (k, v) in m.iter() {
                let cont = if c.iter_var2.is_some() {
                    step(ctx, k.clone(), Some(v.clone()))?
                } else {
                    step(ctx, k.clone(), None)?
                };
                if !cont {
                    break;
                }
            }
        }
        other => return Err(not_iterable(other, c.iter_var2.is_some())),
    }
    eval(&c.result, ctx)
}

/// Field selection, presence test and optional selection on any value.
pub(crate) fn select(v: &Value, field: &str, test_only: bool, optional: bool) -> EvalResult {
    match v {
        Value::Map(m) => {
            let found = m.get_str(field);
            if test_only {
                return Ok(Value::Bool(found.is_some()));
            }
            match found {
                Some(x) if optional => Ok(Value::Optional(Some(Arc::new(x.clone())))),
                Some(x) => Ok(x.clone()),
                None if optional => Ok(Value::Optional(None)),
                None => Err(EvalError::NoSuchKey(field.into())),
            }
        }
        Value::Message(m) => {
            let idx =
                m.ty.field_index(field)
                    .ok_or_else(|| EvalError::NoSuchField(field.to_string()))?;
            if test_only {
                return Ok(Value::Bool(m.has(idx)));
            }
            if optional {
                if !m.has(idx) {
                    return Ok(Value::Optional(None));
                }
                return Ok(Value::Optional(Some(Arc::new(m.get(idx)?))));
            }
            m.get(idx)
        }
        Value::Opaque(o) => match o.as_ref() {
            Opaque::Variables(m) => {
                let found = m.get_str(field);
                if test_only {
                    return Ok(Value::Bool(found.is_some()));
                }
                match found {
                    Some(x) if optional => Ok(Value::Optional(Some(Arc::new(x.clone())))),
                    Some(x) => Ok(x.clone()),
                    None if optional => Ok(Value::Optional(None)),
                    None => Err(EvalError::UndefinedField(field.to_string())),
                }
            }
            _ => Err(EvalError::NoSuchKey(field.into())),
        },
        Value::Optional(inner) => match inner {
            None if test_only => Ok(Value::Bool(false)),
            None => Ok(Value::Optional(None)),
            Some(x) => {
                // Chained selection on an optional's value: a value without
                // fields has no such key (only `.?` directly on it is none).
                let fields = matches!(
                    x.as_ref(),
                    Value::Map(_) | Value::Message(_) | Value::Opaque(_) | Value::List(_)
                );
                if !fields && !test_only {
                    return Err(EvalError::NoSuchKey(field.into()));
                }
                select(x, field, test_only, true)
            }
        },
        // cel-go qualifies a list with the field name as an index.
        Value::List(_) => Err(EvalError::UnsupportedIndex("string".into())),
        // cel-go's presence test on a value without fields is false, not an error.
        _ if test_only => Ok(Value::Bool(false)),
        // cel-go's optional selection on a value without fields is none.
        _ if optional => Ok(Value::Optional(None)),
        _ => Err(EvalError::NoSuchKey(field.into())),
    }
}
