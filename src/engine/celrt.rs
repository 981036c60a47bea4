//! Adapter between the engine and the CEL runtime (`cel::cerbos`): the
//! Cerbos activation of one input (request, P, R, runtime, V, C, G, now),
//! variables bags and value helpers.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::bundle::ExprId;
use crate::cel::ast::Expr;
use crate::cel::cerbos::{self, slots};
use crate::cel::program::{Activation, Declarations, Program, DEFAULT_BUDGET};
use crate::cel::time::Timestamp;
use crate::cel::value::{EvalError, Map, Message, MessageType, Opaque, Value, MAX_MESSAGE_FIELDS};

use super::index::Name;
use super::names::scope_value;
use super::request::InputRef;
use super::Engine;

/// How `EvalError::NoSuchKey` messages start (cel-go's wording).
const NO_SUCH_KEY: &str = "no such key: ";

/// Sets `slot` to `v` unless it already holds that very bag (consecutive
/// evaluations usually share their constants and variables).
fn set_shared(act: &mut Activation, slot: usize, v: &Value) {
    let same = match (act.get(slot), v) {
        (Some(Value::Opaque(held)), Value::Opaque(given)) => Arc::ptr_eq(held, given),
        _ => false,
    };
    if !same {
        act.set(slot, v.clone());
    }
}

/// The declarations every bundle expression is prepared against.
pub(crate) fn declarations() -> Declarations {
    cerbos::declarations()
}

/// A prepared expression.
#[derive(Debug)]
pub(crate) struct Prepared {
    program: Program,
}

impl Prepared {
    pub(crate) fn new(expr: &Expr, decls: &Declarations) -> Result<Prepared, String> {
        let program = Program::prepare(expr, decls).map_err(|e| e.to_string())?;
        Ok(Prepared { program })
    }

    /// Whether cel-go could not plan the expression (see `Program::plan_error`).
    pub(crate) fn plan_failed(&self) -> bool {
        self.program.plan_error().is_some()
    }
}

/// The value of `p` when it reads nothing of the request: evaluated with
/// only `C`, `G` and `V` set (`request`, `P`, `R`, `runtime` and the clock
/// left unset). A read of an unset input fails the evaluation, and CEL only
/// absorbs a failed operand where the other operands decide the result
/// alone, so a value obtained here is the value of every check.
pub(crate) fn request_independent_value(
    p: &Prepared,
    constants: &CelValue,
    globals: &CelValue,
    vars: &Vars,
) -> Option<CelValue> {
    let mut act = Activation::new(slots::COUNT);
    act.set(slots::CONSTANTS, constants.0.clone());
    act.set(slots::GLOBALS, globals.0.clone());
    act.set(slots::VARIABLES, vars.value.clone());
    let value = p.program.eval(&act).ok()?;
    (!act.now_was_read()).then_some(CelValue(value))
}

/// A CEL value as the engine handles it.
#[derive(Debug, Clone)]
pub(crate) struct CelValue(Value);

impl CelValue {
    pub(crate) fn null() -> CelValue {
        CelValue(Value::Null)
    }

    pub(crate) fn empty_vars() -> CelValue {
        CelValue(cerbos::variables_value(std::iter::empty::<(&str, Value)>()))
    }

    /// `runtime` before any scope's effective derived roles are known.
    pub(crate) fn empty_runtime() -> CelValue {
        CelValue(cerbos::runtime_value::<&str>(&[]))
    }

    /// The empty string.
    pub(crate) fn empty_string() -> CelValue {
        CelValue(Value::string(""))
    }

    /// A string.
    pub(crate) fn string(s: &str) -> CelValue {
        CelValue(Value::string(s))
    }

    /// A string sharing `s`'s allocation.
    pub(crate) fn shared_string(s: &Arc<str>) -> CelValue {
        CelValue(Value::String(s.clone()))
    }

    /// A one-element list holding `v`.
    pub(crate) fn list_of_one(v: &CelValue) -> CelValue {
        CelValue(Value::List(Arc::from([v.0.clone()])))
    }

    /// `request.auxData` of inputs without auxiliary data.
    pub(crate) fn empty_aux_data() -> CelValue {
        CelValue(cerbos::aux_data_value(None, None))
    }

