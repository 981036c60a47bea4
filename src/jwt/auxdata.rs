//! Cerbos `auxData` JWT semantics (`internal/auxdata` in Cerbos 0.55).
//!
//! Configuration mirrors Cerbos's `auxData.jwt` block: key sets by id with
//! `local` (`data` = base64 of a JWKS/JWK or PEM, `pem: true` for PEM) or
//! `remote` sources, `insecure.optionalAlg` / `insecure.optionalKid`,
//! `acceptableTimeSkew` and `disableVerification`. The runtime has no file
//! system or network, so `local.file` is refused at load time and a
//! `remote` key set starts empty until the host hands over the fetched JWKS
//! with [`AuxDataVerifier::set_remote_keyset`]; `local.inline` (raw JWKS
//! JSON or PEM text, not base64) is an extension for hosts that already
//! hold the key text.
//!
//! Claims are exposed the way Cerbos exposes them to policies: every claim
//! of the token, `exp`/`nbf`/`iat` as RFC 3339 UTC strings, `aud` always a
//! list, every number a double.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Number, Value};
use thiserror::Error;

use super::b64;
use super::cache::{TokenCache, DEFAULT_CACHE_CAPACITY};
use super::claims::{audience_list, check_times, rfc3339_utc, VerifyOptions};
use super::error::{JwtError, KeyError};
use super::fields::Fields;
use super::keyset::{CerbosKeyChecks, KeySet, KidMode};
use super::VerifiedToken;

/// The client-facing message Cerbos returns for any JWT extraction failure
/// (gRPC `InvalidArgument`, HTTP 400).
pub const INVALID_AUX_DATA: &str = "invalid auxData";
/// Cerbos's wrapper around extraction failures (`auxdata.ErrFailedToExtractJWT`).
pub const FAILED_TO_EXTRACT_JWT: &str = "failed to extract JWT";
/// gRPC status code Cerbos uses for auxData failures (`InvalidArgument`).
pub const GRPC_INVALID_ARGUMENT: i32 = 3;

/// `auxData.jwt` configuration, as in Cerbos's config file (camelCase).
#[derive(Debug, Clone, Default)]
pub struct AuxDataConfig {
    /// Key sets by id.
    pub key_sets: Vec<KeySetConfig>,
    /// Skip signature verification (time claims are still validated).
    pub disable_verification: bool,
    /// Accepted clock skew: seconds as a number, or a Go duration string
    /// (`"2s"`, `"1m30s"`, `"500ms"`); sub-second parts are dropped.
    pub acceptable_time_skew: Option<Value>,
    /// Verified-token cache size (Cerbos semantics: negative disables it,
    /// absent or 0 uses the default of 1024).
    pub cache_size: Option<i64>,
    /// Largest token accepted, bytes (extension; default 16 KiB).
    pub max_token_bytes: Option<usize>,
}

impl AuxDataConfig {
    /// Reads the `auxData.jwt` object (camelCase member names as in
    /// Cerbos's configuration; unknown members are refused).
    pub fn from_value(v: &Value) -> Result<AuxDataConfig, AuxDataConfigError> {
        read_config(v).map_err(AuxDataConfigError::Shape)
    }
}

