//! JSON Web Keys (RFC 7517) → public keys.
//!
//! Structural problems (missing members, bad base64url, wrong JSON types)
//! are errors. Keys that are well-formed but may not verify signatures here
//! (`use` other than `sig`, `key_ops` without `verify`, symmetric or
//! unsupported key types, RSA below 2048 bits, an `alg` the key cannot do)
//! are reported as [`JwkOutcome::Unusable`] so one stray key does not take
//! down a whole published key set; the key set remembers why.
//! Private members (`d`, `p`, …) are ignored: only public parts are kept.

use serde_json::{Map, Value};

use super::alg::{AlgClass, Algorithm, Curve, PublicKey};
use super::b64;
use super::error::KeyError;

/// A usable verification key with its JWK metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// `kid`, if any.
    pub kid: Option<String>,
    /// `alg` the key is bound to, if the JWK names one.
    pub alg: Option<Algorithm>,
    /// The key.
    pub key: PublicKey,
    /// Position in the source key set (for "first match" semantics).
    pub index: usize,
}

/// A key that was parsed but set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Position in the source key set.
    pub index: usize,
    /// `kid`, if any.
    pub kid: Option<String>,
    /// Why it cannot be used.
    pub reason: String,
}

/// Result of reading one JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwkOutcome {
    /// Usable for verification.
    Usable(KeyEntry),
    /// Well-formed, but not usable for verification here.
    Unusable(SkippedKey),
}

fn opt_str<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, KeyError> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyError::Invalid(format!(
            "JWK member \"{name}\" must be a string"
        ))),
    }
}

fn req_b64(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, KeyError> {
    let s = opt_str(obj, name)?
        .ok_or_else(|| KeyError::Invalid(format!("JWK is missing \"{name}\"")))?;
    b64::decode_url(s.as_bytes())
        .map_err(|e| KeyError::Invalid(format!("JWK member \"{name}\": {e}")))
}

/// Reads one JWK object found at `index` of its key set.
pub fn parse_jwk(obj: &Map<String, Value>, index: usize) -> Result<JwkOutcome, KeyError> {
    let kid = opt_str(obj, "kid")?.map(str::to_owned);
    let kty =
        opt_str(obj, "kty")?.ok_or_else(|| KeyError::Invalid("JWK is missing \"kty\"".into()))?;
    let unusable = |reason: String| {
        Ok(JwkOutcome::Unusable(SkippedKey {
            index,
            kid: kid.clone(),
            reason,
        }))
    };

    // `alg`: empty or unknown names are invalid (jwx refuses to parse them);
    // registered names we do not verify make the key unusable.
    let mut alg = None;
    if let Some(name) = opt_str(obj, "alg")? {
        if name.is_empty() || !Algorithm::is_registered_name(name) {
            return Err(KeyError::InvalidAlgorithm);
        }
        match Algorithm::classify(name) {
            AlgClass::Supported(a) => alg = Some(a),
            _ => {
                return unusable(format!(
                    "algorithm \"{name}\" is not supported for verification"
                ))
            }
        }
    }
    if let Some(u) = opt_str(obj, "use")? {
        if u != "sig" {
            return unusable(format!("\"use\" is \"{u}\", not \"sig\""));
        }
    }
    if let Some(ops) = obj.get("key_ops") {
        let arr = ops
            .as_array()
            .ok_or_else(|| KeyError::Invalid("JWK \"key_ops\" must be an array".into()))?;
        let mut has_verify = false;
        for op in arr {
            match op.as_str() {
                Some("verify") => has_verify = true,
                Some(_) => {}
                None => {
                    return Err(KeyError::Invalid(
                        "JWK \"key_ops\" must hold strings".into(),
                    ))
                }
            }
        }
        if !has_verify {
            return unusable("\"key_ops\" does not include \"verify\"".into());
        }
    }

    let key = match kty {
        "RSA" => {
            let n = req_b64(obj, "n")?;
            let e = req_b64(obj, "e")?;
            match PublicKey::rsa(&n, &e) {
                Ok(k) => k,
                Err(e @ (KeyError::RsaTooSmall { .. } | KeyError::RsaTooLarge { .. })) => {
                    return unusable(e.to_string())
                }
                Err(e) => return Err(e),
            }
        }
        "EC" => {
            let crv = opt_str(obj, "crv")?
                .ok_or_else(|| KeyError::Invalid("EC JWK is missing \"crv\"".into()))?;
            let curve = match crv {
                "P-256" => Curve::P256,
                "P-384" => Curve::P384,
                other => return unusable(format!("curve \"{other}\" is not supported")),
            };
            let x = req_b64(obj, "x")?;
            let y = req_b64(obj, "y")?;
            PublicKey::ec(curve, &x, &y)?
        }
        "OKP" => {
            let crv = opt_str(obj, "crv")?
                .ok_or_else(|| KeyError::Invalid("OKP JWK is missing \"crv\"".into()))?;
            if crv != "Ed25519" {
                return unusable(format!("curve \"{crv}\" is not supported"));
            }
            PublicKey::ed25519(&req_b64(obj, "x")?)?
        }
        "oct" => return unusable("symmetric (oct) keys are never used".into()),
        other => return unusable(format!("key type \"{other}\" is not supported")),
    };
    if let Some(a) = alg {
        if !key.supports(a) {
            return unusable(format!("algorithm {a} does not fit a {} key", key.kty()));
        }
    }
    Ok(JwkOutcome::Usable(KeyEntry {
        kid,
        alg,
        key,
        index,
    }))
}
