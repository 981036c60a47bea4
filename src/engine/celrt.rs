//! Adapter between the engine and the CEL runtime (`cel::cerbos`): the
//! Cerbos activation of one input (request, P, R, runtime, V, C, G, now),
//! variables bags and value helpers.

use std::collections::{BTreeMap, BTreeSet};

use crate::bundle::ExprId;
use crate::cel::ast::Expr;
use crate::cel::cerbos::{self, slots};
use crate::cel::program::{Activation, Declarations, Program, DEFAULT_BUDGET};
use crate::cel::time::Timestamp;
use crate::cel::value::{EvalError, Value};

use super::names::scope_value;
use super::request::CheckInput;
use super::Engine;

/// The declarations every bundle expression is prepared against.
pub(crate) fn declarations() -> Declarations {
    cerbos::declarations()
}

/// A prepared expression.
#[derive(Debug)]
pub(crate) struct Prepared(Program);

impl Prepared {
    pub(crate) fn new(expr: &Expr, decls: &Declarations) -> Result<Prepared, String> {
        Program::prepare(expr, decls)
            .map(Prepared)
            .map_err(|e| e.to_string())
    }
}

/// A CEL value as the engine handles it.
#[derive(Debug, Clone)]
pub(crate) struct CelValue(Value);

impl CelValue {
    pub(crate) fn null() -> CelValue {
        CelValue(Value::Null)
    }

    pub(crate) fn empty_vars() -> CelValue {
        CelValue(cerbos::variables_value(std::iter::empty()))
    }

    /// A `cerbos.Variables` bag (for `C`) from JSON constants.
    pub(crate) fn variables_from_json(m: &BTreeMap<String, serde_json::Value>) -> CelValue {
        CelValue(cerbos::variables_value(
            m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))),
        ))
    }

    /// A `cerbos.Variables` bag (for `G`) from a JSON object.
    pub(crate) fn variables_from_json_map(
        m: &serde_json::Map<String, serde_json::Value>,
    ) -> CelValue {
        CelValue(cerbos::variables_value(
            m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))),
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

/// Computed variables of one parameter set, in evaluation order.
#[derive(Debug, Clone)]
pub(crate) struct Vars {
    entries: Vec<(String, Value)>,
    value: Value,
}

impl Default for Vars {
    fn default() -> Self {
        Vars {
            entries: Vec::new(),
            value: cerbos::variables_value(std::iter::empty()),
        }
    }
}

impl Vars {
    pub(crate) fn insert(&mut self, name: &str, v: CelValue) {
        self.entries.retain(|(n, _)| n != name);
        self.entries.push((name.to_string(), v.0));
        // Later variables see the earlier ones, so the bag is rebuilt per insert.
        self.value = cerbos::variables_value(self.entries.iter().cloned());
    }
}

/// The activation of one input.
pub(crate) struct CelEnv {
    act: Activation,
    /// The same activation with `runtime` left unset, used while
    /// `runtime_error` is pending so that only a read of `runtime` fails.
    no_runtime: Activation,
    /// Set in strict mode when a derived-role condition of the current scope
    /// failed: reading `runtime` then raises this message.
    runtime_error: Option<String>,
}

impl CelEnv {
    /// Whether any evaluation of this input read the time.
    pub(crate) fn now_was_read(&self) -> bool {
        self.act.now_was_read() || self.no_runtime.now_was_read()
    }

    pub(crate) fn new(engine: &Engine, input: &CheckInput, now_unix_nanos: i64) -> CelEnv {
        let p = &input.principal;
        let r = &input.resource;
        let principal = cerbos::Principal {
            id: p.id.clone(),
            roles: p.roles.clone(),
            attr: p.attr.clone(),
            policy_version: p.policy_version.clone(),
            scope: scope_value(&p.scope).to_string(),
        };
        let resource = cerbos::Resource {
            kind: r.kind.clone(),
            id: r.id.clone(),
            attr: r.attr.clone(),
            policy_version: r.policy_version.clone(),
            scope: scope_value(&r.scope).to_string(),
        };
        let now = Timestamp::from_unix_nanos(i128::from(now_unix_nanos))
            .or_else(|| Timestamp::from_unix_nanos(0));
        let mut act = Activation::new(slots::COUNT);
        let pv = cerbos::principal_value(&principal);
        let rv = cerbos::resource_value(&resource);
        let aux = input.aux_data.as_ref().map(|a| {
            let jwt = (!a.jwt.is_empty()).then_some(&a.jwt);
            let jwts: serde_json::Map<String, serde_json::Value> = a
                .jwts
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::Object(v.claims.clone())))
                .collect();
            cerbos::aux_data_value(jwt, (!jwts.is_empty()).then_some(&jwts))
        });
        let aux = aux.unwrap_or_else(|| cerbos::aux_data_value(None, None));
        act.set(slots::REQUEST, cerbos::request_value(&pv, &rv, Some(&aux)));
        act.set(slots::PRINCIPAL, pv);
        act.set(slots::RESOURCE, rv);
        act.set(slots::GLOBALS, engine.globals().0.clone());
        if let Some(now) = now {
            act.set_now(now);
        }
        let no_runtime = act.clone();
        act.set(slots::RUNTIME, cerbos::runtime_value(&[]));
        CelEnv {
            act,
            no_runtime,
            runtime_error: None,
        }
    }

    /// Sets `runtime.effectiveDerivedRoles` (sorted) for the scope being
    /// evaluated; with failed derived roles (strict mode) `runtime` raises
    /// `failed to compute effective derived roles [..]` instead.
    pub(crate) fn set_runtime(&mut self, roles: &BTreeSet<String>, err_roles: &[String]) {
        let list: Vec<String> = roles.iter().cloned().collect();
        self.act.set(slots::RUNTIME, cerbos::runtime_value(&list));
        self.runtime_error = (!err_roles.is_empty()).then(|| {
            format!(
                "failed to compute effective derived roles [{}]",
                err_roles.join(", ")
            )
        });
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
        let act = if self.runtime_error.is_some() {
            &mut self.no_runtime
        } else {
            &mut self.act
        };
        act.set(slots::CONSTANTS, constants.0.clone());
        act.set(slots::VARIABLES, vars.value.clone());
        act.set_budget(DEFAULT_BUDGET);
        p.0.eval(act)
            .map(CelValue)
            .map_err(|e| match (e, &self.runtime_error) {
                (EvalError::NoSuchAttribute(name), Some(msg)) if name == "runtime" => msg.clone(),
                (e, _) => e.to_string(),
            })
    }
}