    /// A `cerbos.Variables` bag (for `C`) from JSON constants.
    pub(crate) fn variables_from_json(m: &BTreeMap<String, serde_json::Value>) -> CelValue {
        CelValue(cerbos::variables_value(
            m.iter().map(|(k, v)| (k.as_str(), Value::from_json(v))),
        ))
    }

    /// A `cerbos.Variables` bag (for `G`) from a JSON object.
    pub(crate) fn variables_from_json_map(
        m: &serde_json::Map<String, serde_json::Value>,
    ) -> CelValue {
        CelValue(cerbos::variables_value(
            m.iter().map(|(k, v)| (k.as_str(), Value::from_json(v))),
        ))
    }

    /// Conditions hold only for boolean `true`.
    pub(crate) fn is_true(&self) -> bool {
        matches!(self.0, Value::Bool(true))
    }

    /// The `google.protobuf.Value` JSON rendering Cerbos uses for outputs.
    pub(crate) fn to_json(&self) -> Result<serde_json::Value, String> {
        self.0.to_json().map_err(|e| e.to_string())
    }
}

/// Computed variables of one parameter set, in evaluation order: the
/// `cerbos.Variables` bag that `V` shows. Cloning shares the bag.
#[derive(Debug, Clone)]
pub(crate) struct Vars {
    value: Value,
}

impl Vars {
    /// No variables; `empty_bag` is the engine's shared empty `cerbos.Variables`
    /// value, so an empty set costs no allocation.
    pub(crate) fn empty(empty_bag: &CelValue) -> Vars {
        Vars {
            value: empty_bag.0.clone(),
        }
    }

    /// Adds (or moves to the end, replacing) variable `key`, a CEL string
    /// (see [`Engine::cel_string`]).
    pub(crate) fn insert(&mut self, key: CelValue, v: CelValue) {
        let Value::String(name) = &key.0 else {
            return;
        };
        // Later variables see the earlier ones, so the bag grows between
        // evaluations. Callers release the activation's reference first
        // ([`CelEnv::release_variables`]), so the bag is usually uniquely
        // owned here and grows in place; a shared one is copied first.
        let Value::Opaque(bag) = &mut self.value else {
            return;
        };
        let Opaque::Variables(map) = Arc::make_mut(bag) else {
            return;
        };
        if map.get_str(name).is_some() {
            let rest: Vec<(Value, Value)> = map
                .iter()
                .filter(|(k, _)| !matches!(k, Value::String(s) if s == name))
                .cloned()
                .collect();
            *map = Map::from_string_entries(rest.into_iter().filter_map(|(k, v)| match k {
                Value::String(s) => Some((s, v)),
                _ => None,
            }));
        }
        map.insert(key.0, v.0);
    }
}

/// CEL values every resource entry of one API request shares (the
/// principal and its auxiliary data), each built on first use.
#[derive(Debug, Default)]
pub(crate) struct RequestValues {
    principal: OnceCell<Value>,
    aux_data: OnceCell<Value>,
}

/// Request strings the main loop already resolved against the index, so
/// that `R` and `P` take the bundle's CEL strings without looking them up
/// again. Each may differ from the raw field (a sanitized kind, a default
/// version); such fields are looked up as usual.
#[derive(Clone, Copy)]
pub(crate) struct KnownNames<'i> {
    pub(crate) kind: Name<'i>,
    pub(crate) resource_version: Name<'i>,
    pub(crate) principal_id: Name<'i>,
    pub(crate) principal_version: Name<'i>,
    pub(crate) roles: &'i [Name<'i>],
}

/// Where the values of one input's activation come from.
struct Sources<'i> {
    engine: &'i Engine,
    input: InputRef<'i>,
    known: KnownNames<'i>,
    globals: &'i Value,
    /// The engine's shared `request.auxData` for inputs without aux data.
    empty_aux: &'i Value,
}

/// An activation with the slots set so far: each slot is set on the first
/// evaluation that reads it (most read `R.attr` and `P.id` and never need
/// the `request`, `P` and `R` messages built).
struct LazyActivation {
    act: Activation,
    /// Bit `i` set: slot `i` holds its value for this input.
    filled: u64,
}

const fn bit(slot: usize) -> u64 {
    1 << slot
}

/// Slots [`CelEnv::eval`] sets itself on every evaluation.
const PER_EVALUATION: u64 = bit(slots::CONSTANTS) | bit(slots::VARIABLES);

