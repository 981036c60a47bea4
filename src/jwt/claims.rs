//! Registered-claim validation (RFC 7519 §4.1) with injected time.
//!
//! Time never comes from a clock inside the library: every check takes
//! `now` as Unix seconds, so the wasm host (and tests) decide what "now" is.

use serde_json::{Map, Value};

use super::alg::Algorithm;
use super::error::JwtError;

/// Default leeway for `exp`/`nbf`/`iat` (Clerk's `clockSkewInMs` default).
pub const DEFAULT_LEEWAY_SECS: i64 = 5;
/// Default maximum token size.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What a token must satisfy beyond a valid signature.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (≥ 0).
    pub leeway_secs: i64,
    /// Exact `iss` required, when set.
    pub issuer: Option<String>,
    /// When non-empty, `aud` must be present and contain one of these.
    pub audiences: Vec<String>,
    /// When non-empty, `azp` must be present and one of these (Clerk's
    /// `authorizedParties`).
    pub authorized_parties: Vec<String>,
    /// When set, the header `typ`, if present, must equal this (compared
    /// case-insensitively, ignoring an `application/` prefix).
    pub typ: Option<String>,
    /// With `typ` set, also refuse tokens that have no `typ`.
    pub require_typ: bool,
    /// When set, only these algorithms are accepted.
    pub algorithms: Option<Vec<Algorithm>>,
    /// Largest accepted compact token, in bytes.
    pub max_token_bytes: usize,
    /// Refuse tokens without `exp`.
    pub require_exp: bool,
    /// Refuse tokens without a string `sub` (Clerk requires one).
    pub require_sub: bool,
    /// Refuse `iat` later than now + leeway (jwx and Clerk do).
    pub check_iat: bool,
    /// Accept numeric strings for `exp`/`nbf`/`iat`, as jwx (and so Cerbos)
    /// does; off by default since RFC 7519 NumericDate is a JSON number.
    pub numeric_date_strings: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            leeway_secs: DEFAULT_LEEWAY_SECS,
            issuer: None,
            audiences: Vec::new(),
            authorized_parties: Vec::new(),
            typ: None,
            require_typ: false,
            algorithms: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            require_exp: false,
            require_sub: false,
            check_iat: true,
            numeric_date_strings: false,
        }
    }
}

impl VerifyOptions {
    /// Options matching `@clerk/backend` `verifyToken` with a `jwtKey`:
    /// RS256 only (its header check lists RS384/RS512, but it imports every
    /// key as an RS256 key, so their signatures never verify), 5 s skew,
    /// `exp` and `sub` required, `typ` (if present) `JWT`.
    pub fn clerk() -> Self {
        VerifyOptions {
            algorithms: Some(vec![Algorithm::RS256]),
            typ: Some("JWT".into()),
            require_exp: true,
            require_sub: true,
            ..VerifyOptions::default()
        }
    }

    /// Options matching WorkOS AuthKit (`jose.jwtVerify` with no extra
    /// options): signature, `exp`/`nbf` with zero tolerance.
    pub fn workos() -> Self {
        VerifyOptions {
            leeway_secs: 0,
            check_iat: false,
            ..VerifyOptions::default()
        }
    }
}

/// The time claims of a verified token, kept so a cached token can be
/// re-checked against a later `now` without reparsing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TimeClaims {
    /// `exp`, Unix seconds.
    pub exp: Option<f64>,
    /// `nbf`, Unix seconds.
    pub nbf: Option<f64>,
    /// `iat`, Unix seconds.
    pub iat: Option<f64>,
}

fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
    lenient: bool,
) -> Result<Option<f64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or(JwtError::InvalidClaimType(name)),
        Some(Value::String(s)) if lenient => parse_decimal(s.trim())
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or(JwtError::InvalidClaimType(name)),
        Some(_) => Err(JwtError::InvalidClaimType(name)),
    }
}

/// Parses a plain decimal number (`12`, `-3.5`, `1e9`) with serde_json's
/// number parser, which the crate links anyway; `str::parse::<f64>` would
/// add a second float parser to the wasm.
pub(crate) fn parse_decimal(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    // JSON forbids "1." and ".5"; accept them by padding with a zero.
    let padded;
    let t = if t.ends_with('.') {
        padded = format!("{t}0");
        padded.as_str()
    } else if let Some(rest) = t.strip_prefix('.') {
        padded = format!("0.{rest}");
        padded.as_str()
    } else {
        t
    };
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    serde_json::from_str::<f64>(t).ok()
}

/// `aud` as a list (a single string becomes a one-element list).
pub(crate) fn audience_list(claims: &Map<String, Value>) -> Result<Option<Vec<String>>, JwtError> {
    match claims.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or(JwtError::InvalidClaimType("aud"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(JwtError::InvalidClaimType("aud")),
    }
}

fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwtError::InvalidClaimType(name)),
    }
}

/// Reads and type-checks the time claims.
pub(crate) fn time_claims(
    claims: &Map<String, Value>,
    opts: &VerifyOptions,
) -> Result<TimeClaims, JwtError> {
    let lenient = opts.numeric_date_strings;
    Ok(TimeClaims {
        exp: numeric_date(claims, "exp", lenient)?,
        nbf: numeric_date(claims, "nbf", lenient)?,
        iat: numeric_date(claims, "iat", lenient)?,
    })
}

