//! PEM key files: public keys (SPKI, PKCS#1), private keys whose public half
//! we extract (PKCS#8, PKCS#1, SEC1) and X.509 certificates (their SPKI).
//!
//! Clerk hands out `CLERK_JWT_KEY` as an SPKI "PUBLIC KEY"; Cerbos keysets
//! with `pem: true` may hold any of the above (jwx accepts them all). Only
//! public components are ever kept.

use ring::signature::{Ed25519KeyPair, KeyPair};

use super::alg::{Curve, PublicKey};
use super::b64;
use super::der::{self, oid, Reader};
use super::error::KeyError;

/// Most PEM blocks accepted in one input.
pub const MAX_PEM_BLOCKS: usize = 64;
/// Largest PEM input accepted.
pub const MAX_PEM_BYTES: usize = 256 * 1024;

/// Parses every key block in `text`, in order. Blocks of other kinds
/// (e.g. parameters) are refused rather than skipped, so a typo cannot
/// silently produce an empty key set.
pub fn parse_pem(text: &str) -> Result<Vec<PublicKey>, KeyError> {
    if text.len() > MAX_PEM_BYTES {
        return Err(KeyError::TooLarge(format!(
            "PEM input is {} bytes (limit {MAX_PEM_BYTES})",
            text.len()
        )));
    }
    let mut keys = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            let l = l.trim();
            if l == end {
                closed = true;
                break;
            }
            if l.contains(':') {
                return Err(KeyError::Pem(format!(
                    "PEM headers (encrypted keys) are not supported in {label} block"
                )));
            }
            body.push_str(l);
        }
        if !closed {
            return Err(KeyError::Pem(format!("unterminated {label} block")));
        }
        if keys.len() >= MAX_PEM_BLOCKS {
            return Err(KeyError::TooLarge(format!(
                "more than {MAX_PEM_BLOCKS} PEM blocks"
            )));
        }
        let der = b64::decode_standard(body.as_bytes(), true)
            .map_err(|e| KeyError::Pem(format!("{label} block: {e}")))?;
        keys.push(key_from_der(label, &der)?);
    }
    if keys.is_empty() {
        return Err(KeyError::Pem("no PEM key block found".into()));
    }
    Ok(keys)
}

/// Extracts the public key from one DER structure named by its PEM label.
pub fn key_from_der(label: &str, der_bytes: &[u8]) -> Result<PublicKey, KeyError> {
    match label {
        "PUBLIC KEY" => parse_spki(der_bytes),
        "RSA PUBLIC KEY" => parse_pkcs1_public(der_bytes),
        "PRIVATE KEY" => parse_pkcs8(der_bytes),
        "RSA PRIVATE KEY" => parse_pkcs1_private(der_bytes),
        "EC PRIVATE KEY" => parse_sec1(der_bytes, None),
        "CERTIFICATE" => parse_certificate(der_bytes),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Unsupported(
            "encrypted private keys are not supported".into(),
        )),
        other => Err(KeyError::Pem(format!("unsupported PEM block \"{other}\""))),
    }
}

fn curve_from_oid(o: &[u8]) -> Result<Curve, KeyError> {
    match o {
        oid::P256 => Ok(Curve::P256),
        oid::P384 => Ok(Curve::P384),
        oid::P521 => Err(KeyError::Unsupported("P-521 keys are not supported".into())),
        _ => Err(KeyError::Unsupported("unknown elliptic curve".into())),
    }
}

/// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
pub fn parse_spki(input: &[u8]) -> Result<PublicKey, KeyError> {
    let mut outer = Reader::new(input);
    let mut spki = outer.sequence()?;
    outer.finish()?;
    let mut alg_id = spki.sequence()?;
    let alg_oid = alg_id.read(der::TAG_OID)?;
    let key_bits = spki.bit_string()?;
    spki.finish()?;
    match alg_oid {
        oid::RSA => {
            // Parameters must be NULL (or, leniently, absent).
            if !alg_id.is_empty() {
                alg_id.read(der::TAG_NULL)?;
            }
            alg_id.finish()?;
            parse_pkcs1_public(key_bits)
        }
        oid::EC_PUBLIC_KEY => {
            let curve = curve_from_oid(alg_id.read(der::TAG_OID)?)?;
            alg_id.finish()?;
            PublicKey::ec_point(curve, key_bits)
        }
        oid::ED25519 => {
            alg_id.finish()?;
            PublicKey::ed25519(key_bits)
        }
        oid::RSA_PSS => Err(KeyError::Unsupported(
            "RSASSA-PSS-restricted SPKI keys are not supported".into(),
        )),
        _ => Err(KeyError::Unsupported("unknown public key algorithm".into())),
    }
}

/// PKCS#1 RSAPublicKey.
pub fn parse_pkcs1_public(input: &[u8]) -> Result<PublicKey, KeyError> {
    let mut outer = Reader::new(input);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    let n = seq.unsigned_integer()?;
    let e = seq.unsigned_integer()?;
    seq.finish()?;
    PublicKey::rsa(n, e)
}

/// PKCS#1 RSAPrivateKey: only `n` and `e` are read.
pub fn parse_pkcs1_private(input: &[u8]) -> Result<PublicKey, KeyError> {
    let mut outer = Reader::new(input);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    let _version = seq.unsigned_integer()?;
    let n = seq.unsigned_integer()?;
    let e = seq.unsigned_integer()?;
    PublicKey::rsa(n, e)
}

