//! The rule index built once when a bundle is loaded (Cerbos
//! `internal/ruletable/index`): rows grouped by (policy kind, version,
//! scope), then by literal resource kind with a short list of glob kinds;
//! role and action dimensions are matched per row (literal or glob).
//! Queries return rows in table order, as Cerbos's bitmaps do.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash-style hasher for the index's maps. Their keys come from the
/// bundle, and requests only look keys up, so collision flooding is not a
/// concern and SipHash's cost is not needed.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// `HashMap` with [`FastHasher`].
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

use crate::bundle::{
    Bundle, Condition, DerivedRoleId, Effect, Output, ParamSetId, PolicyId, PolicyKind, Row,
    ScopePermissions,
};

use super::glob::{matches_glob, Glob};
use super::names::sanitize;

/// A dimension value of a row: literal, or a glob when the key contains `*`.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// Exact string.
    Literal(String),
    /// Compiled glob (`*` alone matches everything).
    Glob(Glob),
    /// A glob that failed to compile: Cerbos drops such keys, so nothing matches.
    Never,
}

impl Matcher {
    fn new(key: &str) -> Matcher {
        if key.contains('*') {
            match Glob::new(key) {
                Some(g) => Matcher::Glob(g),
                None => Matcher::Never,
            }
        } else {
            Matcher::Literal(key.to_string())
        }
    }

    pub(crate) fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Literal(l) => l == value,
            Matcher::Glob(g) => g.matches(value),
            Matcher::Never => false,
        }
    }
}

/// The key under which a rule's condition result is cached for one input
/// (Cerbos's evaluation key): shared by every row of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum EvalKey {
    /// Resource or principal rule: owning policy and rule name.
    Rule(PolicyId, String),
    /// Resource rule reached through a derived role.
    DerivedRule(PolicyId, DerivedRoleId, String),
    /// Role-policy rule: owning policy and the rule's index (or row id when unknown).
    RoleRule(PolicyId, u32),
}

/// A row with its dimensions prepared for matching.
#[derive(Debug)]
pub(crate) struct IndexedRow {
    pub(crate) role: Matcher,
    pub(crate) action: Option<Matcher>,
    pub(crate) resource: Matcher,
    /// Role-policy allow-list, kept as raw strings (matched with `==` or as a glob).
    pub(crate) allow_actions: Option<Vec<String>>,
    /// Dense id of the row's [`EvalKey`] (rows of one rule share it).
    pub(crate) eval_key: u32,
}

/// Rows of one (kind, version, scope).
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Literal resource kind → row ids (ascending).
    literal: HashMap<String, Vec<u32>>,
    /// Glob resource kinds with their row ids (ascending).
    globs: Vec<(Matcher, Vec<u32>)>,
    /// Role-policy rows (allow-lists), ascending.
    role_policy_rows: Vec<u32>,
    /// Resource tables: sanitized kind → the resource policy at this version and scope.
    policies: HashMap<String, PolicyId>,
}

impl Table {
    fn add(&mut self, id: u32, resource: &str, matcher: &Matcher, role_policy: bool) {
        if role_policy {
            self.role_policy_rows.push(id);
        }
        match matcher {
            Matcher::Literal(_) => self
                .literal
                .entry(resource.to_string())
                .or_default()
                .push(id),
            Matcher::Glob(_) | Matcher::Never => {
                if let Some((_, ids)) = self.globs.iter_mut().find(|(m, _)| same_glob(m, matcher)) {
                    ids.push(id);
                } else {
                    self.globs.push((matcher.clone(), vec![id]));
                }
            }
        }
    }

    /// Row ids whose resource dimension matches `resource`, ascending.
    pub(crate) fn resource_rows(&self, resource: &str) -> Cow<'_, [u32]> {
        let literal: &[u32] = self.literal.get(resource).map_or(&[], Vec::as_slice);
        let mut out: Option<Vec<u32>> = None;
        for (m, ids) in &self.globs {
            if m.matches(resource) {
                out.get_or_insert_with(|| literal.to_vec())
                    .extend_from_slice(ids);
            }
        }
        match out {
            None => Cow::Borrowed(literal),
            Some(mut v) => {
                v.sort_unstable();
                v.dedup();
                Cow::Owned(v)
            }
        }
    }

    fn resource_exists(&self, resource: &str) -> bool {
        self.literal.contains_key(resource) || self.globs.iter().any(|(m, _)| m.matches(resource))
    }
}

fn same_glob(a: &Matcher, b: &Matcher) -> bool {
    match (a, b) {
        (Matcher::Glob(x), Matcher::Glob(y)) => x.source() == y.source(),
        _ => false,
    }
}

