//! The CEL standard library and the dispatch table of every function the
//! runtime knows (standard, cel-go extensions, Cerbos library).
//!
//! Each function is a plain `fn` over already-evaluated arguments (the
//! receiver of a member call comes first); [`resolve`] maps a name, call
//! style and arity to one at prepare time.

use std::cmp::Ordering;
use std::sync::Arc;

use super::program::Activation;
use super::time::{parse_duration, parse_timestamp, zone_offset, Duration, Timestamp};
use super::value::{numeric_cmp, value_cmp, value_eq, EvalError, EvalResult, Opaque, Type, Value};
use Arity::*;
use CallStyle::*;

/// A bound function implementation.
pub type FnImpl = fn(&Activation, &[Value]) -> EvalResult;

/// How a function may be called.
#[derive(Clone, Copy)]
pub(crate) enum CallStyle {
    /// `f(x)` only.
    Global,
    /// `x.f()` only.
    Member,
    /// Either way.
    Either,
}

/// The argument counts a binding takes, the receiver of a member call
/// counted.
#[derive(Clone, Copy)]
pub(crate) enum Arity {
    /// Exactly this many.
    Exactly(u8),
    /// One of two counts.
    OneOf(u8, u8),
    /// At least this many.
    AtLeast(u8),
}

/// One entry of the function table: a name, where and with how many
/// arguments it can be called, and its implementation.
///
/// A table rather than a `match`: `resolve` runs when a bundle is loaded,
/// and as a `match` over (name, arity) it was 8 KB of wasm that every
/// first load had to compile; as data it costs V8 nothing to compile.
pub(crate) struct Binding {
    name: &'static str,
    style: CallStyle,
    arity: Arity,
    implementation: FnImpl,
}

/// A [`Binding`], in the tables' short form.
pub(crate) const fn bind(
    name: &'static str,
    style: CallStyle,
    arity: Arity,
    implementation: FnImpl,
) -> Binding {
    Binding {
        name,
        style,
        arity,
        implementation,
    }
}

impl Binding {
    fn accepts(&self, name: &str, member: bool, argc: usize) -> bool {
        let style = match self.style {
            CallStyle::Global => !member,
            CallStyle::Member => member,
            CallStyle::Either => true,
        };
        let arity = match self.arity {
            Arity::Exactly(n) => argc == usize::from(n),
            Arity::OneOf(a, b) => argc == usize::from(a) || argc == usize::from(b),
            Arity::AtLeast(n) => argc >= usize::from(n),
        };
        style && arity && self.name == name
    }
}

/// Finds the implementation of `name` called with `argc` arguments
/// (counting the receiver of a member call): the first binding that
/// accepts the call, in the order standard library, cel-go extensions,
/// network library, Cerbos library.
pub fn resolve(name: &str, member: bool, argc: usize) -> Option<FnImpl> {
    [
        CORE,
        super::ext::BINDINGS,
        super::net::BINDINGS,
        super::cerbos::BINDINGS,
    ]
    .into_iter()
    .flatten()
    .find(|b| b.accepts(name, member, argc))
    .map(|b| b.implementation)
}

/// Types named by identifiers beyond the built-in ones (opaque library types).
pub fn named_type(name: &str) -> Option<Type> {
    match name {
        "net.IP" | "net.CIDR" | "cerbos.lib.hierarchy" => Some(Type::Named(Arc::from(name))),
        _ => None,
    }
}

