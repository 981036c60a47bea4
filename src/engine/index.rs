//! The rule index built once when a bundle is loaded (Cerbos
//! `internal/ruletable/index`): rows grouped by (policy kind, version,
//! scope), then by literal resource kind with a short list of glob kinds;
//! role and action dimensions are matched per row (literal or glob).
//! Queries return rows in table order, as Cerbos's bitmaps do.
//!
//! Every literal the rule table names (versions, scopes, kinds, roles,
//! actions, principal ids) is interned once at load. A request resolves each
//! of its strings to a [`Name`] with one lookup, and from then on rows are
//! matched by comparing integers instead of strings.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use smallvec::SmallVec;

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
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        // The tail (most names are shorter than 8 bytes) is one more word,
        // not a round per byte.
        let tail = chunks.remainder();
        if !tail.is_empty() {
            let mut w = [0u8; 8];
            w[..tail.len()].copy_from_slice(tail);
            self.write_u64(u64::from_le_bytes(w));
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
use super::names::{principal_policy_key, resource_policy_key, sanitize};

/// Interned id of a string named by the rule table.
pub(crate) type Sym = u32;

/// The strings of the rule table, each with its [`Sym`].
#[derive(Debug, Default)]
struct Symbols {
    ids: HashMap<Box<str>, Sym>,
    /// By [`Sym`]; shared by the decisions that name them.
    texts: Vec<Arc<str>>,
}

impl Symbols {
    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.ids.get(s) {
            return sym;
        }
        // A bundle cannot name 2^32 distinct strings (it would not fit in
        // memory), so the saturation never merges two real symbols.
        let sym = Sym::try_from(self.texts.len()).unwrap_or(Sym::MAX);
        self.ids.insert(s.into(), sym);
        self.texts.push(s.into());
        sym
    }

    fn get(&self, s: &str) -> Option<Sym> {
        self.ids.get(s).copied()
    }

    fn text(&self, sym: Sym) -> &str {
        self.texts.get(sym as usize).map_or("", |t| t)
    }
}

/// A request string with its interned id: `sym` is `None` when the rule
/// table never names the string, so only glob rows can match it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name<'a> {
    pub(crate) text: &'a str,
    pub(crate) sym: Option<Sym>,
}

impl<'a> Name<'a> {
    /// A string the rule table is known not to name.
    pub(crate) fn unknown(text: &'a str) -> Name<'a> {
        Name { text, sym: None }
    }
}

/// A dimension value of a row: literal, or a glob when the key contains `*`.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// Exact string, interned.
    Literal(Sym),
    /// Compiled glob (`*` alone matches everything).
    Glob(Glob),
    /// A glob that failed to compile: Cerbos drops such keys, so nothing matches.
    Never,
}

impl Matcher {
    fn new(key: &str, symbols: &mut Symbols) -> Matcher {
        if key.contains('*') {
            match Glob::new(key) {
                Some(g) => Matcher::Glob(g),
                None => Matcher::Never,
            }
        } else {
            Matcher::Literal(symbols.intern(key))
        }
    }

    pub(crate) fn matches(&self, name: Name<'_>) -> bool {
        match self {
            Matcher::Literal(l) => name.sym == Some(*l),
            Matcher::Glob(g) => g.matches(name.text),
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
    /// The principal of a principal-policy row.
    principal: Option<Sym>,
    /// Role-policy allow-list, kept as raw strings (matched with `==` or as a glob).
    pub(crate) allow_actions: Option<Vec<String>>,
    /// Dense id of the row's [`EvalKey`] (rows of one rule share it).
    pub(crate) eval_key: u32,
    /// The rule's name, shared by the decisions it makes.
    name: Arc<str>,
}

/// Rows of one (kind, version, scope).
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Literal resource kind → row ids (ascending).
    literal: HashMap<Sym, Vec<u32>>,
    /// Glob resource kinds with their row ids (ascending).
    globs: Vec<(Matcher, Vec<u32>)>,
    /// Literal kinds that globs match too: their rows merged with the
    /// globs' (ascending), so that a check borrows them instead of merging.
    merged: HashMap<Sym, Vec<u32>>,
    /// Role-policy rows (allow-lists), ascending.
    role_policy_rows: Vec<u32>,
    /// Resource tables: sanitized kind → the resource policy at this version and scope.
    policies: HashMap<Sym, PolicyId>,
}

impl Table {
    fn add(&mut self, id: u32, matcher: &Matcher, role_policy: bool) {
        if role_policy {
            self.role_policy_rows.push(id);
        }
        match matcher {
            Matcher::Literal(kind) => self.literal.entry(*kind).or_default().push(id),
            Matcher::Glob(_) | Matcher::Never => {
                if let Some((_, ids)) = self.globs.iter_mut().find(|(m, _)| same_glob(m, matcher)) {
                    ids.push(id);
                } else {
                    self.globs.push((matcher.clone(), vec![id]));
                }
            }
        }
    }