/// Deserializes through [`AuxDataConfig::from_value`], so
/// `serde_json::from_value::<AuxDataConfig>(…)` applies the same checks.
impl<'de> serde::Deserialize<'de> for AuxDataConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        AuxDataConfig::from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn read_config(v: &Value) -> Result<AuxDataConfig, String> {
    let Some(f) = Fields::new(
        v,
        "auxData.jwt",
        &[
            "keySets",
            "disableVerification",
            "acceptableTimeSkew",
            "cacheSize",
            "maxTokenBytes",
        ],
    )?
    else {
        return Ok(AuxDataConfig::default());
    };
    let mut key_sets = Vec::new();
    for (i, ks) in f.array("keySets")?.iter().enumerate() {
        let path = format!("auxData.jwt.keySets[{i}]");
        let Some(k) = Fields::new(ks, &path, &["id", "local", "remote", "insecure"])? else {
            return Err(format!("{path}: expected an object"));
        };
        let lpath = format!("{path}.local");
        let local = match k.value("local") {
            None => None,
            Some(l) => Fields::new(l, &lpath, &["data", "file", "pem", "inline"])?
                .map(|l| -> Result<LocalSource, String> {
                    Ok(LocalSource {
                        data: l.string("data")?,
                        file: l.string("file")?,
                        pem: l.boolean("pem")?.unwrap_or(false),
                        inline: l.string("inline")?,
                    })
                })
                .transpose()?,
        };
        let rpath = format!("{path}.remote");
        let remote = match k.value("remote") {
            None => None,
            Some(r) => Fields::new(r, &rpath, &["url", "refreshInterval"])?
                .map(|r| -> Result<RemoteSource, String> {
                    Ok(RemoteSource {
                        url: r.string("url")?.unwrap_or_default(),
                        refresh_interval: r.value("refreshInterval").cloned(),
                    })
                })
                .transpose()?,
        };
        let ipath = format!("{path}.insecure");
        let insecure = match k.value("insecure") {
            None => InsecureOptions::default(),
            Some(x) => match Fields::new(x, &ipath, &["optionalAlg", "optionalKid"])? {
                None => InsecureOptions::default(),
                Some(x) => InsecureOptions {
                    optional_alg: x.boolean("optionalAlg")?.unwrap_or(false),
                    optional_kid: x.boolean("optionalKid")?.unwrap_or(false),
                },
            },
        };
        key_sets.push(KeySetConfig {
            id: k.string("id")?.unwrap_or_default(),
            local,
            remote,
            insecure,
        });
    }
    let max_token_bytes = match f.int("maxTokenBytes")? {
        None => None,
        Some(n) => {
            Some(usize::try_from(n).map_err(|_| "maxTokenBytes must not be negative".to_owned())?)
        }
    };
    Ok(AuxDataConfig {
        key_sets,
        disable_verification: f.boolean("disableVerification")?.unwrap_or(false),
        acceptable_time_skew: f.value("acceptableTimeSkew").cloned(),
        cache_size: f.int("cacheSize")?,
        max_token_bytes,
    })
}

/// One `keySets[]` entry.
#[derive(Debug, Clone, Default)]
pub struct KeySetConfig {
    /// Unique id referenced by `auxData.jwt.keySetId`.
    pub id: String,
    /// Keys given in the configuration.
    pub local: Option<LocalSource>,
    /// Keys fetched from a URL (by the host).
    pub remote: Option<RemoteSource>,
    /// Relaxations, as in Cerbos.
    pub insecure: InsecureOptions,
}

/// `local` key source.
#[derive(Debug, Clone, Default)]
pub struct LocalSource {
    /// Base64 (standard, padded) of the JWKS/JWK or PEM text.
    pub data: Option<String>,
    /// A file path: not available inside the runtime.
    pub file: Option<String>,
    /// Whether the key text is PEM.
    pub pem: bool,
    /// Extension: the key text itself (JWKS/JWK JSON, or PEM with `pem`).
    pub inline: Option<String>,
}

/// `remote` key source; the host fetches `url` and calls
/// [`AuxDataVerifier::set_remote_keyset`].
#[derive(Debug, Clone, Default)]
pub struct RemoteSource {
    /// JWKS URL.
    pub url: String,
    /// Refresh interval (the host's business; kept for completeness).
    pub refresh_interval: Option<Value>,
}

/// `insecure` relaxations.
#[derive(Debug, Clone, Copy, Default)]
pub struct InsecureOptions {
    /// Allow JWKs without `alg` (the algorithm is inferred from the key).
    pub optional_alg: bool,
    /// Allow tokens without `kid` (every key is tried).
    pub optional_kid: bool,
}

/// Configuration problems, reported when the verifier is built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuxDataConfigError {
    /// The configuration JSON does not have the expected shape.
    #[error("invalid auxData.jwt configuration: {0}")]
    Shape(String),
    /// A rule of Cerbos's `Conf.Validate` (message as Cerbos words it).
    #[error("{0}")]
    Invalid(String),
    /// Key data of a key set could not be used.
    #[error("keyset '{id}': {source}")]
    KeySet {
        /// Key set id.
        id: String,
        /// Why.
        source: KeyError,
    },
}