/// The standard library's bindings.
const CORE: &[Binding] = &[
    bind("_+_", Either, Exactly(2), add),
    bind("_-_", Either, Exactly(2), sub),
    bind("_*_", Either, Exactly(2), mul),
    bind("_/_", Either, Exactly(2), div),
    bind("_%_", Either, Exactly(2), rem),
    bind("-_", Either, Exactly(1), neg),
    bind("!_", Either, Exactly(1), not),
    bind("_==_", Either, Exactly(2), eq),
    bind("_!=_", Either, Exactly(2), ne),
    bind("_<_", Either, Exactly(2), lt),
    bind("_<=_", Either, Exactly(2), le),
    bind("_>_", Either, Exactly(2), gt),
    bind("_>=_", Either, Exactly(2), ge),
    bind("_[_]", Either, Exactly(2), index),
    bind("_[?_]", Either, Exactly(2), opt_index),
    bind("@in", Either, Exactly(2), in_op),
    bind("_in_", Either, Exactly(2), in_op),
    bind("size", Either, Exactly(1), size),
    bind("int", Global, Exactly(1), to_int),
    bind("uint", Global, Exactly(1), to_uint),
    bind("double", Global, Exactly(1), to_double),
    bind("string", Global, Exactly(1), to_string),
    bind("bytes", Global, Exactly(1), to_bytes),
    bind("bool", Global, Exactly(1), to_bool),
    bind("timestamp", Global, Exactly(1), to_timestamp),
    bind("duration", Global, Exactly(1), to_duration),
    bind("dyn", Global, Exactly(1), dyn_fn),
    bind("type", Global, Exactly(1), type_of),
    bind("contains", Member, Exactly(2), contains),
    bind("startsWith", Member, Exactly(2), starts_with),
    bind("endsWith", Member, Exactly(2), ends_with),
    bind("matches", Either, Exactly(2), matches),
    bind("getFullYear", Member, OneOf(1, 2), get_full_year),
    bind("getMonth", Member, OneOf(1, 2), get_month),
    bind("getDate", Member, OneOf(1, 2), get_date),
    bind("getDayOfMonth", Member, OneOf(1, 2), get_day_of_month),
    bind("getDayOfWeek", Member, OneOf(1, 2), get_day_of_week),
    bind("getDayOfYear", Member, OneOf(1, 2), get_day_of_year),
    bind("getHours", Member, OneOf(1, 2), get_hours),
    bind("getMinutes", Member, OneOf(1, 2), get_minutes),
    bind("getSeconds", Member, OneOf(1, 2), get_seconds),
    bind("getMilliseconds", Member, OneOf(1, 2), get_milliseconds),
    bind("optional.of", Global, Exactly(1), opt_of),
    bind(
        "optional.ofNonZeroValue",
        Global,
        Exactly(1),
        opt_of_non_zero,
    ),
    bind("optional.none", Global, Exactly(0), opt_none),
    bind("hasValue", Member, Exactly(1), opt_has_value),
    bind("value", Member, Exactly(1), opt_value),
    bind("now", Global, Exactly(0), now),
    bind("timeSince", Either, Exactly(1), time_since),
];

/// How cel-go reaches a function's implementation, which decides the
/// wording of its "no such overload" error.
enum Dispatch {
    /// A guarded overload, or a dispatcher over several overloads: the
    /// error names the function and the argument types.
    Guarded,
    /// The implementation receives the arguments unchecked (type guards
    /// disabled, or a Cerbos binding that checks its own arguments) and
    /// refuses with a bare "no such overload".
    Unguarded,
    /// A binding that requires a trait of its first operand; without it
    /// the call falls back to the operand's own `Receive` method.
    Trait(fn(&Value) -> bool),
}

/// The dispatch of each function, mirroring its cel-go / Cerbos declaration.
fn dispatch(function: &str) -> Dispatch {
    if let Some(has_trait) = operator_trait(function) {
        return Dispatch::Trait(has_trait);
    }
    match function {
        // cel-go's standard string functions disable their type guards;
        // `matches` is one binding without a trait. Cerbos's time
        // decorator replaces `timeSince` with an unguarded binding.
        "contains" | "startsWith" | "endsWith" | "matches" | "timeSince" => Dispatch::Unguarded,
        // Methods of Cerbos's hierarchy and SPIFFE types: only their
        // receivers implement them (cel-go finds no binding to guard).
        "ancestorOf" | "descendentOf" | "immediateParentOf" | "immediateChildOf" | "siblingOf"
        | "overlaps" | "commonAncestors" | "path" | "trustDomain" | "isMemberOf" | "name"
        | "matchesID" => Dispatch::Trait(|_| false),
        // Operators without a trait (`!_`, `@in`, ...) fail inside their one
        // implementation.
        f if f.starts_with(['_', '!', '-', '@']) => Dispatch::Unguarded,
        _ => Dispatch::Guarded,
    }
}

/// Values whose cel-go type implements `traits.Receiver`: a call that finds
/// no binding is handed to the value's own `Receive` method, which refuses
/// with a bare "no such overload".
fn is_receiver(v: &Value) -> bool {
    match v {
        Value::String(_) | Value::Duration(_) | Value::Timestamp(_) => true,
        Value::Opaque(o) => o.type_name().starts_with("cerbos.lib."),
        _ => false,
    }
}

/// The error cel-go reports when `function` has no overload for `args`.
pub(crate) fn no_overload(function: &str, args: &[Value]) -> EvalError {
    match dispatch(function) {
        Dispatch::Guarded => EvalError::NoMatchingOverload {
            function: function.to_string(),
            args: args
                .iter()
                .map(|a| a.type_name())
                .collect::<Vec<_>>()
                .join(", "),
        },
        Dispatch::Unguarded => EvalError::NoSuchOverload,
        // The operand's own method refuses with a bare "no such overload";
        // an operand that neither has the trait nor receives calls makes the
        // dispatcher name the function.
        Dispatch::Trait(has_trait) => {
            if args
                .first()
                .is_some_and(|lhs| has_trait(lhs) || is_receiver(lhs))
            {
                EvalError::NoSuchOverload
            } else {
                EvalError::NoOperatorOverload {
                    operator: function.to_string(),
                }
            }
        }
    }
}