/// A binding produced by a query: a table row, or a synthetic row derived
/// from a role policy.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// A row of the bundle, by index.
    Row(u32),
    /// Role policy exists but does not allow the action for the resource:
    /// unconditional DENY attributed to the role policy.
    RoleNoMatchDeny {
        /// The role policy (via one of its rows).
        origin: PolicyId,
    },
    /// Role-policy rule without a condition that has an output: emits it, no effect.
    RoleOutput {
        /// The role-policy row.
        row: u32,
    },
    /// Role-policy rule with a condition: DENY when the condition is not met,
    /// outputs swapped.
    RoleConditionalDeny {
        /// The role-policy row.
        row: u32,
    },
}

/// The prepared index over a bundle.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) rows: Vec<IndexedRow>,
    /// kind → version → scope → table.
    tables: HashMap<PolicyKind, HashMap<String, HashMap<String, Table>>>,
    /// Looked up on every request: [`FastHasher`] rather than SipHash.
    resource_scopes: HashSet<String, BuildHasherDefault<FastHasher>>,
    principal_scopes: HashSet<String, BuildHasherDefault<FastHasher>>,
    scope_permissions: HashMap<String, ScopePermissions>,
    /// scope → role → transitive parent roles (declaration order, deduplicated).
    parent_roles: HashMap<String, HashMap<String, Vec<String>>>,
}

/// Cap on parent-role chains, so a hostile bundle cannot loop forever.
const MAX_PARENT_ROLES: usize = 1024;

