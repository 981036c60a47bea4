//! Compilation: variables, constants, derived roles, expressions and the
//! rule table (Cerbos `internal/compile/*.go`, `internal/ruletable/ruletable.go`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::bundle::{
    self, Bundle, CompiledExpr, DerivedRoleId, Effect, ExprId, ParamSet, ParamSetId, PolicyId,
    PolicyInfo, PolicyKind, PolicySchemas, Row, SchemaRef, ScopePermissions as BScope,
};

use super::celx::{self, Refs};
use super::diagnostics::{CompileKind, Diagnostic, DiagnosticKind};
use super::index::{pos, role_version, sanitize, Unit};
use super::model::*;
use super::yaml::{scalar_offset_pos, Pos};

/// Most `$ref` hops followed between schemas.
const MAX_SCHEMA_REFS: usize = 64;

/// Where an expression sits, for error reporting.
struct Site<'a> {
    unit: &'a Unit,
    text: &'a S<String>,
    path: String,
    /// Where Cerbos reports errors about this expression.
    report_at: Pos,
}

/// A compiled derived-role definition: its condition and params.
type CompiledRoleDef = (Option<bundle::Condition>, ParamSetId);

/// A variable (`T` = its expression text) or constant (`T` = its JSON
/// value) visible to a policy, with where it came from for diagnostics.
#[derive(Clone)]
struct Def<T> {
    name: String,
    value: S<T>,
    unit: usize,
    path: String,
    /// `import 'x'`, `policy local variables`, `deprecated top-level policy variables`, ...
    origin: String,
}

/// A defined variable.
type VarDef = Def<String>;

/// A defined constant.
type ConstDef = Def<serde_json::Value>;

/// Which of the two a [`Def`] list holds: the words and diagnostic kinds differ.
struct DefKind {
    /// `Constant` or `Variable`, as Cerbos's messages say.
    noun: &'static str,
    invalid_name: CompileKind,
    redefined: CompileKind,
}

const CONSTANTS: DefKind = DefKind {
    noun: "Constant",
    invalid_name: CompileKind::InvalidConstantName,
    redefined: CompileKind::ConstantRedefined,
};

const VARIABLES: DefKind = DefKind {
    noun: "Variable",
    invalid_name: CompileKind::InvalidVariableName,
    redefined: CompileKind::VariableRedefined,
};

/// Appends a policy's own definitions; `base` is the JSON path of `local`.
fn gather_local<T: Clone>(
    defs: &mut Vec<Def<T>>,
    local: &LocMap<T>,
    unit: usize,
    base: &str,
    origin: &str,
) {
    for (k, v) in &local.0 {
        defs.push(Def {
            name: k.v.clone(),
            value: v.clone(),
            unit,
            path: key_path(base, &k.v),
            origin: origin.into(),
        });
    }
}

/// `defs` grouped by name (each group in definition order).
fn by_name<T>(defs: &[Def<T>]) -> BTreeMap<String, Vec<&Def<T>>> {
    let mut seen: BTreeMap<String, Vec<&Def<T>>> = BTreeMap::new();
    for d in defs {
        seen.entry(d.name.clone()).or_default().push(d);
    }
    seen
}

/// The compiled variables/constants scope of one policy.
struct Scope {
    vars: BTreeMap<String, (ExprId, Refs)>,
    consts: BTreeMap<String, serde_json::Value>,
    /// Variables that are part of a cycle or failed to compile.
    broken: BTreeSet<String>,
}

pub(crate) struct Compiler<'a> {
    units: &'a [Unit],
    schema_files: &'a BTreeMap<String, String>,
    pub diags: Vec<Diagnostic>,
    bundle: Bundle,
    expr_ids: HashMap<String, Option<(ExprId, Refs)>>,
    param_ids: HashMap<String, ParamSetId>,
    policy_ids: BTreeMap<String, PolicyId>,
    /// (derived-roles set unit, definition index) → bundle id.
    dr_ids: BTreeMap<(usize, usize), DerivedRoleId>,
    /// Compiled derived-roles sets: unit → per definition (condition, params) or None when broken.
    dr_sets: BTreeMap<usize, Vec<Option<CompiledRoleDef>>>,
    by_name: HashMap<(&'static str, String), usize>,
}

fn kind_of(b: &Body) -> PolicyKind {
    match b {
        Body::ResourcePolicy(_) => PolicyKind::Resource,
        Body::PrincipalPolicy(_) => PolicyKind::Principal,
        Body::RolePolicy(_) => PolicyKind::Role,
        Body::DerivedRoles(_) => PolicyKind::DerivedRoles,
        Body::ExportVariables(_) => PolicyKind::ExportVariables,
        Body::ExportConstants(_) => PolicyKind::ExportConstants,
    }
}

fn body_name(b: &Body) -> &'static str {
    match b {
        Body::ResourcePolicy(_) => "resourcePolicy",
        Body::PrincipalPolicy(_) => "principalPolicy",
        Body::RolePolicy(_) => "rolePolicy",
        Body::DerivedRoles(_) => "derivedRoles",
        Body::ExportVariables(_) => "exportVariables",
        Body::ExportConstants(_) => "exportConstants",
    }
}

fn key_path(base: &str, key: &str) -> String {
    if key.contains('.') {
        format!("{base}.'{key}'")
    } else {
        format!("{base}.{key}")
    }
}

/// `^[_a-zA-Z][_a-zA-Z0-9]*$` and not a reserved word.
fn identifier_problem(name: &str) -> Option<String> {
    if matches!(name, "true" | "false" | "null" | "in") {
        return Some(format!(
            "\"{name}\" is a reserved keyword and can't be used as an identifier"
        ));
    }
    let mut cs = name.chars();
    let ok = cs
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && cs.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if ok {
        None
    } else {
        Some(format!("\"{name}\" is not a valid identifier"))
    }
}

/// "a", "a and b", "a, b, and c".
fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [a, b] => format!("{a} and {b}"),
        _ => {
            let (last, rest) = items.split_last().map_or((&items[0], &items[..0]), |x| x);
            format!("{}, and {}", rest.join(", "), last)
        }
    }
}

