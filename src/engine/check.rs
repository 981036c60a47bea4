//! The CheckResources main loop: a transcription of Cerbos's
//! `internal/ruletable/check.go` (`RuleTable.check`) over the prepared
//! [`Index`](super::index::Index). Iteration orders, caches and break points
//! follow the original because they decide outputs and evaluation errors,
//! not only effects (`cerbos-semantics.md` §2.3–2.13).

use std::sync::Arc;

use smallvec::SmallVec;

use crate::bundle::{
    Condition, DerivedRoleId, Effect as RowEffect, ExprId, ParamSetId, PolicyId, PolicyKind,
    ScopePermissions,
};

use super::cache::InputCache;
use super::celrt::{CelEnv, CelValue, KnownNames, Vars};
use super::config::SchemaEnforcement;
use super::index::{Binding, Bindings, ConditionRef, Name, RoleRows, Roles, ScopeInfo, Table};
use super::memo::SharedRows;
use super::names::{principal_policy_key, resource_policy_key, sanitize_cow, scope_value};
use super::request::{
    ActionEffect, ActionMap, CelError, CheckOutput, Effect, EvaluationError, InputRef, OutputEntry,
    ValidationError, ValidationSource,
};
use super::schema::check_source;
use super::Engine;

/// Policy reported when nothing matched.
pub(crate) const NO_MATCH: &str = "NO_MATCH";

/// Effect during evaluation (Cerbos's tri-state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eff {
    NoMatch,
    Allow,
    Deny,
}

/// Borrowed while walking (most decisions name a key and scope that
/// already exist), owned only when stored.
#[derive(Debug, Clone)]
struct EffectInfo<'a> {
    effect: Eff,
    policy: &'a Arc<str>,
    scope: &'a Arc<str>,
    /// Name of the rule that decided (for test-runner reports; not in the API).
    rule: &'a Arc<str>,
}

/// A strict-mode evaluation failure: the action is denied.
struct StrictError;