/// The cel-go trait an operator requires of its first operand, as a test on
/// our values (cel-go's `traits.AdderType`, `ComparerType`, ...).
fn operator_trait(function: &str) -> Option<fn(&Value) -> bool> {
    Some(match function {
        "_+_" => |v| {
            matches!(
                v,
                Value::Int(_)
                    | Value::Uint(_)
                    | Value::Double(_)
                    | Value::String(_)
                    | Value::Bytes(_)
                    | Value::List(_)
                    | Value::Duration(_)
                    | Value::Timestamp(_)
            )
        },
        "_-_" => |v| {
            matches!(
                v,
                Value::Int(_)
                    | Value::Uint(_)
                    | Value::Double(_)
                    | Value::Duration(_)
                    | Value::Timestamp(_)
            )
        },
        "_*_" | "_/_" => |v| matches!(v, Value::Int(_) | Value::Uint(_) | Value::Double(_)),
        "_%_" => |v| matches!(v, Value::Int(_) | Value::Uint(_)),
        "-_" => |v| {
            matches!(
                v,
                Value::Int(_) | Value::Double(_) | Value::Duration(_) | Value::Bool(_)
            )
        },
        "_<_" | "_<=_" | "_>_" | "_>=_" => |v| {
            matches!(
                v,
                Value::Bool(_)
                    | Value::Int(_)
                    | Value::Uint(_)
                    | Value::Double(_)
                    | Value::String(_)
                    | Value::Bytes(_)
                    | Value::Duration(_)
                    | Value::Timestamp(_)
            )
        },
        // The lists extension's `sort` and `sortBy` helper are singleton
        // bindings on lists.
        "sort" | "@sortByAssociatedKeys" => |v| matches!(v, Value::List(_)),
        "size" => |v| {
            matches!(
                v,
                Value::String(_) | Value::Bytes(_) | Value::List(_) | Value::Map(_)
            )
        },
        _ => return None,
    })
}

pub(crate) fn arg(args: &[Value], i: usize) -> EvalResult<&Value> {
    args.get(i).ok_or(EvalError::NoSuchOverload)
}

pub(crate) fn str_arg(args: &[Value], i: usize) -> EvalResult<&str> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(EvalError::NoSuchOverload),
    }
}

pub(crate) fn int_arg(args: &[Value], i: usize) -> EvalResult<i64> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(*n),
        _ => Err(EvalError::NoSuchOverload),
    }
}

pub(crate) fn list_arg(args: &[Value], i: usize) -> EvalResult<&Arc<[Value]>> {
    match args.get(i) {
        Some(Value::List(l)) => Ok(l),
        _ => Err(EvalError::NoSuchOverload),
    }
}

pub(crate) fn string_value(act: &Activation, s: String) -> EvalResult {
    act.charge(s.len() as u64 / 16)?;
    Ok(Value::String(Arc::from(s)))
}

pub(crate) fn list_value(act: &Activation, v: Vec<Value>) -> EvalResult {
    act.charge(v.len() as u64)?;
    Ok(Value::List(Arc::from(v)))
}

// ---------------------------------------------------------------- arithmetic

fn add(act: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::Int(x), Value::Int(y)) => x
            .checked_add(*y)
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        (Value::Uint(x), Value::Uint(y)) => x
            .checked_add(*y)
            .map(Value::Uint)
            .ok_or(EvalError::UintOverflow),
        (Value::Double(x), Value::Double(y)) => Ok(Value::Double(x + y)),
        (Value::String(x), Value::String(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            string_value(act, s)
        }
        (Value::Bytes(x), Value::Bytes(y)) => {
            act.charge((x.len() + y.len()) as u64 / 16)?;
            let mut b = Vec::with_capacity(x.len() + y.len());
            b.extend_from_slice(x);
            b.extend_from_slice(y);
            Ok(Value::Bytes(Arc::from(b)))
        }
        (Value::List(x), Value::List(y)) => {
            if y.is_empty() {
                return Ok(Value::List(x.clone()));
            }
            if x.is_empty() {
                return Ok(Value::List(y.clone()));
            }
            let mut v = Vec::with_capacity(x.len() + y.len());
            v.extend(x.iter().cloned());
            v.extend(y.iter().cloned());
            list_value(act, v)
        }
        (Value::Timestamp(t), Value::Duration(d)) | (Value::Duration(d), Value::Timestamp(t)) => t
            .add(*d)
            .map(Value::Timestamp)
            .ok_or(EvalError::TimestampOverflow),
        (Value::Duration(x), Value::Duration(y)) => x
            .checked_add(*y)
            .map(Value::Duration)
            .ok_or(EvalError::DurationOverflow),
        _ => Err(no_overload("_+_", a)),
    }
}