fn default_rule_name(i: usize) -> String {
    format!("rule-{:03}", i + 1)
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(
        units: &'a [Unit],
        schema_files: &'a BTreeMap<String, String>,
    ) -> Compiler<'a> {
        let mut by_name = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            let k: Option<(&'static str, &str)> = match &u.policy.body {
                Body::DerivedRoles(d) => Some(("dr", &d.name.v)),
                Body::ExportVariables(d) => Some(("ev", &d.name.v)),
                Body::ExportConstants(d) => Some(("ec", &d.name.v)),
                _ => None,
            };
            if let Some((t, n)) = k {
                by_name.entry((t, n.to_string())).or_insert(i);
            }
        }
        Compiler {
            units,
            schema_files,
            diags: Vec::new(),
            bundle: Bundle {
                format_version: bundle::FORMAT_VERSION,
                compiler_version: env!("CARGO_PKG_VERSION").to_string(),
                digest: String::new(),
                policies: Vec::new(),
                expressions: Vec::new(),
                param_sets: Vec::new(),
                derived_roles: Vec::new(),
                rows: Vec::new(),
                resource_scopes: Vec::new(),
                principal_scopes: Vec::new(),
                scope_permissions: BTreeMap::new(),
                scope_parent_roles: BTreeMap::new(),
                policy_derived_roles: BTreeMap::new(),
                policy_schemas: BTreeMap::new(),
                schemas: BTreeMap::new(),
            },
            expr_ids: HashMap::new(),
            param_ids: HashMap::new(),
            policy_ids: BTreeMap::new(),
            dr_ids: BTreeMap::new(),
            dr_sets: BTreeMap::new(),
            by_name,
        }
    }

    fn err(&mut self, unit: &Unit, at: Pos, kind: CompileKind, msg: String, path: &str) {
        self.diags.push(
            Diagnostic::error(&unit.file, pos(at), DiagnosticKind::Compile(kind), msg)
                .with_path(path),
        );
    }

    /// Compiles every policy into the bundle.
    pub(crate) fn run(mut self) -> (Bundle, Vec<Diagnostic>) {
        let units: &'a [Unit] = self.units;
        // Policy ids in file order; every kind gets an entry.
        for u in units {
            let id = PolicyId::try_from(self.bundle.policies.len()).unwrap_or(PolicyId::MAX);
            self.policy_ids.insert(u.key.clone(), id);
            self.bundle.policies.push(policy_info(u));
        }
        for (i, u) in units.iter().enumerate() {
            match &u.policy.body {
                Body::ResourcePolicy(p) => self.resource_policy(i, p),
                Body::PrincipalPolicy(p) => self.principal_policy(i, p),
                Body::RolePolicy(p) => self.role_policy(i, p),
                // Export policies are compiled where they are imported;
                // unreferenced ones still get their names checked.
                Body::ExportVariables(_) | Body::ExportConstants(_) | Body::DerivedRoles(_) => {}
            }
        }
        self.schemas_of_chains();
        let mut rs = BTreeSet::new();
        let mut ps = BTreeSet::new();
        for r in &self.bundle.rows {
            match r.kind {
                PolicyKind::Principal => ps.insert(r.scope.clone()),
                _ => rs.insert(r.scope.clone()),
            };
        }
        self.bundle.resource_scopes = rs.into_iter().collect();
        self.bundle.principal_scopes = ps.into_iter().collect();
        for (scope, _) in self.bundle.scope_parent_roles.iter() {
            self.bundle
                .scope_permissions
                .entry(scope.clone())
                .or_insert(BScope::Unspecified);
        }
        (self.bundle, self.diags)
    }

    // ---------------------------------------------------------------- expressions

    fn expression(&mut self, site: Site<'_>) -> Option<(ExprId, Refs)> {
        let text = &site.text.v;
        if let Some(hit) = self.expr_ids.get(text) {
            if hit.is_some() {
                return hit.clone();
            }
        }
        match celx::compile_expr(text) {
            Ok(ast) => {
                let refs = celx::references(&ast);
                let id = ExprId::try_from(self.bundle.expressions.len()).unwrap_or(ExprId::MAX);
                self.bundle.expressions.push(CompiledExpr {
                    source: text.clone(),
                    ast,
                });
                let r = Some((id, refs));
                self.expr_ids.insert(text.clone(), r.clone());
                r
            }
            Err(issues) => {
                self.diags.push(invalid_expression(
                    &site.unit.file,
                    &site.unit.src,
                    site.text,
                    site.path,
                    site.report_at,
                    issues,
                ));
                self.expr_ids.insert(text.clone(), None);
                None
            }
        }
    }

    // ---------------------------------------------------------------- variables

    /// Appends the definitions exported by the policies named in `imports`
    /// (`tag` is the index's kind tag, `export_path` the exporting policy's
    /// definitions path). A missing import was reported by the index.
    fn gather_imports<T: Clone>(
        &self,
        defs: &mut Vec<Def<T>>,
        imports: &[S<String>],
        tag: &'static str,
        export_path: &str,
        definitions: impl Fn(&Body) -> Option<&LocMap<T>>,
    ) {
        for import in imports {
            let Some(&ei) = self.by_name.get(&(tag, import.v.clone())) else {
                continue;
            };
            let Some(exported) = definitions(&self.units[ei].policy.body) else {
                continue;
            };
            for (k, v) in &exported.0 {
                defs.push(Def {
                    name: k.v.clone(),
                    value: v.clone(),
                    unit: ei,
                    path: key_path(&format!("{export_path}.definitions"), &k.v),
                    origin: format!("import '{}'", import.v),
                });
            }
        }
    }

    /// Reports every definition whose name is not an identifier.
    fn check_names<T>(&mut self, defs: &[Def<T>], kind: &DefKind) {
        let units = self.units;
        for d in defs {
            if let Some(problem) = identifier_problem(&d.name) {
                self.err(
                    &units[d.unit],
                    d.value.key,
                    kind.invalid_name,
                    problem,
                    &d.path,
                );
            }
        }
    }

    /// Groups `defs` by name and reports each name defined more than once,
    /// at its first definition in policy `ui` (else its first definition).
    fn check_redefinitions<'d, T>(
        &mut self,
        defs: &'d [Def<T>],
        ui: usize,
        kind: &DefKind,
    ) -> BTreeMap<String, Vec<&'d Def<T>>> {
        let units = self.units;
        let seen = by_name(defs);
        for (name, group) in &seen {
            if group.len() < 2 {
                continue;
            }
            let list: Vec<String> = group
                .iter()
                .map(|d| {
                    let at = d.value.at;
                    format!(
                        "{} ({}:{}:{})",
                        d.origin, units[d.unit].file, at.line, at.col
                    )
                })
                .collect();
            let first_local = group.iter().find(|d| d.unit == ui).unwrap_or(&group[0]);
            self.err(
                &units[ui],
                first_local.value.at,
                kind.redefined,
                format!(
                    "{} '{name}' has multiple definitions in {}",
                    kind.noun,
                    join_list(&list)
                ),
                &first_local.path,
            );
        }
        seen
    }

    /// Gathers and checks the variables and constants visible to a policy.
    fn scope_for(
        &mut self,
        ui: usize,
        vars: Option<&Variables>,
        consts: Option<&Constants>,
    ) -> Scope {
        let units: &'a [Unit] = self.units;
        let unit = &units[ui];
        let b = body_name(&unit.policy.body);
        let mut cdefs: Vec<ConstDef> = Vec::new();
        if let Some(c) = consts {
            self.gather_imports(
                &mut cdefs,
                &c.import,
                "ec",
                "$.exportConstants",
                |body| match body {
                    Body::ExportConstants(ec) => Some(&ec.definitions),
                    _ => None,
                },
            );
            gather_local(
                &mut cdefs,
                &c.local,
                ui,
                &format!("$.{b}.constants.local"),
                "policy local constants",
            );
        }
        let mut vdefs: Vec<VarDef> = Vec::new();
        if let Some(v) = vars {
            self.gather_imports(
                &mut vdefs,
                &v.import,
                "ev",
                "$.exportVariables",
                |body| match body {
                    Body::ExportVariables(ev) => Some(&ev.definitions),
                    _ => None,
                },
            );
            gather_local(
                &mut vdefs,
                &v.local,
                ui,
                &format!("$.{b}.variables.local"),
                "policy local variables",
            );
        }
        if let Some(tl) = &unit.policy.variables {
            gather_local(
                &mut vdefs,
                &tl.v,
                ui,
                "$.variables",
                "deprecated top-level policy variables",
            );
        }

        self.check_names(&cdefs, &CONSTANTS);
        self.check_names(&vdefs, &VARIABLES);
        let seen = self.check_redefinitions(&cdefs, ui, &CONSTANTS);
        let consts_out: BTreeMap<String, serde_json::Value> = seen
            .iter()
            .map(|(name, defs)| (name.clone(), defs[0].value.v.clone()))
            .collect();
        let vseen = self.check_redefinitions(&vdefs, ui, &VARIABLES);

        // Compile every variable (used or not), then check references.
        let mut compiled: BTreeMap<String, (ExprId, Refs)> = BTreeMap::new();
        let mut broken = BTreeSet::new();
        let defs: Vec<VarDef> = vseen.values().map(|d| d[0].clone()).collect();
        for d in &defs {
            let u = &units[d.unit];
            let site = Site {
                unit: u,
                text: &d.value,
                path: d.path.clone(),
                report_at: d.value.at,
            };
            match self.expression(site) {
                Some(c) => {
                    compiled.insert(d.name.clone(), c);
                }
                None => {
                    broken.insert(d.name.clone());
                }
            }
        }
        for d in &defs {
            let Some((_, refs)) = compiled.get(&d.name) else {
                continue;
            };
            let u = &units[d.unit];
            let mut errs = Vec::new();
            for r in refs.vars.iter().rev() {
                if !vseen.contains_key(r) {
                    errs.push((
                        CompileKind::UndefinedVariable,
                        format!(
                            "Undefined variable '{r}' referenced in variable '{}'",
                            d.name
                        ),
                    ));
                }
            }
            for r in refs.consts.iter().rev() {
                if !consts_out.contains_key(r) {
                    errs.push((
                        CompileKind::UndefinedConstant,
                        format!(
                            "Undefined constant '{r}' referenced in variable '{}'",
                            d.name
                        ),
                    ));
                }
            }
            for (k, m) in errs {
                self.err(u, d.value.at, k, m, &d.path);
            }
        }
        // Cycles (strongly connected components).
        for comp in cycles(&compiled) {
            let locate = |n: &String| -> String {
                let d = &vseen[n][0];
                format!(
                    "'{n}' ({}:{}:{})",
                    units[d.unit].file, d.value.at.line, d.value.at.col
                )
            };
            let first = &vseen[&comp[0]][0];
            let msg = if comp.len() == 1 {
                format!("Variable '{}' references itself", comp[0])
            } else {
                let items: Vec<String> = comp.iter().map(locate).collect();
                format!("Variables {} form a cycle", join_list(&items))
            };
            let u = &units[first.unit];
            let (at, path) = (first.value.at, first.path.clone());
            self.err(u, at, CompileKind::CyclicalVariables, msg, &path);
            broken.extend(comp.iter().cloned());
        }
        Scope {
            vars: compiled,
            consts: consts_out,
            broken,
        }
    }

    /// The params of expressions with the given references.
    fn params(&mut self, scope: &Scope, roots: &Refs) -> ParamSetId {
        // Transitive closure of used variables.
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = roots.vars.iter().cloned().collect();
        while let Some(v) = todo.pop() {
            if !scope.vars.contains_key(&v) || !used.insert(v.clone()) {
                continue;
            }
            if let Some((_, r)) = scope.vars.get(&v) {
                todo.extend(r.vars.iter().cloned());
            }
        }
        used.retain(|v| !scope.broken.contains(v));
        // Topological order, ties broken by name.
        let mut order: Vec<(String, ExprId)> = Vec::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        loop {
            let next = used.iter().find(|v| {
                !done.contains(*v)
                    && scope.vars.get(*v).is_some_and(|(_, r)| {
                        r.vars.iter().all(|d| done.contains(d) || !used.contains(d))
                    })
            });
            let Some(n) = next.cloned() else { break };
            if let Some((id, _)) = scope.vars.get(&n) {
                order.push((n.clone(), *id));
            }
            done.insert(n);
        }
        let mut const_refs: BTreeSet<String> = roots.consts.clone();
        for v in &used {
            if let Some((_, r)) = scope.vars.get(v) {
                const_refs.extend(r.consts.iter().cloned());
            }
        }
        let constants: BTreeMap<String, serde_json::Value> = const_refs
            .into_iter()
            .filter_map(|c| scope.consts.get(&c).map(|v| (c, v.clone())))
            .collect();
        let ps = ParamSet {
            variables: order,
            constants,
        };
        let key = serde_json::to_string(&ps).unwrap_or_default();
        if let Some(&id) = self.param_ids.get(&key) {
            return id;
        }
        let id = ParamSetId::try_from(self.bundle.param_sets.len()).unwrap_or(ParamSetId::MAX);
        self.bundle.param_sets.push(ps);
        self.param_ids.insert(key, id);
        id
    }

    /// Checks a rule expression's references against the scope.
    fn check_refs(&mut self, unit: &Unit, scope: &Scope, refs: &Refs, at: Pos, path: &str) {
        let mut errs = Vec::new();
        for r in &refs.vars {
            if !scope.vars.contains_key(r) && !scope.broken.contains(r) {
                errs.push((
                    CompileKind::UndefinedVariable,
                    format!("Undefined variable '{r}'"),
                ));
            }
        }
        for r in &refs.consts {
            if !scope.consts.contains_key(r) {
                errs.push((
                    CompileKind::UndefinedConstant,
                    format!("Undefined constant '{r}'"),
                ));
            }
        }
        for (k, m) in errs {
            self.err(unit, at, k, m, path);
        }
    }

    // ---------------------------------------------------------------- conditions

    fn condition(
        &mut self,
        unit: &Unit,
        scope: &Scope,
        cond: &LocCondition,
        path: &str,
        refs: &mut Refs,
    ) -> Option<bundle::Condition> {
        match &cond.cond {
            Condition::Script(_) => {
                self.err(
                    unit,
                    cond.key,
                    CompileKind::ScriptCondition,
                    "Unsupported feature".into(),
                    &format!("{path}.condition"),
                );
                None
            }
            Condition::Match(m) => {
                self.matcher(unit, scope, m, &format!("{path}.condition.match"), refs)
            }
        }
    }

    fn matcher(
        &mut self,
        unit: &Unit,
        scope: &Scope,
        m: &Match,
        path: &str,
        refs: &mut Refs,
    ) -> Option<bundle::Condition> {
        let (list, name) = match m {
            Match::Expr(text) => {
                let p = format!("{path}.expr");
                let (id, r) = self.expression(Site {
                    unit,
                    text,
                    path: p.clone(),
                    report_at: text.key,
                })?;
                self.check_refs(unit, scope, &r, text.key, &p);
                refs.vars.extend(r.vars);
                refs.consts.extend(r.consts);
                return Some(bundle::Condition::Expr(id));
            }
            Match::All(l) => (l, "all"),
            Match::Any(l) => (l, "any"),
            Match::None(l) => (l, "none"),
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, c) in list.of.iter().enumerate() {
            match self.matcher(unit, scope, c, &format!("{path}.{name}.of[{i}]"), refs) {
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        Some(match name {
            "all" => bundle::Condition::All(out),
            "any" => bundle::Condition::Any(out),
            _ => bundle::Condition::None(out),
        })
    }

    fn output(
        &mut self,
        unit: &Unit,
        scope: &Scope,
        out: &Output,
        path: &str,
        refs: &mut Refs,
    ) -> Option<bundle::Output> {
        let p = format!("{path}.output");
        let nonempty = |s: &Option<S<String>>| s.clone().filter(|s| !s.v.trim().is_empty());
        let (ra, ra_path) = match out.when.as_ref().and_then(|w| nonempty(&w.rule_activated)) {
            Some(s) => (Some(s), format!("{p}.when.ruleActivated")),
            None => (nonempty(&out.expr), format!("{p}.expr")),
        };
        let cnm = out
            .when
            .as_ref()
            .and_then(|w| nonempty(&w.condition_not_met));
        if ra.is_none() && cnm.is_none() {
            self.err(
                unit,
                out.key,
                CompileKind::EmptyOutput,
                "output must have at least one expression".into(),
                &p,
            );
            return None;
        }
        let mut one = |c: &mut Self, s: Option<S<String>>, path: String| -> Option<ExprId> {
            let s = s?;
            let (id, r) = c.expression(Site {
                unit,
                text: &s,
                path: path.clone(),
                report_at: s.key,
            })?;
            c.check_refs(unit, scope, &r, s.key, &path);
            refs.vars.extend(r.vars);
            refs.consts.extend(r.consts);
            Some(id)
        };
        let rule_activated = one(self, ra, ra_path);
        let condition_not_met = one(self, cnm, format!("{p}.when.conditionNotMet"));
        Some(bundle::Output {
            rule_activated,
            condition_not_met,
        })
    }

    // ---------------------------------------------------------------- derived roles

    /// Compiles a derived-roles set once.
    fn derived_role_set(&mut self, ui: usize) {
        let units: &'a [Unit] = self.units;
        if self.dr_sets.contains_key(&ui) {
            return;
        }
        let unit = &units[ui];
        let Body::DerivedRoles(d) = &unit.policy.body else {
            return;
        };
        let scope = self.scope_for(ui, d.variables.as_ref(), d.constants.as_ref());
        let mut out = Vec::new();
        for (i, def) in d.definitions.iter().enumerate() {
            let path = format!("$.derivedRoles.definitions[{i}]");
            let mut refs = Refs::default();
            let (cond, ok) = match &def.condition {
                Some(c) => {
                    let r = self.condition(unit, &scope, c, &path, &mut refs);
                    let ok = r.is_some();
                    (r, ok)
                }
                None => (None, true),
            };
            if !ok {
                out.push(None);
                continue;
            }
            let params = self.params(&scope, &refs);
            out.push(Some((cond, params)));
        }
        self.dr_sets.insert(ui, out);
    }

    /// Resolves a derived role name among a policy's imports.
    fn resolve_derived_role(
        &mut self,
        unit: &Unit,
        imports: &[S<String>],
        name: &S<String>,
        path: &str,
    ) -> Option<DerivedRoleId> {
        let units: &'a [Unit] = self.units;
        let mut found: Vec<(usize, usize, &S<String>)> = Vec::new();
        for imp in imports {
            let Some(&si) = self.by_name.get(&("dr", imp.v.clone())) else {
                continue;
            };
            if let Body::DerivedRoles(d) = &units[si].policy.body {
                if let Some(di) = d.definitions.iter().position(|x| x.name.v == name.v) {
                    found.push((si, di, imp));
                }
            }
        }
        match found.len() {
            0 => {
                self.err(
                    unit,
                    name.at,
                    CompileKind::UnknownDerivedRole,
                    format!("Derived role \"{}\" is not defined in any imports", name.v),
                    path,
                );
                None
            }
            1 => {
                let (si, di, _) = found[0];
                self.derived_role_set(si);
                let compiled = self
                    .dr_sets
                    .get(&si)
                    .and_then(|v| v.get(di))
                    .cloned()
                    .flatten();
                let (condition, params) = compiled?;
                if let Some(&id) = self.dr_ids.get(&(si, di)) {
                    return Some(id);
                }
                let Body::DerivedRoles(d) = &units[si].policy.body else {
                    return None;
                };
                let def = &d.definitions[di];
                let id = DerivedRoleId::try_from(self.bundle.derived_roles.len())
                    .unwrap_or(DerivedRoleId::MAX);
                let origin = self.policy_ids.get(&units[si].key).copied().unwrap_or(0);
                self.bundle.derived_roles.push(bundle::DerivedRole {
                    name: def.name.v.clone(),
                    parent_roles: def.parent_roles.iter().map(|r| r.v.clone()).collect(),
                    condition,
                    params,
                    origin,
                });
                self.dr_ids.insert((si, di), id);
                Some(id)
            }
            _ => {
                let list: Vec<String> = found
                    .iter()
                    .map(|(si, _, imp)| {
                        format!(
                            "{} (imported as \"{}\" at {}:{})",
                            units[*si].file, imp.v, imp.at.line, imp.at.col
                        )
                    })
                    .collect();
                self.err(
                    unit,
                    name.at,
                    CompileKind::AmbiguousDerivedRole,
                    format!(
                        "Derived role \"{}\" is defined in more than one import: {}",
                        name.v,
                        list.join(", ")
                    ),
                    path,
                );
                None
            }
        }
    }

    // ---------------------------------------------------------------- policies

    fn policy_id(&self, unit: &Unit) -> PolicyId {
        self.policy_ids.get(&unit.key).copied().unwrap_or(0)
    }

    fn resource_policy(&mut self, ui: usize, p: &ResourcePolicy) {
        let units: &'a [Unit] = self.units;
        let unit = &units[ui];
        let pid = self.policy_id(unit);
        let scope_str = p.scope.as_ref().map_or("", |s| s.v.as_str()).to_string();
        let perms = match p.scope_permissions.as_ref().map(|s| s.v) {
            Some(ScopePermissions::RequireParentalConsentForAllows) => {
                BScope::RequireParentalConsentForAllows
            }
            _ => BScope::OverrideParent,
        };
        let scope = self.scope_for(ui, p.variables.as_ref(), p.constants.as_ref());
        self.check_schemas(unit, p);
        let resource = sanitize(&p.resource.v);
        let diags_before = self.diags.len();
        // Every imported derived-roles set is compiled (and its errors
        // reported), even when none of its roles is used.
        for imp in &p.import_derived_roles {
            if let Some(&si) = self.by_name.get(&("dr", imp.v.clone())) {
                self.derived_role_set(si);
            }
        }
        let mut rows = Vec::new();
        let mut all_refs = Refs::default();
        let mut drs_used: BTreeSet<DerivedRoleId> = BTreeSet::new();
        let mut failed = false;
        for (i, rule) in p.rules.iter().enumerate() {
            let path = format!("$.resourcePolicy.rules[{i}]");
            let name = match &rule.name {
                Some(n) if !n.v.is_empty() => n.v.clone(),
                _ => default_rule_name(i),
            };
            if rule.roles.is_empty() && rule.derived_roles.is_empty() {
                self.err(
                    unit,
                    rule.at,
                    CompileKind::InvalidResourceRule,
                    format!(
                        "Rule '{name}' does not specify any roles or derived roles to be matched"
                    ),
                    &path,
                );
                failed = true;
                continue;
            }
            let mut refs = Refs::default();
            let cond = match &rule.condition {
                Some(c) => match self.condition(unit, &scope, c, &path, &mut refs) {
                    Some(c) => Some(c),
                    None => {
                        failed = true;
                        continue;
                    }
                },
                None => None,
            };
            let output = match &rule.output {
                Some(o) => match self.output(unit, &scope, o, &path, &mut refs) {
                    Some(o) => Some(o),
                    None => {
                        failed = true;
                        continue;
                    }
                },
                None => None,
            };
            all_refs.vars.extend(refs.vars);
            all_refs.consts.extend(refs.consts);
            let mut drs: Vec<DerivedRoleId> = Vec::new();
            for (k, d) in rule.derived_roles.iter().enumerate() {
                match self.resolve_derived_role(
                    unit,
                    &p.import_derived_roles,
                    d,
                    &format!("{path}.derivedRoles[{k}]"),
                ) {
                    Some(id) => drs.push(id),
                    None => failed = true,
                }
            }
            drs_used.extend(drs.iter().copied());
            let roles: Vec<String> = if rule.roles.iter().any(|r| r.v == "*") {
                vec!["*".into()]
            } else {
                rule.roles.iter().map(|r| r.v.clone()).collect()
            };
            let (effect, condition) = parental(perms, rule.effect.v, cond);
            for action in &rule.actions {
                let base = Row {
                    kind: PolicyKind::Resource,
                    version: p.version.v.clone(),
                    scope: scope_str.clone(),
                    resource: resource.clone(),
                    role: String::new(),
                    action: Some(action.v.clone()),
                    allow_actions: None,
                    principal: None,
                    effect,
                    condition: condition.clone(),
                    derived_role: None,
                    params: None,
                    output: output.clone(),
                    name: name.clone(),
                    origin: pid,
                    from_role_policy: false,
                    no_op: false,
                    rule_index: None,
                };
                for r in &roles {
                    let mut row = base.clone();
                    row.role = r.clone();
                    rows.push(row);
                }
                for &d in &drs {
                    let parents = self
                        .bundle
                        .derived_roles
                        .get(d as usize)
                        .map(|x| x.parent_roles.clone())
                        .unwrap_or_default();
                    for pr in parents {
                        let mut row = base.clone();
                        row.role = pr;
                        row.derived_role = Some(d);
                        rows.push(row);
                    }
                }
            }
        }
        // Cerbos reports an unknown derived role once, at its last use.
        let mut seen = BTreeSet::new();
        let mut tail: Vec<Diagnostic> = self.diags.split_off(diags_before);
        tail.reverse();
        tail.retain(|d| {
            d.kind != DiagnosticKind::Compile(CompileKind::UnknownDerivedRole)
                || seen.insert(d.message.clone())
        });
        tail.reverse();
        self.diags.extend(tail);
        if failed {
            return;
        }
        let params = self.params(&scope, &all_refs);
        for r in &mut rows {
            r.params = Some(params);
        }
        if p.rules.is_empty() {
            rows.push(no_op_row(
                PolicyKind::Resource,
                &p.version.v,
                &scope_str,
                &resource,
                pid,
            ));
        }
        self.bundle.rows.extend(rows);
        self.bundle.scope_permissions.insert(scope_str, perms);
        if !drs_used.is_empty() {
            self.bundle
                .policy_derived_roles
                .insert(pid, drs_used.into_iter().collect());
        }
    }

    fn principal_policy(&mut self, ui: usize, p: &PrincipalPolicy) {
        let units: &'a [Unit] = self.units;
        let unit = &units[ui];
        let pid = self.policy_id(unit);
        let scope_str = p.scope.as_ref().map_or("", |s| s.v.as_str()).to_string();
        let perms = match p.scope_permissions.as_ref().map(|s| s.v) {
            Some(ScopePermissions::RequireParentalConsentForAllows) => {
                BScope::RequireParentalConsentForAllows
            }
            _ => BScope::OverrideParent,
        };
        let scope = self.scope_for(ui, p.variables.as_ref(), p.constants.as_ref());
        let mut rows = Vec::new();
        let mut all_refs = Refs::default();
        let mut failed = false;
        for (i, rule) in p.rules.iter().enumerate() {
            let resource = sanitize(&rule.resource.v);
            for (k, act) in rule.actions.iter().enumerate() {
                let path = format!("$.principalPolicy.rules[{i}].actions[{k}]");
                let name = match &act.name {
                    Some(n) if !n.v.is_empty() => n.v.clone(),
                    _ => format!("{}_rule-{:03}", rule.resource.v, k + 1),
                };
                let mut refs = Refs::default();
                let cond = match &act.condition {
                    Some(c) => match self.condition(unit, &scope, c, &path, &mut refs) {
                        Some(c) => Some(c),
                        None => {
                            failed = true;
                            continue;
                        }
                    },
                    None => None,
                };
                let output = match &act.output {
                    Some(o) => match self.output(unit, &scope, o, &path, &mut refs) {
                        Some(o) => Some(o),
                        None => {
                            failed = true;
                            continue;
                        }
                    },
                    None => None,
                };
                all_refs.vars.extend(refs.vars);
                all_refs.consts.extend(refs.consts);
                let (effect, condition) = parental(perms, act.effect.v, cond);
                rows.push(Row {
                    kind: PolicyKind::Principal,
                    version: p.version.v.clone(),
                    scope: scope_str.clone(),
                    resource: resource.clone(),
                    role: "*".into(),
                    action: Some(act.action.v.clone()),
                    allow_actions: None,
                    principal: Some(p.principal.v.clone()),
                    effect,
                    condition,
                    derived_role: None,
                    params: None,
                    output,
                    name,
                    origin: pid,
                    from_role_policy: false,
                    no_op: false,
                    rule_index: None,
                });
            }
        }
        if failed {
            return;
        }
        let params = self.params(&scope, &all_refs);
        for r in &mut rows {
            r.params = Some(params);
        }
        if p.rules.is_empty() {
            let mut row = no_op_row(PolicyKind::Principal, &p.version.v, &scope_str, "*", pid);
            row.principal = Some(p.principal.v.clone());
            rows.push(row);
        }
        self.bundle.rows.extend(rows);
        self.bundle.scope_permissions.insert(scope_str, perms);
    }

    fn role_policy(&mut self, ui: usize, p: &RolePolicy) {
        let units: &'a [Unit] = self.units;
        let unit = &units[ui];
        let pid = self.policy_id(unit);
        let scope_str = p.scope.as_ref().map_or("", |s| s.v.as_str()).to_string();
        let version = role_version(p).to_string();
        if p.version.as_ref().is_none_or(|v| v.v.is_empty()) {
            self.diags.push(
                Diagnostic::error(
                    &unit.file,
                    pos(unit.policy.body_at),
                    DiagnosticKind::Deprecated,
                    "role policy has no version; using \"default\"",
                )
                .warning(),
            );
        }
        let scope = self.scope_for(ui, p.variables.as_ref(), p.constants.as_ref());
        let mut rows = Vec::new();
        let mut all_refs = Refs::default();
        let mut failed = false;
        let mut per_resource: BTreeMap<&str, u32> = BTreeMap::new();
        for (i, rule) in p.rules.iter().enumerate() {
            let path = format!("$.rolePolicy.rules[{i}]");
            // Position of the rule among this policy's rules for the same resource.
            let counter = per_resource.entry(rule.resource.v.as_str()).or_insert(0);
            let rule_index = *counter;
            *counter += 1;
            let mut refs = Refs::default();
            let cond = match &rule.condition {
                Some(c) => match self.condition(unit, &scope, c, &path, &mut refs) {
                    Some(c) => Some(c),
                    None => {
                        failed = true;
                        continue;
                    }
                },
                None => None,
            };
            let output = match &rule.output {
                Some(o) => match self.output(unit, &scope, o, &path, &mut refs) {
                    Some(o) => Some(o),
                    None => {
                        failed = true;
                        continue;
                    }
                },
                None => None,
            };
            all_refs.vars.extend(refs.vars);
            all_refs.consts.extend(refs.consts);
            rows.push(Row {
                kind: PolicyKind::Resource,
                version: version.clone(),
                scope: scope_str.clone(),
                resource: rule.resource.v.clone(),
                role: p.role.v.clone(),
                action: None,
                allow_actions: Some(rule.allow_actions.iter().map(|a| a.v.clone()).collect()),
                principal: None,
                effect: Effect::NoMatch,
                condition: cond,
                derived_role: None,
                params: None,
                output,
                name: rule.name.as_ref().map(|n| n.v.clone()).unwrap_or_default(),
                origin: pid,
                from_role_policy: true,
                no_op: false,
                rule_index: Some(rule_index),
            });
        }
        if failed {
            return;
        }
        let params = self.params(&scope, &all_refs);
        for r in &mut rows {
            r.params = Some(params);
        }
        if p.rules.is_empty() {
            let mut row = no_op_row(PolicyKind::Resource, &version, &scope_str, "*", pid);
            row.role = p.role.v.clone();
            row.from_role_policy = true;
            rows.push(row);
        }
        self.bundle.rows.extend(rows);
        self.bundle
            .scope_parent_roles
            .entry(scope_str)
            .or_default()
            .insert(
                p.role.v.clone(),
                p.parent_roles.iter().map(|r| r.v.clone()).collect(),
            );
    }

    // ---------------------------------------------------------------- schemas

    fn check_schemas(&mut self, unit: &Unit, p: &ResourcePolicy) {
        let Some(s) = &p.schemas else {
            return;
        };
        for (which, schema, field) in [
            ("principal", &s.principal_schema, "principalSchema"),
            ("resource", &s.resource_schema, "resourceSchema"),
        ] {
            let Some(schema) = schema else {
                continue;
            };
            let r = &schema.reference;
            if let Err(e) = self.load_schema(&r.v) {
                self.err(
                    unit,
                    r.key,
                    CompileKind::InvalidSchema,
                    format!("Failed to load {which} schema \"{}\": {e}", r.v),
                    &format!("$.resourcePolicy.schemas.{field}.ref"),
                );
            }
        }
    }

    /// Loads a schema (and the schemas it `$ref`s) into the bundle.
    fn load_schema(&mut self, reference: &str) -> Result<(), String> {
        let rel = schema_path(reference).ok_or_else(|| {
            format!("unsupported schema reference \"{reference}\": only cerbos:/// and relative references can be bundled")
        })?;
        // (key in the bundle = the reference as written, path under _schemas/)
        let mut todo = vec![(reference.to_string(), rel)];
        let mut hops = 0;
        while let Some((r, rel)) = todo.pop() {
            if self.bundle.schemas.contains_key(&r) {
                continue;
            }
            hops += 1;
            if hops > MAX_SCHEMA_REFS {
                return Err("too many schema references".into());
            }
            let file = format!("_schemas/{rel}");
            let text = self
                .schema_files
                .get(&file)
                .ok_or_else(|| format!("schema {file} doesn't exist"))?;
            // Like Go's json.Decoder, read the first JSON value of the file.
            let doc: serde_json::Value = serde_json::Deserializer::from_str(text)
                .into_iter::<serde_json::Value>()
                .next()
                .ok_or_else(|| format!("jsonschema {r} compilation failed: empty document"))?
                .map_err(|e| format!("jsonschema {r} compilation failed: invalid JSON: {e}"))?;
            match &doc {
                serde_json::Value::Object(_) | serde_json::Value::Bool(_) => {}
                other => {
                    let got = match other {
                        serde_json::Value::String(_) => "string",
                        serde_json::Value::Number(_) => "number",
                        serde_json::Value::Array(_) => "array",
                        _ => "null",
                    };
                    return Err(format!(
                        "jsonschema {r} compilation failed: '' does not validate with https://json-schema.org/draft/2020-12/schema#/type: expected object or boolean, but got {got}"
                    ));
                }
            }
            collect_refs(&doc, &rel, &mut todo);
            self.bundle.schemas.insert(r, doc);
        }
        Ok(())
    }

    /// Schemas of each resource-policy chain, keyed by the chain's root policy.
    fn schemas_of_chains(&mut self) {
        let units: &'a [Unit] = self.units;
        for u in units {
            let Body::ResourcePolicy(p) = &u.policy.body else {
                continue;
            };
            if p.scope.as_ref().is_some_and(|s| !s.v.is_empty()) {
                continue;
            }
            let Some(s) = &p.schemas else {
                continue;
            };
            let conv = |x: &Option<Schema>| {
                x.as_ref()
                    .filter(|x| !x.reference.v.is_empty())
                    .map(|x| SchemaRef {
                        reference: x.reference.v.clone(),
                        ignore_actions: x
                            .ignore_when
                            .as_ref()
                            .map(|i| i.actions.iter().map(|a| a.v.clone()).collect())
                            .unwrap_or_default(),
                    })
            };
            let ps = PolicySchemas {
                principal: conv(&s.principal_schema),
                resource: conv(&s.resource_schema),
            };
            if ps.principal.is_some() || ps.resource.is_some() {
                let pid = self.policy_id(u);
                self.bundle.policy_schemas.insert(pid, ps);
            }
        }
    }
}

/// The diagnostic for an expression that does not parse or check: placed
/// at the first problem inside the expression, remembering where Cerbos
/// reports it.
fn invalid_expression(
    file: &str,
    src: &str,
    text: &S<String>,
    path: String,
    report_at: Pos,
    issues: Vec<celx::ExprIssue>,
) -> Diagnostic {
    let at = match issues.iter().find_map(|i| i.offset) {
        Some(off) => scalar_offset_pos(src, text.at, &text.v, off),
        None => text.at,
    };
    let msgs: Vec<String> = issues.into_iter().map(|i| i.message).collect();
    let mut d = Diagnostic::error(
        file,
        pos(at),
        DiagnosticKind::Compile(CompileKind::InvalidExpression),
        format!("Invalid expression `{}`: [{}]", text.v, msgs.join(", ")),
    )
    .with_path(path);
    d.field_position = Some(pos(report_at));
    d
}

/// Checks every CEL expression of a policy on its own (no imports or
/// references), for policies that failed validation: their expression
/// errors are reported in the same run instead of after the next fix.
pub(crate) fn check_expressions(file: &str, src: &str, policy: &Policy) -> Vec<Diagnostic> {
    let mut sites: Vec<(&S<String>, String, Pos)> = Vec::new();
    fn matcher<'m>(
        m: &'m Match,
        path: String,
        out: &mut Vec<(&'m S<String>, String, Pos)>,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        let (list, name) = match m {
            Match::Expr(t) => {
                out.push((t, format!("{path}.expr"), t.key));
                return;
            }
            Match::All(l) => (l, "all"),
            Match::Any(l) => (l, "any"),
            Match::None(l) => (l, "none"),
        };
        for (i, c) in list.of.iter().enumerate() {
            matcher(c, format!("{path}.{name}.of[{i}]"), out, depth + 1);
        }
    }
    fn rule<'m>(
        cond: &'m Option<LocCondition>,
        output: &'m Option<Output>,
        path: &str,
        out: &mut Vec<(&'m S<String>, String, Pos)>,
    ) {
        if let Some(LocCondition {
            cond: Condition::Match(m),
            ..
        }) = cond
        {
            matcher(m, format!("{path}.condition.match"), out, 0);
        }
        if let Some(o) = output {
            if let Some(e) = &o.expr {
                out.push((e, format!("{path}.output.expr"), e.key));
            }
            if let Some(w) = &o.when {
                if let Some(e) = &w.rule_activated {
                    out.push((e, format!("{path}.output.when.ruleActivated"), e.key));
                }
                if let Some(e) = &w.condition_not_met {
                    out.push((e, format!("{path}.output.when.conditionNotMet"), e.key));
                }
            }
        }
    }
    fn locals(v: &Option<Variables>) -> Option<&Vec<(S<String>, S<String>)>> {
        v.as_ref().map(|v| &v.local.0)
    }
    let b = body_name(&policy.body);
    let mut vars: Vec<(&S<String>, String)> = Vec::new();
    if let Some(tl) = &policy.variables {
        for (k, t) in &tl.v.0 {
            vars.push((t, key_path("$.variables", &k.v)));
        }
    }
    let local = match &policy.body {
        Body::ResourcePolicy(p) => {
            for (i, r) in p.rules.iter().enumerate() {
                rule(
                    &r.condition,
                    &r.output,
                    &format!("$.{b}.rules[{i}]"),
                    &mut sites,
                );
            }
            locals(&p.variables)
        }
        Body::PrincipalPolicy(p) => {
            for (i, r) in p.rules.iter().enumerate() {
                for (k, a) in r.actions.iter().enumerate() {
                    rule(
                        &a.condition,
                        &a.output,
                        &format!("$.{b}.rules[{i}].actions[{k}]"),
                        &mut sites,
                    );
                }
            }
            locals(&p.variables)
        }
        Body::RolePolicy(p) => {
            for (i, r) in p.rules.iter().enumerate() {
                rule(
                    &r.condition,
                    &r.output,
                    &format!("$.{b}.rules[{i}]"),
                    &mut sites,
                );
            }
            locals(&p.variables)
        }
        Body::DerivedRoles(d) => {
            for (i, r) in d.definitions.iter().enumerate() {
                rule(
                    &r.condition,
                    &None,
                    &format!("$.{b}.definitions[{i}]"),
                    &mut sites,
                );
            }
            locals(&d.variables)
        }
        Body::ExportVariables(e) => {
            for (k, t) in &e.definitions.0 {
                vars.push((t, key_path("$.exportVariables.definitions", &k.v)));
            }
            None
        }
        Body::ExportConstants(_) => None,
    };
    for (k, t) in local.into_iter().flatten() {
        vars.push((t, key_path(&format!("$.{b}.variables.local"), &k.v)));
    }
    for (t, path) in vars {
        sites.push((t, path, t.at));
    }
    sites
        .into_iter()
        .filter_map(|(text, path, report_at)| {
            celx::compile_expr(&text.v)
                .err()
                .map(|issues| invalid_expression(file, src, text, path, report_at, issues))
        })
        .collect()
}