/// Why a condition could not be decided.
enum Undecided {
    /// An evaluation error in strict mode (or a nesting limit).
    Strict,
    /// An expression cel-go could not plan (see `Program::plan_error`).
    Unplannable,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum VarKey {
    /// Variables of a rule's owning policy (binding path: failures leave the variable unset).
    Params(ParamSetId),
    /// Variables of a derived-roles set on the effective-derived-roles path
    /// (failures set the variable to null in non-strict mode).
    DerivedRole(DerivedRoleId),
}

/// The effective derived roles of one scope, borrowed from the bundle.
#[derive(Default)]
struct ScopedDerivedRoles<'e> {
    /// Sorted by name, without duplicate names (the order
    /// `runtime.effectiveDerivedRoles` lists them in).
    roles: SmallVec<[(&'e str, DerivedRoleId); 4]>,
    err_roles: SmallVec<[&'e str; 2]>,
}

/// The decision of each action so far, in the order they were first set.
type Effects<'a> = SmallVec<[(Name<'a>, EffectInfo<'a>); 4]>;

/// The rule table of one scope as an input sees it.
struct ScopeTable<'a> {
    table: Option<&'a Table>,
    /// Per principal role (with its parents), the table's rows for the
    /// input's resource kind that the role can match, any action (`None`
    /// without a table: no role has rows).
    by_role: Option<SharedRows>,
    perms: ScopePermissions,
}

impl<'a> ScopeTable<'a> {
    fn new(
        engine: &'a Engine,
        info: &ScopeInfo,
        table: Option<&'a Table>,
        kind: Name<'_>,
        role_query_roles: &[Roles<'_>],
        principal: Option<Name<'_>>,
    ) -> ScopeTable<'a> {
        // A principal the rule table never names has no rows to match.
        let table = table.filter(|_| principal.is_none_or(|p| p.sym.is_some()));
        let by_role = table.map(|t| {
            let compute = || {
                let rows = t.resource_rows(kind);
                role_query_roles
                    .iter()
                    .map(|q| engine.index.role_rows(&engine.bundle, &rows, q, principal))
                    .collect()
            };
            engine
                .rows_memo
                .rows(t, kind, principal, role_query_roles, compute)
        });
        ScopeTable {
            table,
            by_role,
            perms: info.permissions,
        }
    }
}

/// Per-input evaluation state.
struct Eval<'e> {
    engine: &'e Engine,
    cel: CelEnv<'e>,
    strict: bool,
    var_cache: InputCache<VarKey, Vars>,
    /// Condition results by evaluation key.
    cond_cache: InputCache<u32, bool>,
    /// (expression source, message): ordered and deduplicated as the
    /// output lists them (see [`Eval::add_error`]).
    cel_errors: SmallVec<[(&'e Arc<str>, String); 2]>,
    outputs: Vec<OutputEntry>,
    /// Shared by every parameter set without variables.
    empty_vars: Vars,
}

/// Records the decision for `action` (DENY is sticky when an action is set
/// twice). Decisions stay borrowed until [`finish`] copies them into the output.
fn set_effect<'a>(effects: &mut Effects<'a>, action: Name<'a>, info: EffectInfo<'a>) {
    let mut info = info;
    if info.effect != Eff::Allow {
        info.effect = Eff::Deny;
    }
    match effects.iter_mut().find(|(a, _)| a.text == action.text) {
        Some((_, cur)) => {
            if info.effect == Eff::Deny || cur.effect != Eff::Deny {
                *cur = info;
            }
        }
        None => effects.push((action, info)),
    }
}

/// Every requested action appears once, in request order; unresolved ones
/// are DENY/NO_MATCH.
fn finish(
    engine: &Engine,
    input: InputRef<'_>,
    effects: &[(Name<'_>, EffectInfo<'_>)],
    out: &mut CheckOutput,
) {
    let mut actions: Vec<(Arc<str>, ActionEffect)> = Vec::with_capacity(input.actions.len());
    for a in input.actions {
        if actions.iter().any(|(x, _)| **x == **a) {
            continue;
        }
        let decided = effects.iter().find(|(x, _)| x.text == a);
        // The bundle's copy of the name when it has one.
        let name = decided
            .and_then(|(n, _)| engine.index.text_of(*n))
            .cloned()
            .unwrap_or_else(|| Arc::from(a.as_str()));
        let v = match decided {
            Some((_, info)) => ActionEffect {
                effect: if info.effect == Eff::Allow {
                    Effect::Allow
                } else {
                    Effect::Deny
                },
                policy: info.policy.clone(),
                scope: info.scope.clone(),
                rule: info.rule.clone(),
            },
            None => ActionEffect {
                effect: Effect::Deny,
                policy: engine.no_match.clone(),
                scope: engine.empty_str.clone(),
                rule: engine.empty_str.clone(),
            },
        };
        actions.push((name, v));
    }
    out.actions = ActionMap(actions);
}

/// Validates the input's attributes against the schemas of the resource
/// policy at `first_scope` (§2.4), recording the errors in `out`; true when
/// they reject the input (`SchemaEnforcement::Reject`). Out of line: most
/// engines run without schemas, and then a runtime that compiles wasm
/// lazily never compiles this.
#[inline(never)]
fn validate_attributes(
    engine: &Engine,
    input: InputRef<'_>,
    sanitized_kind: &str,
    version: &str,
    first_scope: &str,
    out: &mut CheckOutput,
) -> bool {
    let mut errors: Vec<ValidationError> = Vec::new();
    if let Some(schemas) = engine.schemas_for(sanitized_kind, version, first_scope) {
        let sources = [
            (
                &schemas.principal,
                &input.principal.attr,
                ValidationSource::Principal,
            ),
            (
                &schemas.resource,
                &input.resource.attr,
                ValidationSource::Resource,
            ),
        ];
        let documents = &engine.bundle.schemas;
        for (schema, attr, source) in sources {
            let attr = attr.to_json();
            check_source(
                documents,
                schema.as_ref(),
                &attr,
                input.actions,
                source,
                &mut errors,
            );
        }
    }
    if errors.is_empty() {
        return false;
    }
    out.validation_errors = errors;
    engine.config.schema_enforcement == SchemaEnforcement::Reject
}

/// Evaluates one input.
pub(crate) fn check_input(
    engine: &Engine,
    input: InputRef<'_>,
    now_unix_nanos: i64,
) -> CheckOutput {
    let mut out = CheckOutput {
        request_id: input.request_id.to_string(),
        resource_id: input.resource.id.clone(),
        ..CheckOutput::default()
    };

    let cfg = &engine.config;
    let p_scope_raw = if input.principal.scope.is_empty() {
        cfg.default_scope.as_str()
    } else {
        input.principal.scope.as_str()
    };
    let p_scope = scope_value(p_scope_raw);
    let p_version = if input.principal.policy_version.is_empty() {
        cfg.default_policy_version.as_str()
    } else {
        input.principal.policy_version.as_str()
    };
    let r_scope_raw = if input.resource.scope.is_empty() {
        cfg.default_scope.as_str()
    } else {
        input.resource.scope.as_str()
    };
    let r_scope = scope_value(r_scope_raw);
    let r_version = if input.resource.policy_version.is_empty() {
        cfg.default_policy_version.as_str()
    } else {
        input.resource.policy_version.as_str()
    };
    let idx = &engine.index;
    let lenient = cfg.lenient_scope_search;

    // §2.3 scope discovery. The policy key of the first scope is only
    // formatted once it is known to be reported.
    let principal_scopes = idx.scope_chain(p_scope, PolicyKind::Principal, lenient);
    let resource_scopes = idx.scope_chain(r_scope, PolicyKind::Resource, lenient);
    let empty = &engine.empty_str;
    let sanitized_kind = sanitize_cow(&input.resource.kind);
    let sanitized_kind: &str = &sanitized_kind;
    let kind_name = idx.name(sanitized_kind);
    let r_version_name = idx.name(r_version);
    // Principal and resource usually name the same version.
    let p_version_name = if p_version == r_version {
        Name {
            text: p_version,
            ..r_version_name
        }
    } else {
        idx.name(p_version)
    };
    let r_version_sym = r_version_name.sym;
    let p_version_sym = p_version_name.sym;
    // The key of the policy that would sit at the first scope, borrowed
    // from the bundle when that policy exists.
    let r_key_of = || -> Arc<str> {
        let Some((s, info)) = resource_scopes.first() else {
            return empty.clone();
        };
        match idx.keyed_policy(PolicyKind::Resource, kind_name, r_version_sym, info) {
            Some(pid) => engine.policy_key_arc(pid).clone(),
            None => resource_policy_key(&input.resource.kind, r_version, s).into(),
        }
    };

    if principal_scopes.is_empty() && resource_scopes.is_empty() {
        finish(engine, input, &[], &mut out);
        return out;
    }

    // §2.4 schema validation with the schemas of the first resource scope's policy chain.
    if cfg.schema_enforcement != SchemaEnforcement::None {
        if let Some((first, _)) = resource_scopes.first() {
            let rejected =
                validate_attributes(engine, input, sanitized_kind, r_version, first, &mut out);
            if rejected {
                let r_key = r_key_of();
                let mut effects = Effects::new();
                for a in input.actions {
                    set_effect(
                        &mut effects,
                        idx.name(a),
                        EffectInfo {
                            effect: Eff::Deny,
                            policy: &r_key,
                            scope: empty,
                            rule: empty,
                        },
                    );
                }
                finish(engine, input, &effects, &mut out);
                return out;
            }
        }
    }

    let resource_table_list: SmallVec<[Option<&Table>; 4]> = resource_scopes
        .iter()
        .map(|(_, info)| idx.table_of(PolicyKind::Resource, r_version_sym, info))
        .collect();
    // Principal rows are queried with the resource version, as in Cerbos,
    // but their existence is checked with the principal's.
    let scoped_principal_exists = principal_scopes.iter().any(|(_, info)| {
        idx.table_of(PolicyKind::Principal, p_version_sym, info)
            .is_some()
    });
    let scoped_resource_exists = resource_table_list
        .iter()
        .flatten()
        .any(|t| t.has_resource(kind_name));
    if !scoped_principal_exists && !scoped_resource_exists {
        finish(engine, input, &[], &mut out);
        return out;
    }
    let r_scope_info = idx.scope(r_scope);
    let roles: Roles = input.principal.roles.iter().map(|r| idx.name(r)).collect();
    let principal_name = idx.name(&input.principal.id);
    let including_parent_roles = idx.add_parent_roles(r_scope_info, &roles);

    let mut ev = Eval {
        engine,
        cel: CelEnv::new(
            engine,
            input,
            KnownNames {
                kind: kind_name,
                resource_version: r_version_name,
                principal_id: principal_name,
                principal_version: p_version_name,
                roles: &roles,
            },
            now_unix_nanos,
        ),
        strict: cfg.strict_evaluation,
        var_cache: InputCache::default(),
        cond_cache: InputCache::default(),
        cel_errors: SmallVec::new(),
        outputs: Vec::new(),
        empty_vars: Vars::empty(engine.empty_vars()),
    };
    // Few scopes per request: a list beats hashing.
    let mut processed_scoped_drs: SmallVec<[(&str, ScopedDerivedRoles); 2]> = SmallVec::new();
    let mut effective_derived_roles: SmallVec<[&Arc<str>; 4]> = SmallVec::new();
    let mut bindings = Bindings::new();
    // Per-input lookups hoisted out of the action loop: each role's query
    // roles, and the table of each scope (principal rows are queried with
    // the resource version, as in Cerbos) with its scope permissions and
    // the rows each role can match.
    let role_query_roles: SmallVec<[Roles; 2]> = roles
        .iter()
        .map(|r| idx.add_parent_roles(r_scope_info, std::slice::from_ref(r)))
        .collect();
    let scope_table = |kind: PolicyKind, info: &ScopeInfo, table| {
        let principal = (kind == PolicyKind::Principal).then_some(principal_name);
        ScopeTable::new(engine, info, table, kind_name, &role_query_roles, principal)
    };
    let resource_tables: SmallVec<[ScopeTable; 2]> = resource_scopes
        .iter()
        .zip(&resource_table_list)
        .map(|((_, info), table)| scope_table(PolicyKind::Resource, info, *table))
        .collect();
    let principal_tables: SmallVec<[ScopeTable; 2]> = principal_scopes
        .iter()
        .map(|(_, info)| {
            let table = idx.table_of(PolicyKind::Principal, r_version_sym, info);
            scope_table(PolicyKind::Principal, info, table)
        })
        .collect();
    // Index into `processed_scoped_drs` of the set `runtime` currently shows.
    let mut runtime_set: Option<usize> = None;
    // The key of the first principal scope is reported only when a
    // principal rule decides, so it is not formatted when no rule of this
    // principal's policies can match.
    let principal_rows = principal_tables.iter().any(|t| {
        t.by_role
            .iter()
            .any(|r| r.by_role.iter().any(RoleRows::any_match))
    });
    let p_key: Arc<str> = match principal_scopes.first() {
        Some((s, info)) if scoped_principal_exists && principal_rows => {
            let id = sanitize_cow(&input.principal.id);
            match idx.keyed_policy(PolicyKind::Principal, idx.name(&id), p_version_sym, info) {
                Some(pid) => engine.policy_key_arc(pid).clone(),
                None => principal_policy_key(&input.principal.id, p_version, s).into(),
            }
        }
        _ => empty.clone(),
    };
    let r_key = if scoped_resource_exists {
        r_key_of()
    } else {
        empty.clone()
    };

    let mut effects = Effects::new();

    for action in input.actions {
        let action_name = idx.name(action);
        let mut action_effect = EffectInfo {
            effect: Eff::NoMatch,
            policy: empty,
            scope: empty,
            rule: empty,
        };
        'policies: for pt in [PolicyKind::Principal, PolicyKind::Resource] {
            let (main_key, scopes) = if pt == PolicyKind::Principal {
                (&p_key, &principal_scopes)
            } else {
                (&r_key, &resource_scopes)
            };
            action_effect.effect = Eff::NoMatch;

            for i in 0..input.principal.roles.len() {
                if i > 0 && pt == PolicyKind::Principal {
                    break;
                }
                let mut has_allow = false;
                let mut allow_rule = empty;
                let mut role_effect = EffectInfo {
                    effect: Eff::NoMatch,
                    policy: &engine.no_match,
                    scope: empty,
                    rule: empty,
                };
                if (pt == PolicyKind::Resource && scoped_resource_exists)
                    || (pt == PolicyKind::Principal && scoped_principal_exists)
                {
                    role_effect.policy = main_key;
                }
                let query_roles: &[Name] = role_query_roles.get(i).map_or(&[], |r| r);

                'scopes: for (scope_idx, &(scope, scope_info)) in scopes.iter().enumerate() {
                    let scope_name = scope_info.name();
                    if pt == PolicyKind::Resource {
                        let known = processed_scoped_drs.iter().position(|(s, _)| *s == scope);
                        let sdr_idx = match known {
                            Some(i) => i,
                            None => {
                                let policy = resource_tables
                                    .get(scope_idx)
                                    .and_then(|t| t.table)
                                    .and_then(|t| t.policy(kind_name));
                                let s = ev.scoped_derived_roles(
                                    policy,
                                    &including_parent_roles,
                                    &mut effective_derived_roles,
                                );
                                processed_scoped_drs.push((scope, s));
                                processed_scoped_drs.len() - 1
                            }
                        };
                        // The bag only changes when the walk reaches another scope's set.
                        if runtime_set != Some(sdr_idx) {
                            if let Some((_, sdr)) = processed_scoped_drs.get(sdr_idx) {
                                let names = sdr
                                    .roles
                                    .iter()
                                    .map(|(_, id)| engine.derived_role_name(*id));
                                ev.cel.set_runtime(names, &sdr.err_roles);
                            }
                            runtime_set = Some(sdr_idx);
                        }
                    }
                    if role_effect.effect != Eff::NoMatch {
                        break;
                    }
                    let tables = if pt == PolicyKind::Principal {
                        &principal_tables
                    } else {
                        &resource_tables
                    };
                    let Some(ScopeTable {
                        table,
                        by_role,
                        perms,
                    }) = tables.get(scope_idx)
                    else {
                        continue;
                    };
                    let mut shared = None;
                    bindings.clear();
                    let rows = by_role.as_ref().and_then(|r| Some((r, r.by_role.get(i)?)));
                    if let (Some(table), Some((rows, role_rows))) = (table, rows) {
                        shared = rows.bindings(i, action_name, &mut bindings, |out| {
                            idx.query(
                                &engine.bundle,
                                table,
                                role_rows,
                                pt,
                                kind_name,
                                action_name,
                                query_roles,
                                out,
                            )
                        });
                    }
                    let query_bindings: &[Binding] = shared.as_deref().unwrap_or(&bindings);
                    for b in query_bindings {
                        let Some(view) = idx.view(&engine.bundle, b) else {
                            continue;
                        };
                        let origin_key = || engine.policy_key_arc(view.origin);
                        let (constants, variables) = match view.params {
                            Some(ps) => (engine.param_constants(ps), ev.binding_variables(ps)),
                            None => (engine.empty_vars(), ev.empty_vars.clone()),
                        };
                        let satisfied = match view.eval_key.and_then(|k| ev.cond_cache.get(&k)) {
                            Some(c) => *c,
                            None => {
                                if let Some(dr_id) = view.derived_role {
                                    match ev.derived_role_gate(dr_id) {
                                        Err(StrictError) => {
                                            action_effect = EffectInfo {
                                                effect: Eff::Deny,
                                                policy: origin_key(),
                                                scope: scope_name,
                                                rule: view.rule,
                                            };
                                            break 'policies;
                                        }
                                        Ok(None) => continue,
                                        Ok(Some(false)) => {
                                            if let Some(k) = view.eval_key {
                                                ev.cond_cache.insert(k, false);
                                            }
                                            continue;
                                        }
                                        Ok(Some(true)) => {}
                                    }
                                }
                                match ev.satisfies_ref(view.condition, constants, &variables) {
                                    Err(StrictError) => {
                                        action_effect = EffectInfo {
                                            effect: Eff::Deny,
                                            policy: origin_key(),
                                            scope: scope_name,
                                            rule: view.rule,
                                        };
                                        break 'policies;
                                    }
                                    Ok(sat) => {
                                        if let Some(k) = view.eval_key {
                                            ev.cond_cache.insert(k, sat);
                                        }
                                        sat
                                    }
                                }
                            }
                        };
                        let src = || format!("{}#{}", engine.policy_key(view.origin), view.name);
                        if satisfied {
                            if let Some(e) = view.rule_activated {
                                let entry = ev.output(src(), action, e, constants, &variables);
                                ev.outputs.push(entry);
                            }
                            match view.effect {
                                RowEffect::Allow => {
                                    if !has_allow {
                                        allow_rule = view.rule;
                                    }
                                    has_allow = true;
                                }
                                RowEffect::Deny => {
                                    role_effect.effect = Eff::Deny;
                                    role_effect.scope = scope_name;
                                    role_effect.rule = view.rule;
                                    if view.from_role_policy {
                                        role_effect.policy = origin_key();
                                    }
                                    break 'scopes;
                                }
                                RowEffect::NoMatch => {}
                            }
                        } else if let Some(e) = view.condition_not_met {
                            let entry = ev.output(src(), action, e, constants, &variables);
                            ev.outputs.push(entry);
                        }
                    }
                    if has_allow {
                        match *perms {
                            ScopePermissions::RequireParentalConsentForAllows => has_allow = false,
                            ScopePermissions::OverrideParent => {
                                role_effect.effect = Eff::Allow;
                                role_effect.scope = scope_name;
                                role_effect.rule = allow_rule;
                                break 'scopes;
                            }
                            ScopePermissions::Unspecified => {}
                        }
                    }
                }

                if action_effect.effect == Eff::NoMatch {
                    action_effect = role_effect.clone();
                }
                if role_effect.effect == Eff::Allow {
                    action_effect = role_effect;
                    break;
                }
            }
            if matches!(action_effect.effect, Eff::Allow | Eff::Deny) {
                break;
            }
        }
        if action_effect.effect == Eff::NoMatch {
            action_effect.effect = Eff::Deny;
        }
        set_effect(&mut effects, action_name, action_effect);
    }