/// The activation of one input, its slots set as evaluations read them
/// (many decisions need no CEL at all).
pub(crate) struct CelEnv<'i> {
    sources: Sources<'i>,
    now_unix_nanos: i64,
    /// `runtime` once `set_runtime` gave effective derived roles (the
    /// engine's empty one until then).
    runtime: Option<Value>,
    /// The effective derived roles `set_runtime` gave last, while `runtime`
    /// does not show them yet: the value is built only when an expression
    /// that reads `runtime` runs (most never do).
    pending_runtime: Option<SmallVec<[Value; 4]>>,
    /// The activation. Made with the environment, not on first use: it is
    /// large, and assigning it later copies it.
    built: LazyActivation,
    /// The same activation with `runtime` left unset, used only while a
    /// `runtime_error` is pending, so that only a read of `runtime` fails.
    no_runtime: Option<LazyActivation>,
    /// Set in strict mode when a derived-role condition of the current scope
    /// failed: reading `runtime` then raises this message.
    runtime_error: Option<String>,
}

/// A message of `ty` whose field `i` is `field(i)`: `R` and `P` are built
/// from the same per-field values their projection slots hold.
fn message_of_fields(ty: &'static MessageType, field: impl Fn(usize) -> Value) -> Value {
    let fields: [Option<Value>; MAX_MESSAGE_FIELDS] = std::array::from_fn(|i| {
        // Slots past the type's fields stay unset, as `Message::with` leaves them.
        (i < ty.fields.len()).then(|| field(i))
    });
    Value::Message(Arc::new(Message::with(ty, fields)))
}

