//! Signature algorithms and the public keys they verify with, over `ring`.
//!
//! Every algorithm is bound to exactly one key shape: RSA keys only verify
//! RS*/PS*, a P-256 key only ES256, a P-384 key only ES384, an Ed25519 key
//! only EdDSA or its fully-specified name Ed25519 (RFC 9864). There is no HMAC at all — we only ever hold public keys, so a
//! token asking for HS* (the classic "sign with the public key as the HMAC
//! secret" confusion) can never reach a verifier.

use std::fmt;

use ring::signature::{self, UnparsedPublicKey};

use super::error::{JwtError, KeyError};

/// The JWS algorithms this crate verifies (RFC 7518 §3, RFC 8037).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (MGF1 SHA-256, salt 32).
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA P-256 with SHA-256, fixed-length `r || s` signature.
    ES256,
    /// ECDSA P-384 with SHA-384, fixed-length `r || s` signature.
    ES384,
    /// Ed25519 (RFC 8037 `EdDSA` with an OKP Ed25519 key).
    EdDSA,
    /// Ed25519 under its fully-specified name (RFC 9864 §2.2): the same
    /// signature as `EdDSA` with an Ed25519 key, but a name that cannot
    /// mean Ed448.
    Ed25519,
}

/// All supported algorithms, in a stable order.
pub const ALL_ALGORITHMS: [Algorithm; 10] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::Ed25519,
];

/// How a header or JWK `alg` value was classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlgClass {
    /// One we verify.
    Supported(Algorithm),
    /// `none` in any letter case: an unsecured JWS.
    None,
    /// HS256/384/512: needs a shared secret, which we never hold.
    Symmetric(String),
    /// A registered JOSE name we do not implement (ES512, ES256K, RSA-OAEP, …).
    Unsupported(String),
}

impl Algorithm {
    /// The JOSE name (`"RS256"`, …, `"EdDSA"`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::Ed25519 => "Ed25519",
        }
    }

    /// Looks up an algorithm by its exact (case-sensitive) JOSE name.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        ALL_ALGORITHMS.iter().copied().find(|a| a.name() == name)
    }

    /// Classifies any `alg` string.
    pub fn classify(name: &str) -> AlgClass {
        if let Some(a) = Algorithm::from_name(name) {
            return AlgClass::Supported(a);
        }
        if name.eq_ignore_ascii_case("none") {
            return AlgClass::None;
        }
        if matches!(name, "HS256" | "HS384" | "HS512") {
            return AlgClass::Symmetric(name.to_owned());
        }
        AlgClass::Unsupported(name.to_owned())
    }

    /// Whether `name` is a registered JOSE signature/encryption algorithm
    /// name that a JWK may legitimately carry (used to tell "unusable here"
    /// from "invalid").
    pub(crate) fn is_registered_name(name: &str) -> bool {
        const OTHER: &[&str] = &[
            "HS256",
            "HS384",
            "HS512",
            "ES512",
            "ES256K",
            "Ed448",
            "none",
            "RSA1_5",
            "RSA-OAEP",
            "RSA-OAEP-256",
            "RSA-OAEP-384",
            "RSA-OAEP-512",
            "A128KW",
            "A192KW",
            "A256KW",
            "dir",
            "ECDH-ES",
            "ECDH-ES+A128KW",
            "ECDH-ES+A192KW",
            "ECDH-ES+A256KW",
            "A128GCMKW",
            "A192GCMKW",
            "A256GCMKW",
            "PBES2-HS256+A128KW",
            "PBES2-HS384+A192KW",
            "PBES2-HS512+A256KW",
        ];
        Algorithm::from_name(name).is_some() || OTHER.contains(&name)
    }

    /// ECDSA signatures have a fixed `r || s` length.
    fn fixed_signature_len(self) -> Option<usize> {
        match self {
            Algorithm::ES256 => Some(64),
            Algorithm::ES384 => Some(96),
            Algorithm::EdDSA | Algorithm::Ed25519 => Some(64),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Elliptic curves for ECDSA keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }
    /// Length in bytes of one coordinate.
    pub fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }
}

/// Smallest RSA modulus we accept, in bits (also ring's floor).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus ring verifies, in bits.
pub const MAX_RSA_BITS: usize = 8192;

/// A public verification key.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: big-endian modulus and exponent without leading zero bytes.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// ECDSA: uncompressed SEC1 point `0x04 || X || Y`.
    Ec {
        /// The curve.
        curve: Curve,
        /// The encoded point.
        point: Vec<u8>,
    },
    /// Ed25519: the 32-byte public key.
    Ed25519([u8; 32]),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicKey::Rsa { n, .. } => write!(f, "PublicKey::Rsa({} bits)", rsa_bits(n)),
            PublicKey::Ec { curve, .. } => write!(f, "PublicKey::Ec({})", curve.name()),
            PublicKey::Ed25519(_) => f.write_str("PublicKey::Ed25519"),
        }
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

