//! Per-engine memo of the rule rows a check can match in one table: for a
//! (table, resource kind, principal, query roles) the rows, and for each
//! action the bindings of the query, are a pure function of the immutable
//! index, yet finding them scans every row of the kind. Requests repeat the
//! same few combinations, so each is scanned once per engine and shared
//! afterwards.

use std::sync::{Arc, RwLock};

use smallvec::SmallVec;

use super::index::{Binding, Bindings, HashMap, Name, RoleRows, Roles, Sym, Table};

/// Combinations kept per engine. Past it, further ones are computed on
/// every check (as without the memo), so a stream of distinct role sets
/// cannot grow the engine's memory without bound.
const CAPACITY: usize = 4096;

/// Marks the end of one role list in a [`Key`].
// INVARIANT: symbols are dense indices into the bundle's strings, so no
// real symbol reaches `Sym::MAX`.
const END_OF_ROLES: Sym = Sym::MAX;

/// (table address, kind, principal, each query role list followed by
/// [`END_OF_ROLES`]).
type Key = (usize, Sym, Option<Sym>, SmallVec<[Sym; 6]>);

/// Actions whose bindings one [`TableRows`] keeps; further ones are
/// queried on every check.
const ACTIONS_PER_COMBINATION: usize = 256;

/// Bindings of the queries of one (table, kind, principal, roles), by
/// (query role list, action).
type BindingsByAction = HashMap<(usize, Sym), Arc<[Binding]>>;

/// The rows of one (table, kind, principal, query roles) combination.
#[derive(Debug, Default)]
pub(crate) struct TableRows {
    /// Per query role list, the rows it can match, whatever the action.
    pub(crate) by_role: Vec<RoleRows>,
    /// The bindings queried so far; `None` when they are not kept.
    bindings: Option<RwLock<BindingsByAction>>,
}

/// A [`TableRows`], shared.
pub(crate) type SharedRows = Arc<TableRows>;

impl TableRows {
    /// The bindings of query role list `role` for `action`: shared when
    /// known or when they can be kept, otherwise `None` with `scratch` set
    /// by `query` (actions the bundle never names are not kept: unknown
    /// texts can match glob rows differently).
    pub(crate) fn bindings(
        &self,
        role: usize,
        action: Name<'_>,
        scratch: &mut Bindings,
        query: impl FnOnce(&mut Bindings),
    ) -> Option<Arc<[Binding]>> {
        scratch.clear();
        let (Some(kept), Some(action)) = (&self.bindings, action.sym) else {
            query(scratch);
            return None;
        };
        let key = (role, action);
        if let Ok(known) = kept.read() {
            if let Some(b) = known.get(&key) {
                return Some(b.clone());
            }
        }
        query(scratch);
        let mut known = kept.write().ok()?;
        if known.len() >= ACTIONS_PER_COMBINATION {
            return None;
        }
        let shared: Arc<[Binding]> = Arc::from(scratch.as_slice());
        known.insert(key, shared.clone());
        Some(shared)
    }
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct RowsMemo {
    entries: RwLock<HashMap<Key, SharedRows>>,
    /// Shared by every lookup that has no rows at all.
    empty: SharedRows,
    /// Off only to check that remembering never changes a decision.
    enabled: bool,
}

impl RowsMemo {
    /// An empty memo; `enabled: false` computes everything on every check.
    pub(crate) fn new(enabled: bool) -> RowsMemo {
        RowsMemo {
            entries: RwLock::default(),
            empty: Arc::default(),
            enabled,
        }
    }

    /// An empty list of rows, shared.
    pub(crate) fn empty(&self) -> SharedRows {
        self.empty.clone()
    }

    /// The rows for `table`, `kind`, `principal` and `roles`, computed with
    /// `compute` unless known. Only names the bundle knows form a key:
    /// unknown texts can still match glob rows, differently per text.
    pub(crate) fn rows(
        &self,
        table: &Table,
        kind: Name<'_>,
        principal: Option<Name<'_>>,
        roles: &[Roles<'_>],
        compute: impl FnOnce() -> Vec<RoleRows>,
    ) -> SharedRows {
        let key = key_of(table, kind, principal, roles).filter(|_| self.enabled);
        let Some(key) = key else {
            return Arc::new(TableRows {
                by_role: compute(),
                bindings: None,
            });
        };
        // A poisoned lock only means another thread panicked mid-insert:
        // the memo is skipped, never trusted half-written.
        if let Ok(entries) = self.entries.read() {
            if let Some(rows) = entries.get(&key) {
                return rows.clone();
            }
        }
        let rows = Arc::new(TableRows {
            by_role: compute(),
            bindings: Some(RwLock::default()),
        });
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() < CAPACITY {
                entries.insert(key, rows.clone());
            }
        }
        rows
    }
}

fn key_of(
    table: &Table,
    kind: Name<'_>,
    principal: Option<Name<'_>>,
    roles: &[Roles<'_>],
) -> Option<Key> {
    let principal = match principal {
        Some(p) => Some(p.sym?),
        None => None,
    };
    let mut syms = SmallVec::new();
    for list in roles {
        for role in list {
            syms.push(role.sym?);
        }
        syms.push(END_OF_ROLES);
    }
    Some((
        std::ptr::from_ref(table) as usize,
        kind.sym?,
        principal,
        syms,
    ))
}