fn sub(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::Int(x), Value::Int(y)) => x
            .checked_sub(*y)
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        (Value::Uint(x), Value::Uint(y)) => x
            .checked_sub(*y)
            .map(Value::Uint)
            .ok_or(EvalError::UintOverflow),
        (Value::Double(x), Value::Double(y)) => Ok(Value::Double(x - y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => x
            .sub(y)
            .map(Value::Duration)
            .ok_or(EvalError::DurationOverflow),
        (Value::Timestamp(t), Value::Duration(d)) => d
            .nanos
            .checked_neg()
            .and_then(|n| t.add(Duration { nanos: n }))
            .map(Value::Timestamp)
            .ok_or(EvalError::TimestampOverflow),
        (Value::Duration(x), Value::Duration(y)) => x
            .checked_sub(*y)
            .map(Value::Duration)
            .ok_or(EvalError::DurationOverflow),
        _ => Err(no_overload("_-_", a)),
    }
}

fn mul(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::Int(x), Value::Int(y)) => x
            .checked_mul(*y)
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        (Value::Uint(x), Value::Uint(y)) => x
            .checked_mul(*y)
            .map(Value::Uint)
            .ok_or(EvalError::UintOverflow),
        (Value::Double(x), Value::Double(y)) => Ok(Value::Double(x * y)),
        _ => Err(no_overload("_*_", a)),
    }
}

fn div(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::Int(_), Value::Int(0)) | (Value::Uint(_), Value::Uint(0)) => {
            Err(EvalError::DivisionByZero)
        }
        (Value::Int(x), Value::Int(y)) => x
            .checked_div(*y)
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        (Value::Uint(x), Value::Uint(y)) => Ok(Value::Uint(x / y)),
        (Value::Double(x), Value::Double(y)) => Ok(Value::Double(x / y)),
        _ => Err(no_overload("_/_", a)),
    }
}

fn rem(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::Int(_), Value::Int(0)) | (Value::Uint(_), Value::Uint(0)) => {
            Err(EvalError::ModulusByZero)
        }
        (Value::Int(x), Value::Int(y)) => x
            .checked_rem(*y)
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        (Value::Uint(x), Value::Uint(y)) => Ok(Value::Uint(x % y)),
        _ => Err(no_overload("_%_", a)),
    }
}

fn neg(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Int(x) => x
            .checked_neg()
            .map(Value::Int)
            .ok_or(EvalError::IntOverflow),
        Value::Double(x) => Ok(Value::Double(-x)),
        Value::Duration(d) => d
            .nanos
            .checked_neg()
            .map(|nanos| Value::Duration(Duration { nanos }))
            .ok_or(EvalError::DurationOverflow),
        _ => Err(no_overload("-_", a)),
    }
}

fn not(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Bool(b) => Ok(Value::Bool(!b)),
        _ => Err(no_overload("!_", a)),
    }
}

// ---------------------------------------------------------------- comparison

fn eq(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Bool(value_eq(arg(a, 0)?, arg(a, 1)?, 0)))
}

fn ne(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Bool(!value_eq(arg(a, 0)?, arg(a, 1)?, 0)))
}

fn ordered(a: &[Value], op: &str, f: fn(Ordering) -> bool) -> EvalResult {
    let (x, y) = (arg(a, 0)?, arg(a, 1)?);
    match (x, y) {
        (
            Value::Int(_) | Value::Uint(_) | Value::Double(_),
            Value::Int(_) | Value::Uint(_) | Value::Double(_),
        ) => Ok(Value::Bool(numeric_cmp(x, y).map(f).unwrap_or(false))),
        _ => match value_cmp(x, y) {
            Ok(o) => Ok(Value::Bool(f(o))),
            Err(_) => Err(no_overload(op, a)),
        },
    }
}

fn lt(_: &Activation, a: &[Value]) -> EvalResult {
    ordered(a, "_<_", |o| o == Ordering::Less)
}
fn le(_: &Activation, a: &[Value]) -> EvalResult {
    ordered(a, "_<=_", |o| o != Ordering::Greater)
}
fn gt(_: &Activation, a: &[Value]) -> EvalResult {
    ordered(a, "_>_", |o| o == Ordering::Greater)
}
fn ge(_: &Activation, a: &[Value]) -> EvalResult {
    ordered(a, "_>=_", |o| o != Ordering::Less)
}

