//! A bounded cache of verified tokens.
//!
//! A session token arrives on every request; verifying its signature each
//! time (tens of µs for RSA, more in wasm) is wasted work. Entries are keyed
//! by the exact token text plus a scope (e.g. the keyset), live until the
//! token's `exp` (or a default TTL when it has none), and are evicted by the
//! CLOCK (second-chance) policy when the cache is full. A hit re-checks
//! `exp`/`nbf`/`iat` against the caller's `now`, because the injected time
//! may move in either direction.
//!
//! Why not a SHA-256 digest as the key: hashing a ~1 KB token costs ~0.4 µs
//! natively even with SHA extensions and several µs in wasm, which alone
//! breaks the "hit in under a microsecond" budget. The key is instead the
//! token itself under a fast non-cryptographic hash, and a hit requires the
//! stored token to be byte-for-byte equal, so a forged token can never hit
//! a genuine token's entry. Hash flooding is not a concern: only tokens
//! whose signature verified are ever inserted, and an attacker cannot mint
//! those, so stored entries cannot be steered into colliding buckets.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use super::claims::{check_times, VerifyOptions};
use super::error::JwtError;
use super::keyset::KeySet;
use super::VerifiedToken;

/// Default number of cached tokens.
pub const DEFAULT_CACHE_CAPACITY: usize = 1024;
/// Lifetime of an entry for a token without `exp`, in seconds.
pub const DEFAULT_TTL_SECS: i64 = 600;

/// Word-at-a-time multiplicative hash (FxHash-like): ~8 bytes per step.
#[derive(Default)]
struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // Final avalanche so the low bits hashbrown uses depend on every word.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
}

struct Slot {
    token: Arc<str>,
    scope: u32,
    verified: Arc<VerifiedToken>,
    expires_at: f64,
    referenced: bool,
}

/// A bounded map from token text to verified token.
pub struct TokenCache {
    index: HashMap<Arc<str>, usize, BuildHasherDefault<FastHasher>>,
    slots: Vec<Slot>,
    hand: usize,
    capacity: usize,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("len", &self.slots.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl TokenCache {
    /// A cache holding at most `capacity` tokens (0 disables caching).
    pub fn new(capacity: usize) -> TokenCache {
        TokenCache {
            index: HashMap::with_capacity_and_hasher(capacity.min(4096), Default::default()),
            slots: Vec::with_capacity(capacity.min(4096)),
            hand: 0,
            capacity,
        }
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.hand = 0;
    }

    /// Looks `token` up within `scope`; an entry past its expiry is
    /// removed and missed, an entry of another scope is missed.
    pub fn get(&mut self, scope: u32, token: &str, now: i64) -> Option<Arc<VerifiedToken>> {
        let i = *self.index.get(token)?;
        let slot = self.slots.get_mut(i)?;
        if (now as f64) >= slot.expires_at {
            self.remove_at(i);
            return None;
        }
        if slot.scope != scope {
            return None;
        }
        slot.referenced = true;
        Some(Arc::clone(&slot.verified))
    }

    /// Caches `verified` for `token` in `scope` until its `exp` (or `now` +
    /// default TTL). Tokens already past their `exp` are not cached.
    pub fn insert(&mut self, scope: u32, token: &str, verified: Arc<VerifiedToken>, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let expires_at = verified
            .times
            .exp
            .unwrap_or((now.saturating_add(DEFAULT_TTL_SECS)) as f64);
        if (now as f64) >= expires_at {
            return;
        }
        if let Some(&i) = self.index.get(token) {
            if let Some(slot) = self.slots.get_mut(i) {
                slot.scope = scope;
                slot.verified = verified;
                slot.expires_at = expires_at;
                slot.referenced = true;
            }
            return;
        }
        let key: Arc<str> = Arc::from(token);
        let slot = Slot {
            token: Arc::clone(&key),
            scope,
            verified,
            expires_at,
            referenced: false,
        };
        if self.slots.len() < self.capacity {
            self.index.insert(key, self.slots.len());
            self.slots.push(slot);
            return;
        }
        let victim = self.pick_victim(now);
        if let Some(old) = self.slots.get_mut(victim) {
            self.index.remove(&old.token);
            *old = slot;
            self.index.insert(key, victim);
        }
    }

    /// CLOCK: sweep from the hand, giving referenced entries a second
    /// chance; an expired entry is taken at once. Bounded to two sweeps.
    fn pick_victim(&mut self, now: i64) -> usize {
        let n = self.slots.len().max(1);
        for _ in 0..2 * n {
            let i = self.hand % n;
            self.hand = (i + 1) % n;
            let Some(slot) = self.slots.get_mut(i) else {
                break;
            };
            if (now as f64) >= slot.expires_at || !slot.referenced {
                return i;
            }
            slot.referenced = false;
        }
        self.hand % n
    }

    fn remove_at(&mut self, i: usize) {
        if i >= self.slots.len() {
            return;
        }
        let removed = self.slots.swap_remove(i);
        self.index.remove(&removed.token);
        if let Some(moved) = self.slots.get(i) {
            self.index.insert(Arc::clone(&moved.token), i);
        }
        if self.hand >= self.slots.len() {
            self.hand = 0;
        }
    }
}

/// A key set, options and a token cache bundled for identity tokens
/// (Clerk session tokens, WorkOS access tokens): each distinct token is
/// verified once, later calls cost a digest and a lookup.
pub struct CachedVerifier {
    keys: KeySet,
    options: VerifyOptions,
    cache: Mutex<TokenCache>,
}

impl std::fmt::Debug for CachedVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedVerifier")
            .field("keys", &self.keys.len())
            .field("options", &self.options)
            .finish()
    }
}

