//! Key sets and key selection.

use serde_json::Value;

use super::alg::{Algorithm, PublicKey};
use super::error::{JwtError, KeyError};
use super::json;
use super::jwk::{parse_jwk, JwkOutcome, KeyEntry, SkippedKey};
use super::pem;

/// Most keys accepted in one key set.
pub const MAX_KEYS: usize = 100;
/// Largest JWKS document accepted.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// How a token's `kid` picks keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KidMode {
    /// Identity-provider default: keys whose `kid` equals the token's; when
    /// no key carries that `kid` (or the token has none), the single key
    /// that fits the algorithm — only if exactly one fits.
    #[default]
    Match,
    /// Cerbos default (jwx `WithRequireKid(true)`): the token must carry a
    /// `kid`, and the first key with that `kid` is the only candidate.
    Required,
    /// Cerbos `insecure.optionalKid` (jwx `WithRequireKid(false)`): `kid` is
    /// ignored and every key that fits the algorithm is tried.
    Ignore,
}

/// A set of public verification keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<KeyEntry>,
    skipped: Vec<SkippedKey>,
    kid_mode: KidMode,
    infer_alg: bool,
}

/// Cerbos's per-key presence checks (`validateKeySet` in Cerbos).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CerbosKeyChecks {
    pub(crate) optional_alg: bool,
    pub(crate) optional_kid: bool,
}

impl KeySet {
    /// Builds a key set from already-built keys.
    pub fn from_keys(keys: Vec<KeyEntry>) -> KeySet {
        KeySet {
            keys,
            skipped: Vec::new(),
            kid_mode: KidMode::Match,
            infer_alg: true,
        }
    }

    /// A key set holding one key with no `kid` and no `alg` binding.
    pub fn single(key: PublicKey) -> KeySet {
        KeySet::from_keys(vec![KeyEntry {
            kid: None,
            alg: None,
            key,
            index: 0,
        }])
    }

    /// Parses a JWKS (`{"keys": [...]}`) or a single JWK object.
    pub fn from_jwks(text: &str) -> Result<KeySet, KeyError> {
        Self::from_jwks_checked(text.as_bytes(), None)
    }

