//! JWS/JWT verification over `ring`, with no JOSE library.
//!
//! * [`verify`] checks a compact JWS against a [`KeySet`] and validates its
//!   claims with [`VerifyOptions`] — for Clerk session tokens and WorkOS
//!   access tokens ([`VerifyOptions::clerk`], [`VerifyOptions::workos`]).
//! * [`CachedVerifier`] adds a bounded verified-token cache, so a session
//!   token seen on every request is verified once.
//! * [`auxdata::AuxDataVerifier`] implements Cerbos's `auxData.jwt`
//!   semantics (key sets by id, `insecure` relaxations, claims exposed as
//!   Cerbos exposes them, `invalid auxData` errors).
//!
//! Supported algorithms: RS256/384/512, PS256/384/512, ES256, ES384, EdDSA
//! (Ed25519) and its fully-specified name Ed25519 (RFC 9864), each bound to
//! its key type. `none` and HS* are always refused,
//! as is any `crit` header. Keys come from JWK/JWKS JSON or PEM (SPKI,
//! PKCS#1, PKCS#8, SEC1, X.509). Time is always injected (`now`, Unix
//! seconds); nothing here reads a clock.

pub mod alg;
pub mod api;
pub mod auxdata;
pub mod b64;
pub mod cache;
pub mod claims;
mod der;
pub mod error;
mod fields;
pub mod json;
pub mod jwk;
mod jws;
pub mod keyset;
pub mod pem;

use serde_json::{Map, Value};

pub use alg::{Algorithm, Curve, PublicKey};
pub use cache::{CachedVerifier, TokenCache};
pub use claims::{TimeClaims, VerifyOptions};
pub use error::{JwtError, KeyError, Part};
pub use jwk::KeyEntry;
pub use keyset::{KeySet, KidMode};

/// A token whose signature verified and whose claims passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The claim set, exactly as in the token.
    pub claims: Map<String, Value>,
    /// The header `alg`.
    pub alg: String,
    /// The header `kid`, if any.
    pub kid: Option<String>,
    /// `exp`/`nbf`/`iat` as read from the claims.
    pub times: TimeClaims,
    /// Whether the signature was checked (false only for
    /// [`decode_unverified`]).
    pub signature_verified: bool,
    /// The host's JSON answer for this token, built on first use: a cached
    /// token is answered many times, and its answer does not depend on the
    /// time (time checks run before each answer).
    pub(crate) answer: AnswerMemo,
}

/// A lazily built JSON text that takes no part in equality.
#[derive(Default, Clone)]
pub(crate) struct AnswerMemo(std::sync::OnceLock<String>);

impl AnswerMemo {
    pub(crate) fn get_or_init(&self, build: impl FnOnce() -> String) -> &str {
        self.0.get_or_init(build)
    }
}

impl PartialEq for AnswerMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for AnswerMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerMemo")
    }
}

/// Verifies `token` with `keys` and validates its claims at `now`
/// (Unix seconds).
///
/// Order: size and structure, header (`alg`, `crit`, `typ`, `kid`), key
/// selection, signature, then — only for a genuine token — payload JSON and
/// claims.
pub fn verify(
    token: &str,
    keys: &KeySet,
    opts: &VerifyOptions,
    now: i64,
) -> Result<VerifiedToken, JwtError> {
    let parsed = jws::parse(token, opts, true)?;
    // INVARIANT: parse(.., true) only returns supported algorithms.
    let alg = parsed
        .alg
        .ok_or_else(|| JwtError::UnsupportedAlgorithm(parsed.alg_name.clone()))?;
    let candidates = keys.candidates(parsed.kid.as_deref(), alg)?;
    let mut outcome = Err(JwtError::NoSuitableKey(alg));
    for entry in candidates {
        outcome = entry
            .key
            .verify(alg, parsed.signing_input, &parsed.signature);
        if outcome.is_ok() {
            break;
        }
    }
    outcome?;
    finish(parsed, opts, now, true)
}

/// Decodes `token` and validates its claims **without checking the
/// signature** — Cerbos's `disableVerification`. The header is still parsed
/// strictly and `alg: none` is still refused.
pub fn decode_unverified(
    token: &str,
    opts: &VerifyOptions,
    now: i64,
) -> Result<VerifiedToken, JwtError> {
    let parsed = jws::parse(token, opts, false)?;
    finish(parsed, opts, now, false)
}

fn finish(
    parsed: jws::Parsed<'_>,
    opts: &VerifyOptions,
    now: i64,
    signature_verified: bool,
) -> Result<VerifiedToken, JwtError> {
    let claims = jws::decode_payload(parsed.payload_b64, json::DEFAULT_MAX_DEPTH)?;
    let times = claims::validate_claims(&claims, opts, now)?;
    Ok(VerifiedToken {
        header: parsed.header,
        claims,
        alg: parsed.alg_name,
        kid: parsed.kid,
        times,
        signature_verified,
        answer: AnswerMemo::default(),
    })
}

/// Converts a JavaScript `Date.now()` value (milliseconds) to the Unix
/// seconds every function here takes, flooring like `jose` does.
pub fn unix_seconds_from_millis(ms: f64) -> i64 {
    if ms.is_finite() {
        (ms / 1000.0).floor() as i64
    } else {
        0
    }
}