/// Why an `auxData` input was refused.
///
/// `Display` is exactly what Cerbos returns to the client;
/// [`AuxDataError::detail`] is what Cerbos would log.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AuxDataError {
    /// Request validation (protovalidate / protojson), returned verbatim,
    /// e.g. `validation error: aux_data.jwt.token: value is required`.
    #[error("{0}")]
    Validation(String),
    /// Token extraction failed: the client sees `invalid auxData`.
    #[error("invalid auxData")]
    Extraction {
        /// `jwts` entry name, when the failure concerns one.
        name: Option<String>,
        /// Cerbos's short description (`token has expired (exp)`, …).
        description: String,
        /// The underlying token error, when there is one.
        cause: Option<JwtError>,
    },
}

impl AuxDataError {
    /// gRPC status code (always `InvalidArgument`).
    pub fn grpc_code(&self) -> i32 {
        GRPC_INVALID_ARGUMENT
    }

    /// HTTP status (always 400).
    pub fn http_status(&self) -> u16 {
        400
    }

    /// The body Cerbos's HTTP API returns: `{"code":3,"message":…}`.
    pub fn to_status_json(&self) -> Value {
        serde_json::json!({"code": self.grpc_code(), "message": self.to_string()})
    }

    /// The server-side detail, worded as Cerbos wraps it
    /// (`failed to extract JWT: token has expired (exp)`).
    pub fn detail(&self) -> String {
        match self {
            AuxDataError::Validation(m) => m.clone(),
            AuxDataError::Extraction {
                name,
                description,
                cause,
            } => {
                let mut s = String::from(FAILED_TO_EXTRACT_JWT);
                if let Some(n) = name {
                    s.push_str(&format!(": failed to extract JWT {}", go_quote(n)));
                }
                s.push_str(": ");
                s.push_str(description);
                if let Some(c) = cause {
                    s.push_str(&format!(" ({c})"));
                }
                s
            }
        }
    }

    fn extraction(description: impl Into<String>, cause: Option<JwtError>) -> AuxDataError {
        AuxDataError::Extraction {
            name: None,
            description: description.into(),
            cause,
        }
    }

    fn from_jwt(e: JwtError) -> AuxDataError {
        AuxDataError::extraction(e.cerbos_description(), Some(e))
    }
}

/// Claims decoded from a request's `auxData`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuxDataClaims {
    /// Claims of `auxData.jwt` (None when absent or empty).
    pub jwt: Option<Map<String, Value>>,
    /// Claims of each `auxData.jwts` entry.
    pub jwts: BTreeMap<String, Map<String, Value>>,
}

impl AuxDataClaims {
    /// The engine-side `AuxData` JSON Cerbos builds:
    /// `{"jwt": {claims}}`, or `{"jwts": {name: {"claims": {claims}}}}`,
    /// or `{}` when there is nothing.
    pub fn to_engine_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(jwt) = &self.jwt {
            out.insert("jwt".into(), Value::Object(jwt.clone()));
        } else if !self.jwts.is_empty() {
            let named = self
                .jwts
                .iter()
                .map(|(k, v)| {
                    let mut wrap = Map::new();
                    wrap.insert("claims".into(), Value::Object(v.clone()));
                    (k.clone(), Value::Object(wrap))
                })
                .collect();
            out.insert("jwts".into(), Value::Object(named));
        }
        Value::Object(out)
    }
}

enum KeySetState {
    Ready(KeySet),
    RemotePending,
    /// Verification is disabled, so the keys were never loaded.
    Unused,
}

struct NamedKeySet {
    id: String,
    state: KeySetState,
    insecure: InsecureOptions,
}

/// Verifies `auxData` tokens the way a Cerbos PDP configured with the same
/// `auxData.jwt` block does.
pub struct AuxDataVerifier {
    key_sets: Vec<NamedKeySet>,
    verify: bool,
    options: VerifyOptions,
    cache: Option<Mutex<TokenCache>>,
}