    /// Merges the glob rows into each literal kind the globs match.
    fn merge_globs(&mut self, symbols: &Symbols) {
        if self.globs.is_empty() {
            return;
        }
        let mut merged = HashMap::default();
        for &sym in self.literal.keys() {
            let name = Name {
                text: symbols.text(sym),
                sym: Some(sym),
            };
            // INVARIANT: a literal kind has rows of its own, so `merge`
            // returns an owned list exactly when some glob matches it too.
            if let Cow::Owned(rows) = self.merge(name) {
                merged.insert(sym, rows);
            }
        }
        self.merged = merged;
    }

    /// Row ids whose resource dimension matches `resource`, ascending.
    pub(crate) fn resource_rows(&self, resource: Name<'_>) -> Cow<'_, [u32]> {
        match resource.sym {
            Some(sym) if self.literal.contains_key(&sym) => match self.merged.get(&sym) {
                Some(rows) => Cow::Borrowed(rows),
                None => Cow::Borrowed(self.literal.get(&sym).map_or(&[], Vec::as_slice)),
            },
            _ => self.merge(resource),
        }
    }

    /// The literal rows of `resource` merged with those of the globs that match it.
    fn merge(&self, resource: Name<'_>) -> Cow<'_, [u32]> {
        let literal: &[u32] = resource
            .sym
            .and_then(|s| self.literal.get(&s))
            .map_or(&[], Vec::as_slice);
        // A single source is borrowed as it is: every list is ascending.
        let mut single: Option<&[u32]> = (!literal.is_empty()).then_some(literal);
        let mut out: Option<Vec<u32>> = None;
        for (m, ids) in &self.globs {
            if !m.matches(resource) {
                continue;
            }
            match (&mut out, single) {
                (Some(v), _) => v.extend_from_slice(ids),
                (None, None) => single = Some(ids),
                (None, Some(first)) => {
                    let mut v = Vec::with_capacity(first.len() + ids.len());
                    v.extend_from_slice(first);
                    v.extend_from_slice(ids);
                    out = Some(v);
                }
            }
        }
        match out {
            None => Cow::Borrowed(single.unwrap_or(&[])),
            Some(mut v) => {
                crate::sort::sort(&mut v);
                v.dedup();
                Cow::Owned(v)
            }
        }
    }

    /// The resource policy of this (version, scope) for a sanitized kind.
    pub(crate) fn policy(&self, kind: Name<'_>) -> Option<PolicyId> {
        self.policies.get(&kind.sym?).copied()
    }

    /// `ScopedResourceExists` for this table: some row's resource
    /// dimension matches `kind`.
    pub(crate) fn has_resource(&self, kind: Name<'_>) -> bool {
        kind.sym.is_some_and(|s| self.literal.contains_key(&s))
            || self.globs.iter().any(|(m, _)| m.matches(kind))
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

/// What the index knows of one scope.
#[derive(Debug)]
pub(crate) struct ScopeInfo {
    sym: Sym,
    /// The scope, shared by the decisions made in it.
    name: Arc<str>,
    /// Resource or role-policy rows exist in this scope.
    resource: bool,
    /// Principal-policy rows exist in this scope.
    principal: bool,
    pub(crate) permissions: ScopePermissions,
    /// Role → transitive parent roles (declaration order, deduplicated),
    /// from the role policies of exactly this scope.
    parent_roles: HashMap<Sym, Vec<(Box<str>, Sym)>>,
}

/// The rows of one table that one role (with its parents) can match,
/// whatever the action: computed once per input, then filtered per action.
#[derive(Debug, Default)]
pub(crate) struct RoleRows {
    /// Some row (any action, role-policy rows included, no-op rows excluded)
    /// matches the roles and principal: Cerbos's `baseBM` is non-empty.
    base: bool,
    /// Rows with an action dimension (no allow-lists) matching the roles and principal.
    rows: SmallVec<[u32; 16]>,
}

impl RoleRows {
    /// Cerbos's `baseBM` is non-empty: a query can return bindings.
    pub(crate) fn any_match(&self) -> bool {
        self.base
    }
}

/// Scopes to walk, most specific first, with what the index knows of each.
pub(crate) type ScopeChain<'s, 'i> = SmallVec<[(&'s str, &'i ScopeInfo); 4]>;

/// Roles of one query (a principal role and its parents, or all of them).
pub(crate) type Roles<'a> = SmallVec<[Name<'a>; 4]>;

/// The bindings of one query.
pub(crate) type Bindings = SmallVec<[Binding; 8]>;

/// The prepared index over a bundle.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) rows: Vec<IndexedRow>,
    symbols: Symbols,
    /// (kind, version, scope) → table.
    tables: HashMap<(PolicyKind, Sym, Sym), Table>,
    /// Every scope a row, scope permission or role policy names.
    scopes: HashMap<Box<str>, ScopeInfo>,
    /// (policy kind, sanitized name, version, scope) → the resource or
    /// principal policy whose key is exactly what a decision would report
    /// for them, so a check borrows the key instead of formatting it.
    keyed_policies: HashMap<(PolicyKind, Sym, Sym, Sym), PolicyId>,
    /// The empty string (the rule of a synthetic decision).
    empty: Arc<str>,
}

/// Cap on parent-role chains, so a hostile bundle cannot loop forever.
const MAX_PARENT_ROLES: usize = 1024;

impl ScopeInfo {
    /// The scope, shared.
    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }
}

impl Index {
    pub(crate) fn build(bundle: &Bundle) -> Index {
        let mut idx = Index::default();
        let mut keys: HashMap<EvalKey, u32> = HashMap::default();
        for (i, row) in bundle.rows.iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            let next = u32::try_from(keys.len()).unwrap_or(u32::MAX);
            let key_id = *keys.entry(eval_key(row, id)).or_insert(next);
            let symbols = &mut idx.symbols;
            let indexed = IndexedRow {
                role: Matcher::new(&row.role, symbols),
                action: row.action.as_deref().map(|a| Matcher::new(a, symbols)),
                resource: Matcher::new(&row.resource, symbols),
                principal: row.principal.as_deref().map(|p| symbols.intern(p)),
                allow_actions: row.allow_actions.clone(),
                eval_key: key_id,
                name: Arc::from(row.name.as_str()),
            };
            let version = symbols.intern(&row.version);
            let scope = idx.scope_mut(&row.scope);
            match row.kind {
                PolicyKind::Principal => scope.principal = true,
                _ => scope.resource = true,
            }
            let scope = scope.sym;
            idx.tables
                .entry((row.kind, version, scope))
                .or_default()
                .add(id, &indexed.resource, row.allow_actions.is_some());
            idx.rows.push(indexed);
        }
        for (scope, perm) in &bundle.scope_permissions {
            idx.scope_mut(scope).permissions = *perm;
        }
        for (scope, roles) in &bundle.scope_parent_roles {
            let mut closed = HashMap::default();
            for role in roles.keys() {
                let parents = transitive_parents(roles, role)
                    .into_iter()
                    .map(|p| {
                        let sym = idx.symbols.intern(&p);
                        (p.into_boxed_str(), sym)
                    })
                    .collect();
                closed.insert(idx.symbols.intern(role), parents);
            }
            idx.scope_mut(scope).parent_roles = closed;
        }
        for (pid, p) in bundle.policies.iter().enumerate() {
            let reported_key = match p.kind {
                PolicyKind::Resource => resource_policy_key(&p.name, &p.version, &p.scope),
                PolicyKind::Principal => principal_policy_key(&p.name, &p.version, &p.scope),
                _ => continue,
            };
            let pid = PolicyId::try_from(pid).unwrap_or(PolicyId::MAX);
            if reported_key == p.key {
                let name = idx.symbols.intern(&sanitize(&p.name));
                let version = idx.symbols.intern(&p.version);
                let scope = idx.symbols.intern(&p.scope);
                idx.keyed_policies
                    .insert((p.kind, name, version, scope), pid);
            }
            if p.kind == PolicyKind::Resource {
                let version = idx.symbols.intern(&p.version);
                let kind = idx.symbols.intern(&sanitize(&p.name));
                let scope = idx.scope_mut(&p.scope).sym;
                idx.tables
                    .entry((PolicyKind::Resource, version, scope))
                    .or_default()
                    .policies
                    .entry(kind)
                    .or_insert(pid);
            }
        }
        for table in idx.tables.values_mut() {
            table.merge_globs(&idx.symbols);
        }
        // Variable names are not matched, but a check makes CEL strings of
        // them (the keys of `V`) from the interned texts.
        for set in &bundle.param_sets {
            for (name, _) in &set.variables {
                idx.symbols.intern(name);
            }
        }
        idx
    }

