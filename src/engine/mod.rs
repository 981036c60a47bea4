//! The decision engine: evaluates Cerbos `CheckResources` requests against a
//! [`Bundle`] with Cerbos 0.55 semantics.
//!
//! [`Engine::new`] prepares every CEL expression and builds the rule index
//! once; [`Engine::check_resources`] answers the Cerbos HTTP API body and
//! [`Engine::check_inputs`] the engine-level inputs of Cerbos's engine test
//! cases. Errors inside evaluation never panic: they fail closed (DENY).

mod attributes;
mod cache;
mod celrt;
mod check;
pub mod config;
pub mod glob;
mod index;
mod memo;
pub mod names;
pub mod request;
mod request_json;
mod response_json;
pub mod schema;
mod warm;

use std::sync::{Arc, OnceLock};

pub use config::{EngineConfig, RequestLimits, SchemaEnforcement};
pub use request::{
    ActionEffect, CheckInput, CheckOutput, CheckResourcesRequest, CheckResourcesResponse,
    DecodedAuxData, Effect, EvaluationError, OutputEntry, RequestError, ValidationError,
};
pub use warm::WARM_UP_ID;

use crate::bundle::{
    Bundle, DerivedRoleId, ExprId, ParamSetId, PolicyId, PolicySchemas, SUPPORTED_FORMAT_VERSIONS,
};

use crate::jwt::auxdata::{AuxDataConfig, AuxDataVerifier};
use celrt::{CelValue, Prepared};
use request::{EffectMeta, ResultEntry, ResultMeta, ResultResource};

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The bundle's format version is not one this build reads.
    #[error("unsupported bundle format version {0}")]
    UnsupportedBundle(u32),
    /// A CEL expression of the bundle cannot be run by this runtime.
    #[error("expression #{index} `{source_text}` cannot be prepared: {message}")]
    Prepare {
        /// Index into the bundle's expressions.
        index: usize,
        /// Expression source text.
        source_text: String,
        /// Why.
        message: String,
    },
    /// The configuration is unusable.
    #[error("invalid engine configuration: {0}")]
    Config(String),
    /// The `auxData` (JWT key set) configuration is unusable.
    #[error("invalid auxData configuration: {0}")]
    AuxData(String),
}