    pub(crate) fn from_jwks_checked(
        bytes: &[u8],
        cerbos: Option<CerbosKeyChecks>,
    ) -> Result<KeySet, KeyError> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(KeyError::TooLarge(format!(
                "JWKS is {} bytes (limit {MAX_JWKS_BYTES})",
                bytes.len()
            )));
        }
        let doc = json::parse_object(bytes, 8)
            .map_err(|e| KeyError::Invalid(format!("failed to parse key data: {e}")))?;
        let objects: Vec<&serde_json::Map<String, Value>> = match doc.get("keys") {
            Some(Value::Array(arr)) => {
                if arr.len() > MAX_KEYS {
                    return Err(KeyError::TooLarge(format!("more than {MAX_KEYS} keys")));
                }
                arr.iter()
                    .map(|v| {
                        v.as_object().ok_or_else(|| {
                            KeyError::Invalid("JWKS \"keys\" must hold objects".into())
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            Some(_) => return Err(KeyError::Invalid("JWKS \"keys\" must be an array".into())),
            None => vec![&doc],
        };
        let mut set = KeySet::from_keys(Vec::new());
        for (i, obj) in objects.iter().enumerate() {
            match parse_jwk(obj, i)? {
                JwkOutcome::Usable(k) => set.keys.push(k),
                JwkOutcome::Unusable(s) => set.skipped.push(s),
            }
        }
        if let Some(checks) = cerbos {
            validate_presence(&objects, checks)?;
        }
        set.ensure_usable()?;
        Ok(set)
    }

    /// Parses PEM text (SPKI, PKCS#1, PKCS#8, SEC1 or certificates; one key
    /// per block). PEM keys carry neither `kid` nor `alg`.
    pub fn from_pem(text: &str) -> Result<KeySet, KeyError> {
        let keys = pem::parse_pem(text)?;
        Ok(KeySet::from_keys(
            keys.into_iter()
                .enumerate()
                .map(|(index, key)| KeyEntry {
                    kid: None,
                    alg: None,
                    key,
                    index,
                })
                .collect(),
        ))
    }

    /// Sets how `kid` selects keys (default [`KidMode::Match`]).
    pub fn with_kid_mode(mut self, mode: KidMode) -> KeySet {
        self.kid_mode = mode;
        self
    }

    /// Whether keys without an `alg` may verify any algorithm their key type
    /// supports (default true; Cerbos allows it only with
    /// `insecure.optionalAlg`).
    pub fn with_alg_inference(mut self, infer: bool) -> KeySet {
        self.infer_alg = infer;
        self
    }

    /// The usable keys.
    pub fn keys(&self) -> &[KeyEntry] {
        &self.keys
    }

    /// Keys that were parsed but set aside, with reasons.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `kid` mode.
    pub fn kid_mode(&self) -> KidMode {
        self.kid_mode
    }

    fn ensure_usable(&self) -> Result<(), KeyError> {
        if !self.keys.is_empty() {
            return Ok(());
        }
        let reasons: Vec<String> = self
            .skipped
            .iter()
            .map(|s| format!("key {}: {}", s.index, s.reason))
            .collect();
        Err(KeyError::NoUsableKeys(if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join("; "))
        }))
    }

    fn fits(&self, k: &KeyEntry, alg: Algorithm) -> bool {
        k.key.supports(alg)
            && match k.alg {
                Some(a) => a == alg,
                None => self.infer_alg,
            }
    }

    fn misfit(&self, k: &KeyEntry, alg: Algorithm) -> JwtError {
        match k.alg {
            Some(a) if a != alg => JwtError::KeyAlgorithmMismatch {
                kid: k.kid.clone().unwrap_or_default(),
                key_alg: a,
                token_alg: alg,
            },
            _ if !k.key.supports(alg) => JwtError::AlgorithmKeyMismatch {
                alg,
                kty: k.key.kty(),
            },
            _ => JwtError::NoSuitableKey(alg),
        }
    }

    fn skipped_with_kid(&self, kid: &str) -> Option<&SkippedKey> {
        self.skipped.iter().find(|s| s.kid.as_deref() == Some(kid))
    }

    /// The keys to try, in order, for a token with `kid` and `alg`.
    pub(crate) fn candidates(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<&KeyEntry>, JwtError> {
        match self.kid_mode {
            KidMode::Required => {
                let kid = kid.ok_or(JwtError::KidMissing)?;
                let usable = self.keys.iter().find(|k| k.kid.as_deref() == Some(kid));
                let skipped = self.skipped_with_kid(kid);
                match (usable, skipped) {
                    (Some(k), Some(s)) if s.index < k.index => Err(unusable(s)),
                    (Some(k), _) if self.fits(k, alg) => Ok(vec![k]),
                    (Some(k), _) => Err(self.misfit(k, alg)),
                    (None, Some(s)) => Err(unusable(s)),
                    (None, None) => Err(JwtError::KidNotFound(kid.to_owned())),
                }
            }
            KidMode::Ignore => {
                let fitting: Vec<&KeyEntry> =
                    self.keys.iter().filter(|k| self.fits(k, alg)).collect();
                if fitting.is_empty() {
                    Err(JwtError::NoSuitableKey(alg))
                } else {
                    Ok(fitting)
                }
            }
            KidMode::Match => {
                if let Some(kid) = kid {
                    let matching: Vec<&KeyEntry> = self
                        .keys
                        .iter()
                        .filter(|k| k.kid.as_deref() == Some(kid))
                        .collect();
                    if let Some(first) = matching.first() {
                        let fitting: Vec<&KeyEntry> = matching
                            .iter()
                            .copied()
                            .filter(|k| self.fits(k, alg))
                            .collect();
                        return if fitting.is_empty() {
                            Err(self.misfit(first, alg))
                        } else {
                            Ok(fitting)
                        };
                    }
                    if let Some(s) = self.skipped_with_kid(kid) {
                        return Err(unusable(s));
                    }
                    // A key published without a kid (e.g. Clerk's PEM) still
                    // matches, but only when it is the one candidate.
                    let kidless: Vec<&KeyEntry> = self
                        .keys
                        .iter()
                        .filter(|k| k.kid.is_none() && self.fits(k, alg))
                        .collect();
                    return if kidless.len() == 1 {
                        Ok(kidless)
                    } else {
                        Err(JwtError::KidNotFound(kid.to_owned()))
                    };
                }
                let fitting: Vec<&KeyEntry> =
                    self.keys.iter().filter(|k| self.fits(k, alg)).collect();
                match fitting.len() {
                    0 => Err(match self.keys.as_slice() {
                        [only] => self.misfit(only, alg),
                        _ => JwtError::NoSuitableKey(alg),
                    }),
                    1 => Ok(fitting),
                    count => Err(JwtError::AmbiguousKey { alg, count }),
                }
            }
        }
    }
}

fn unusable(s: &SkippedKey) -> JwtError {
    JwtError::KeyUnusable {
        kid: s.kid.clone().unwrap_or_default(),
        reason: s.reason.clone(),
    }
}

fn validate_presence(
    objects: &[&serde_json::Map<String, Value>],
    checks: CerbosKeyChecks,
) -> Result<(), KeyError> {
    if checks.optional_alg && checks.optional_kid {
        return Ok(());
    }
    for (idx, obj) in objects.iter().enumerate() {
        if !checks.optional_alg {
            match obj.get("alg").and_then(Value::as_str) {
                None => return Err(KeyError::MissingAlgorithm(idx)),
                Some("") => return Err(KeyError::EmptyAlgorithm(idx)),
                Some(_) => {}
            }
        }
        if !checks.optional_kid {
            match obj.get("kid").and_then(Value::as_str) {
                None => return Err(KeyError::MissingKid(idx)),
                Some("") => return Err(KeyError::EmptyKid(idx)),
                Some(_) => {}
            }
        }
    }
    Ok(())
}