// ---------------------------------------------------------------- containers

/// A list index from an int, uint or integral double.
fn list_index(i: &Value) -> EvalResult<i64> {
    match i {
        Value::Int(n) => Ok(*n),
        Value::Uint(u) => i64::try_from(*u).map_err(|_| EvalError::IndexOutOfRange(i64::MAX)),
        Value::Double(d) => {
            if d.fract() == 0.0 && d.is_finite() && d.abs() < 9.2e18 {
                Ok(*d as i64)
            } else {
                Err(EvalError::msg(format!(
                    "unsupported index value {} in list",
                    format_double(*d)
                )))
            }
        }
        other => Err(invalid_qualifier(other)
            .unwrap_or_else(|| EvalError::UnsupportedIndex(other.type_name().to_string()))),
    }
}

/// cel-go's attribute qualifiers refuse a list, map or null used as an
/// index, naming the value's Go type.
fn invalid_qualifier(i: &Value) -> Option<EvalError> {
    let go = match i {
        Value::List(_) => "*types.baseList",
        Value::Map(_) => "*types.baseMap",
        Value::Null => "types.Null",
        _ => return None,
    };
    Some(EvalError::msg(format!("invalid qualifier type: {go}")))
}

fn index_value(c: &Value, i: &Value) -> EvalResult {
    match c {
        Value::List(l) => {
            let n = list_index(i)?;
            usize::try_from(n)
                .ok()
                .and_then(|u| l.get(u))
                .cloned()
                .ok_or(EvalError::IndexOutOfRange(n))
        }
        Value::Map(m) => {
            if let Some(e) = invalid_qualifier(i) {
                return Err(e);
            }
            if !matches!(
                i,
                Value::Bool(_)
                    | Value::Int(_)
                    | Value::Uint(_)
                    | Value::Double(_)
                    | Value::String(_)
            ) {
                return Err(EvalError::UnsupportedKeyType);
            }
            m.get(i)
                .cloned()
                .ok_or_else(|| EvalError::NoSuchKey(key_display(i)))
        }
        Value::Opaque(o) => match o.as_ref() {
            Opaque::Hierarchy(_) => super::cerbos::hierarchy_index(c, i),
            Opaque::Variables(m) => match i {
                Value::String(s) => m
                    .get_str(s)
                    .cloned()
                    .ok_or_else(|| EvalError::UndefinedField(s.to_string())),
                _ => Err(EvalError::NoSuchOverload),
            },
            _ => Err(EvalError::NoSuchOverload),
        },
        Value::Message(m) => match i {
            Value::String(s) => m.select(s),
            _ => Err(EvalError::NoSuchOverload),
        },
        Value::Optional(o) => match o {
            None => Ok(Value::Optional(None)),
            Some(inner) => opt_index_value(inner, i),
        },
        // cel-go qualifies any other value as a missing key.
        _ => Err(EvalError::NoSuchKey(key_display(i))),
    }
}

/// A missing key as `no such key` errors show it.
fn key_display(v: &Value) -> Arc<str> {
    match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string().into(),
        Value::Uint(u) => u.to_string().into(),
        Value::Double(d) => format_double(*d).into(),
        Value::Bool(b) => b.to_string().into(),
        other => other.type_name().into(),
    }
}

fn index(_: &Activation, a: &[Value]) -> EvalResult {
    index_value(arg(a, 0)?, arg(a, 1)?)
}

fn opt_index_value(c: &Value, i: &Value) -> EvalResult {
    match c {
        Value::List(l) => {
            let n = list_index(i)?;
            Ok(Value::Optional(
                usize::try_from(n)
                    .ok()
                    .and_then(|u| l.get(u))
                    .cloned()
                    .map(Arc::new),
            ))
        }
        Value::Map(m) => Ok(Value::Optional(m.get(i).cloned().map(Arc::new))),
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => opt_index_value(inner, i),
        _ => match index_value(c, i) {
            Ok(v) => Ok(Value::Optional(Some(Arc::new(v)))),
            Err(EvalError::NoSuchKey(_)) | Err(EvalError::UndefinedField(_)) => {
                Ok(Value::Optional(None))
            }
            Err(e) => Err(e),
        },
    }
}

fn opt_index(_: &Activation, a: &[Value]) -> EvalResult {
    opt_index_value(arg(a, 0)?, arg(a, 1)?)
}