impl std::fmt::Debug for AuxDataVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuxDataVerifier")
            .field(
                "key_sets",
                &self
                    .key_sets
                    .iter()
                    .map(|k| k.id.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("verify", &self.verify)
            .field("options", &self.options)
            .finish()
    }
}

/// Parses a Go-style duration or a number of seconds into whole seconds.
fn skew_seconds(v: &Value) -> Result<i64, AuxDataConfigError> {
    let bad = || AuxDataConfigError::Shape(format!("acceptableTimeSkew: cannot read {v}"));
    let secs: f64 = match v {
        Value::Number(n) => n.as_f64().ok_or_else(bad)?,
        Value::String(s) => parse_go_duration(s).ok_or_else(bad)?,
        Value::Null => 0.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs.abs() > 1e12 {
        return Err(bad());
    }
    if secs < 0.0 {
        return Err(AuxDataConfigError::Invalid(
            "acceptableTimeSkew must be positive".into(),
        ));
    }
    Ok(secs.floor() as i64)
}

/// `"1h2m3.5s"`, `"500ms"`, `"-2s"`, `"0"` → seconds.
fn parse_go_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_len);
        let value = super::claims::parse_decimal(num)?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = next;
    }
    Some(if neg { -total } else { total })
}

fn load_local(
    src: &LocalSource,
    id: &str,
    insecure: InsecureOptions,
) -> Result<KeySet, AuxDataConfigError> {
    let err = |source: KeyError| AuxDataConfigError::KeySet {
        id: id.to_owned(),
        source,
    };
    let text: Vec<u8> = match (&src.data, &src.inline, &src.file) {
        (Some(d), None, None) if !d.is_empty() => b64::decode_standard(d.as_bytes(), true)
            .map_err(|e| err(KeyError::Invalid(format!("failed to decode base64 encoded keyset data: {e}"))))?,
        (None, Some(t), None) => t.clone().into_bytes(),
        (None, None, Some(f)) => {
            return Err(AuxDataConfigError::Invalid(format!(
                "keyset '{id}': local.file ({f}) cannot be read inside the runtime; pass the key as local.data (base64) or local.inline"
            )))
        }
        _ => {
            return Err(AuxDataConfigError::Invalid(format!(
                "keyset '{id}': only one of 'local.data', 'local.inline' or 'local.file' must be defined"
            )))
        }
    };
    if src.pem {
        let s = std::str::from_utf8(&text)
            .map_err(|_| err(KeyError::Pem("PEM text is not UTF-8".into())))?;
        KeySet::from_pem(s).map_err(err)
    } else {
        KeySet::from_jwks_checked(
            &text,
            Some(CerbosKeyChecks {
                optional_alg: insecure.optional_alg,
                optional_kid: insecure.optional_kid,
            }),
        )
        .map_err(err)
    }
}

fn configure(set: KeySet, insecure: InsecureOptions) -> KeySet {
    set.with_kid_mode(if insecure.optional_kid {
        KidMode::Ignore
    } else {
        KidMode::Required
    })
    .with_alg_inference(insecure.optional_alg)
}

