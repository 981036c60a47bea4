//! Per-engine memo of the rule rows a check can match in one table: for a
//! (table, resource kind, principal, query roles) the rows are a pure
//! function of the immutable index, yet finding them scans every row of the
//! kind. Requests repeat the same few combinations, so each is scanned once
//! per engine and shared afterwards.

use std::sync::{Arc, RwLock};

use smallvec::SmallVec;

use super::index::{HashMap, Name, RoleRows, Roles, Sym, Table};

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

/// The rows of each query role list of one combination.
pub(crate) type SharedRows = Arc<[RoleRows]>;

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct RowsMemo {
    entries: RwLock<HashMap<Key, SharedRows>>,
    /// Shared by every lookup that has no rows at all.
    empty: SharedRows,
}

impl Default for RowsMemo {
    fn default() -> Self {
        RowsMemo {
            entries: RwLock::default(),
            empty: Arc::new([]),
        }
    }
}

impl RowsMemo {
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
        compute: impl FnOnce() -> SharedRows,
    ) -> SharedRows {
        let Some(key) = key_of(table, kind, principal, roles) else {
            return compute();
        };
        // A poisoned lock only means another thread panicked mid-insert:
        // the memo is skipped, never trusted half-written.
        if let Ok(entries) = self.entries.read() {
            if let Some(rows) = entries.get(&key) {
                return rows.clone();
            }
        }
        let rows = compute();
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
