//! JSON-in/JSON-out helpers for the wasm surface (and any other host).
//!
//! `src/wasm.rs` can expose identity-token verification with three calls:
//! [`identity_verifier`] once per key/option set, then
//! [`CachedVerifier::verify`] per request and [`verify_result_json`] to
//! turn the outcome into the JSON handed back to JavaScript.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use super::alg::Algorithm;
use super::cache::{CachedVerifier, DEFAULT_CACHE_CAPACITY};
use super::claims::VerifyOptions;
use super::error::{JwtError, KeyError};
use super::keyset::{KeySet, KidMode};
use super::VerifiedToken;

/// Options as JSON (camelCase). Every field is optional; `preset` picks the
/// starting point (`"default"`, `"clerk"` or `"workos"`), the other fields
/// override it. `clockSkewInMs` is accepted as Clerk spells it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OptionsJson {
    /// `"default"` (5 s leeway), `"clerk"`, `"workos"`.
    pub preset: Option<String>,
    /// Leeway in seconds.
    pub leeway_secs: Option<i64>,
    /// Leeway in milliseconds (floored to seconds), Clerk's name.
    pub clock_skew_in_ms: Option<i64>,
    /// Exact issuer.
    pub issuer: Option<String>,
    /// Accepted audiences (any of).
    pub audiences: Option<Vec<String>>,
    /// Clerk `authorizedParties`.
    pub authorized_parties: Option<Vec<String>>,
    /// Expected `typ`.
    pub typ: Option<String>,
    /// Refuse tokens without `typ`.
    pub require_typ: Option<bool>,
    /// Allowed algorithm names.
    pub algorithms: Option<Vec<String>>,
    /// Size cap in bytes.
    pub max_token_bytes: Option<usize>,
    /// Refuse tokens without `exp`.
    pub require_exp: Option<bool>,
    /// Refuse tokens without `sub`.
    pub require_sub: Option<bool>,
    /// Check `iat` is not in the future.
    pub check_iat: Option<bool>,
    /// `"match"` (default), `"required"` or `"ignore"`.
    pub kid_mode: Option<String>,
    /// Cache capacity (0 disables; default 1024).
    pub cache_size: Option<usize>,
}

/// Problems building a verifier from JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Options JSON malformed or holding an unknown value.
    #[error("invalid options: {0}")]
    Options(String),
    /// Key text unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl ApiError {
    /// `{"code": …, "message": …}` for the host.
    pub fn to_json(&self) -> Value {
        let code = match self {
            ApiError::Options(_) => "invalid_options",
            ApiError::Key(_) => "invalid_key",
        };
        json!({"code": code, "message": self.to_string()})
    }
}

/// Parses options JSON (empty text = defaults) into options, kid mode and
/// cache size.
pub fn parse_options(text: &str) -> Result<(VerifyOptions, KidMode, usize), ApiError> {
    let o: OptionsJson = if text.trim().is_empty() {
        OptionsJson::default()
    } else {
        serde_json::from_str(text).map_err(|e| ApiError::Options(e.to_string()))?
    };
    let mut v = match o.preset.as_deref() {
        None | Some("default") => VerifyOptions::default(),
        Some("clerk") => VerifyOptions::clerk(),
        Some("workos") => VerifyOptions::workos(),
        Some(other) => return Err(ApiError::Options(format!("unknown preset \"{other}\""))),
    };
    if let Some(ms) = o.clock_skew_in_ms {
        v.leeway_secs = ms.div_euclid(1000);
    }
    if let Some(s) = o.leeway_secs {
        v.leeway_secs = s;
    }
    if v.leeway_secs < 0 {
        return Err(ApiError::Options("leeway must not be negative".into()));
    }
    if let Some(x) = o.issuer {
        v.issuer = Some(x);
    }
    if let Some(x) = o.audiences {
        v.audiences = x;
    }
    if let Some(x) = o.authorized_parties {
        v.authorized_parties = x;
    }
    if let Some(x) = o.typ {
        v.typ = Some(x);
    }
    if let Some(x) = o.require_typ {
        v.require_typ = x;
    }
    if let Some(names) = o.algorithms {
        let algs = names
            .iter()
            .map(|n| {
                Algorithm::from_name(n)
                    .ok_or_else(|| ApiError::Options(format!("unsupported algorithm \"{n}\"")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        v.algorithms = Some(algs);
    }
    if let Some(x) = o.max_token_bytes {
        v.max_token_bytes = x;
    }
    if let Some(x) = o.require_exp {
        v.require_exp = x;
    }
    if let Some(x) = o.require_sub {
        v.require_sub = x;
    }
    if let Some(x) = o.check_iat {
        v.check_iat = x;
    }
    let kid_mode = match o.kid_mode.as_deref() {
        None | Some("match") => KidMode::Match,
        Some("required") => KidMode::Required,
        Some("ignore") => KidMode::Ignore,
        Some(other) => return Err(ApiError::Options(format!("unknown kidMode \"{other}\""))),
    };
    Ok((v, kid_mode, o.cache_size.unwrap_or(DEFAULT_CACHE_CAPACITY)))
}

/// Key text as PEM (any block we read) when it contains `-----BEGIN`,
/// otherwise a JWKS or single JWK.
pub fn keyset_from_text(text: &str) -> Result<KeySet, KeyError> {
    if text.contains("-----BEGIN") {
        KeySet::from_pem(text)
    } else {
        KeySet::from_jwks(text)
    }
}

/// Builds a caching verifier from key text (PEM or JWKS) and options JSON.
pub fn identity_verifier(keys_text: &str, options_json: &str) -> Result<CachedVerifier, ApiError> {
    let (options, kid_mode, cache) = parse_options(options_json)?;
    let keys = keyset_from_text(keys_text)?.with_kid_mode(kid_mode);
    Ok(CachedVerifier::new(keys, options, cache))
}

/// `{"ok": true, "alg", "kid", "header", "claims"}` or
/// `{"ok": false, "error": {"code", "message"}}`; claims are returned
/// exactly as in the token (numbers keep their JSON form).
pub fn verify_result_json(result: &Result<Arc<VerifiedToken>, JwtError>) -> Value {
    match result {
        Ok(t) => json!({
            "ok": true,
            "alg": t.alg,
            "kid": t.kid,
            "header": t.header,
            "claims": t.claims,
        }),
        Err(e) => json!({"ok": false, "error": {"code": e.code(), "message": e.to_string()}}),
    }
}
