//! A bounded cache of verified tokens.
//!
//! A session token arrives on every request; verifying its signature each
//! time (tens of µs for RSA in wasm) is wasted work. Entries are keyed by
//! the SHA-256 of the token (plus a scope, e.g. the keyset id, so a token
//! verified against one keyset never counts as verified against another),
//! live until the token's `exp` (or a default TTL when it has none), and are
//! evicted by the CLOCK (second-chance) policy when the cache is full.
//! A hit re-checks `exp`/`nbf`/`iat` against the caller's `now`, because the
//! injected time may move in either direction.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use ring::digest;

use super::claims::{check_times, VerifyOptions};
use super::error::JwtError;
use super::keyset::KeySet;
use super::VerifiedToken;

/// Default number of cached tokens.
pub const DEFAULT_CACHE_CAPACITY: usize = 1024;
/// Lifetime of an entry for a token without `exp`, in seconds.
pub const DEFAULT_TTL_SECS: i64 = 600;

/// A 32-byte SHA-256 digest used as the cache key.
pub type CacheKey = [u8; 32];

/// Computes the cache key of `token` within `scope`.
pub fn cache_key(scope: &[u8], token: &str) -> CacheKey {
    let mut ctx = digest::Context::new(&digest::SHA256);
    // Length-prefix the scope so ("ab","c") and ("a","bc") differ.
    ctx.update(&(scope.len() as u64).to_be_bytes());
    ctx.update(scope);
    ctx.update(token.as_bytes());
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The key is already a uniform digest: hashing it again is wasted time.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            if let Some(dst) = buf.get_mut(..chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(buf);
        }
    }
}

struct Slot {
    key: CacheKey,
    token: Arc<VerifiedToken>,
    expires_at: f64,
    referenced: bool,
}

/// A bounded map from token digest to verified token.
pub struct TokenCache {
    index: HashMap<CacheKey, usize, BuildHasherDefault<DigestHasher>>,
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

    /// Looks `key` up; an entry past its expiry is removed and missed.
    pub fn get(&mut self, key: &CacheKey, now: i64) -> Option<Arc<VerifiedToken>> {
        let i = *self.index.get(key)?;
        let slot = self.slots.get_mut(i)?;
        if (now as f64) >= slot.expires_at {
            self.remove_at(i);
            return None;
        }
        slot.referenced = true;
        Some(Arc::clone(&slot.token))
    }

    /// Caches `token` under `key` until its `exp` (or `now` + default TTL).
    /// Tokens already past their `exp` are not cached.
    pub fn insert(&mut self, key: CacheKey, token: Arc<VerifiedToken>, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let expires_at = token.times.exp.unwrap_or((now + DEFAULT_TTL_SECS) as f64);
        if (now as f64) >= expires_at {
            return;
        }
        if let Some(&i) = self.index.get(&key) {
            if let Some(slot) = self.slots.get_mut(i) {
                slot.token = token;
                slot.expires_at = expires_at;
                slot.referenced = true;
            }
            return;
        }
        let slot = Slot {
            key,
            token,
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
            self.index.remove(&old.key);
            *old = slot;
            self.index.insert(key, victim);
        }
    }

    /// CLOCK: sweep from the hand, giving referenced entries a second
    /// chance; an expired entry is taken at once. Bounded to two sweeps.
    fn pick_victim(&mut self, now: i64) -> usize {
        let n = self.slots.len();
        for _ in 0..2 * n {
            let i = self.hand % n.max(1);
            self.hand = (i + 1) % n.max(1);
            let Some(slot) = self.slots.get_mut(i) else {
                break;
            };
            if (now as f64) >= slot.expires_at || !slot.referenced {
                return i;
            }
            slot.referenced = false;
        }
        self.hand % n.max(1)
    }

    fn remove_at(&mut self, i: usize) {
        if i >= self.slots.len() {
            return;
        }
        let removed = self.slots.swap_remove(i);
        self.index.remove(&removed.key);
        if let Some(moved) = self.slots.get(i) {
            self.index.insert(moved.key, i);
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
        let key = cache_key(b"", token);
        let hit = self.lock().get(&key, now);
        if let Some(t) = hit {
            check_times(&t.times, &self.options, now)?;
            return Ok(t);
        }
        let verified = Arc::new(super::verify(token, &self.keys, &self.options, now)?);
        self.lock().insert(key, Arc::clone(&verified), now);
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