/// A loaded bundle ready to answer requests.
pub struct Engine {
    bundle: Bundle,
    config: EngineConfig,
    index: index::Index,
    programs: Vec<Prepared>,
    constants: Vec<CelValue>,
    globals: CelValue,
    empty_vars: CelValue,
    /// Shared per-request defaults, built once instead of per input.
    empty_runtime: CelValue,
    empty_aux_data: CelValue,
    empty_string: CelValue,
    /// Each policy's key, shared by the decisions that name it.
    policy_keys: Vec<Arc<str>>,
    /// Each expression's source text, shared by the evaluation errors that name it.
    expr_sources: Vec<Arc<str>>,
    /// Each derived role's name, by [`DerivedRoleId`], shared by the
    /// decisions that list it.
    derived_role_arcs: Vec<Arc<str>>,
    /// What evaluation errors name when a condition nests too deeply.
    nested_condition: Arc<str>,
    /// `NO_MATCH`, the policy of a decision no policy made.
    no_match: Arc<str>,
    /// The empty string, shared.
    empty_str: Arc<str>,
    /// Each string the index interned, as a CEL string by symbol: the
    /// kinds, versions, scopes, roles and ids that requests repeat become
    /// `R`/`P` fields without a copy.
    symbol_strings: Vec<CelValue>,
    /// By [`index::Sym`]: for each role a rule names exactly, the one-element
    /// list `P.roles` is for a principal with only that role (the usual
    /// case), shared instead of built per check.
    single_role_lists: Vec<Option<CelValue>>,
    /// Each derived role's name as a CEL string, by [`DerivedRoleId`]
    /// (`runtime.effectiveDerivedRoles` lists them without copying).
    derived_role_names: Vec<CelValue>,
    /// (sanitized kind, version) → root resource policy, for schema lookup.
    /// Keys come from the bundle and requests only look them up, so the
    /// index's fast hasher serves (as for the index's own maps).
    root_policies: index::HashMap<(String, String), PolicyId>,
    /// The JWT verifier of `auxData.jwt`; without that configuration it is
    /// built (with no key sets) by the first request that carries tokens,
    /// so that loading does not run (and, in wasm, compile) its setup.
    aux: OnceLock<AuxDataVerifier>,
    /// Per parameter set, its leading variables that read nothing of the
    /// request (constants such as `("PENDING_APPROVAL")`), evaluated once
    /// at load: the bag they make and how many they are.
    variable_prefixes: Vec<(celrt::Vars, usize)>,
    /// This engine's handle on the per-thread memo of the rule rows each
    /// (table, kind, principal, roles) can match.
    rows_memo: memo::RowsMemo,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("digest", &self.bundle.digest)
            .field("rows", &self.bundle.rows.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds an engine: prepares every expression and indexes the rule table.
    pub fn new(bundle: Bundle, config: EngineConfig) -> Result<Engine, EngineError> {
        if !SUPPORTED_FORMAT_VERSIONS.contains(&bundle.format_version) {
            return Err(EngineError::UnsupportedBundle(bundle.format_version));
        }
        if config.default_policy_version.is_empty() {
            return Err(EngineError::Config(
                "defaultPolicyVersion must not be empty".to_string(),
            ));
        }
        let aux = OnceLock::new();
        if let Some(jwt) = config.aux_data.as_ref().and_then(|a| a.get("jwt")) {
            // A fresh cell: the set cannot fail.
            let _ = aux.set(aux_data_verifier(jwt)?);
        }
        let decls = celrt::declarations();
        let mut programs = Vec::with_capacity(bundle.expressions.len());
        for (index, e) in bundle.expressions.iter().enumerate() {
            let p = Prepared::new(&e.ast, &decls).map_err(|message| EngineError::Prepare {
                index,
                source_text: e.source.clone(),
                message,
            })?;
            programs.push(p);
        }
        let constants = bundle
            .param_sets
            .iter()
            .map(|ps| CelValue::variables_from_json(&ps.constants))
            .collect();
        let globals = CelValue::variables_from_json_map(&config.globals);
        let index = index::Index::build(&bundle);
        let policy_keys = bundle
            .policies
            .iter()
            .map(|p| Arc::from(p.key.as_str()))
            .collect();
        // CEL strings share the index's copies of the texts.
        let symbol_strings: Vec<CelValue> =
            index.symbol_texts().map(CelValue::shared_string).collect();
        let mut single_role_lists: Vec<Option<CelValue>> = vec![None; symbol_strings.len()];
        for row in &bundle.rows {
            let Some(sym) = index.symbol(&row.role) else {
                continue;
            };
            if let (Some(slot @ None), Some(role)) = (
                single_role_lists.get_mut(sym as usize),
                symbol_strings.get(sym as usize),
            ) {
                *slot = Some(CelValue::list_of_one(role));
            }
        }
        let expr_sources = bundle
            .expressions
            .iter()
            .map(|e| Arc::from(e.source.as_str()))
            .collect();
        let derived_role_arcs: Vec<Arc<str>> = bundle
            .derived_roles
            .iter()
            .map(|d| Arc::from(d.name.as_str()))
            .collect();
        let derived_role_names = derived_role_arcs
            .iter()
            .map(CelValue::shared_string)
            .collect();
        let mut root_policies = index::HashMap::default();
        for (i, p) in bundle.policies.iter().enumerate() {
            if p.kind == crate::bundle::PolicyKind::Resource && p.scope.is_empty() {
                let pid = PolicyId::try_from(i).unwrap_or(PolicyId::MAX);
                root_policies.insert((names::sanitize(&p.name), p.version.clone()), pid);
            }
        }
        let mut engine = Engine {
            bundle,
            config,
            index,
            programs,
            constants,
            globals,
            empty_vars: CelValue::empty_vars(),
            empty_runtime: CelValue::empty_runtime(),
            empty_aux_data: CelValue::empty_aux_data(),
            empty_string: CelValue::empty_string(),
            derived_role_names,
            symbol_strings,
            single_role_lists,
            policy_keys,
            expr_sources,
            derived_role_arcs,
            nested_condition: Arc::from("<condition>"),
            no_match: Arc::from(check::NO_MATCH),
            empty_str: Arc::from(""),
            root_policies,
            aux,
            variable_prefixes: Vec::new(),
            rows_memo: memo::RowsMemo::new(true),
        };
        engine.variable_prefixes = engine.fold_variable_prefixes();
        Ok(engine)
    }

    /// Evaluates each parameter set's leading request-independent variables.
    /// Only a prefix is folded: a later variable sees every earlier one in
    /// `V` (even through `has(V.x)`), so folding stops at the first variable
    /// that needs the request, and the bag each folded variable saw is the
    /// bag it sees in every check.
    fn fold_variable_prefixes(&self) -> Vec<(celrt::Vars, usize)> {
        self.bundle
            .param_sets
            .iter()
            .enumerate()
            .map(|(ps, set)| {
                let constants =
                    self.param_constants(ParamSetId::try_from(ps).unwrap_or(ParamSetId::MAX));
                let mut vars = celrt::Vars::empty(&self.empty_vars);
                let mut folded = 0;
                for (name, expr) in &set.variables {
                    let value = self.program(*expr).and_then(|p| {
                        celrt::request_independent_value(p, constants, &self.globals, &vars)
                    });
                    let Some(value) = value else { break };
                    vars.insert(self.cel_string(name), value);
                    folded += 1;
                }
                (vars, folded)
            })
            .collect()
    }

    /// The bag of parameter set `ps`'s leading request-independent
    /// variables and how many of its variables it holds.
    pub(crate) fn variable_prefix(&self, ps: ParamSetId) -> Option<&(celrt::Vars, usize)> {
        self.variable_prefixes.get(ps as usize)
    }

    /// The loaded bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The configuration in effect.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The same engine without its memo of rule rows: every check scans the
    /// rows again. Only for tests that show the memo changes no decision.
    #[doc(hidden)]
    pub fn without_rows_memo(mut self) -> Engine {
        self.rows_memo = memo::RowsMemo::new(false);
        self
    }

    /// Evaluates engine-level inputs (Cerbos `CheckInput`s) with one shared `now`.
    pub fn check_inputs(&self, inputs: &[CheckInput], now_unix_nanos: i64) -> Vec<CheckOutput> {
        inputs
            .iter()
            .map(|i| check::check_input(self, i.as_ref(), now_unix_nanos))
            .collect()
    }

    /// Validates an API request, verifies its JWTs and evaluates every
    /// resource entry: the engine-level outputs (with `evaluationErrors`,
    /// which the API response leaves out), one per entry in request order.
    pub fn check_request(
        &self,
        req: &CheckResourcesRequest,
        now_unix_nanos: i64,
    ) -> Result<Vec<CheckOutput>, RequestError> {
        req.validate(&self.config.limits)?;
        let aux = self.decode_aux_data(req, now_unix_nanos)?;
        let Some(principal) = &req.principal else {
            return Err(RequestError::invalid_argument(
                "validation error:\n - principal: value is required [required]",
            ));
        };
        let mut outputs = Vec::with_capacity(req.resources.len());
        let shared = celrt::RequestValues::default();
        for entry in &req.resources {
            // INVARIANT: `validate` refused entries without a resource.
            let Some(resource) = &entry.resource else {
                continue;
            };
            let input = request::InputRef {
                request_id: &req.request_id,
                resource,
                principal,
                actions: &entry.actions,
                aux_data: aux.as_ref(),
                shared: Some(&shared),
            };
            outputs.push(check::check_input(self, input, now_unix_nanos));
        }
        Ok(outputs)
    }

    /// Answers a Cerbos `CheckResources` API request. `now_unix_nanos` is the
    /// instant every `now()` of the request sees.
    pub fn check_resources(
        &self,
        req: &CheckResourcesRequest,
        now_unix_nanos: i64,
    ) -> Result<CheckResourcesResponse, RequestError> {
        let outputs = self.check_request(req, now_unix_nanos)?;
        Ok(response_of(req, outputs))
    }

    /// JSON in, JSON out, for the wasm surface and the CLI: the response body,
    /// or `{"error":{"code":3,"message":"..."}}`.
    pub fn check_resources_json(&self, req_json: &str, now_unix_ms: f64) -> String {
        self.answer(req_json, now_unix_ms, false)
    }

    /// [`Engine::check_resources_json`], except that a plain answer (effects
    /// only: no metadata, outputs, validation or evaluation errors) comes in
    /// a compact form the JS wrapper expands: `!` then per resource entry
    /// one `A`/`D` per action in request order, entries separated by `,`.
    /// Every other answer is the same JSON.
    pub fn check_resources_compact(&self, req_json: &str, now_unix_ms: f64) -> String {
        self.answer(req_json, now_unix_ms, true)
    }

    fn answer(&self, req_json: &str, now_unix_ms: f64, compact: bool) -> String {
        // The plain shapes without serde's machinery; anything else (and
        // every error message) through serde.
        let parsed = match request_json::parse(req_json) {
            Some(req) => Ok(req),
            None => serde_json::from_str::<CheckResourcesRequest>(req_json),
        };
        let result = parsed
            .map_err(|e| RequestError::invalid_argument(e.to_string()))
            .and_then(|req| {
                let nanos = if now_unix_ms.is_finite() {
                    (now_unix_ms * 1_000_000.0) as i64
                } else {
                    0
                };
                self.check_request(&req, nanos)
                    .map(|outputs| (req, outputs))
            });
        match result {
            Ok((req, outputs)) => {
                // A compact answer needs no response built at all.
                let short = compact.then(|| response_json::compact_answer(&req, &outputs));
                short
                    .flatten()
                    .unwrap_or_else(|| response_of(&req, outputs).to_json())
            }
            Err(e) => {
                serde_json::json!({"error": {"code": e.code, "message": e.message}}).to_string()
            }
        }
    }

    /// Verifies the request's JWTs with the configured key sets and returns
    /// their claims; any failure is Cerbos's `invalid auxData`.
    fn decode_aux_data(
        &self,
        req: &CheckResourcesRequest,
        now_unix_nanos: i64,
    ) -> Result<Option<DecodedAuxData>, RequestError> {
        let Some(aux) = &req.aux_data else {
            return Ok(None);
        };
        let aux_json =
            serde_json::to_value(aux).map_err(|e| RequestError::invalid_argument(e.to_string()))?;
        let verifier = match self.aux.get() {
            Some(verifier) => verifier,
            None => {
                let default = AuxDataVerifier::new(&AuxDataConfig::default())
                    .map_err(|e| RequestError::invalid_argument(e.to_string()))?;
                self.aux.get_or_init(|| default)
            }
        };
        let claims = verifier
            .decode(&aux_json, now_unix_nanos.div_euclid(1_000_000_000))
            .map_err(|e| RequestError {
                code: u32::try_from(e.grpc_code()).unwrap_or(request::codes::INVALID_ARGUMENT),
                message: e.to_string(),
            })?;
        Ok(Some(DecodedAuxData {
            jwt: claims.jwt.unwrap_or_default(),
            // `extend`, not `collect`: collecting into a BTreeMap sorts
            // first, and each sort instantiation is ~4 KB of wasm.
            jwts: {
                let mut jwts = std::collections::BTreeMap::new();
                jwts.extend(
                    claims
                        .jwts
                        .into_iter()
                        .map(|(k, v)| (k, request::NamedClaims { claims: v })),
                );
                jwts
            },
        }))
    }

    pub(crate) fn policy_key(&self, pid: PolicyId) -> &str {
        self.policy_key_arc(pid)
    }

    /// The source text of expression `id`, shared.
    pub(crate) fn expr_source(&self, id: ExprId) -> &Arc<str> {
        self.expr_sources
            .get(id as usize)
            .unwrap_or(&self.empty_str)
    }

    /// What evaluation errors name when a condition nests too deeply.
    pub(crate) fn nested_condition(&self) -> &Arc<str> {
        &self.nested_condition
    }

    /// The name of derived role `id`, shared.
    pub(crate) fn derived_role_arc(&self, id: DerivedRoleId) -> &Arc<str> {
        self.derived_role_arcs
            .get(id as usize)
            .unwrap_or(&self.empty_str)
    }

    pub(crate) fn program(&self, id: ExprId) -> Option<&Prepared> {
        self.programs.get(id as usize)
    }

    /// Whether cel-go could not plan expression `id` (it fails unlogged).
    pub(crate) fn unplannable(&self, id: ExprId) -> bool {
        self.program(id).is_some_and(Prepared::plan_failed)
    }

    /// The constants bag (`C`) of parameter set `ps`.
    pub(crate) fn param_constants(&self, ps: ParamSetId) -> &CelValue {
        self.constants.get(ps as usize).unwrap_or(&self.empty_vars)
    }

    pub(crate) fn empty_vars(&self) -> &CelValue {
        &self.empty_vars
    }

    /// The key of policy `pid`, shared.
    pub(crate) fn policy_key_arc(&self, pid: PolicyId) -> &Arc<str> {
        self.policy_keys
            .get(pid as usize)
            .unwrap_or(&self.empty_str)
    }

    /// `s` as a CEL string, shared when the bundle names it (or it is empty).
    pub(crate) fn cel_string(&self, s: &str) -> CelValue {
        if s.is_empty() {
            return self.empty_string.clone();
        }
        self.index
            .symbol(s)
            .map_or_else(|| CelValue::string(s), |sym| self.symbol_string(sym, s))
    }

    /// The CEL string of symbol `sym` (whose text is `text`).
    pub(crate) fn symbol_string(&self, sym: index::Sym, text: &str) -> CelValue {
        self.symbol_strings
            .get(sym as usize)
            .cloned()
            .unwrap_or_else(|| CelValue::string(text))
    }

    /// `P.roles` for a principal whose only role is symbol `sym`, when a
    /// rule names that role.
    pub(crate) fn single_role_list(&self, sym: index::Sym) -> Option<&CelValue> {
        self.single_role_lists.get(sym as usize)?.as_ref()
    }

    /// The name of derived role `id` as a CEL string.
    pub(crate) fn derived_role_name(&self, id: DerivedRoleId) -> &CelValue {
        self.derived_role_names
            .get(id as usize)
            .unwrap_or(&self.empty_string)
    }

    pub(crate) fn empty_runtime(&self) -> &CelValue {
        &self.empty_runtime
    }

    pub(crate) fn empty_aux_data(&self) -> &CelValue {
        &self.empty_aux_data
    }

    pub(crate) fn globals(&self) -> &CelValue {
        &self.globals
    }

    /// Schemas in effect for the policy at (kind, version, scope): those of
    /// its chain's root policy (`GetSchema(first resource FQN)`).
    pub(crate) fn schemas_for(
        &self,
        kind: &str,
        version: &str,
        scope: &str,
    ) -> Option<&PolicySchemas> {
        let pid = self.index.resource_policy(kind, version, scope)?;
        if let Some(s) = self.bundle.policy_schemas.get(&pid) {
            return Some(s);
        }
        let root = self
            .root_policies
            .get(&(kind.to_string(), version.to_string()))?;
        self.bundle.policy_schemas.get(root)
    }
}

/// The API response for the engine's outputs for `req`'s entries.
fn response_of(
    req: &CheckResourcesRequest,
    mut outputs: Vec<CheckOutput>,
) -> CheckResourcesResponse {
    let mut evaluation_errors: Vec<EvaluationError> = outputs
        .iter_mut()
        .flat_map(|out| std::mem::take(&mut out.evaluation_errors))
        .collect();
    crate::sort::sort(&mut evaluation_errors);
    evaluation_errors.dedup();
    let resources = req.resources.iter().filter_map(|e| e.resource.as_ref());
    let results = resources
        .zip(outputs)
        .map(|(resource, out)| api_result(resource, out, req.include_meta))
        .collect();
    CheckResourcesResponse {
        request_id: req.request_id.clone(),
        results,
        evaluation_errors,
    }
}

/// One API result entry from an engine output (`cerbos_svc.go`'s assembly).
/// The output is consumed: its action names and decisions move into the
/// entry; only the names shown twice (with `includeMeta`) are copied.
fn api_result(resource: &request::Resource, out: CheckOutput, include_meta: bool) -> ResultEntry {
    let mut actions = Vec::with_capacity(out.actions.0.len());
    let mut meta_actions = Vec::with_capacity(if include_meta { out.actions.0.len() } else { 0 });
    for (action, decision) in out.actions.0 {
        if include_meta {
            meta_actions.push((
                action.clone(),
                EffectMeta {
                    matched_policy: decision.policy,
                    matched_scope: decision.scope,
                },
            ));
        }
        actions.push((action, decision.effect));
    }
    let meta = include_meta.then_some(ResultMeta {
        actions: request::ActionMap(meta_actions),
        effective_derived_roles: out.effective_derived_roles,
    });
    ResultEntry {
        resource: ResultResource {
            id: out.resource_id,
            kind: resource.kind.clone(),
            policy_version: resource.policy_version.clone(),
            scope: resource.scope.clone(),
        },
        actions: request::ActionMap(actions),
        validation_errors: out.validation_errors,
        meta,
        outputs: out.outputs,
    }
}

/// The `auxData.jwt` verifier of an engine configuration. Out of line (and
/// cold): most configurations have none, and a runtime that compiles wasm
/// lazily then never compiles the JWT configuration reader.
#[cold]
#[inline(never)]
fn aux_data_verifier(jwt: &serde_json::Value) -> Result<AuxDataVerifier, EngineError> {
    let aux_config: AuxDataConfig =
        serde_json::from_value(jwt.clone()).map_err(|e| EngineError::AuxData(e.to_string()))?;
    AuxDataVerifier::new(&aux_config).map_err(|e| EngineError::AuxData(e.to_string()))
}

#[cfg(all(test, feature = "compiler"))]
mod tests {
    use super::*;
    use crate::compiler::{compile_sources, CompileOptions};

    #[test]
    fn only_the_leading_request_independent_variables_are_folded() {
        let policy = r#"
apiVersion: api.cerbos.dev/v1
variables:
  a_const: '"x"'
  b_request: R.attr.owner
  c_const: '"y"'
resourcePolicy:
  version: default
  resource: doc
  rules:
    - actions: [view]
      roles: [user]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.a_const == "x" && V.b_request == P.id && V.c_const == "y"
"#;
        let compiled = compile_sources(
            vec![("doc.yaml".to_string(), policy.to_string())],
            &CompileOptions::default(),
        )
        .unwrap_or_else(|f| panic!("compiles: {:?}", f.diagnostics));
        let engine = Engine::new(compiled.bundle, EngineConfig::default()).expect("engine");
        let folded: Vec<usize> = engine.variable_prefixes.iter().map(|(_, n)| *n).collect();
        // `c_const` follows a variable that needs the request: not folded.
        assert!(folded.contains(&1), "prefixes: {folded:?}");
        assert!(!folded.iter().any(|n| *n > 1), "prefixes: {folded:?}");
    }
}