    finish(engine, input, &effects, &mut out);
    out.effective_derived_roles = effective_derived_roles.into_iter().cloned().collect();
    out.outputs = ev.outputs;
    out.used_now = ev.cel.now_was_read();
    out.evaluation_errors = ev
        .cel_errors
        .into_iter()
        .map(|(expression, message)| EvaluationError {
            cel_error: CelError {
                expression: expression.clone(),
                message,
            },
        })
        .collect();
    out
}

impl<'e> Eval<'e> {
    fn record(&mut self, expr: ExprId, message: String) {
        let source = self.engine.expr_source(expr);
        self.add_error(source, message);
    }

    /// Adds an evaluation error unless it is listed already, keeping the
    /// list sorted (a check records a handful at most).
    fn add_error(&mut self, source: &'e Arc<str>, message: String) {
        let entry = (source, message);
        if let Err(at) = self.cel_errors.binary_search(&entry) {
            self.cel_errors.insert(at, entry);
        }
    }

    /// `evaluatePrograms`: every variable of the set in order; a failing one stays unset.
    fn binding_variables(&mut self, ps: ParamSetId) -> Vars {
        let key = VarKey::Params(ps);
        if let Some(v) = self.var_cache.get(&key) {
            return v.clone();
        }
        let vars = self.evaluate_variables(ps, false);
        self.var_cache.insert(key, vars.clone());
        vars
    }