impl AuxDataVerifier {
    /// Builds a verifier from a parsed configuration.
    pub fn new(config: &AuxDataConfig) -> Result<AuxDataVerifier, AuxDataConfigError> {
        let leeway = match &config.acceptable_time_skew {
            Some(v) => skew_seconds(v)?,
            None => 0,
        };
        let mut key_sets: Vec<NamedKeySet> = Vec::new();
        for ks in &config.key_sets {
            if key_sets.iter().any(|k| k.id == ks.id) {
                return Err(AuxDataConfigError::Invalid(format!(
                    "duplicate keyset id '{}'",
                    ks.id
                )));
            }
            let state = match (&ks.local, &ks.remote) {
                (None, None) => {
                    return Err(AuxDataConfigError::Invalid(format!(
                        "keyset '{}': should have one of `local` or `remote` defined",
                        ks.id
                    )))
                }
                (Some(_), Some(_)) => {
                    return Err(AuxDataConfigError::Invalid(format!(
                        "keyset '{}': only one of `local` or `remote` should be defined",
                        ks.id
                    )))
                }
                (None, Some(r)) if r.url.is_empty() => {
                    return Err(AuxDataConfigError::Invalid(format!(
                        "keyset '{}': remote URL is empty",
                        ks.id
                    )))
                }
                (None, Some(_)) => KeySetState::RemotePending,
                (Some(l), None) => {
                    let has = |o: &Option<String>| o.as_deref().is_some_and(|s| !s.is_empty());
                    if !has(&l.data) && !has(&l.file) && !has(&l.inline) {
                        return Err(AuxDataConfigError::Invalid(format!(
                            "keyset '{}': at least one of 'local.data' or 'local.file' must be defined",
                            ks.id
                        )));
                    }
                    if config.disable_verification {
                        // Cerbos builds no key sets when verification is off.
                        KeySetState::Unused
                    } else {
                        KeySetState::Ready(configure(
                            load_local(l, &ks.id, ks.insecure)?,
                            ks.insecure,
                        ))
                    }
                }
            };
            key_sets.push(NamedKeySet {
                id: ks.id.clone(),
                state,
                insecure: ks.insecure,
            });
        }
        let capacity = match config.cache_size {
            Some(n) if n < 0 => 0,
            Some(0) | None => DEFAULT_CACHE_CAPACITY,
            Some(n) => usize::try_from(n).unwrap_or(DEFAULT_CACHE_CAPACITY),
        };
        let options = VerifyOptions {
            leeway_secs: leeway,
            check_iat: true,
            numeric_date_strings: true,
            max_token_bytes: config
                .max_token_bytes
                .unwrap_or(super::claims::DEFAULT_MAX_TOKEN_BYTES),
            ..VerifyOptions::default()
        };
        Ok(AuxDataVerifier {
            key_sets,
            verify: !config.disable_verification,
            options,
            cache: (capacity > 0).then(|| Mutex::new(TokenCache::new(capacity))),
        })
    }

    /// Builds a verifier from configuration JSON (the `auxData.jwt` object).
    pub fn from_json(config_json: &str) -> Result<AuxDataVerifier, AuxDataConfigError> {
        let v = super::json::parse_value(config_json.as_bytes(), 16)
            .map_err(|e| AuxDataConfigError::Shape(e.to_string()))?;
        AuxDataVerifier::new(&AuxDataConfig::from_value(&v)?)
    }

    /// Number of verified tokens currently cached.
    pub fn cached_tokens(&self) -> usize {
        self.cache
            .as_ref()
            .map_or(0, |c| c.lock().unwrap_or_else(|e| e.into_inner()).len())
    }

    /// Ids of the configured key sets.
    pub fn keyset_ids(&self) -> Vec<&str> {
        self.key_sets.iter().map(|k| k.id.as_str()).collect()
    }

