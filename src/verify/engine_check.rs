//! The runner's checks, answered by the engine.
//!
//! Test options change engine settings (globals, default version and scope,
//! lenient scopes, strict evaluation), so one engine is built per distinct
//! setting and reused.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::results::{Effect, OutputEntry};
use super::runner::{ActionAnswer, CheckAnswer, CheckRequest, Checker};
use super::suite::TestOptions;
use super::{VerifyError, VerifyOptions};
use crate::bundle::Bundle;
use crate::engine::request::{Attributes, NamedClaims, Principal, Resource};
use crate::engine::{self, CheckInput, DecodedAuxData, Engine, EngineConfig, SchemaEnforcement};

/// An engine per distinct configuration, built on first use.
pub(crate) struct EngineChecker<'a> {
    bundle: &'a Bundle,
    base: EngineConfig,
    engines: RefCell<HashMap<String, Result<Rc<Engine>, String>>>,
}

impl<'a> EngineChecker<'a> {
    /// Validates the bundle by building the engine for the base settings.
    pub(crate) fn new(bundle: &'a Bundle, opts: &VerifyOptions) -> Result<Self, VerifyError> {
        let base = EngineConfig {
            schema_enforcement: if opts.ignore_schemas {
                SchemaEnforcement::None
            } else {
                SchemaEnforcement::Reject
            },
            strict_evaluation: opts.strict_evaluation,
            ..EngineConfig::default()
        };
        let checker = EngineChecker {
            bundle,
            base,
            engines: RefCell::new(HashMap::new()),
        };
        checker
            .engine(&checker.base.clone())
            .map_err(VerifyError::Engine)?;
        Ok(checker)
    }

    /// Engine settings for a test: options apply on top of the run's settings
    /// (Cerbos applies each option only when it is set).
    fn config_for(&self, options: Option<&TestOptions>) -> EngineConfig {
        let mut c = self.base.clone();
        if let Some(o) = options {
            c.lenient_scope_search |= o.lenient_scope_search;
            c.strict_evaluation |= o.strict_evaluation;
            if !o.globals.is_empty() {
                c.globals = o.globals.clone();
            }
            if !o.default_policy_version.is_empty() {
                c.default_policy_version = o.default_policy_version.clone();
            }
            if !o.default_scope.is_empty() {
                c.default_scope = o.default_scope.clone();
            }
        }
        c
    }

    fn engine(&self, config: &EngineConfig) -> Result<Rc<Engine>, String> {
        let key = serde_json::to_string(config).map_err(|e| e.to_string())?;
        if let Some(e) = self.engines.borrow().get(&key) {
            return e.clone();
        }
        let built = Engine::new(self.bundle.clone(), config.clone())
            .map(Rc::new)
            .map_err(|e| e.to_string());
        self.engines.borrow_mut().insert(key, built.clone());
        built
    }
}

impl Checker for EngineChecker<'_> {
    fn check(&self, req: &CheckRequest<'_>) -> Result<CheckAnswer, String> {
        let engine = self.engine(&self.config_for(req.options))?;
        let p = req.principal;
        let r = req.resource;
        let input = CheckInput {
            request_id: String::new(),
            principal: Principal {
                id: p.id.clone(),
                policy_version: p.policy_version.clone(),
                roles: p.roles.clone(),
                attr: Attributes::from_json(&p.attr),
                scope: p.scope.clone(),
            },
            resource: Resource {
                kind: r.kind.clone(),
                policy_version: r.policy_version.clone(),
                id: r.id.clone(),
                attr: Attributes::from_json(&r.attr),
                scope: r.scope.clone(),
            },
            actions: req.actions.to_vec(),
            aux_data: req.aux_data.map(|a| DecodedAuxData {
                jwt: a.jwt.clone(),
                jwts: a
                    .jwts
                    .iter()
                    .map(|(k, v)| (k.clone(), NamedClaims { claims: v.clone() }))
                    .collect(),
            }),
        };
        // Without `options.now` the value is irrelevant: the runner turns any
        // read of the time into a test error, as Cerbos does.
        let now = match req.options.and_then(|o| o.now) {
            Some(t) => t
                .seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(t.nanos)),
            None => 0,
        };
        let Some(out) = engine.check_inputs(&[input], now).into_iter().next() else {
            return Err("Empty response from server".into());
        };
        Ok(CheckAnswer {
            actions: out
                .actions
                .0
                .iter()
                .map(|(a, e)| {
                    (
                        a.to_string(),
                        ActionAnswer {
                            effect: match e.effect {
                                engine::Effect::Allow => Effect::Allow,
                                engine::Effect::Deny => Effect::Deny,
                            },
                            policy: e.policy.to_string(),
                            scope: e.scope.to_string(),
                            rule: e.rule.to_string(),
                        },
                    )
                })
                .collect(),
            outputs: out
                .outputs
                .iter()
                .map(|o| OutputEntry {
                    src: o.src.clone(),
                    val: o.val.clone(),
                    action: o.action.clone(),
                    error: o.error.clone(),
                })
                .collect(),
            used_now: out.used_now,
        })
    }
}