/// SEC1 ECPrivateKey (RFC 5915). The public point is taken as embedded, or
/// derived from the private scalar when absent (feature `ec-derive`).
fn parse_sec1(input: &[u8], curve_hint: Option<Curve>) -> Result<PublicKey, KeyError> {
    let mut outer = Reader::new(input);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    let _version = seq.unsigned_integer()?;
    let private = seq.read(der::TAG_OCTET_STRING)?;
    let mut curve = curve_hint;
    if let Some(params) = seq.read_optional(der::TAG_CONTEXT_0)? {
        let mut p = Reader::new(params);
        let c = curve_from_oid(p.read(der::TAG_OID)?)?;
        if curve.is_some_and(|h| h != c) {
            return Err(KeyError::Invalid("EC key curve mismatch".into()));
        }
        curve = Some(c);
    }
    let curve = curve.ok_or_else(|| KeyError::Invalid("EC private key without curve".into()))?;
    match seq.read_optional(der::TAG_CONTEXT_1)? {
        Some(pk) => {
            let mut p = Reader::new(pk);
            let point = p.bit_string()?;
            PublicKey::ec_point(curve, point)
        }
        None => derive_public(curve, private),
    }
}

/// The public point `d·G` of a private scalar, for SEC1 keys that leave out
/// their optional public key (jwx, through Go's x509, derives it too).
#[cfg(feature = "ec-derive")]
fn derive_public(curve: Curve, d: &[u8]) -> Result<PublicKey, KeyError> {
    use p384::elliptic_curve::sec1::ToSec1Point;
    // RFC 5915: privateKey is exactly ceil(log2(n)/8) octets; from_slice
    // refuses zero and scalars not below the group order.
    let out_of_range = || KeyError::Invalid(format!("{} private key out of range", curve.name()));
    if d.len() != curve.coordinate_len() {
        return Err(out_of_range());
    }
    let point = match curve {
        Curve::P256 => p256::SecretKey::from_slice(d)
            .map_err(|_| out_of_range())?
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec(),
        Curve::P384 => p384::SecretKey::from_slice(d)
            .map_err(|_| out_of_range())?
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec(),
    };
    PublicKey::ec_point(curve, &point)
}

/// Without `ec-derive` (the runtime wasm) the point must be embedded; the
/// JavaScript wrapper derives it with WebCrypto before keys reach the wasm.
#[cfg(not(feature = "ec-derive"))]
fn derive_public(_curve: Curve, _d: &[u8]) -> Result<PublicKey, KeyError> {
    Err(KeyError::EcPrivateKeyWithoutPublicKey)
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958).
pub fn parse_pkcs8(input: &[u8]) -> Result<PublicKey, KeyError> {
    let mut outer = Reader::new(input);
    let mut seq = outer.sequence()?;
    outer.finish()?;
    let _version = seq.unsigned_integer()?;
    let mut alg_id = seq.sequence()?;
    let alg_oid = alg_id.read(der::TAG_OID)?;
    let private = seq.read(der::TAG_OCTET_STRING)?;
    match alg_oid {
        oid::RSA => parse_pkcs1_private(private),
        oid::EC_PUBLIC_KEY => {
            let curve = curve_from_oid(alg_id.read(der::TAG_OID)?)?;
            parse_sec1(private, Some(curve))
        }
        oid::ED25519 => {
            // CurvePrivateKey ::= OCTET STRING (the 32-byte seed); the public
            // key is derived from the seed rather than trusted from [1].
            let seed = Reader::new(private).read(der::TAG_OCTET_STRING)?;
            let pair = Ed25519KeyPair::from_seed_unchecked(seed)
                .map_err(|_| KeyError::Invalid("bad Ed25519 seed".into()))?;
            PublicKey::ed25519(pair.public_key().as_ref())
        }
        _ => Err(KeyError::Unsupported(
            "unknown private key algorithm".into(),
        )),
    }
}

/// X.509 certificate: the subject public key is returned; the certificate
/// itself (validity, chain) is not evaluated, as with jwx's PEM loader.
pub fn parse_certificate(input: &[u8]) -> Result<PublicKey, KeyError> {
    let mut outer = Reader::new(input);
    let mut cert = outer.sequence()?;
    outer.finish()?;
    let mut tbs = cert.sequence()?;
    let _version = tbs.read_optional(der::TAG_CONTEXT_0)?;
    let _serial = tbs.read(der::TAG_INTEGER)?;
    let _sig_alg = tbs.read(der::TAG_SEQUENCE)?;
    let _issuer = tbs.read(der::TAG_SEQUENCE)?;
    let _validity = tbs.read(der::TAG_SEQUENCE)?;
    let _subject = tbs.read(der::TAG_SEQUENCE)?;
    // Re-wrap the SPKI contents so parse_spki sees a whole TLV.
    let spki = tbs.read(der::TAG_SEQUENCE)?;
    let mut wrapped = Vec::with_capacity(spki.len() + 6);
    wrapped.push(der::TAG_SEQUENCE);
    push_len(&mut wrapped, spki.len());
    wrapped.extend_from_slice(spki);
    parse_spki(&wrapped)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let sig = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | sig.len() as u8);
        out.extend_from_slice(sig);
    }
}