impl Sources<'_> {
    /// A string value, shared when the bundle names it.
    fn string(&self, s: &str) -> Value {
        self.engine.cel_string(s).0
    }

    /// Request field `raw` as a string value, through `known` when it
    /// resolved that very text.
    fn known_string(&self, known: Name<'_>, raw: &str) -> Value {
        if known.text != raw || raw.is_empty() {
            return self.string(raw);
        }
        match known.sym {
            Some(sym) => self.engine.symbol_string(sym, raw).0,
            // The bundle never names it: no lookup can find it.
            None => Value::string(raw),
        }
    }

    /// Field `idx` of `P` (in [`cerbos::PRINCIPAL`]'s field order).
    fn principal_field(&self, idx: usize) -> Value {
        let p = self.input.principal;
        match idx {
            0 => self.known_string(self.known.principal_id, &p.id),
            1 => self.roles_value(),
            2 => p.attr.value(),
            3 => self.known_string(self.known.principal_version, &p.policy_version),
            _ => self.string(scope_value(&p.scope)),
        }
    }

    /// Field `idx` of `R` (in [`cerbos::RESOURCE`]'s field order).
    fn resource_field(&self, idx: usize) -> Value {
        let r = self.input.resource;
        match idx {
            0 => self.known_string(self.known.kind, &r.kind),
            // Resource ids are not policy names: no lookup.
            1 => self.known_string(Name::unknown(&r.id), &r.id),
            2 => r.attr.value(),
            3 => self.known_string(self.known.resource_version, &r.policy_version),
            _ => self.string(scope_value(&r.scope)),
        }
    }

    /// `P`: built once per request when the input shares a [`RequestValues`].
    fn principal_value(&self) -> Value {
        let build = || message_of_fields(&cerbos::PRINCIPAL, |i| self.principal_field(i));
        match self.input.shared {
            Some(shared) => shared.principal.get_or_init(build).clone(),
            None => build(),
        }
    }

    /// `R`.
    fn resource_value(&self) -> Value {
        message_of_fields(&cerbos::RESOURCE, |i| self.resource_field(i))
    }

    /// `P.roles`, from the resolved roles when they are the request's.
    fn roles_value(&self) -> Value {
        let roles = &self.input.principal.roles;
        if let ([known], [raw]) = (self.known.roles, roles.as_slice()) {
            if known.text == raw {
                if let Some(list) = known.sym.and_then(|s| self.engine.single_role_list(s)) {
                    return list.0.clone();
                }
            }
        }
        if self.known.roles.len() == roles.len() {
            let list = self
                .known
                .roles
                .iter()
                .zip(roles)
                .map(|(known, raw)| self.known_string(*known, raw));
            Value::List(list.collect())
        } else {
            Value::List(roles.iter().map(|r| self.string(r)).collect())
        }
    }

    /// `request.auxData`: built once per request when the input shares a
    /// [`RequestValues`].
    fn aux_data_value(&self) -> Value {
        let build = || match self.input.aux_data {
            Some(a) => {
                let jwt = (!a.jwt.is_empty()).then_some(&a.jwt);
                // `extend`, not `collect`: collecting into a BTreeMap
                // sorts first (~4 KB of wasm per instantiation).
                let mut jwts = serde_json::Map::new();
                jwts.extend(
                    a.jwts
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::Object(v.claims.clone()))),
                );
                cerbos::aux_data_value(jwt, (!jwts.is_empty()).then_some(&jwts))
            }
            None => self.empty_aux.clone(),
        };
        match self.input.shared {
            Some(shared) => shared.aux_data.get_or_init(build).clone(),
            None => build(),
        }
    }

    /// Sets the slots of `missing` (bits of slots not yet set) that these
    /// sources provide: every slot but `runtime`, `V` and `C`.
    fn fill(&self, act: &mut Activation, missing: u64) {
        let mut missing = missing;
        // `request` is assembled from the `P`, `R` and auxData slots.
        if missing & bit(slots::REQUEST) != 0 {
            missing |= bit(slots::PRINCIPAL) | bit(slots::RESOURCE) | bit(slots::AUX_DATA);
        }
        for i in 0..cerbos::PRINCIPAL.fields.len() {
            if missing & bit(slots::PRINCIPAL_FIELDS + i) != 0 {
                act.set(slots::PRINCIPAL_FIELDS + i, self.principal_field(i));
            }
        }
        for i in 0..cerbos::RESOURCE.fields.len() {
            if missing & bit(slots::RESOURCE_FIELDS + i) != 0 {
                act.set(slots::RESOURCE_FIELDS + i, self.resource_field(i));
            }
        }
        if missing & bit(slots::GLOBALS) != 0 {
            act.set(slots::GLOBALS, self.globals.clone());
        }
        let mut set = |slot: usize, value: &dyn Fn() -> Value| {
            if missing & bit(slot) != 0 && act.get(slot).is_none() {
                act.set(slot, value());
            }
        };
        set(slots::AUX_DATA, &|| self.aux_data_value());
        set(slots::PRINCIPAL, &|| self.principal_value());
        set(slots::RESOURCE, &|| self.resource_value());
        if missing & bit(slots::REQUEST) != 0 {
            let slot = |s: usize| act.get(s).cloned().unwrap_or(Value::Null);
            let request = cerbos::request_value(
                &slot(slots::PRINCIPAL),
                &slot(slots::RESOURCE),
                Some(&slot(slots::AUX_DATA)),
            );
            act.set(slots::REQUEST, request);
        }
    }
}

impl LazyActivation {
    fn new(now_unix_nanos: i64) -> LazyActivation {
        let mut act = Activation::new(slots::COUNT);
        let now = Timestamp::from_unix_nanos(i128::from(now_unix_nanos))
            .or_else(|| Timestamp::from_unix_nanos(0));
        if let Some(now) = now {
            act.set_now(now);
        }
        LazyActivation { act, filled: 0 }
    }
}

impl<'i> CelEnv<'i> {
    /// Whether any evaluation of this input read the time (`now()`,
    /// `timeSince`): test suites without `options.now` must then error.
    pub(crate) fn now_was_read(&self) -> bool {
        self.built.act.now_was_read()
            || self
                .no_runtime
                .as_ref()
                .is_some_and(|l| l.act.now_was_read())
    }