impl CachedVerifier {
    /// Bundles `keys` and `options` with a cache of `capacity` tokens.
    pub fn new(keys: KeySet, options: VerifyOptions, capacity: usize) -> CachedVerifier {
        CachedVerifier {
            keys,
            options,
            cache: Mutex::new(TokenCache::new(capacity)),
        }
    }

    /// The key set.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The options.
    pub fn options(&self) -> &VerifyOptions {
        &self.options
    }

    /// Verifies `token` at `now` (Unix seconds), from cache when possible.
    pub fn verify(&self, token: &str, now: i64) -> Result<Arc<VerifiedToken>, JwtError> {
        if token.len() > self.options.max_token_bytes {
            return Err(JwtError::TokenTooLarge {
                len: token.len(),
                max: self.options.max_token_bytes,
            });
        }
        let hit = self.lock().get(0, token, now);
        if let Some(t) = hit {
            check_times(&t.times, &self.options, now)?;
            return Ok(t);
        }
        let verified = Arc::new(super::verify(token, &self.keys, &self.options, now)?);
        self.lock().insert(0, token, Arc::clone(&verified), now);
        Ok(verified)
    }

    /// Number of cached tokens.
    pub fn cached(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TokenCache> {
        // A poisoned lock only means another caller panicked mid-update;
        // the cache holds no invariants a panic could break beyond losing
        // entries, so keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::claims::TimeClaims;

    fn tok(exp: Option<f64>) -> Arc<VerifiedToken> {
        Arc::new(VerifiedToken {
            header: Default::default(),
            claims: Default::default(),
            alg: "RS256".into(),
            kid: None,
            times: TimeClaims {
                exp,
                nbf: None,
                iat: None,
            },
            signature_verified: true,
            answer: Default::default(),
        })
    }

    #[test]
    fn scope_expiry_and_clock_eviction() {
        let mut c = TokenCache::new(3);
        c.insert(1, "a", tok(Some(200.0)), 100);
        assert!(c.get(1, "a", 100).is_some());
        assert!(c.get(2, "a", 100).is_none(), "other scope misses");
        assert!(c.get(1, "a", 200).is_none(), "expired at exp");
        assert!(c.is_empty());
        c.insert(1, "old", tok(Some(50.0)), 100);
        assert!(c.is_empty(), "already-expired tokens are not cached");
        c.insert(1, "no-exp", tok(None), 100);
        assert!(c.get(1, "no-exp", 100 + DEFAULT_TTL_SECS - 1).is_some());
        assert!(c.get(1, "no-exp", 100 + DEFAULT_TTL_SECS).is_none());
        // Fill, touch two, insert a fourth: the untouched one goes.
        for t in ["x", "y", "z"] {
            c.insert(1, t, tok(Some(1000.0)), 100);
        }
        assert!(c.get(1, "x", 100).is_some());
        assert!(c.get(1, "z", 100).is_some());
        c.insert(1, "w", tok(Some(1000.0)), 100);
        assert_eq!(c.len(), 3);
        assert!(c.get(1, "y", 100).is_none());
        assert!(c.get(1, "w", 100).is_some());
        // Capacity 0 caches nothing.
        let mut off = TokenCache::new(0);
        off.insert(1, "a", tok(Some(200.0)), 100);
        assert!(off.get(1, "a", 100).is_none());
    }

    #[test]
    fn hasher_spreads_similar_tokens() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<FastHasher>::default();
        let h1 = b.hash_one("eyJhbGciOiJSUzI1NiJ9.e30.AAAA");
        let h2 = b.hash_one("eyJhbGciOiJSUzI1NiJ9.e30.AAAB");
        assert_ne!(h1, h2);
        assert_ne!(h1 & 0x7f, h2 & 0x7f);
    }
}