impl Index {
    pub(crate) fn build(bundle: &Bundle) -> Index {
        let mut idx = Index::default();
        let mut keys: HashMap<EvalKey, u32> = HashMap::default();
        for (i, row) in bundle.rows.iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            let next = u32::try_from(keys.len()).unwrap_or(u32::MAX);
            let key_id = *keys.entry(eval_key(row, id)).or_insert(next);
            let indexed = IndexedRow {
                role: Matcher::new(&row.role),
                action: row.action.as_deref().map(Matcher::new),
                resource: Matcher::new(&row.resource),
                allow_actions: row.allow_actions.clone(),
                eval_key: key_id,
            };
            let table = idx
                .tables
                .entry(row.kind)
                .or_default()
                .entry(row.version.clone())
                .or_default()
                .entry(row.scope.clone())
                .or_default();
            table.add(
                id,
                &row.resource,
                &indexed.resource,
                row.allow_actions.is_some(),
            );
            match row.kind {
                PolicyKind::Principal => {
                    idx.principal_scopes.insert(row.scope.clone());
                }
                _ => {
                    idx.resource_scopes.insert(row.scope.clone());
                }
            }
            idx.rows.push(indexed);
        }
        for (scope, perm) in &bundle.scope_permissions {
            idx.scope_permissions.insert(scope.clone(), *perm);
        }
        for (scope, roles) in &bundle.scope_parent_roles {
            let mut closed = HashMap::default();
            for role in roles.keys() {
                closed.insert(role.clone(), transitive_parents(roles, role));
            }
            idx.parent_roles.insert(scope.clone(), closed);
        }
        for (pid, p) in bundle.policies.iter().enumerate() {
            if p.kind == PolicyKind::Resource {
                let pid = PolicyId::try_from(pid).unwrap_or(PolicyId::MAX);
                idx.tables
                    .entry(PolicyKind::Resource)
                    .or_default()
                    .entry(p.version.clone())
                    .or_default()
                    .entry(p.scope.clone())
                    .or_default()
                    .policies
                    .entry(sanitize(&p.name))
                    .or_insert(pid);
            }
        }
        idx
    }

    pub(crate) fn resource_scope_exists(&self, scope: &str) -> bool {
        self.resource_scopes.contains(scope)
    }

    pub(crate) fn principal_scope_exists(&self, scope: &str) -> bool {
        self.principal_scopes.contains(scope)
    }

    pub(crate) fn scope_permissions(&self, scope: &str) -> ScopePermissions {
        self.scope_permissions
            .get(scope)
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn resource_policy(
        &self,
        kind: &str,
        version: &str,
        scope: &str,
    ) -> Option<PolicyId> {
        self.table(PolicyKind::Resource, version, scope)?
            .policies
            .get(kind)
            .copied()
    }

    pub(crate) fn table(&self, kind: PolicyKind, version: &str, scope: &str) -> Option<&Table> {
        self.tables.get(&kind)?.get(version)?.get(scope)
    }

    /// `AddParentRoles([scope], roles)`: the roles followed by each one's
    /// transitive parents from role policies at exactly `scope`.
    pub(crate) fn add_parent_roles<'r>(
        &self,
        scope: &str,
        roles: &'r [String],
    ) -> Cow<'r, [String]> {
        let Some(map) = self.parent_roles.get(scope) else {
            return Cow::Borrowed(roles);
        };
        let mut out: Vec<String> = roles.to_vec();
        for role in roles {
            if let Some(parents) = map.get(role) {
                out.extend(parents.iter().cloned());
            }
        }
        Cow::Owned(out)
    }

    /// `ScopedResourceExists`.
    pub(crate) fn scoped_resource_exists(
        &self,
        version: &str,
        resource: &str,
        scopes: &[&str],
    ) -> bool {
        scopes.iter().any(|s| {
            self.table(PolicyKind::Resource, version, s)
                .is_some_and(|t| t.resource_exists(resource))
        })
    }

    /// `ScopedPrincipalExists` (any principal).
    pub(crate) fn scoped_principal_exists(&self, version: &str, scopes: &[&str]) -> bool {
        scopes
            .iter()
            .any(|s| self.table(PolicyKind::Principal, version, s).is_some())
    }

    /// `Index.Query`: role-policy synthetic bindings first (resource pass), then
    /// matching rows in table order. `candidates` is the table's
    /// [`Table::resource_rows`] for `resource` (computed once per input, as
    /// it does not depend on the action or role).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn query(
        &self,
        bundle: &Bundle,
        table: Option<&Table>,
        candidates: &[u32],
        kind: PolicyKind,
        resource: &str,
        action: &str,
        roles: &[String],
        principal: Option<&str>,
        out: &mut Vec<Binding>,
    ) {
        out.clear();
        let Some(table) = table else {
            return;
        };
        // Cerbos returns before synthesising role-policy DENYs when no row at
        // all (any action, role-policy rows included) matches the version,
        // scope, resource, roles and principal (`Index.Query`'s `baseBM`).
        // No-op rows carry no role in Cerbos, so they never match here.
        let any_base = candidates.iter().any(|&id| {
            let (Some(ir), Some(row)) = (self.rows.get(id as usize), bundle.rows.get(id as usize))
            else {
                return false;
            };
            !row.no_op
                && principal.is_none_or(|pid| row.principal.as_deref() == Some(pid))
                && roles.iter().any(|r| ir.role.matches(r))
        });
        if !any_base {
            return;
        }
        if kind == PolicyKind::Resource && !table.role_policy_rows.is_empty() {
            self.role_policy_bindings(bundle, table, resource, action, roles, out);
        }
        for &id in candidates.iter() {
            let (Some(ir), Some(row)) = (self.rows.get(id as usize), bundle.rows.get(id as usize))
            else {
                continue;
            };
            if ir.allow_actions.is_some() {
                continue;
            }
            let Some(am) = &ir.action else { continue };
            if !am.matches(action) {
                continue;
            }
            if let Some(pid) = principal {
                if row.principal.as_deref() != Some(pid) {
                    continue;
                }
            }
            if !roles.iter().any(|r| ir.role.matches(r)) {
                continue;
            }
            out.push(Binding::Row(id));
        }
    }

    /// `appendRolePolicyDenies` for one resource and action.
    fn role_policy_bindings(
        &self,
        bundle: &Bundle,
        table: &Table,
        resource: &str,
        action: &str,
        roles: &[String],
        out: &mut Vec<Binding>,
    ) {
        // Candidate role-policy rows: role in the query roles.
        let candidates: Vec<u32> = table
            .role_policy_rows
            .iter()
            .copied()
            .filter(|&id| {
                self.rows
                    .get(id as usize)
                    .is_some_and(|ir| roles.iter().any(|r| ir.role.matches(r)))
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let row_role = |id: u32| bundle.rows.get(id as usize).map(|r| r.role.as_str());
        for role in roles {
            let Some(rep) = candidates
                .iter()
                .copied()
                .find(|&id| row_role(id) == Some(role))
            else {
                continue;
            };
            let origin = bundle
                .rows
                .get(rep as usize)
                .map(|r| r.origin)
                .unwrap_or_default();
            let role_rows: Vec<u32> = candidates
                .iter()
                .copied()
                .filter(|&id| {
                    row_role(id) == Some(role)
                        && self
                            .rows
                            .get(id as usize)
                            .is_some_and(|ir| ir.resource.matches(resource))
                })
                .collect();
            if role_rows.is_empty() {
                out.push(Binding::RoleNoMatchDeny { origin });
                continue;
            }
            let matched: Vec<u32> = role_rows
                .iter()
                .copied()
                .filter(|&id| {
                    self.rows
                        .get(id as usize)
                        .and_then(|ir| ir.allow_actions.as_ref())
                        .is_some_and(|acts| {
                            acts.iter().any(|a| a == action || matches_glob(a, action))
                        })
                })
                .collect();
            if matched.is_empty() {
                out.push(Binding::RoleNoMatchDeny { origin });
                continue;
            }
            for id in matched {
                let Some(row) = bundle.rows.get(id as usize) else {
                    continue;
                };
                if row.condition.is_none() {
                    if row.output.is_some() {
                        out.push(Binding::RoleOutput { row: id });
                    }
                } else {
                    out.push(Binding::RoleConditionalDeny { row: id });
                }
            }
        }
    }
}

fn transitive_parents(
    roles: &std::collections::BTreeMap<String, Vec<String>>,
    role: &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut visited: HashSet<&str> = HashSet::new();
    visited.insert(role);
    let mut stack: Vec<&str> = vec![role];
    while let Some(r) = stack.pop() {
        if out.len() > MAX_PARENT_ROLES {
            break;
        }
        for p in roles.get(r).into_iter().flatten() {
            if !out.iter().any(|o| o == p) {
                out.push(p.clone());
            }
            if visited.insert(p.as_str()) {
                stack.push(p.as_str());
            }
        }
    }
    out
}

fn eval_key(row: &Row, id: u32) -> EvalKey {
    if row.from_role_policy {
        return EvalKey::RoleRule(row.origin, row.rule_index.unwrap_or(id));
    }
    match row.derived_role {
        Some(dr) => EvalKey::DerivedRule(row.origin, dr, row.name.clone()),
        None => EvalKey::Rule(row.origin, row.name.clone()),
    }
}

/// What a binding means for the main loop, resolved against the bundle.
pub(crate) struct BindingView<'a> {
    pub(crate) effect: Effect,
    pub(crate) condition: Option<ConditionRef<'a>>,
    pub(crate) derived_role: Option<DerivedRoleId>,
    pub(crate) params: Option<ParamSetId>,
    pub(crate) rule_activated: Option<u32>,
    pub(crate) condition_not_met: Option<u32>,
    pub(crate) from_role_policy: bool,
    pub(crate) origin: PolicyId,
    pub(crate) name: &'a str,
    pub(crate) eval_key: Option<u32>,
}