    pub(crate) fn new(
        engine: &'i Engine,
        input: InputRef<'i>,
        known: KnownNames<'i>,
        now_unix_nanos: i64,
    ) -> CelEnv<'i> {
        CelEnv {
            sources: Sources {
                engine,
                input,
                known,
                globals: &engine.globals().0,
                empty_aux: &engine.empty_aux_data().0,
            },
            now_unix_nanos,
            runtime: None,
            pending_runtime: None,
            built: LazyActivation::new(now_unix_nanos),
            no_runtime: None,
            runtime_error: None,
        }
    }

    /// Sets `runtime.effectiveDerivedRoles` (sorted) for the scope being
    /// evaluated; with failed derived roles (strict mode) `runtime` raises
    /// `failed to compute effective derived roles [..]` instead.
    /// `roles` (the names as CEL strings) must be sorted and free of duplicates.
    pub(crate) fn set_runtime<'v>(
        &mut self,
        roles: impl ExactSizeIterator<Item = &'v CelValue>,
        err_roles: &[&str],
    ) {
        self.pending_runtime = Some(roles.map(|r| r.0.clone()).collect());
        self.runtime_error = (!err_roles.is_empty()).then(|| {
            format!(
                "failed to compute effective derived roles [{}]",
                err_roles.join(", ")
            )
        });
    }

    /// Drops the activations' reference to the variables bag last
    /// evaluated with, so that `Vars::insert` can grow that bag in place.
    pub(crate) fn release_variables(&mut self) {
        self.built.act.unset(slots::VARIABLES);
        if let Some(lazy) = &mut self.no_runtime {
            lazy.act.unset(slots::VARIABLES);
        }
    }

    /// Evaluates a bundle expression with the given constants and variables.
    pub(crate) fn eval(
        &mut self,
        engine: &Engine,
        expr: ExprId,
        constants: &CelValue,
        vars: &Vars,
    ) -> Result<CelValue, String> {
        let Some(p) = engine.program(expr) else {
            return Err(format!("unknown expression #{expr}"));
        };
        let reads = p.program.slots_read();
        if reads & bit(slots::RUNTIME) != 0 {
            if let Some(roles) = self.pending_runtime.take() {
                self.runtime = Some(cerbos::runtime_value_of(Value::List(
                    roles.into_iter().collect(),
                )));
                self.built.filled &= !bit(slots::RUNTIME);
            }
        }
        let (lazy, with_runtime) = if self.runtime_error.is_some() {
            let now = self.now_unix_nanos;
            let lazy = self
                .no_runtime
                .get_or_insert_with(|| LazyActivation::new(now));
            (lazy, false)
        } else {
            (&mut self.built, true)
        };
        let missing = reads & !lazy.filled & !PER_EVALUATION;
        if missing != 0 {
            self.sources.fill(&mut lazy.act, missing);
            if with_runtime && missing & bit(slots::RUNTIME) != 0 {
                let runtime = match &self.runtime {
                    Some(r) => r.clone(),
                    None => self.sources.engine.empty_runtime().0.clone(),
                };
                lazy.act.set(slots::RUNTIME, runtime);
            }
            // `runtime` stays unset in `no_runtime`: reading it fails.
            lazy.filled |= missing
                & (if with_runtime {
                    !0
                } else {
                    !bit(slots::RUNTIME)
                });
        }
        let act = &mut lazy.act;
        set_shared(act, slots::CONSTANTS, &constants.0);
        set_shared(act, slots::VARIABLES, &vars.value);
        act.set_budget(DEFAULT_BUDGET);
        p.program
            .eval(act)
            .map(CelValue)
            .map_err(|e| match (e, &self.runtime_error) {
                (EvalError::NoSuchAttribute(name), Some(msg)) if name == "runtime" => msg.clone(),
                // The most frequent error (an attribute the request does
                // not carry), assembled without the formatting machinery.
                (EvalError::NoSuchKey(key), _) => [NO_SUCH_KEY, &key].concat(),
                (e, _) => {
                    // One allocation for the usual short message instead of
                    // growing the string piece by piece.
                    let mut msg = String::with_capacity(64);
                    let _ = write!(msg, "{e}");
                    msg
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_messages_match_the_error_display() {
        let e = EvalError::NoSuchKey(Arc::from("ip_address"));
        assert_eq!([NO_SUCH_KEY, "ip_address"].concat(), e.to_string());
    }

    /// `principal_field` and `resource_field` number the fields in this order.
    #[test]
    fn request_messages_list_fields_in_declaration_order() {
        let names = |ty: &MessageType| ty.fields.iter().map(|f| f.name).collect::<Vec<_>>();
        let expected = ["id", "roles", "attr", "policy_version", "scope"];
        assert_eq!(names(&cerbos::PRINCIPAL), expected);
        let expected = ["kind", "id", "attr", "policy_version", "scope"];
        assert_eq!(names(&cerbos::RESOURCE), expected);
    }
}