/// Bit length of a big-endian unsigned integer.
pub(crate) fn rsa_bits(n: &[u8]) -> usize {
    let n = strip_leading_zeros(n);
    match n.first() {
        None => 0,
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

impl PublicKey {
    /// Builds an RSA key, enforcing 2048..=8192 bits and a sane odd exponent.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = rsa_bits(n);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::RsaTooSmall { bits });
        }
        if bits > MAX_RSA_BITS {
            return Err(KeyError::RsaTooLarge { bits });
        }
        // ring accepts 3 <= e < 2^33 and odd; refuse anything else up front.
        let e_ok = match e.len() {
            1..=4 => {
                let v = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                v >= 3 && v % 2 == 1
            }
            _ => false,
        };
        if !e_ok {
            return Err(KeyError::RsaBadExponent);
        }
        Ok(PublicKey::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// Builds an ECDSA key from its affine coordinates (each exactly the
    /// curve's coordinate length, as RFC 7518 §6.2.1.2 requires).
    pub fn ec(curve: Curve, x: &[u8], y: &[u8]) -> Result<PublicKey, KeyError> {
        let len = curve.coordinate_len();
        if x.len() != len || y.len() != len {
            return Err(KeyError::Invalid(format!(
                "{} coordinates must be {len} bytes each",
                curve.name()
            )));
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Ok(PublicKey::Ec { curve, point })
    }

    /// Builds an ECDSA key from an uncompressed SEC1 point.
    pub fn ec_point(curve: Curve, point: &[u8]) -> Result<PublicKey, KeyError> {
        let len = curve.coordinate_len();
        match point.split_first() {
            Some((0x04, rest)) if rest.len() == 2 * len => Ok(PublicKey::Ec {
                curve,
                point: point.to_vec(),
            }),
            Some((0x02 | 0x03, _)) => Err(KeyError::Unsupported(
                "compressed EC points are not supported".into(),
            )),
            _ => Err(KeyError::Invalid(format!(
                "malformed {} public point",
                curve.name()
            ))),
        }
    }

    /// Builds an Ed25519 key.
    pub fn ed25519(x: &[u8]) -> Result<PublicKey, KeyError> {
        let arr: [u8; 32] = x
            .try_into()
            .map_err(|_| KeyError::Invalid("Ed25519 public key must be 32 bytes".into()))?;
        Ok(PublicKey::Ed25519(arr))
    }

    /// Whether this key can verify `alg`.
    pub fn supports(&self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            PublicKey::Rsa { .. } => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            PublicKey::Ec {
                curve: Curve::P256, ..
            } => alg == ES256,
            PublicKey::Ec {
                curve: Curve::P384, ..
            } => alg == ES384,
            PublicKey::Ed25519(_) => matches!(alg, EdDSA | Ed25519),
        }
    }

    /// The algorithms this key can verify.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        ALL_ALGORITHMS
            .iter()
            .copied()
            .filter(|a| self.supports(*a))
            .collect()
    }

    /// JWK `kty` of this key.
    pub fn kty(&self) -> &'static str {
        match self {
            PublicKey::Rsa { .. } => "RSA",
            PublicKey::Ec { .. } => "EC",
            PublicKey::Ed25519(_) => "OKP",
        }
    }

    /// Verifies `signature` over `message` with `alg`.
    ///
    /// Fails with [`JwtError::AlgorithmKeyMismatch`] when the key cannot do
    /// `alg` and [`JwtError::InvalidSignature`] when the check fails.
    pub fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> Result<(), JwtError> {
        if !self.supports(alg) {
            return Err(JwtError::AlgorithmKeyMismatch {
                alg,
                kty: self.kty(),
            });
        }
        if let Some(len) = alg.fixed_signature_len() {
            if sig.len() != len {
                return Err(JwtError::InvalidSignature);
            }
        }
        let ok = match self {
            PublicKey::Rsa { n, e } => {
                let params: &signature::RsaParameters = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                signature::RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .is_ok()
            }
            PublicKey::Ec { curve, point } => {
                let a: &'static signature::EcdsaVerificationAlgorithm = match curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                };
                UnparsedPublicKey::new(a, point)
                    .verify(message, sig)
                    .is_ok()
            }
            PublicKey::Ed25519(k) => UnparsedPublicKey::new(&signature::ED25519, k)
                .verify(message, sig)
                .is_ok(),
        };
        if ok {
            Ok(())
        } else {
            Err(JwtError::InvalidSignature)
        }
    }
}
