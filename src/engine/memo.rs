//! Memo of the rule rows a check can match in one table: for a (table,
//! resource kind, principal, query roles) the rows, and for each action the
//! bindings of the query, are a pure function of an engine's immutable
//! index, yet finding them scans every row of the kind. Requests repeat the
//! same few combinations, so each is scanned once and shared afterwards.
//!
//! The memo is per thread, not a lock in the engine: a shared map costs two
//! atomic operations per lookup (and the shared lists two more each), which
//! on a native server took back what the memo saves. Entries hold only row
//! and policy ids, never request data, and are keyed by the engine's id, so
//! an entry can only serve the engine that made it.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use smallvec::SmallVec;

use super::index::{Binding, Bindings, HashMap, Name, RoleRows, Roles, Sym, Table};

/// Combinations a thread keeps. Reaching it empties the memo (dropping what
/// engines no longer in use left there), so a stream of distinct role sets
/// cannot grow memory without bound.
const CAPACITY: usize = 4096;

/// Actions whose bindings one [`TableRows`] keeps; further ones are
/// queried on every check.
const ACTIONS_PER_COMBINATION: usize = 256;

/// Marks the end of one role list in a [`Key`].
// INVARIANT: symbols are dense indices into the bundle's strings, so no
// real symbol reaches `Sym::MAX`.
const END_OF_ROLES: Sym = Sym::MAX;

/// (engine id, table address, kind, principal, each query role list
/// followed by [`END_OF_ROLES`]).
type Key = (u64, usize, Sym, Option<Sym>, SmallVec<[Sym; 6]>);

/// Bindings of the queries of one combination, by (query role list, action).
type BindingsByAction = HashMap<(usize, Sym), Rc<[Binding]>>;

thread_local! {
    static MEMO: RefCell<HashMap<Key, SharedRows>> = RefCell::new(HashMap::default());
}

/// Source of engine ids: an id is never reused, so a table address that a
/// dropped engine's memory shares with a new one cannot match its entries.
static NEXT_ENGINE: AtomicU64 = AtomicU64::new(0);

/// The rows of one (table, kind, principal, query roles) combination.
#[derive(Debug, Default)]
pub(crate) struct TableRows {
    /// Per query role list, the rows it can match, whatever the action.
    pub(crate) by_role: Vec<RoleRows>,
    /// The bindings queried so far; `None` when they are not kept.
    bindings: Option<RefCell<BindingsByAction>>,
}

/// A [`TableRows`], shared within the thread.
pub(crate) type SharedRows = Rc<TableRows>;

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
    ) -> Option<Rc<[Binding]>> {
        scratch.clear();
        let (Some(kept), Some(action)) = (&self.bindings, action.sym) else {
            query(scratch);
            return None;
        };
        let key = (role, action);
        if let Some(b) = kept.borrow().get(&key) {
            return Some(b.clone());
        }
        query(scratch);
        let mut known = kept.borrow_mut();
        if known.len() >= ACTIONS_PER_COMBINATION {
            return None;
        }
        let shared: Rc<[Binding]> = Rc::from(scratch.as_slice());
        known.insert(key, shared.clone());
        Some(shared)
    }
}

/// An engine's handle on the memo.
#[derive(Debug)]
pub(crate) struct RowsMemo {
    /// This engine's id in the memo's keys.
    engine: u64,
    /// Off only to check that remembering never changes a decision.
    enabled: bool,
}

impl RowsMemo {
    /// A handle with a fresh engine id; `enabled: false` computes
    /// everything on every check.
    pub(crate) fn new(enabled: bool) -> RowsMemo {
        RowsMemo {
            engine: NEXT_ENGINE.fetch_add(1, Ordering::Relaxed),
            enabled,
        }
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
        let key = key_of(self.engine, table, kind, principal, roles).filter(|_| self.enabled);
        let Some(key) = key else {
            return Rc::new(TableRows {
                by_role: compute(),
                bindings: None,
            });
        };
        // `try_with`: during thread teardown the memo is gone; compute.
        let known = MEMO
            .try_with(|memo| memo.borrow().get(&key).cloned())
            .ok()
            .flatten();
        if let Some(rows) = known {
            return rows;
        }
        let rows = Rc::new(TableRows {
            by_role: compute(),
            bindings: Some(RefCell::default()),
        });
        let _ = MEMO.try_with(|memo| {
            let mut memo = memo.borrow_mut();
            if memo.len() >= CAPACITY {
                memo.clear();
            }
            memo.insert(key, rows.clone());
        });
        rows
    }
}

fn key_of(
    engine: u64,
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
        engine,
        std::ptr::from_ref(table) as usize,
        kind.sym?,
        principal,
        syms,
    ))
}