fn in_op(_: &Activation, a: &[Value]) -> EvalResult {
    let (x, c) = (arg(a, 0)?, arg(a, 1)?);
    match c {
        Value::List(l) => Ok(Value::Bool(l.iter().any(|e| value_eq(e, x, 0)))),
        Value::Map(m) => Ok(Value::Bool(m.contains_key(x))),
        _ => Err(no_overload("@in", a)),
    }
}

fn size(_: &Activation, a: &[Value]) -> EvalResult {
    let n = match arg(a, 0)? {
        Value::String(s) => s.chars().count(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Opaque(o) => match o.as_ref() {
            Opaque::Hierarchy(h) => h.len(),
            _ => return Err(no_overload("size", a)),
        },
        _ => return Err(no_overload("size", a)),
    };
    Ok(Value::Int(n as i64))
}

// ---------------------------------------------------------------- conversions

/// Go's `%g` formatting of a double (cel-go's `string(double)`).
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits and decimal exponent.
    let e = format!("{d:e}");
    let (mant, exp) = match e.split_once('e') {
        Some((m, x)) => (m.to_string(), x.parse::<i32>().unwrap_or(0)),
        None => (e.clone(), 0),
    };
    // Go's shortest `%g` switches to exponent form from 1e+06 on.
    if (-4..6).contains(&exp) {
        let s = format!("{d}");
        return s;
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{sign}{:02}", exp.abs())
}

fn to_int(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Uint(u) => i64::try_from(*u)
            .map(Value::Int)
            .map_err(|_| EvalError::IntOverflow),
        Value::Double(d) => {
            if d.is_nan() || *d <= -9.223_372_036_854_776e18 || *d >= 9.223_372_036_854_776e18 {
                Err(EvalError::IntOverflow)
            } else {
                Ok(Value::Int(d.trunc() as i64))
            }
        }
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| EvalError::msg("type conversion error from 'string' to 'int'")),
        Value::Timestamp(t) => Ok(Value::Int(t.secs)),
        Value::Duration(d) => Ok(Value::Int(d.nanos)),
        _ => Err(no_overload("int", a)),
    }
}

fn to_uint(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Uint(u) => Ok(Value::Uint(*u)),
        Value::Int(i) => u64::try_from(*i)
            .map(Value::Uint)
            .map_err(|_| EvalError::UintOverflow),
        Value::Double(d) => {
            if d.is_nan() || *d < 0.0 || *d >= 1.844_674_407_370_955_2e19 {
                Err(EvalError::UintOverflow)
            } else {
                Ok(Value::Uint(d.trunc() as u64))
            }
        }
        Value::String(s) => s
            .parse::<u64>()
            .map(Value::Uint)
            .map_err(|_| EvalError::msg("type conversion error from 'string' to 'uint'")),
        _ => Err(no_overload("uint", a)),
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms CEL strings use.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let lower = t.to_ascii_lowercase();
    match lower.trim_start_matches('-') {
        "inf" | "infinity" => {
            return Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+' | b'_'))
    {
        return None;
    }
    t.replace('_', "").parse::<f64>().ok()
}

fn to_double(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Double(d) => Ok(Value::Double(*d)),
        Value::Int(i) => Ok(Value::Double(*i as f64)),
        Value::Uint(u) => Ok(Value::Double(*u as f64)),
        Value::String(s) => parse_go_float(s)
            .map(Value::Double)
            .ok_or_else(|| EvalError::msg("type conversion error from 'string' to 'double'")),
        _ => Err(no_overload("double", a)),
    }
}

/// `string(x)` for every convertible kind.
pub(crate) fn value_to_string(v: &Value) -> EvalResult<String> {
    Ok(match v {
        Value::String(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Double(d) => format_double(*d),
        Value::Bool(b) => b.to_string(),
        Value::Bytes(b) => String::from_utf8(b.to_vec())
            .map_err(|_| EvalError::msg("invalid UTF-8 in bytes, cannot convert to string"))?,
        Value::Timestamp(t) => t.to_rfc3339(),
        Value::Duration(d) => d.to_cel_string(),
        Value::Type(t) => t.name().to_string(),
        Value::Opaque(o) if !matches!(o.as_ref(), Opaque::Variables(_)) => opaque_to_string(o),
        _ => return Err(EvalError::NoSuchOverload),
    })
}

/// String form of opaque values (`string(ip)`, `string(hierarchy)`, …).
pub fn opaque_to_string(o: &Opaque) -> String {
    match o {
        Opaque::Ip(ip) => ip.to_string(),
        Opaque::Cidr(ip, len) => format!("{ip}/{len}"),
        Opaque::Hierarchy(h) => h.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join("."),
        Opaque::SpiffeId(td, path) => format!("spiffe://{td}{path}"),
        Opaque::SpiffeTrustDomain(td) => td.to_string(),
        Opaque::SpiffeMatcher(_) => "spiffe matcher".to_string(),
        Opaque::Variables(_) => "cerbos.Variables".to_string(),
    }
}

fn to_string(act: &Activation, a: &[Value]) -> EvalResult {
    match value_to_string(arg(a, 0)?) {
        Ok(s) => string_value(act, s),
        Err(EvalError::NoSuchOverload) => Err(no_overload("string", a)),
        Err(e) => Err(e),
    }
}

fn to_bytes(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Bytes(b) => Ok(Value::Bytes(b.clone())),
        Value::String(s) => Ok(Value::Bytes(Arc::from(s.as_bytes()))),
        _ => Err(no_overload("bytes", a)),
    }
}

fn to_bool(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) => match s.as_ref() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Value::Bool(true)),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Value::Bool(false)),
            _ => Err(EvalError::msg(
                "type conversion error from 'string' to 'bool'",
            )),
        },
        _ => Err(no_overload("bool", a)),
    }
}