    fn evaluate_variables(&mut self, ps: ParamSetId, null_on_error: bool) -> Vars {
        let engine = self.engine;
        let set = match engine.bundle.param_sets.get(ps as usize) {
            Some(set) if !set.variables.is_empty() => set,
            _ => return self.empty_vars.clone(),
        };
        let constants = engine.param_constants(ps);
        let (mut vars, folded) = match engine.variable_prefix(ps) {
            Some((bag, folded)) => (bag.clone(), *folded),
            None => (Vars::empty(engine.empty_vars()), 0),
        };
        for (name, expr) in set.variables.iter().skip(folded) {
            let result = self.cel.eval(engine, *expr, constants, &vars);
            self.cel.release_variables();
            match result {
                Ok(v) => vars.insert(engine.cel_string(name), v),
                Err(msg) => {
                    // An expression cel-go could not plan is never evaluated.
                    if !engine.unplannable(*expr) {
                        self.record(*expr, msg);
                    }
                    if null_on_error && !self.strict {
                        vars.insert(engine.cel_string(name), CelValue::null());
                    }
                }
            }
        }
        vars
    }

    /// The effective derived roles of one scope (computed on the first visit).
    fn scoped_derived_roles(
        &mut self,
        policy: Option<PolicyId>,
        including_parent_roles: &[Name<'_>],
        effective: &mut SmallVec<[&'e Arc<str>; 4]>,
    ) -> ScopedDerivedRoles<'e> {
        let engine = self.engine;
        let mut sdr = ScopedDerivedRoles::default();
        let Some(pid) = policy else {
            return sdr;
        };
        let Some(drs) = engine.bundle.policy_derived_roles.get(&pid) else {
            return sdr;
        };
        for &dr_id in drs {
            let Some(dr) = engine.bundle.derived_roles.get(dr_id as usize) else {
                continue;
            };
            let matches = dr
                .parent_roles
                .iter()
                .any(|p| p == "*" || including_parent_roles.iter().any(|r| r.text == p));
            if !matches {
                continue;
            }
            let key = VarKey::DerivedRole(dr_id);
            let vars = match self.var_cache.get(&key) {
                Some(v) => v.clone(),
                None => {
                    let v = self.evaluate_variables(dr.params, true);
                    self.var_cache.insert(key, v.clone());
                    v
                }
            };
            let constants = engine.param_constants(dr.params);
            match self.satisfies_opt(dr.condition.as_ref(), constants, &vars) {
                Err(StrictError) => {
                    if self.strict {
                        sdr.err_roles.push(&dr.name);
                    }
                }
                Ok(true) => {
                    sdr.roles.push((&dr.name, dr_id));
                    if !effective.iter().any(|n| ***n == *dr.name) {
                        effective.push(engine.derived_role_arc(dr_id));
                    }
                }
                Ok(false) => {}
            }
        }
        crate::sort::sort_by(&mut sdr.roles, |a, b| a.0.cmp(b.0));
        sdr.roles.dedup_by(|a, b| a.0 == b.0);
        crate::sort::sort(&mut sdr.err_roles);
        sdr
    }

    /// The derived-role condition of a binding: `Ok(None)` = errored (non-strict, skip).
    fn derived_role_gate(&mut self, dr_id: DerivedRoleId) -> Result<Option<bool>, StrictError> {
        let engine = self.engine;
        let Some(dr) = engine.bundle.derived_roles.get(dr_id as usize) else {
            return Ok(Some(false));
        };
        let constants = engine.param_constants(dr.params);
        let vars = self.binding_variables(dr.params);
        match self.satisfies_opt(dr.condition.as_ref(), constants, &vars) {
            Ok(b) => Ok(Some(b)),
            Err(StrictError) if self.strict => Err(StrictError),
            Err(StrictError) => Ok(None),
        }
    }

    fn satisfies_ref(
        &mut self,
        cond: Option<ConditionRef<'_>>,
        constants: &CelValue,
        vars: &Vars,
    ) -> Result<bool, StrictError> {
        match cond {
            None => Ok(true),
            Some(ConditionRef::Plain(c)) => {
                let r = self.decide(c, constants, vars, 0);
                self.settle(r)
            }
            // `none: [cond]`
            Some(ConditionRef::Negated(c)) => {
                let r = self.decide(c, constants, vars, 0).map(|b| !b);
                self.settle(r)
            }
        }
    }

    fn satisfies_opt(
        &mut self,
        cond: Option<&Condition>,
        constants: &CelValue,
        vars: &Vars,
    ) -> Result<bool, StrictError> {
        match cond {
            None => Ok(true),
            Some(c) => {
                let r = self.decide(c, constants, vars, 0);
                self.settle(r)
            }
        }
    }

    /// A whole condition's outcome: an expression cel-go could not plan
    /// fails the condition (Cerbos skips the rule, or denies in strict mode)
    /// without an evaluation error.
    fn settle(&self, r: Result<bool, Undecided>) -> Result<bool, StrictError> {
        match r {
            Ok(b) => Ok(b),
            Err(Undecided::Unplannable) if !self.strict => Ok(false),
            Err(_) => Err(StrictError),
        }
    }

    /// `SatisfiesCondition`. In non-strict mode an erroring expression is
    /// recorded and counts as false; in strict mode the error propagates,
    /// as does an expression that could not be planned (in both modes).
    fn decide(
        &mut self,
        cond: &Condition,
        constants: &CelValue,
        vars: &Vars,
        depth: usize,
    ) -> Result<bool, Undecided> {
        if depth > MAX_CONDITION_DEPTH {
            self.add_error(
                self.engine.nested_condition(),
                "condition nested too deeply".to_string(),
            );
            return Err(Undecided::Strict);
        }
        match cond {
            Condition::Expr(e) if self.engine.unplannable(*e) => Err(Undecided::Unplannable),
            Condition::Expr(e) => match self.cel.eval(self.engine, *e, constants, vars) {
                Ok(v) => Ok(v.is_true()),
                Err(msg) => {
                    self.record(*e, msg);
                    if self.strict {
                        Err(Undecided::Strict)
                    } else {
                        Ok(false)
                    }
                }
            },
            Condition::All(list) => {
                for c in list {
                    if !self.decide(c, constants, vars, depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Any(list) => {
                for c in list {
                    if self.decide(c, constants, vars, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::None(list) => {
                for c in list {
                    if self.decide(c, constants, vars, depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }

    fn output(
        &mut self,
        src: String,
        action: &str,
        expr: ExprId,
        constants: &CelValue,
        vars: &Vars,
    ) -> OutputEntry {
        let mut entry = OutputEntry {
            src,
            val: None,
            action: action.to_string(),
            error: String::new(),
        };
        match self
            .cel
            .eval(self.engine, expr, constants, vars)
            .and_then(|v| v.to_json())
        {
            Ok(v) => entry.val = Some(v),
            Err(e) => entry.error = e,
        }
        entry
    }
}

/// Deepest `all`/`any`/`none` nesting evaluated.
const MAX_CONDITION_DEPTH: usize = 64;
