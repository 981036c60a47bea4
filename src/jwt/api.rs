//! JSON-in/JSON-out helpers for the wasm surface (and any other host).
//!
//! `src/wasm.rs` can expose identity-token verification with three calls:
//! [`identity_verifier`] once per key/option set, then
//! [`CachedVerifier::verify`] per request and [`verify_result_json`] to
//! turn the outcome into the JSON handed back to JavaScript.

use std::sync::Arc;

use serde_json::{json, Value};

use super::alg::Algorithm;
use super::cache::{CachedVerifier, DEFAULT_CACHE_CAPACITY};
use super::claims::VerifyOptions;
use super::error::{JwtError, KeyError};
use super::fields::Fields;
use super::keyset::{KeySet, KidMode};
use super::VerifiedToken;

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
///
/// Members (all optional, camelCase): `preset` (`"default"` = 5 s leeway,
/// `"clerk"`, `"workos"`; the other members override it), `leewaySecs`,
/// `clockSkewInMs` (Clerk's name, floored to seconds), `issuer`,
/// `audiences`, `authorizedParties`, `typ`, `requireTyp`, `algorithms`,
/// `maxTokenBytes`, `requireExp`, `requireSub`, `checkIat`, `kidMode`
/// (`"match"`, `"required"`, `"ignore"`), `cacheSize` (0 disables).
pub fn parse_options(text: &str) -> Result<(VerifyOptions, KidMode, usize), ApiError> {
    let value: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        super::json::parse_value(text.as_bytes(), 8)
            .map_err(|e| ApiError::Options(e.to_string()))?
    };
    let o = Fields::new(
        &value,
        "options",
        &[
            "preset",
            "leewaySecs",
            "clockSkewInMs",
            "issuer",
            "audiences",
            "authorizedParties",
            "typ",
            "requireTyp",
            "algorithms",
            "maxTokenBytes",
            "requireExp",
            "requireSub",
            "checkIat",
            "kidMode",
            "cacheSize",
        ],
    )
    .map_err(ApiError::Options)?;
    let Some(o) = o else {
        return Ok((
            VerifyOptions::default(),
            KidMode::Match,
            DEFAULT_CACHE_CAPACITY,
        ));
    };
    let mut v = match opt(o.string("preset"))?.as_deref() {
        None | Some("default") => VerifyOptions::default(),
        Some("clerk") => VerifyOptions::clerk(),
        Some("workos") => VerifyOptions::workos(),
        Some(other) => return Err(ApiError::Options(format!("unknown preset \"{other}\""))),
    };
    if let Some(ms) = opt(o.int("clockSkewInMs"))? {
        v.leeway_secs = ms.div_euclid(1000);
    }
    if let Some(s) = opt(o.int("leewaySecs"))? {
        v.leeway_secs = s;
    }
    if v.leeway_secs < 0 {
        return Err(ApiError::Options("leeway must not be negative".into()));
    }
    if let Some(x) = opt(o.string("issuer"))? {
        v.issuer = Some(x);
    }
    if let Some(x) = opt(o.strings("audiences"))? {
        v.audiences = x;
    }
    if let Some(x) = opt(o.strings("authorizedParties"))? {
        v.authorized_parties = x;
    }
    if let Some(x) = opt(o.string("typ"))? {
        v.typ = Some(x);
    }
    if let Some(x) = opt(o.boolean("requireTyp"))? {
        v.require_typ = x;
    }
    if let Some(names) = opt(o.strings("algorithms"))? {
        let algs = names
            .iter()
            .map(|n| {
                Algorithm::from_name(n)
                    .ok_or_else(|| ApiError::Options(format!("unsupported algorithm \"{n}\"")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        v.algorithms = Some(algs);
    }
    if let Some(x) = opt(o.int("maxTokenBytes"))? {
        v.max_token_bytes = usize::try_from(x)
            .map_err(|_| ApiError::Options("maxTokenBytes must not be negative".into()))?;
    }
    if let Some(x) = opt(o.boolean("requireExp"))? {
        v.require_exp = x;
    }
    if let Some(x) = opt(o.boolean("requireSub"))? {
        v.require_sub = x;
    }
    if let Some(x) = opt(o.boolean("checkIat"))? {
        v.check_iat = x;
    }
    let kid_mode = match opt(o.string("kidMode"))?.as_deref() {
        None | Some("match") => KidMode::Match,
        Some("required") => KidMode::Required,
        Some("ignore") => KidMode::Ignore,
        Some(other) => return Err(ApiError::Options(format!("unknown kidMode \"{other}\""))),
    };
    let cache = match opt(o.int("cacheSize"))? {
        None => DEFAULT_CACHE_CAPACITY,
        Some(n) => usize::try_from(n)
            .map_err(|_| ApiError::Options("cacheSize must not be negative".into()))?,
    };
    Ok((v, kid_mode, cache))
}

fn opt<T>(r: Result<T, String>) -> Result<T, ApiError> {
    r.map_err(ApiError::Options)
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

/// [`verify_result_json`] as text; a token's success answer is built once
/// and reused on every later cache hit.
pub fn verify_result_text(result: &Result<Arc<VerifiedToken>, JwtError>) -> String {
    match result {
        Ok(t) => t
            .answer
            .get_or_init(|| verify_result_json(result).to_string())
            .to_owned(),
        Err(_) => verify_result_json(result).to_string(),
    }
}
