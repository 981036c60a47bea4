//! Helpers shared by the JWT integration tests: fixtures, shared-material
//! lookup and token signing with ring.
#![allow(dead_code)]

use std::path::PathBuf;

use portcullis::jwt::b64;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::Value;

/// Reads a file from tests/jwt_fixtures.
pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/jwt_fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// DER body of the first PEM block in `pem`.
pub fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("");
    b64::decode_standard(body.as_bytes(), true).expect("PEM body")
}

/// Root of the shared material, or None after printing the SKIPPED banner
/// (fails instead when CI=true).
pub fn shared_root() -> Option<PathBuf> {
    let root = std::env::var_os("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if root.join("conformance/cerbos/auxdata").is_dir() {
        return Some(root);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("shared material not found at {} (CI=true)", root.display());
    }
    eprintln!(
        "SKIPPED: shared material not found at {} (set PORTCULLIS_SHARED)",
        root.display()
    );
    None
}

/// A signing key for test tokens.
pub enum Signer {
    /// RSA (PKCS#1 v1.5 or PSS, picked by the algorithm).
    Rsa(RsaKeyPair),
    /// ECDSA P-256 or P-384 (fixed-length signatures).
    Ec(EcdsaKeyPair),
    /// Ed25519.
    Ed(Ed25519KeyPair),
}

impl Signer {
    pub fn rsa_pkcs8_pem(pem: &str) -> Signer {
        Signer::Rsa(RsaKeyPair::from_pkcs8(&pem_der(pem)).expect("RSA PKCS#8"))
    }
    pub fn p256_pkcs8_pem(pem: &str) -> Signer {
        let rng = SystemRandom::new();
        Signer::Ec(
            EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &pem_der(pem),
                &rng,
            )
            .expect("P-256 PKCS#8"),
        )
    }
    pub fn ed25519_pkcs8_pem(pem: &str) -> Signer {
        Signer::Ed(
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(pem)).expect("Ed25519 PKCS#8"),
        )
    }
    /// P-384 from raw private scalar and public coordinates (JWK d/x/y).
    pub fn p384_from_jwk(d: &[u8], x: &[u8], y: &[u8]) -> Signer {
        let rng = SystemRandom::new();
        let mut point = vec![4u8];
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Signer::Ec(
            EcdsaKeyPair::from_private_key_and_public_key(
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                d,
                &point,
                &rng,
            )
            .expect("P-384 key"),
        )
    }
    pub fn generate_p256() -> Signer {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("gen");
        Signer::Ec(
            EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                doc.as_ref(),
                &rng,
            )
            .expect("P-256"),
        )
    }
    pub fn generate_p384() -> Signer {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .expect("gen");
        Signer::Ec(
            EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                doc.as_ref(),
                &rng,
            )
            .expect("P-384"),
        )
    }
    pub fn generate_ed25519() -> Signer {
        let rng = SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).expect("gen");
        Signer::Ed(Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("Ed25519"))
    }

    /// Signs `input` with `alg` (the JOSE name).
    pub fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Signer::Rsa(kp) => {
                let enc: &'static dyn signature::RsaEncoding = match alg {
                    "RS256" => &signature::RSA_PKCS1_SHA256,
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    other => panic!("RSA cannot sign {other}"),
                };
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(enc, &rng, input, &mut sig).expect("sign");
                sig
            }
            Signer::Ec(kp) => kp.sign(&rng, input).expect("sign").as_ref().to_vec(),
            Signer::Ed(kp) => kp.sign(input).as_ref().to_vec(),
        }
    }

    /// The public key as a JWK object (no kid/alg).
    pub fn public_jwk(&self) -> Value {
        match self {
            Signer::Rsa(kp) => {
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = kp.public().into();
                serde_json::json!({
                    "kty": "RSA",
                    "n": b64::encode_url(&c.n),
                    "e": b64::encode_url(&c.e),
                })
            }
            Signer::Ec(kp) => {
                let p = kp.public_key().as_ref();
                let len = (p.len() - 1) / 2;
                let crv = if len == 32 { "P-256" } else { "P-384" };
                serde_json::json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": b64::encode_url(&p[1..1 + len]),
                    "y": b64::encode_url(&p[1 + len..]),
                })
            }
            Signer::Ed(kp) => serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64::encode_url(kp.public_key().as_ref()),
            }),
        }
    }
}