    /// URLs-to-fetch are the host's job: this installs (or replaces) the
    /// JWKS text fetched for a `remote` key set, applying Cerbos's keyset
    /// validation. Clears cached verifications for that key set's tokens.
    pub fn set_remote_keyset(
        &mut self,
        id: &str,
        jwks_json: &str,
    ) -> Result<(), AuxDataConfigError> {
        let Some(ks) = self.key_sets.iter_mut().find(|k| k.id == id) else {
            return Err(AuxDataConfigError::Invalid(format!(
                "keyset not found: {id}"
            )));
        };
        let checks = CerbosKeyChecks {
            optional_alg: ks.insecure.optional_alg,
            optional_kid: ks.insecure.optional_kid,
        };
        let set =
            KeySet::from_jwks_checked(jwks_json.as_bytes(), Some(checks)).map_err(|source| {
                AuxDataConfigError::KeySet {
                    id: id.to_owned(),
                    source,
                }
            })?;
        ks.state = KeySetState::Ready(configure(set, ks.insecure));
        if let Some(c) = &self.cache {
            c.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        Ok(())
    }

    /// Decodes a request's `auxData` object (the CheckResources JSON field)
    /// at `now` (Unix seconds).
    pub fn decode(&self, aux: &Value, now: i64) -> Result<AuxDataClaims, AuxDataError> {
        let req = parse_request(aux)?;
        let mut out = AuxDataClaims::default();
        if let Some((token, ks)) = req.jwt {
            if !token.is_empty() {
                out.jwt = Some(self.decode_jwt(&token, &ks, now)?);
            }
            return Ok(out);
        }
        // Cerbos extracts several concurrently and fails fast; any failure
        // fails the request, so order only affects which error is logged.
        let many = req.jwts.len() > 1;
        for (name, (token, ks)) in req.jwts {
            match self.decode_jwt(&token, &ks, now) {
                Ok(claims) => {
                    out.jwts.insert(name, claims);
                }
                Err(AuxDataError::Extraction {
                    description, cause, ..
                }) if many => {
                    return Err(AuxDataError::Extraction {
                        name: Some(name),
                        description,
                        cause,
                    })
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Verifies one token against `keyset_id` ("" = the only key set) and
    /// returns its claims as Cerbos exposes them.
    pub fn decode_jwt(
        &self,
        token: &str,
        keyset_id: &str,
        now: i64,
    ) -> Result<Map<String, Value>, AuxDataError> {
        if token.is_empty() {
            return Ok(Map::new());
        }
        let verified = self.verified(token, keyset_id, now)?;
        Ok(expose_claims(&verified))
    }

    fn verified(
        &self,
        token: &str,
        keyset_id: &str,
        now: i64,
    ) -> Result<Arc<VerifiedToken>, AuxDataError> {
        if !self.verify {
            return super::decode_unverified(token, &self.options, now)
                .map(Arc::new)
                .map_err(AuxDataError::from_jwt);
        }
        let (scope, ks) = if keyset_id.is_empty() {
            match self.key_sets.as_slice() {
                [only] => (0, only),
                _ => {
                    return Err(AuxDataError::extraction(
                        "cannot determine keyset to use for validating the JWT",
                        None,
                    ))
                }
            }
        } else {
            self.key_sets
                .iter()
                .enumerate()
                .find(|(_, k)| k.id == keyset_id)
                .map(|(i, k)| (u32::try_from(i).unwrap_or(u32::MAX), k))
                .ok_or_else(|| {
                    AuxDataError::extraction(format!("keyset not found: {keyset_id}"), None)
                })?
        };
        let set = match &ks.state {
            KeySetState::Ready(s) => s,
            KeySetState::RemotePending | KeySetState::Unused => {
                return Err(AuxDataError::extraction(
                    "failed to retrieve keyset: failed to look up remote keyset",
                    None,
                ))
            }
        };
        if token.len() > self.options.max_token_bytes {
            return Err(AuxDataError::from_jwt(JwtError::TokenTooLarge {
                len: token.len(),
                max: self.options.max_token_bytes,
            }));
        }
        if let Some(cache) = &self.cache {
            let hit = cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(scope, token, now);
            if let Some(t) = hit {
                check_times(&t.times, &self.options, now).map_err(AuxDataError::from_jwt)?;
                return Ok(t);
            }
        }
        let verified = Arc::new(
            super::verify(token, set, &self.options, now).map_err(AuxDataError::from_jwt)?,
        );
        if let Some(cache) = &self.cache {
            cache.lock().unwrap_or_else(|e| e.into_inner()).insert(
                scope,
                token,
                Arc::clone(&verified),
                now,
            );
        }
        Ok(verified)
    }
}

/// Double-quotes `s` the way Go's `%q` does for printable text (escaping
/// `"` and `\\`), without pulling in Rust's `Debug` string escaper.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct AuxRequest {
    jwt: Option<(String, String)>,
    jwts: BTreeMap<String, (String, String)>,
}

fn unknown_field(name: &str) -> AuxDataError {
    AuxDataError::Validation(format!("proto: unknown field \"{name}\""))
}

/// Reads `{token, keySetId}`; `None` for an empty object (Cerbos treats
/// `"jwt": {}` as absent).
fn parse_jwt_ref(v: &Value, path: &str) -> Result<Option<(String, String)>, AuxDataError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => {
            return Err(AuxDataError::Validation(format!(
                "proto: {path}: expected an object"
            )))
        }
    };
    if obj.is_empty() {
        return Ok(None);
    }
    let mut token = None;
    let mut keyset = String::new();
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("token", Value::String(s)) => token = Some(s.clone()),
            ("keySetId" | "key_set_id", Value::String(s)) => keyset = s.clone(),
            (_, Value::Null) => {}
            ("token" | "keySetId" | "key_set_id", _) => {
                return Err(AuxDataError::Validation(format!(
                    "proto: {path}.{k}: expected a string"
                )))
            }
            (other, _) => return Err(unknown_field(other)),
        }
    }
    match token {
        Some(t) if !t.is_empty() => Ok(Some((t, keyset))),
        _ => Err(AuxDataError::Validation(format!(
            "validation error: {path}.token: value is required"
        ))),
    }
}

