//! Error types. Every refusal is a specific variant with a clear message so
//! callers (and the attack tests) can tell *why* a token was refused.

use thiserror::Error;

use super::alg::Algorithm;
use super::b64::Base64Error;
use super::json::JsonError;

/// Which part of a compact JWS a parse error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The protected header (first segment).
    Header,
    /// The payload / claim set (second segment).
    Payload,
    /// The signature (third segment).
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum JwtError {
    /// The token is longer than the configured maximum.
    #[error("token is {len} bytes, larger than the {max}-byte limit")]
    TokenTooLarge {
        /// Actual length.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
    /// Not three dot-separated segments, or an empty header/payload segment.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// A segment is not strict base64url.
    #[error("malformed token: {part} is not valid base64url ({source})")]
    Base64 {
        /// The segment.
        part: Part,
        /// The decoder's reason.
        source: Base64Error,
    },
    /// A segment is not a valid, duplicate-free JSON object.
    #[error("malformed token: {part} JSON refused ({source})")]
    Json {
        /// The segment.
        part: Part,
        /// The parser's reason.
        source: JsonError,
    },
    /// The header has no `alg`.
    #[error("header has no \"alg\"")]
    MissingAlgorithm,
    /// `alg: none` — unsecured tokens are always refused.
    #[error("unsecured token (alg \"none\") refused")]
    AlgorithmNone,
    /// HS256/384/512 — we only hold public keys, so HMAC is never accepted.
    #[error("symmetric algorithm {0} refused (only public-key algorithms are accepted)")]
    SymmetricAlgorithm(String),
    /// An `alg` this verifier does not implement.
    #[error("unsupported algorithm \"{0}\"")]
    UnsupportedAlgorithm(String),
    /// A supported `alg` that the options do not allow.
    #[error("algorithm {0} is not allowed by the verifier's configuration")]
    AlgorithmNotAllowed(Algorithm),
    /// The selected key's type cannot verify the token's `alg`.
    #[error("algorithm {alg} cannot be used with a {kty} key")]
    AlgorithmKeyMismatch {
        /// Token algorithm.
        alg: Algorithm,
        /// Key type of the selected key.
        kty: &'static str,
    },
    /// The selected key's JWK `alg` differs from the token's.
    #[error("key \"{kid}\" is bound to {key_alg}, but the token uses {token_alg}")]
    KeyAlgorithmMismatch {
        /// Key id (empty when none).
        kid: String,
        /// The key's `alg`.
        key_alg: Algorithm,
        /// The token's `alg`.
        token_alg: Algorithm,
    },
    /// The header lists `crit` extensions; we understand none.
    #[error("critical header extension(s) not understood: {0}")]
    CriticalHeader(String),
    /// `b64: false` (RFC 7797 unencoded payload) is not valid for JWTs.
    #[error("unencoded payload (b64) is not supported")]
    UnencodedPayload,
    /// A header parameter has the wrong JSON type.
    #[error("header parameter \"{0}\" has an invalid type")]
    InvalidHeader(&'static str),
    /// The header `typ` does not match the configured type.
    #[error("header typ {} does not match the expected \"{expected}\"", quote_opt(.found))]
    TypeMismatch {
        /// Expected type.
        expected: String,
        /// Type in the token (None when absent).
        found: Option<String>,
    },
    /// The token has no `kid` but the key set requires one.
    #[error("failed to find matching key: no key ID (\"kid\") specified in token")]
    KidMissing,
    /// No key has the token's `kid`.
    #[error("failed to find key with key ID \"{0}\" in key set")]
    KidNotFound(String),
    /// The key matching the token exists but may not be used to verify.
    #[error("key \"{kid}\" cannot be used for verification: {reason}")]
    KeyUnusable {
        /// Key id.
        kid: String,
        /// Why it was set aside at load time.
        reason: String,
    },
    /// No key in the set can verify this algorithm.
    #[error("no key in the key set can verify {0}")]
    NoSuitableKey(Algorithm),
    /// The token has no `kid` and several keys could verify it.
    #[error("token has no \"kid\" and {count} keys could verify {alg}; refusing to guess")]
    AmbiguousKey {
        /// Algorithm.
        alg: Algorithm,
        /// How many keys fit.
        count: usize,
    },
    /// The signature does not verify (wrong key, tampered, truncated, padded).
    #[error("signature verification failed")]
    InvalidSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("token has expired (exp {exp} <= now {now} - leeway {leeway}s)")]
    Expired {
        /// The `exp` claim (whole seconds).
        exp: i64,
        /// Current time.
        now: i64,
        /// Leeway seconds.
        leeway: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid yet (nbf {nbf} > now {now} + leeway {leeway}s)")]
    NotYetValid {
        /// The `nbf` claim (whole seconds).
        nbf: i64,
        /// Current time.
        now: i64,
        /// Leeway seconds.
        leeway: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("issued at time is in the future (iat {iat} > now {now} + leeway {leeway}s)")]
    IssuedInFuture {
        /// The `iat` claim (whole seconds).
        iat: i64,
        /// Current time.
        now: i64,
        /// Leeway seconds.
        leeway: i64,
    },
    /// A registered claim has the wrong JSON type.
    #[error("claim \"{0}\" has an invalid type")]
    InvalidClaimType(&'static str),
    /// A claim the options require is absent.
    #[error("required claim \"{0}\" is missing")]
    MissingClaim(&'static str),
    /// `iss` differs from the configured issuer.
    #[error("issuer \"{found}\" does not match the expected \"{expected}\"")]
    IssuerMismatch {
        /// Expected issuer.
        expected: String,
        /// Issuer in the token.
        found: String,
    },
    /// No `aud` value matches the configured audiences.
    #[error("audience [{}] does not include any of [{}]", quote_list(.found), quote_list(.expected))]
    AudienceMismatch {
        /// Configured audiences.
        expected: Vec<String>,
        /// Audiences in the token.
        found: Vec<String>,
    },
    /// `azp` is not one of the authorized parties.
    #[error("authorized party \"{found}\" is not one of [{}]", quote_list(.expected))]
    UnauthorizedParty {
        /// Configured parties.
        expected: Vec<String>,
        /// `azp` in the token.
        found: String,
    },
}

// Messages avoid `{:?}` and float formatting: each pulls a sizeable
// formatter (Unicode escape tables, float printing) into the wasm.
fn quote_opt(s: &Option<String>) -> String {
    match s {
        Some(v) => format!("\"{v}\""),
        None => "(none)".to_owned(),
    }
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl JwtError {
    /// A stable snake_case code for hosts (JavaScript, logs, metrics).
    pub fn code(&self) -> &'static str {
        match self {
            JwtError::TokenTooLarge { .. } => "token_too_large",
            JwtError::Malformed(_) => "malformed",
            JwtError::Base64 { .. } => "malformed_base64",
            JwtError::Json { .. } => "malformed_json",
            JwtError::MissingAlgorithm => "missing_alg",
            JwtError::AlgorithmNone => "alg_none",
            JwtError::SymmetricAlgorithm(_) => "alg_symmetric",
            JwtError::UnsupportedAlgorithm(_) => "alg_unsupported",
            JwtError::AlgorithmNotAllowed(_) => "alg_not_allowed",
            JwtError::AlgorithmKeyMismatch { .. } => "alg_key_mismatch",
            JwtError::KeyAlgorithmMismatch { .. } => "key_alg_mismatch",
            JwtError::CriticalHeader(_) => "crit_unsupported",
            JwtError::UnencodedPayload => "b64_unsupported",
            JwtError::InvalidHeader(_) => "invalid_header",
            JwtError::TypeMismatch { .. } => "typ_mismatch",
            JwtError::KidMissing => "kid_missing",
            JwtError::KidNotFound(_) => "kid_not_found",
            JwtError::KeyUnusable { .. } => "key_unusable",
            JwtError::NoSuitableKey(_) => "no_suitable_key",
            JwtError::AmbiguousKey { .. } => "ambiguous_key",
            JwtError::InvalidSignature => "invalid_signature",
            JwtError::Expired { .. } => "expired",
            JwtError::NotYetValid { .. } => "not_yet_valid",
            JwtError::IssuedInFuture { .. } => "iat_in_future",
            JwtError::InvalidClaimType(_) => "invalid_claim_type",
            JwtError::MissingClaim(_) => "missing_claim",
            JwtError::IssuerMismatch { .. } => "issuer_mismatch",
            JwtError::AudienceMismatch { .. } => "audience_mismatch",
            JwtError::UnauthorizedParty { .. } => "unauthorized_party",
        }
    }

    /// The short description Cerbos logs for this failure
    /// (`internal/auxdata/jwt.go newJWTExtractionError`).
    pub fn cerbos_description(&self) -> &'static str {
        match self {
            JwtError::Expired { .. } => "token has expired (exp)",
            JwtError::NotYetValid { .. } => "token is not valid yet ('nbf')",
            JwtError::IssuedInFuture { .. } => "issued at time is in the future (iat)",
            JwtError::IssuerMismatch { .. } => "invalid issuer (iss)",
            JwtError::AudienceMismatch { .. } => "invalid audience (aud)",
            _ => "failed to parse JWT",
        }
    }
}

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// Malformed key material.
    #[error("invalid key: {0}")]
    Invalid(String),
    /// Well-formed but of a kind we do not verify with (oct, P-521, X25519…).
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// RSA modulus below 2048 bits.
    #[error("RSA key of {bits} bits is below the 2048-bit minimum")]
    RsaTooSmall {
        /// Modulus size.
        bits: usize,
    },
    /// RSA modulus above 8192 bits.
    #[error("RSA key of {bits} bits is above the 8192-bit maximum")]
    RsaTooLarge {
        /// Modulus size.
        bits: usize,
    },
    /// RSA exponent even, below 3 or too large.
    #[error("RSA public exponent is not acceptable")]
    RsaBadExponent,
    /// JWK `alg` present but empty or not a JOSE algorithm name
    /// (Cerbos: `invalid algorithm (alg)`).
    #[error("invalid algorithm (alg)")]
    InvalidAlgorithm,
    /// Cerbos keyset validation: a JWK without `alg`.
    #[error("failed to validate key at idx {0}: missing algorithm (alg)")]
    MissingAlgorithm(usize),
    /// Cerbos keyset validation: a JWK with an empty `alg`.
    #[error("failed to validate key at idx {0}: empty algorithm (alg)")]
    EmptyAlgorithm(usize),
    /// Cerbos keyset validation: a JWK without `kid`.
    #[error("failed to validate key at idx {0}: missing key ID (kid)")]
    MissingKid(usize),
    /// Cerbos keyset validation: a JWK with an empty `kid`.
    #[error("failed to validate key at idx {0}: empty key ID (kid)")]
    EmptyKid(usize),
    /// An EC private key whose public point is not embedded, in a build
    /// without `ec-derive` (the runtime wasm: ring exposes no scalar
    /// multiplication; the JavaScript wrapper derives the point first).
    #[error("EC private key without an embedded public key; supply the public key (PEM \"PUBLIC KEY\" or JWK x/y)")]
    EcPrivateKeyWithoutPublicKey,
    /// PEM with no key block we understand.
    #[error("failed to parse key data: {0}")]
    Pem(String),
    /// Nothing usable remained.
    #[error("key set has no usable verification keys{0}")]
    NoUsableKeys(String),
    /// Too much key material.
    #[error("key set too large: {0}")]
    TooLarge(String),
}