/// `BASE64URL(header).BASE64URL(payload).BASE64URL(sig)` from raw JSON text.
pub fn sign_raw(signer: &Signer, alg: &str, header_json: &str, payload_json: &str) -> String {
    let input = format!(
        "{}.{}",
        b64::encode_url(header_json.as_bytes()),
        b64::encode_url(payload_json.as_bytes())
    );
    let sig = signer.sign(alg, input.as_bytes());
    format!("{input}.{}", b64::encode_url(&sig))
}

/// Signs `claims` with a header `{"alg", "typ":"JWT", "kid"?}`.
pub fn sign(signer: &Signer, alg: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = serde_json::json!({"alg": alg, "typ": "JWT"});
    if let Some(k) = kid {
        header["kid"] = Value::String(k.to_owned());
    }
    sign_raw(signer, alg, &header.to_string(), &claims.to_string())
}

/// A JWKS document holding `keys`.
pub fn jwks(keys: &[Value]) -> String {
    serde_json::json!({ "keys": keys }).to_string()
}

/// `jwk` with `kid`/`alg` added.
pub fn with_meta(mut jwk: Value, kid: Option<&str>, alg: Option<&str>) -> Value {
    if let Some(k) = kid {
        jwk["kid"] = Value::String(k.into());
    }
    if let Some(a) = alg {
        jwk["alg"] = Value::String(a.into());
    }
    jwk
}

/// One DER TLV (short or one/two-byte long lengths): (tag, value, rest).
pub fn der_tlv(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let (tag, first) = (input[0], input[1]);
    let (len, start) = match first {
        0x81 => (usize::from(input[2]), 3),
        0x82 => (usize::from(input[2]) << 8 | usize::from(input[3]), 4),
        n => (usize::from(n), 2),
    };
    (tag, &input[start..start + len], &input[start + len..])
}

/// DER encoding of `tag` around `value`.
pub fn der_wrap(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// The private scalar of an EC key in PKCS#8 (`PRIVATE KEY`) or SEC1
/// (`EC PRIVATE KEY`) DER.
pub fn ec_private_scalar(der: &[u8]) -> Vec<u8> {
    let (_, seq, _) = der_tlv(der);
    let (_, _version, rest) = der_tlv(seq);
    let (tag, value, rest) = der_tlv(rest);
    match tag {
        // SEC1: version, then privateKey OCTET STRING.
        0x04 => value.to_vec(),
        // PKCS#8: AlgorithmIdentifier, then OCTET STRING holding SEC1.
        0x30 => {
            let (_, sec1, _) = der_tlv(rest);
            ec_private_scalar(sec1)
        }
        other => panic!("unexpected tag {other:#x}"),
    }
}

/// DER contents of the curve OIDs.
pub const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
pub const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];

/// A SEC1 `ECPrivateKey` holding only the scalar and the curve (no public
/// key), as OpenSSL writes with `-no_public`.
pub fn sec1_without_public(curve_oid: &[u8], d: &[u8]) -> Vec<u8> {
    let mut body = der_wrap(0x02, &[1]);
    body.extend(der_wrap(0x04, d));
    body.extend(der_wrap(0xA0, &der_wrap(0x06, curve_oid)));
    der_wrap(0x30, &body)
}

/// A PKCS#8 `PrivateKeyInfo` around an EC SEC1 key.
pub fn pkcs8_ec(curve_oid: &[u8], sec1: &[u8]) -> Vec<u8> {
    let ec_public_key = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    let mut alg = der_wrap(0x06, &ec_public_key);
    alg.extend(der_wrap(0x06, curve_oid));
    let mut body = der_wrap(0x02, &[0]);
    body.extend(der_wrap(0x30, &alg));
    body.extend(der_wrap(0x04, sec1));
    der_wrap(0x30, &body)
}

/// PEM text of `der` under `label`.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let body = b64::encode_url(der).replace('-', "+").replace('_', "/");
    let mut padded = body.clone();
    while padded.len() % 4 != 0 {
        padded.push('=');
    }
    let lines: Vec<&str> = padded
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A P-256 or P-384 signer from a private scalar and its public point; ring
/// refuses the pair unless the point is `d·G`.
pub fn ec_signer(d: &[u8], point: &[u8]) -> Result<Signer, ring::error::KeyRejected> {
    let rng = SystemRandom::new();
    let alg = if d.len() == 32 {
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING
    } else {
        &signature::ECDSA_P384_SHA384_FIXED_SIGNING
    };
    EcdsaKeyPair::from_private_key_and_public_key(alg, d, point, &rng).map(Signer::Ec)
}
