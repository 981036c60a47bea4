//! Compact JWS parsing (RFC 7515 §7.1) with strict rules:
//! exactly three segments, base64url without padding, header and payload
//! duplicate-free JSON objects, a size cap, a mandatory supported `alg`
//! (never `none`, never HMAC), no `crit` extensions, no unencoded payload.

use serde_json::{Map, Value};

use super::alg::{AlgClass, Algorithm};
use super::b64;
use super::claims::VerifyOptions;
use super::error::{JwtError, Part};
use super::json;

/// Nesting cap for header JSON (headers are flat in practice).
const HEADER_MAX_DEPTH: usize = 8;

/// A compact JWS split and checked, signature not yet verified.
#[derive(Debug)]
pub(crate) struct Parsed<'t> {
    pub(crate) header: Map<String, Value>,
    /// The algorithm; `None` only when parsing for unverified decoding
    /// and the header names one we cannot verify.
    pub(crate) alg: Option<Algorithm>,
    pub(crate) alg_name: String,
    pub(crate) kid: Option<String>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`, the signed bytes.
    pub(crate) signing_input: &'t [u8],
    /// Base64url payload segment, decoded only after verification.
    pub(crate) payload_b64: &'t [u8],
    pub(crate) signature: Vec<u8>,
}

/// Splits `token` and validates the header. With `for_verification`
/// false (Cerbos `disableVerification`), an `alg` we cannot verify is
/// tolerated since nothing is verified — but `none` is still refused.
pub(crate) fn parse<'t>(
    token: &'t str,
    opts: &VerifyOptions,
    for_verification: bool,
) -> Result<Parsed<'t>, JwtError> {
    let bytes = token.as_bytes();
    if bytes.len() > opts.max_token_bytes {
        return Err(JwtError::TokenTooLarge {
            len: bytes.len(),
            max: opts.max_token_bytes,
        });
    }
    let mut dots = bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'.')
        .map(|(i, _)| i);
    let (Some(d1), Some(d2), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(JwtError::Malformed("expected three dot-separated segments"));
    };
    let header_b64 = bytes.get(..d1).unwrap_or_default();
    let payload_b64 = bytes.get(d1 + 1..d2).unwrap_or_default();
    let sig_b64 = bytes.get(d2 + 1..).unwrap_or_default();
    let signing_input = bytes.get(..d2).unwrap_or_default();
    if header_b64.is_empty() {
        return Err(JwtError::Malformed("empty header segment"));
    }
    if payload_b64.is_empty() {
        return Err(JwtError::Malformed("empty payload segment"));
    }

    let header_json = b64::decode_url(header_b64).map_err(|source| JwtError::Base64 {
        part: Part::Header,
        source,
    })?;
    let header =
        json::parse_object(&header_json, HEADER_MAX_DEPTH).map_err(|source| JwtError::Json {
            part: Part::Header,
            source,
        })?;

    let (alg, alg_name) = match header.get("alg") {
        None => return Err(JwtError::MissingAlgorithm),
        Some(Value::String(s)) => match Algorithm::classify(s) {
            AlgClass::Supported(a) => (Some(a), s.clone()),
            AlgClass::None => return Err(JwtError::AlgorithmNone),
            AlgClass::Symmetric(_) | AlgClass::Unsupported(_) if !for_verification => {
                (None, s.clone())
            }
            AlgClass::Symmetric(n) => return Err(JwtError::SymmetricAlgorithm(n)),
            AlgClass::Unsupported(n) => return Err(JwtError::UnsupportedAlgorithm(n)),
        },
        Some(_) => return Err(JwtError::InvalidHeader("alg")),
    };
    if let (Some(allowed), Some(a)) = (&opts.algorithms, alg) {
        if !allowed.contains(&a) {
            return Err(JwtError::AlgorithmNotAllowed(a));
        }
    }
    // RFC 7515 §4.1.11: a recipient must refuse `crit` names it does not
    // understand; we implement no extensions, so any `crit` is refused.
    if let Some(crit) = header.get("crit") {
        let names = match crit {
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().unwrap_or("<non-string>").to_owned())
                .collect::<Vec<_>>()
                .join(", "),
            _ => return Err(JwtError::InvalidHeader("crit")),
        };
        return Err(JwtError::CriticalHeader(names));
    }
    match header.get("b64") {
        None | Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return Err(JwtError::UnencodedPayload),
        Some(_) => return Err(JwtError::InvalidHeader("b64")),
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(JwtError::InvalidHeader("kid")),
    };
    let typ = match header.get("typ") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(JwtError::InvalidHeader("typ")),
    };
    if let Some(expected) = &opts.typ {
        let ok = match typ {
            Some(found) => normalize_typ(found) == normalize_typ(expected),
            None => !opts.require_typ,
        };
        if !ok {
            return Err(JwtError::TypeMismatch {
                expected: expected.clone(),
                found: typ.map(str::to_owned),
            });
        }
    }

    // Check the payload's encoding now (cheap, clearer errors); its JSON is
    // parsed only after the signature verifies.
    if payload_b64.len() % 4 == 1
        || !payload_b64
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    {
        return Err(JwtError::Base64 {
            part: Part::Payload,
            source: b64::decode_url(payload_b64)
                .err()
                .unwrap_or(b64::Base64Error::InvalidLength),
        });
    }
    if sig_b64.is_empty() {
        return Err(JwtError::InvalidSignature);
    }
    let signature = b64::decode_url(sig_b64).map_err(|source| JwtError::Base64 {
        part: Part::Signature,
        source,
    })?;

    Ok(Parsed {
        header,
        alg,
        alg_name,
        kid,
        signing_input,
        payload_b64,
        signature,
    })
}

/// `application/jwt`, `JWT` and `jwt` are the same media type (RFC 7515 §4.1.9).
fn normalize_typ(t: &str) -> String {
    let lower = t.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

/// Decodes and parses the payload as a duplicate-free JSON object.
pub(crate) fn decode_payload(
    payload_b64: &[u8],
    max_depth: usize,
) -> Result<Map<String, Value>, JwtError> {
    let raw = b64::decode_url(payload_b64).map_err(|source| JwtError::Base64 {
        part: Part::Payload,
        source,
    })?;
    json::parse_object(&raw, max_depth).map_err(|source| JwtError::Json {
        part: Part::Payload,
        source,
    })
}