fn parse_request(aux: &Value) -> Result<AuxRequest, AuxDataError> {
    let mut req = AuxRequest {
        jwt: None,
        jwts: BTreeMap::new(),
    };
    let obj = match aux {
        Value::Null => return Ok(req),
        Value::Object(o) => o,
        _ => {
            return Err(AuxDataError::Validation(
                "proto: auxData: expected an object".into(),
            ))
        }
    };
    let mut jwt_set = false;
    for (k, v) in obj {
        match k.as_str() {
            "jwt" => {
                jwt_set = !v.is_null();
                req.jwt = parse_jwt_ref(v, "aux_data.jwt")?;
            }
            "jwts" => match v {
                Value::Null => {}
                Value::Object(m) => {
                    for (name, entry) in m {
                        if name.is_empty() {
                            return Err(AuxDataError::Validation(
                                "validation error: aux_data.jwts[\"\"]: must be at least 1 characters"
                                    .into(),
                            ));
                        }
                        let path = format!("aux_data.jwts[{}]", go_quote(name));
                        match parse_jwt_ref(entry, &path)? {
                            Some(r) => {
                                req.jwts.insert(name.clone(), r);
                            }
                            None => {
                                return Err(AuxDataError::Validation(format!(
                                    "validation error: {path}.token: value is required"
                                )))
                            }
                        }
                    }
                }
                _ => {
                    return Err(AuxDataError::Validation(
                        "proto: auxData.jwts: expected an object".into(),
                    ))
                }
            },
            other => return Err(unknown_field(other)),
        }
    }
    if jwt_set && !req.jwts.is_empty() {
        return Err(AuxDataError::Validation(
            "validation error: aux_data: Only one of the jwt or jwts fields must be set".into(),
        ));
    }
    Ok(req)
}

/// Converts every number to a double, as `structpb.Value` holds them.
fn as_struct_value(v: &Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(a) => Value::Array(a.iter().map(as_struct_value).collect()),
        Value::Object(o) => {
            // `extend`, not `collect`: collecting into a BTreeMap sorts
            // first, and each sort instantiation is ~4 KB of wasm.
            let mut out = Map::new();
            out.extend(o.iter().map(|(k, v)| (k.clone(), as_struct_value(v))));
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Claims as Cerbos hands them to policies (`request.aux_data.jwt`).
pub fn expose_claims(token: &VerifiedToken) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in &token.claims {
        let exposed = match k.as_str() {
            "exp" => token.times.exp.map(|t| Value::String(rfc3339_utc(t))),
            "nbf" => token.times.nbf.map(|t| Value::String(rfc3339_utc(t))),
            "iat" => token.times.iat.map(|t| Value::String(rfc3339_utc(t))),
            "aud" => audience_list(&token.claims)
                .ok()
                .flatten()
                .map(|l| Value::Array(l.into_iter().map(Value::String).collect())),
            _ => Some(as_struct_value(v)),
        };
        if let Some(e) = exposed {
            out.insert(k.clone(), e);
        }
    }
    out
}