    /// Every interned string, by [`Sym`].
    pub(crate) fn symbol_texts(&self) -> impl ExactSizeIterator<Item = &Arc<str>> {
        self.symbols.texts.iter()
    }

    /// The [`Sym`] of a string the index interned.
    pub(crate) fn symbol(&self, text: &str) -> Option<Sym> {
        self.symbols.get(text)
    }

    /// The index's shared copy of a resolved name's text.
    pub(crate) fn text_of(&self, name: Name<'_>) -> Option<&Arc<str>> {
        name.sym
            .and_then(|sym| self.symbols.texts.get(sym as usize))
    }

    fn scope_mut(&mut self, scope: &str) -> &mut ScopeInfo {
        let sym = self.symbols.intern(scope);
        self.scopes
            .entry(scope.into())
            .or_insert_with(|| ScopeInfo {
                sym,
                name: Arc::from(scope),
                resource: false,
                principal: false,
                permissions: ScopePermissions::default(),
                parent_roles: HashMap::default(),
            })
    }

    /// Resolves a request string against the rule table.
    pub(crate) fn name<'a>(&self, text: &'a str) -> Name<'a> {
        Name {
            text,
            sym: self.symbols.get(text),
        }
    }

    /// What the index knows of `scope`, if the rule table names it.
    pub(crate) fn scope(&self, scope: &str) -> Option<&ScopeInfo> {
        self.scopes.get(scope)
    }

    /// `RuleTable.GetAllScopes`: the scopes of `kind` to walk, most specific
    /// first (the policy key reported is that of the first one).
    pub(crate) fn scope_chain<'s>(
        &self,
        scope: &'s str,
        kind: PolicyKind,
        lenient: bool,
    ) -> ScopeChain<'s, '_> {
        let has_rows = |s: &str| {
            self.scope(s).filter(|info| match kind {
                PolicyKind::Principal => info.principal,
                _ => info.resource,
            })
        };
        let mut chain = ScopeChain::new();
        match has_rows(scope) {
            Some(info) => chain.push((scope, info)),
            None if !lenient => return chain,
            None => {}
        }
        for parent in super::names::scope_parents(scope) {
            if let Some(info) = has_rows(parent) {
                chain.push((parent, info));
            }
        }
        chain
    }

    /// The policy of `kind` named `name` (sanitized) at `version` and
    /// `scope` whose key is the one a decision reports for them.
    pub(crate) fn keyed_policy(
        &self,
        kind: PolicyKind,
        name: Name<'_>,
        version: Option<Sym>,
        scope: &ScopeInfo,
    ) -> Option<PolicyId> {
        self.keyed_policies
            .get(&(kind, name.sym?, version?, scope.sym))
            .copied()
    }

    /// The table of (kind, version, scope); `version` is `None` when no row names it.
    pub(crate) fn table_of(
        &self,
        kind: PolicyKind,
        version: Option<Sym>,
        scope: &ScopeInfo,
    ) -> Option<&Table> {
        self.tables.get(&(kind, version?, scope.sym))
    }

    /// The resource policy at (sanitized kind, version, scope), by name.
    pub(crate) fn resource_policy(
        &self,
        kind: &str,
        version: &str,
        scope: &str,
    ) -> Option<PolicyId> {
        let info = self.scope(scope)?;
        self.table_of(PolicyKind::Resource, self.symbols.get(version), info)?
            .policy(self.name(kind))
    }

    /// `AddParentRoles([scope], roles)`: the roles followed by each one's
    /// transitive parents from role policies at exactly `scope`.
    pub(crate) fn add_parent_roles<'r>(
        &'r self,
        scope: Option<&'r ScopeInfo>,
        roles: &[Name<'r>],
    ) -> Roles<'r> {
        let mut out: Roles<'r> = roles.iter().copied().collect();
        let Some(map) = scope.map(|s| &s.parent_roles).filter(|m| !m.is_empty()) else {
            return out;
        };
        for role in roles {
            if let Some(parents) = role.sym.and_then(|s| map.get(&s)) {
                out.extend(parents.iter().map(|(text, sym)| Name {
                    text,
                    sym: Some(*sym),
                }));
            }
        }
        out
    }

    /// The rows of `candidates` (a table's [`Table::resource_rows`]) that
    /// `roles` and `principal` can match, whatever the action.
    pub(crate) fn role_rows(
        &self,
        bundle: &Bundle,
        candidates: &[u32],
        roles: &[Name<'_>],
        principal: Option<Name<'_>>,
    ) -> RoleRows {
        let mut out = RoleRows::default();
        for &id in candidates {
            let (Some(ir), Some(row)) = (self.rows.get(id as usize), bundle.rows.get(id as usize))
            else {
                continue;
            };
            if let Some(p) = principal {
                if ir.principal.is_none() || ir.principal != p.sym {
                    continue;
                }
            }
            if !roles.iter().any(|r| ir.role.matches(*r)) {
                continue;
            }
            // No-op rows carry no role in Cerbos, so they never count as a base.
            out.base |= !row.no_op;
            if ir.allow_actions.is_none() && ir.action.is_some() {
                out.rows.push(id);
            }
        }
        out
    }

    /// `Index.Query`: role-policy synthetic bindings first (resource pass),
    /// then the rows of `role_rows` whose action matches, in table order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn query(
        &self,
        bundle: &Bundle,
        table: &Table,
        role_rows: &RoleRows,
        kind: PolicyKind,
        resource: Name<'_>,
        action: Name<'_>,
        roles: &[Name<'_>],
        out: &mut Bindings,
    ) {
        out.clear();
        // Cerbos returns before synthesising role-policy DENYs when no row at
        // all (any action, role-policy rows included) matches the version,
        // scope, resource, roles and principal (`Index.Query`'s `baseBM`).
        if !role_rows.base {
            return;
        }
        if kind == PolicyKind::Resource && !table.role_policy_rows.is_empty() {
            self.role_policy_bindings(bundle, table, resource, action.text, roles, out);
        }
        for &id in &role_rows.rows {
            let matched = self
                .rows
                .get(id as usize)
                .and_then(|ir| ir.action.as_ref())
                .is_some_and(|am| am.matches(action));
            if matched {
                out.push(Binding::Row(id));
            }
        }
    }

    /// `appendRolePolicyDenies` for one resource and action. The row lists
    /// are short, so they are filtered again rather than collected.
    fn role_policy_bindings(
        &self,
        bundle: &Bundle,
        table: &Table,
        resource: Name<'_>,
        action: &str,
        roles: &[Name<'_>],
        out: &mut Bindings,
    ) {
        let indexed = |id: u32| self.rows.get(id as usize);
        // Candidate role-policy rows: role in the query roles.
        let candidates = || {
            table.role_policy_rows.iter().copied().filter(|&id| {
                indexed(id).is_some_and(|ir| roles.iter().any(|r| ir.role.matches(*r)))
            })
        };
        if candidates().next().is_none() {
            return;
        }
        for role in roles {
            let of_role = || {
                candidates().filter(|&id| {
                    bundle
                        .rows
                        .get(id as usize)
                        .is_some_and(|r| r.role == role.text)
                })
            };
            let Some(rep) = of_role().next() else {
                continue;
            };
            let origin = bundle
                .rows
                .get(rep as usize)
                .map(|r| r.origin)
                .unwrap_or_default();
            // Rows of this role for the resource whose allow-list has the action.
            let allowing = || {
                of_role().filter(|&id| {
                    indexed(id).is_some_and(|ir| {
                        ir.resource.matches(resource)
                            && ir.allow_actions.as_ref().is_some_and(|acts| {
                                acts.iter().any(|a| a == action || matches_glob(a, action))
                            })
                    })
                })
            };
            if allowing().next().is_none() {
                out.push(Binding::RoleNoMatchDeny { origin });
                continue;
            }
            for id in allowing() {
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
    /// `name`, shared.
    pub(crate) rule: &'a Arc<str>,
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
                    rule: self.rows.get(id as usize).map_or(&self.empty, |r| &r.name),
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
                rule: &self.empty,
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
                    rule: self.rows.get(id as usize).map_or(&self.empty, |r| &r.name),
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
                    rule: self.rows.get(id as usize).map_or(&self.empty, |r| &r.name),
                    eval_key: self.rows.get(id as usize).map(|r| r.eval_key),
                }
            }
        })
    }
}
