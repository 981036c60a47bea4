//! Warming up: a synthetic check request that goes through the bundle's rules.
//!
//! V8 compiles a wasm function the first time it is called (lazy
//! compilation), so the first check of a fresh instance pays for compiling
//! the whole check path: ~80 KB of wasm, 4–5 ms in Node 20 on our 2-core
//! machine, far more than the check itself. On Cloudflare Workers that
//! lands on a request (10 ms CPU on the Free plan) unless the authorizer is
//! created and warmed at startup, which has a budget of its own. The
//! JavaScript wrapper sends this request through its public check path
//! (decision log off) and discards the answer; since it goes through the
//! bundle's own rules, the code real checks need (request reader, rule
//! rows, CEL, answer writers, and the wrapper's own) is what gets compiled.

use super::response_json::string;
use super::Engine;
use crate::bundle::{PolicyKind, Row};

/// The id of the warm-up check's principal and resource, and its request
/// id (spelled out in [`Engine::warm_up_request`]'s JSON too).
pub const WARM_UP_ID: &str = "portcullis-warm-up";

/// The warm-up principal's and resource's attributes: one value of every
/// JSON kind, for the attribute reader.
const ATTRIBUTES: &[u8] = br#"{"portcullis-warm-up":["x",1,1.5,true,null,{"x":"x"}]}"#;

impl Engine {
    /// A CheckResources request (JSON) for one resource and action that a
    /// rule of the bundle covers (see `representative`), with an attribute
    /// of every JSON kind. Globs in the rule's kind, role and action become
    /// concrete names. Without resource rules it is a request for a kind
    /// the bundle does not know.
    pub fn warm_up_request(&self) -> String {
        let bundle = &self.bundle;
        let row = representative(&bundle.rows);
        let kind = row.map_or_else(|| WARM_UP_ID.to_string(), |r| concrete(&r.resource));
        // A derived role's row is reached through one of its parent roles.
        let role = row.map_or_else(
            || WARM_UP_ID.to_string(),
            |r| {
                let parent = r
                    .derived_role
                    .and_then(|id| bundle.derived_roles.get(id as usize))
                    .and_then(|d| d.parent_roles.first());
                concrete(parent.unwrap_or(&r.role))
            },
        );
        let action = row
            .and_then(|r| {
                r.action
                    .as_ref()
                    .or_else(|| r.allow_actions.as_ref().and_then(|a| a.first()))
            })
            .map_or_else(|| WARM_UP_ID.to_string(), |a| concrete(a));
        let version = row.map_or("default", |r| r.version.as_str());
        let scope = row.map_or("", |r| r.scope.as_str());
        // Written out rather than built as a `serde_json::Value`: the
        // `json!` tree cost about 1 KB of gzipped wasm.
        let mut out = Vec::with_capacity(384);
        out.extend_from_slice(br#"{"requestId":"portcullis-warm-up","principal":{"id":"portcullis-warm-up","roles":["#);
        string(&mut out, &role);
        out.extend_from_slice(br#"],"attr":"#);
        out.extend_from_slice(ATTRIBUTES);
        out.extend_from_slice(br#"},"resources":[{"actions":["#);
        string(&mut out, &action);
        out.extend_from_slice(br#"],"resource":{"kind":"#);
        string(&mut out, &kind);
        out.extend_from_slice(br#","id":"portcullis-warm-up","policyVersion":"#);
        string(&mut out, version);
        out.extend_from_slice(br#","scope":"#);
        string(&mut out, scope);
        out.extend_from_slice(br#","attr":"#);
        out.extend_from_slice(ATTRIBUTES);
        out.extend_from_slice(b"}}]}");
        // INVARIANT: ASCII text and JSON-escaped `&str`s are UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The resource rule whose check goes through most of the check path:
/// one with a condition, named by a plain role and action (the rule-row
/// memo only keeps names the bundle knows), reached through a derived
/// role; the first such rule, else the best first one.
fn representative(rows: &[Row]) -> Option<&Row> {
    let literal = |name: &str| concrete(name) == name;
    let score = |r: &Row| {
        4 * u8::from(r.condition.is_some())
            + 2 * u8::from(literal(&r.role) && r.action.as_deref().is_some_and(literal))
            + u8::from(r.derived_role.is_some())
    };
    let mut best: Option<(&Row, u8)> = None;
    for row in rows
        .iter()
        .filter(|r| r.kind == PolicyKind::Resource && !r.no_op)
    {
        let s = score(row);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((row, s));
        }
    }
    best.map(|(row, _)| row)
}

/// A name that a glob matches, or the name itself: every glob
/// metacharacter becomes `x` (`*` → `x`, `doc:*` → `doc:x`). The warm-up
/// needs a name in the rule's neighbourhood, not necessarily a match.
fn concrete(glob: &str) -> String {
    glob.chars()
        .map(|c| {
            if matches!(c, '*' | '?' | '{' | '}' | '[' | ']' | ',' | '!') {
                'x'
            } else {
                c
            }
        })
        .collect()
}