/// `cerbos:///a/b.json` or `a/b.json` → `a/b.json`.
fn schema_path(r: &str) -> Option<String> {
    let rel = if let Some(rest) = r.strip_prefix("cerbos:///") {
        rest
    } else if r.contains("://") || r.starts_with("file:") || r.starts_with('/') {
        return None;
    } else {
        r
    };
    let rel = rel.split('#').next().unwrap_or("");
    if rel.is_empty() || rel.split('/').any(|p| p == "..") {
        return None;
    }
    Some(rel.to_string())
}

/// The `$ref`s of a schema that point at other store schemas: `cerbos:///x`,
/// `/x` (from the `_schemas` root) and `x` (next to the referring schema).
/// Remote references are left to the validator, which reports them.
fn collect_refs(doc: &serde_json::Value, current: &str, out: &mut Vec<(String, String)>) {
    let dir = current.rsplit_once('/').map_or("", |(d, _)| d);
    let mut stack = vec![doc];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        if let serde_json::Value::String(s) = x {
                            let base = s.split('#').next().unwrap_or("");
                            let rel = if let Some(p) = base.strip_prefix("cerbos:///") {
                                Some(p.to_string())
                            } else if base.is_empty() || base.contains(':') {
                                None
                            } else if let Some(p) = base.strip_prefix('/') {
                                Some(p.to_string())
                            } else if dir.is_empty() {
                                Some(base.to_string())
                            } else {
                                Some(format!("{dir}/{base}"))
                            };
                            if let Some(rel) = rel.filter(|r| !r.split('/').any(|p| p == "..")) {
                                out.push((base.to_string(), rel));
                            }
                        }
                    } else {
                        stack.push(x);
                    }
                }
            }
            serde_json::Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
}

/// REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS turns a conditional ALLOW into
/// "DENY unless the condition holds".
fn parental(
    perms: BScope,
    effect: Effect_,
    cond: Option<bundle::Condition>,
) -> (Effect, Option<bundle::Condition>) {
    let e = match effect {
        Effect_::Allow => Effect::Allow,
        Effect_::Deny => Effect::Deny,
    };
    match (perms, e, cond) {
        (BScope::RequireParentalConsentForAllows, Effect::Allow, Some(c)) => {
            (Effect::Deny, Some(bundle::Condition::None(vec![c])))
        }
        (_, e, c) => (e, c),
    }
}

use super::model::Effect as Effect_;

fn no_op_row(kind: PolicyKind, version: &str, scope: &str, resource: &str, pid: PolicyId) -> Row {
    Row {
        kind,
        version: version.to_string(),
        scope: scope.to_string(),
        resource: resource.to_string(),
        role: "*".into(),
        action: None,
        allow_actions: None,
        principal: None,
        effect: Effect::NoMatch,
        condition: None,
        derived_role: None,
        params: None,
        output: None,
        name: String::new(),
        origin: pid,
        from_role_policy: false,
        no_op: true,
        rule_index: None,
    }
}

fn policy_info(u: &Unit) -> PolicyInfo {
    let p = &u.policy;
    let (name, version) = match &p.body {
        Body::ResourcePolicy(r) => (r.resource.v.clone(), r.version.v.clone()),
        Body::PrincipalPolicy(r) => (r.principal.v.clone(), r.version.v.clone()),
        Body::RolePolicy(r) => (r.role.v.clone(), role_version(r).to_string()),
        Body::DerivedRoles(d) => (d.name.v.clone(), String::new()),
        Body::ExportVariables(d) => (d.name.v.clone(), String::new()),
        Body::ExportConstants(d) => (d.name.v.clone(), String::new()),
    };
    let (annotations, source_attributes) = match &p.metadata {
        Some(m) => (
            m.annotations
                .0
                .iter()
                .map(|(k, v)| (k.v.clone(), v.v.clone()))
                .collect(),
            m.source_attributes
                .as_ref()
                .map(|s| {
                    s.attributes
                        .0
                        .iter()
                        .map(|(k, v)| (k.v.clone(), v.v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        None => (BTreeMap::new(), BTreeMap::new()),
    };
    PolicyInfo {
        kind: kind_of(&p.body),
        key: u.key.clone(),
        name,
        version,
        scope: p.scope().to_string(),
        source_file: u.file.clone(),
        annotations,
        source_attributes,
    }
}

/// Strongly connected components that form cycles (size > 1 or a
/// self-reference), each sorted by name, in name order. Iterative Tarjan.
fn cycles(vars: &BTreeMap<String, (ExprId, Refs)>) -> Vec<Vec<String>> {
    let names: Vec<&String> = vars.keys().collect();
    let idx: HashMap<&String, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            vars[*n]
                .1
                .vars
                .iter()
                .filter_map(|d| idx.get(d).copied())
                .collect()
        })
        .collect();
    let n = names.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0usize;
    let mut out = Vec::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // (node, next edge position)
        let mut call: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut ei)) = call.last_mut() {
            if let Some(&w) = edges[v].get(*ei) {
                *ei += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                let is_cycle = comp.len() > 1 || edges[v].contains(&v);
                if is_cycle {
                    let mut c: Vec<String> = comp.iter().map(|&i| names[i].clone()).collect();
                    c.sort();
                    out.push(c);
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(identifier_problem("abc_1").is_none());
        assert!(identifier_problem("a.b.c").is_some());
        assert!(identifier_problem("").is_some());
        assert!(identifier_problem("null").unwrap().contains("reserved"));
    }

    #[test]
    fn lists() {
        let s = |v: &[&str]| join_list(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["a", "b"]), "a and b");
        assert_eq!(s(&["a", "b", "c"]), "a, b, and c");
    }

    #[test]
    fn schema_refs() {
        assert_eq!(
            schema_path("cerbos:///a/b.json").as_deref(),
            Some("a/b.json")
        );
        assert_eq!(schema_path("a.json").as_deref(), Some("a.json"));
        assert_eq!(schema_path("https://x/y.json"), None);
        assert_eq!(schema_path("cerbos:///../x.json"), None);
    }
}