/// Checks `exp`, `nbf` and `iat` against `now` (Unix seconds).
///
/// Expired when `now >= exp + leeway`; not yet valid when
/// `now + leeway < nbf`; issued in the future when `now + leeway < iat`
/// (the boundaries jwx and jose use).
pub fn check_times(t: &TimeClaims, opts: &VerifyOptions, now: i64) -> Result<(), JwtError> {
    let leeway = opts.leeway_secs.max(0);
    let now_f = now as f64;
    let leeway_f = leeway as f64;
    match t.exp {
        Some(exp) if now_f >= exp + leeway_f => {
            return Err(JwtError::Expired {
                exp: exp.floor() as i64,
                now,
                leeway,
            });
        }
        None if opts.require_exp => return Err(JwtError::MissingClaim("exp")),
        _ => {}
    }
    if let Some(nbf) = t.nbf {
        if now_f + leeway_f < nbf {
            return Err(JwtError::NotYetValid {
                nbf: nbf.floor() as i64,
                now,
                leeway,
            });
        }
    }
    if opts.check_iat {
        if let Some(iat) = t.iat {
            if now_f + leeway_f < iat {
                return Err(JwtError::IssuedInFuture {
                    iat: iat.floor() as i64,
                    now,
                    leeway,
                });
            }
        }
    }
    Ok(())
}

/// Full claim validation: types of registered claims, time, `iss`, `aud`,
/// `azp`, `sub`. Returns the time claims for caching.
pub fn validate_claims(
    claims: &Map<String, Value>,
    opts: &VerifyOptions,
    now: i64,
) -> Result<TimeClaims, JwtError> {
    let times = time_claims(claims, opts)?;
    let iss = string_claim(claims, "iss")?;
    let sub = string_claim(claims, "sub")?;
    let azp = string_claim(claims, "azp")?;
    string_claim(claims, "jti")?;
    let aud = audience_list(claims)?;

    check_times(&times, opts, now)?;

    if let Some(expected) = &opts.issuer {
        match iss {
            Some(found) if found == expected => {}
            Some(found) => {
                return Err(JwtError::IssuerMismatch {
                    expected: expected.clone(),
                    found: found.to_owned(),
                })
            }
            None => return Err(JwtError::MissingClaim("iss")),
        }
    }
    if !opts.audiences.is_empty() {
        let found = aud.ok_or(JwtError::MissingClaim("aud"))?;
        if !found.iter().any(|a| opts.audiences.contains(a)) {
            return Err(JwtError::AudienceMismatch {
                expected: opts.audiences.clone(),
                found,
            });
        }
    }
    if !opts.authorized_parties.is_empty() {
        // @clerk/backend refuses a token without `azp` once a list is given.
        let found = azp.ok_or(JwtError::MissingClaim("azp"))?;
        if !opts.authorized_parties.iter().any(|p| p == found) {
            return Err(JwtError::UnauthorizedParty {
                expected: opts.authorized_parties.clone(),
                found: found.to_owned(),
            });
        }
    }
    if opts.require_sub && sub.is_none() {
        return Err(JwtError::MissingClaim("sub"));
    }
    Ok(times)
}

/// Formats Unix seconds as RFC 3339 UTC without fractions
/// (`2026-01-01T10:00:00Z`), flooring fractional seconds, the way Cerbos
/// renders `exp`/`nbf`/`iat` (Go `time.Format(time.RFC3339)`).
pub fn rfc3339_utc(secs: f64) -> String {
    let s = secs.floor();
    // Clamp to Go's representable range so absurd values stay printable.
    let s = s.clamp(-62_135_596_800.0 * 4.0, 253_402_300_799.0 * 4.0) as i64;
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let year = if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    };
    format!("{year}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_go() {
        assert_eq!(rfc3339_utc(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1000.5), "1970-01-01T00:16:40Z");
        assert_eq!(rfc3339_utc(4_000_000_000.75), "2096-10-02T07:06:40Z");
        assert_eq!(rfc3339_utc(253_402_300_800.0), "10000-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_949_934_039.0), "2031-10-16T16:20:39Z");
        assert_eq!(rfc3339_utc(-1.5), "1969-12-31T23:59:58Z");
        assert_eq!(rfc3339_utc(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn time_boundaries() {
        let o = VerifyOptions {
            leeway_secs: 5,
            ..VerifyOptions::default()
        };
        let t = |exp, nbf, iat| TimeClaims { exp, nbf, iat };
        assert!(check_times(&t(Some(100.0), None, None), &o, 104).is_ok());
        assert!(matches!(
            check_times(&t(Some(100.0), None, None), &o, 105),
            Err(JwtError::Expired { .. })
        ));
        assert!(check_times(&t(None, Some(105.0), None), &o, 100).is_ok());
        assert!(matches!(
            check_times(&t(None, Some(106.0), None), &o, 100),
            Err(JwtError::NotYetValid { .. })
        ));
        assert!(matches!(
            check_times(&t(None, None, Some(106.0)), &o, 100),
            Err(JwtError::IssuedInFuture { .. })
        ));
    }
}