/// A condition, possibly negated (`none: [cond]`) for synthetic role-policy DENYs.
#[derive(Clone, Copy)]
pub(crate) enum ConditionRef<'a> {
    Plain(&'a Condition),
    Negated(&'a Condition),
}

impl Index {
    pub(crate) fn view<'a>(&'a self, bundle: &'a Bundle, b: &Binding) -> Option<BindingView<'a>> {
        let outputs = |o: &Option<Output>| {
            o.as_ref()
                .map(|o| (o.rule_activated, o.condition_not_met))
                .unwrap_or((None, None))
        };
        Some(match *b {
            Binding::Row(id) => {
                let row = bundle.rows.get(id as usize)?;
                let (ra, cnm) = outputs(&row.output);
                BindingView {
                    effect: row.effect,
                    condition: row.condition.as_ref().map(ConditionRef::Plain),
                    derived_role: row.derived_role,
                    params: row.params,
                    rule_activated: ra,
                    condition_not_met: cnm,
                    from_role_policy: row.from_role_policy,
                    origin: row.origin,
                    name: &row.name,
                    eval_key: self.rows.get(id as usize).map(|r| r.eval_key),
                }
            }
            Binding::RoleNoMatchDeny { origin } => BindingView {
                effect: Effect::Deny,
                condition: None,
                derived_role: None,
                params: None,
                rule_activated: None,
                condition_not_met: None,
                from_role_policy: true,
                origin,
                name: "",
                eval_key: None,
            },
            Binding::RoleOutput { row: id } => {
                let row = bundle.rows.get(id as usize)?;
                let (ra, cnm) = outputs(&row.output);
                BindingView {
                    effect: Effect::NoMatch,
                    condition: None,
                    derived_role: None,
                    params: row.params,
                    rule_activated: ra,
                    condition_not_met: cnm,
                    from_role_policy: true,
                    origin: row.origin,
                    name: &row.name,
                    eval_key: self.rows.get(id as usize).map(|r| r.eval_key),
                }
            }
            Binding::RoleConditionalDeny { row: id } => {
                let row = bundle.rows.get(id as usize)?;
                let (ra, cnm) = outputs(&row.output);
                BindingView {
                    effect: Effect::Deny,
                    condition: row.condition.as_ref().map(ConditionRef::Negated),
                    derived_role: None,
                    params: row.params,
                    // Swapped: the synthetic DENY fires when the user's condition is not met.
                    rule_activated: cnm,
                    condition_not_met: ra,
                    from_role_policy: true,
                    origin: row.origin,
                    name: &row.name,
                    eval_key: self.rows.get(id as usize).map(|r| r.eval_key),
                }
            }
        })
    }
}