fn to_timestamp(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Timestamp(t) => Ok(Value::Timestamp(*t)),
        Value::String(s) => parse_timestamp(s)
            .map(Value::Timestamp)
            .map_err(|_| EvalError::msg(format!("invalid RFC 3339 timestamp {:?}", s.as_ref()))),
        Value::Int(i) => Timestamp::new(*i, 0)
            .map(Value::Timestamp)
            .ok_or(EvalError::TimestampOverflow),
        _ => Err(no_overload("timestamp", a)),
    }
}

fn to_duration(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Duration(d) => Ok(Value::Duration(*d)),
        Value::String(s) => parse_duration(s).map(Value::Duration).map_err(|_| {
            EvalError::msg("type conversion error from 'string' to 'google.protobuf.Duration'")
        }),
        Value::Int(i) => Ok(Value::Duration(Duration { nanos: *i })),
        _ => Err(no_overload("duration", a)),
    }
}

fn dyn_fn(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(arg(a, 0)?.clone())
}

fn type_of(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Type(arg(a, 0)?.cel_type()))
}

// ---------------------------------------------------------------- strings

fn contains(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::String(s), Value::String(t)) => Ok(Value::Bool(s.contains(t.as_ref()))),
        (Value::Bytes(s), Value::Bytes(t)) => Ok(Value::Bool(
            t.is_empty() || s.windows(t.len()).any(|w| w == t.as_ref()),
        )),
        _ => Err(no_overload("contains", a)),
    }
}

fn starts_with(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::String(s), Value::String(t)) => Ok(Value::Bool(s.starts_with(t.as_ref()))),
        (Value::Bytes(s), Value::Bytes(t)) => Ok(Value::Bool(s.starts_with(t))),
        _ => Err(no_overload("startsWith", a)),
    }
}

fn ends_with(_: &Activation, a: &[Value]) -> EvalResult {
    match (arg(a, 0)?, arg(a, 1)?) {
        (Value::String(s), Value::String(t)) => Ok(Value::Bool(s.ends_with(t.as_ref()))),
        (Value::Bytes(s), Value::Bytes(t)) => Ok(Value::Bool(s.ends_with(t))),
        _ => Err(no_overload("endsWith", a)),
    }
}

/// Compiles an RE2-syntax pattern (see [`super::re2`]); patterns seen
/// recently are served from a small cache.
pub fn compile_regex(pattern: &str) -> Result<Arc<super::re2::Compiled>, EvalError> {
    super::re2::compile_cached(pattern).map_err(|e| EvalError::msg(e.to_string()))
}

/// A regex function whose pattern (argument `pattern_arg`) the prepared
/// plan compiled once; called with all arguments, the pattern included.
pub(crate) type RegexFn = fn(&Activation, &[Value], &super::re2::Compiled) -> EvalResult;

/// The precompilable form of a regex function: its implementation over a
/// compiled pattern and the index of the pattern argument (receiver counted).
pub(crate) fn regex_fn(name: &str, argc: usize) -> Option<(RegexFn, usize)> {
    Some(match (name, argc) {
        ("matches", 2) => (matches_with, 1),
        ("regex.replace", 3 | 4) => (super::ext::regex_replace_with, 1),
        ("regex.extract", 2) => (super::ext::regex_extract_with, 1),
        ("regex.extractAll", 2) => (super::ext::regex_extract_all_with, 1),
        _ => return None,
    })
}

/// Calls a [`RegexFn`] with its pattern compiled (or taken from the cache) now.
pub(crate) fn with_dynamic_regex(
    f: RegexFn,
    pattern_arg: usize,
    act: &Activation,
    a: &[Value],
) -> EvalResult {
    let re = compile_regex(str_arg(a, pattern_arg)?)?;
    f(act, a, &re)
}

fn matches(act: &Activation, a: &[Value]) -> EvalResult {
    with_dynamic_regex(matches_with, 1, act, a)
}

fn matches_with(_: &Activation, a: &[Value], re: &super::re2::Compiled) -> EvalResult {
    Ok(Value::Bool(re.re.is_match(str_arg(a, 0)?)))
}

// ---------------------------------------------------------------- time

fn ts_fields(a: &[Value]) -> EvalResult<super::time::TimeFields> {
    let t = match arg(a, 0)? {
        Value::Timestamp(t) => *t,
        _ => return Err(EvalError::NoSuchOverload),
    };
    let off = match a.get(1) {
        None => 0,
        Some(Value::String(tz)) => zone_offset(tz, &t).map_err(EvalError::msg)?,
        Some(_) => return Err(EvalError::NoSuchOverload),
    };
    Ok(t.fields(off))
}

fn dur_of(a: &[Value]) -> Option<i64> {
    match (a.first(), a.len()) {
        (Some(Value::Duration(d)), 1) => Some(d.nanos),
        _ => None,
    }
}

fn get_full_year(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Int(ts_fields(a)?.year))
}
fn get_month(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Int(ts_fields(a)?.month - 1))
}
fn get_date(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Int(ts_fields(a)?.day))
}
fn get_day_of_month(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Int(ts_fields(a)?.day - 1))
}
fn get_day_of_week(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Int(ts_fields(a)?.weekday))
}
fn get_day_of_year(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Int(ts_fields(a)?.yday))
}
fn get_hours(_: &Activation, a: &[Value]) -> EvalResult {
    if let Some(n) = dur_of(a) {
        return Ok(Value::Int(n / 3_600_000_000_000));
    }
    Ok(Value::Int(ts_fields(a)?.hour))
}
fn get_minutes(_: &Activation, a: &[Value]) -> EvalResult {
    if let Some(n) = dur_of(a) {
        return Ok(Value::Int(n / 60_000_000_000));
    }
    Ok(Value::Int(ts_fields(a)?.minute))
}
fn get_seconds(_: &Activation, a: &[Value]) -> EvalResult {
    if let Some(n) = dur_of(a) {
        return Ok(Value::Int(n / 1_000_000_000));
    }
    Ok(Value::Int(ts_fields(a)?.second))
}
fn get_milliseconds(_: &Activation, a: &[Value]) -> EvalResult {
    if let Some(n) = dur_of(a) {
        return Ok(Value::Int(n / 1_000_000));
    }
    Ok(Value::Int(ts_fields(a)?.millis))
}

fn now(act: &Activation, _: &[Value]) -> EvalResult {
    act.now()
        .map(Value::Timestamp)
        .ok_or_else(|| EvalError::msg("now() is not available: no request time"))
}

fn time_since(act: &Activation, a: &[Value]) -> EvalResult {
    let t = match arg(a, 0)? {
        Value::Timestamp(t) => *t,
        _ => return Err(no_overload("timeSince", a)),
    };
    let n = act
        .now()
        .ok_or_else(|| EvalError::msg("now() is not available: no request time"))?;
    n.sub(&t)
        .map(Value::Duration)
        .ok_or(EvalError::DurationOverflow)
}

// ---------------------------------------------------------------- optionals

fn opt_of(_: &Activation, a: &[Value]) -> EvalResult {
    Ok(Value::Optional(Some(Arc::new(arg(a, 0)?.clone()))))
}

fn opt_of_non_zero(_: &Activation, a: &[Value]) -> EvalResult {
    let v = arg(a, 0)?;
    if v.is_zero() {
        Ok(Value::Optional(None))
    } else {
        Ok(Value::Optional(Some(Arc::new(v.clone()))))
    }
}

fn opt_none(_: &Activation, _: &[Value]) -> EvalResult {
    Ok(Value::Optional(None))
}

fn opt_has_value(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Optional(o) => Ok(Value::Bool(o.is_some())),
        _ => Err(no_overload("hasValue", a)),
    }
}

fn opt_value(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::Optional(Some(v)) => Ok(v.as_ref().clone()),
        Value::Optional(None) => Err(EvalError::msg("optional.none() dereference")),
        _ => Err(no_overload("value", a)),
    }
}

// ---------------------------------------------------------------- helpers

/// Standard base64 with padding.
pub fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
