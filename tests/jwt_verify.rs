//! JWT verification: every algorithm and key format accepted, and an attack
//! suite where each forged or invalid token is refused for the right reason.

mod jwt_common;

use jwt_common::*;
use portcullis::jwt::b64::{encode_url, Base64Error};
use portcullis::jwt::json::JsonError;
use portcullis::jwt::{
    verify, Algorithm, CachedVerifier, JwtError, KeyError, KeySet, KidMode, Part, VerifyOptions,
};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn claims() -> Value {
    json!({"sub": "user_1", "iss": "https://issuer.example", "aud": "api", "exp": NOW + 3600, "iat": NOW - 10, "nbf": NOW - 10})
}

fn rsa_a() -> Signer {
    Signer::rsa_pkcs8_pem(&fixture("rsa_a.pk8.pem"))
}

fn rsa_b() -> Signer {
    Signer::rsa_pkcs8_pem(&fixture("rsa_b.pk8.pem"))
}

fn rsa_a_keys() -> KeySet {
    KeySet::from_jwks(&jwks(&[with_meta(
        rsa_a().public_jwk(),
        Some("a"),
        Some("RS256"),
    )]))
    .unwrap()
}

fn opts() -> VerifyOptions {
    VerifyOptions::default()
}

fn err(token: &str, keys: &KeySet, o: &VerifyOptions) -> JwtError {
    match verify(token, keys, o, NOW) {
        Ok(t) => panic!("token accepted: {:?}", t.claims),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- accepted

#[test]
fn every_algorithm_verifies_with_its_key() {
    let cases: Vec<(Signer, &str)> = vec![
        (rsa_a(), "RS256"),
        (rsa_a(), "RS384"),
        (rsa_a(), "RS512"),
        (rsa_a(), "PS256"),
        (rsa_a(), "PS384"),
        (rsa_a(), "PS512"),
        (Signer::p256_pkcs8_pem(&fixture("ec_p256.pk8.pem")), "ES256"),
        (Signer::generate_p384(), "ES384"),
        (
            Signer::ed25519_pkcs8_pem(&fixture("ed25519.pk8.pem")),
            "EdDSA",
        ),
        (
            Signer::ed25519_pkcs8_pem(&fixture("ed25519.pk8.pem")),
            "Ed25519",
        ),
    ];
    for (signer, alg) in cases {
        let keys = KeySet::from_jwks(&jwks(&[with_meta(
            signer.public_jwk(),
            Some("k1"),
            Some(alg),
        )]))
        .unwrap();
        let token = sign(&signer, alg, Some("k1"), &claims());
        let t = verify(&token, &keys, &opts(), NOW).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(t.alg, alg);
        assert_eq!(t.kid.as_deref(), Some("k1"));
        assert_eq!(t.claims["sub"], "user_1");
        assert_eq!(t.times.exp, Some((NOW + 3600) as f64));
        assert!(t.signature_verified);
        // Without `alg` in the JWK the key type decides (inference allowed by default).
        let keys =
            KeySet::from_jwks(&jwks(&[with_meta(signer.public_jwk(), Some("k1"), None)])).unwrap();
        assert!(
            verify(&token, &keys, &opts(), NOW).is_ok(),
            "{alg} inferred"
        );
    }
}

/// RFC 9864: `Ed25519` is the fully-specified name of `EdDSA` with an
/// Ed25519 key. A JWK `alg` binds its key to exactly one of the two names
/// (as `jose` does); an unbound Ed25519 key verifies both; no other key type
/// verifies either.
#[test]
fn fully_specified_ed25519_is_bound_like_eddsa() {
    let ed = Signer::ed25519_pkcs8_pem(&fixture("ed25519.pk8.pem"));
    let t_ed25519 = sign(&ed, "Ed25519", Some("e"), &claims());
    let t_eddsa = sign(&ed, "EdDSA", Some("e"), &claims());
    let bound = |alg: Option<&str>| {
        KeySet::from_jwks(&jwks(&[with_meta(ed.public_jwk(), Some("e"), alg)])).unwrap()
    };
    let t = verify(&t_ed25519, &bound(Some("Ed25519")), &opts(), NOW).unwrap();
    assert_eq!(
        (t.alg.as_str(), t.claims["sub"].as_str()),
        ("Ed25519", Some("user_1"))
    );
    assert!(verify(&t_ed25519, &bound(None), &opts(), NOW).is_ok());
    assert!(verify(&t_eddsa, &bound(None), &opts(), NOW).is_ok());
    assert_eq!(
        err(&t_ed25519, &bound(Some("EdDSA")), &opts()),
        JwtError::KeyAlgorithmMismatch {
            kid: "e".into(),
            key_alg: Algorithm::EdDSA,
            token_alg: Algorithm::Ed25519
        }
    );
    assert_eq!(
        err(&t_eddsa, &bound(Some("Ed25519")), &opts()),
        JwtError::KeyAlgorithmMismatch {
            kid: "e".into(),
            key_alg: Algorithm::Ed25519,
            token_alg: Algorithm::EdDSA
        }
    );
    // PEM keys carry no alg: both names verify.
    let pem = KeySet::from_pem(&fixture("ed25519.spki.pem")).unwrap();
    assert!(verify(&t_ed25519, &pem, &opts(), NOW).is_ok());
    // The algorithm allow-list names it separately.
    let mut only_eddsa = opts();
    only_eddsa.algorithms = Some(vec![Algorithm::EdDSA]);
    assert_eq!(
        err(&t_ed25519, &pem, &only_eddsa),
        JwtError::AlgorithmNotAllowed(Algorithm::Ed25519)
    );
    // A tampered payload or another Ed25519 key fails the signature.
    let (head, rest) = t_ed25519.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let forged = format!(
        "{head}.{}.{sig}",
        encode_url(
            json!({"sub": "admin", "exp": NOW + 3600})
                .to_string()
                .as_bytes()
        )
    );
    assert_eq!(err(&forged, &pem, &opts()), JwtError::InvalidSignature);
    let other = Signer::generate_ed25519();
    let wrong = KeySet::from_jwks(&jwks(&[with_meta(
        other.public_jwk(),
        Some("e"),
        Some("Ed25519"),
    )]))
    .unwrap();
    assert_eq!(err(&t_ed25519, &wrong, &opts()), JwtError::InvalidSignature);
    // No RSA or EC key verifies it, and an RSA JWK may not claim it.
    let ec = KeySet::from_pem(&fixture("ec_p256.spki.pem")).unwrap();
    assert!(matches!(
        err(&sign(&ed, "Ed25519", None, &claims()), &ec, &opts()),
        JwtError::AlgorithmKeyMismatch {
            alg: Algorithm::Ed25519,
            kty: "EC"
        }
    ));
    let rsa_claiming = KeySet::from_jwks(&jwks(&[
        with_meta(rsa_a().public_jwk(), Some("r"), Some("Ed25519")),
        with_meta(ed.public_jwk(), Some("e"), Some("Ed25519")),
    ]))
    .unwrap();
    assert_eq!(rsa_claiming.len(), 1, "{:?}", rsa_claiming.skipped());
    assert!(rsa_claiming.skipped()[0].reason.contains("Ed25519"));
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// EC private keys that leave out their public point (OpenSSL `-no_public`,
/// Cerbos's ES384 PEM case): with `ec-derive` the point is derived (d·G)
/// and must be the one the key pair really has; without it (the runtime
/// wasm) the key is refused with a reason.
#[test]
fn ec_private_keys_without_public_point() {
    let full = pem_der(&fixture("ec_p256.sec1.pem"));
    let d = ec_private_scalar(&full);
    let expected = KeySet::from_pem(&fixture("ec_p256.spki.pem")).unwrap();
    let signer = Signer::p256_pkcs8_pem(&fixture("ec_p256.pk8.pem"));
    let token = sign(&signer, "ES256", None, &claims());
    let sec1 = sec1_without_public(OID_P256, &d);
    for pem in [
        to_pem("EC PRIVATE KEY", &sec1),
        to_pem("PRIVATE KEY", &pkcs8_ec(OID_P256, &sec1)),
    ] {
        let loaded = KeySet::from_pem(&pem);
        if cfg!(feature = "ec-derive") {
            let keys = loaded.unwrap();
            assert_eq!(keys.keys()[0].key, expected.keys()[0].key);
            assert!(verify(&token, &keys, &opts(), NOW).is_ok());
        } else {
            assert_eq!(loaded, Err(KeyError::EcPrivateKeyWithoutPublicKey));
        }
    }
    // A fresh P-384 pair: ring accepts (d, derived point) only if it is d·G.
    let p384 = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let d = ec_private_scalar(p384.as_ref());
    let pem = to_pem("EC PRIVATE KEY", &sec1_without_public(OID_P384, &d));
    if cfg!(feature = "ec-derive") {
        let keys = KeySet::from_pem(&pem).unwrap();
        let portcullis::jwt::PublicKey::Ec { point, .. } = &keys.keys()[0].key else {
            panic!("not EC")
        };
        let signer = ec_signer(&d, point).expect("derived point is d·G");
        assert!(verify(
            &sign(&signer, "ES384", None, &claims()),
            &keys,
            &opts(),
            NOW
        )
        .is_ok());
        // The P-256 key's token does not verify with it.
        assert!(verify(&token, &keys, &opts(), NOW).is_err());
    }
    // Scalars outside [1, n): zero, the group order, the wrong length.
    let n256 = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    let n384 = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973");
    for (oid, bad) in [
        (OID_P256, vec![0u8; 32]),
        (OID_P256, n256),
        (OID_P384, n384),
        (OID_P384, vec![1u8; 47]),
        (OID_P256, vec![1u8; 48]),
    ] {
        let pem = to_pem("EC PRIVATE KEY", &sec1_without_public(oid, &bad));
        let e = KeySet::from_pem(&pem).unwrap_err();
        if cfg!(feature = "ec-derive") {
            assert!(
                matches!(&e, KeyError::Invalid(m) if m.contains("private key out of range")),
                "{e}"
            );
        } else {
            assert_eq!(e, KeyError::EcPrivateKeyWithoutPublicKey);
        }
    }
}

#[test]
fn pem_formats_all_load_and_verify() {
    let rsa = rsa_a();
    let rsa_token = sign(&rsa, "RS256", Some("ins_2abc"), &claims());
    for name in [
        "rsa_a.spki.pem",
        "rsa_a.pk8.pem",
        "rsa_a.pkcs1.pem",
        "rsa_a.pkcs1pub.pem",
    ] {
        let keys = KeySet::from_pem(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(keys.len(), 1);
        // Clerk-style: the token has a kid, the PEM key has none -> the one key is used.
        verify(&rsa_token, &keys, &VerifyOptions::clerk(), NOW)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let ec = Signer::p256_pkcs8_pem(&fixture("ec_p256.pk8.pem"));
    let ec_token = sign(&ec, "ES256", None, &claims());
    for name in [
        "ec_p256.spki.pem",
        "ec_p256.pk8.pem",
        "ec_p256.sec1.pem",
        "ec_p256.cert.pem",
    ] {
        let keys = KeySet::from_pem(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        verify(&ec_token, &keys, &opts(), NOW).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let ed = Signer::ed25519_pkcs8_pem(&fixture("ed25519.pk8.pem"));
    let ed_token = sign(&ed, "EdDSA", None, &claims());
    for name in ["ed25519.spki.pem", "ed25519.pk8.pem"] {
        let keys = KeySet::from_pem(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        verify(&ed_token, &keys, &opts(), NOW).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Several blocks in one input -> several keys.
    let both = format!(
        "{}\n{}",
        fixture("rsa_a.spki.pem"),
        fixture("rsa_b.spki.pem")
    );
    assert_eq!(KeySet::from_pem(&both).unwrap().len(), 2);
}

#[test]
fn clerk_options_and_authorized_parties() {
    let keys = KeySet::from_pem(&fixture("rsa_a.spki.pem")).unwrap();
    let mut c = claims();
    c["azp"] = json!("https://app.example");
    let token = sign(&rsa_a(), "RS256", Some("ins_1"), &c);
    let mut o = VerifyOptions::clerk();
    o.authorized_parties = vec!["https://app.example".into(), "https://other.example".into()];
    o.issuer = Some("https://issuer.example".into());
    assert!(verify(&token, &keys, &o, NOW).is_ok());
    // Without azp in the token, a configured list refuses it (as
    // @clerk/backend's verifyToken does).
    let mut c2 = claims();
    c2.as_object_mut().unwrap().remove("azp");
    assert_eq!(
        err(&sign(&rsa_a(), "RS256", None, &c2), &keys, &o),
        JwtError::MissingClaim("azp")
    );
    // Clerk requires sub.
    let mut c3 = c.clone();
    c3.as_object_mut().unwrap().remove("sub");
    assert_eq!(
        err(&sign(&rsa_a(), "RS256", None, &c3), &keys, &o),
        JwtError::MissingClaim("sub")
    );
    // Clerk refuses a non-JWT typ.
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","typ":"at+jwt"}"#,
        &claims().to_string(),
    );
    assert!(matches!(err(&t, &keys, &o), JwtError::TypeMismatch { .. }));
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","typ":"application/JWT"}"#,
        &c.to_string(),
    );
    assert!(verify(&t, &keys, &o, NOW).is_ok());
}

#[test]
fn leeway_boundaries() {
    let keys = rsa_a_keys();
    let mut o = opts();
    o.leeway_secs = 5;
    let at = |exp: i64| sign(&rsa_a(), "RS256", Some("a"), &json!({"exp": exp}));
    assert!(verify(&at(NOW - 4), &keys, &o, NOW).is_ok());
    assert!(matches!(
        err(&at(NOW - 5), &keys, &o),
        JwtError::Expired { .. }
    ));
    let iat = |iat: i64| sign(&rsa_a(), "RS256", Some("a"), &json!({"iat": iat}));
    assert!(verify(&iat(NOW + 5), &keys, &o, NOW).is_ok());
    assert!(matches!(
        err(&iat(NOW + 6), &keys, &o),
        JwtError::IssuedInFuture { .. }
    ));
    o.require_exp = true;
    assert_eq!(err(&iat(NOW), &keys, &o), JwtError::MissingClaim("exp"));
}

#[test]
fn cached_verifier_verifies_once_and_expires() {
    let v = CachedVerifier::new(rsa_a_keys(), opts(), 4);
    let token = sign(
        &rsa_a(),
        "RS256",
        Some("a"),
        &json!({"sub": "u", "exp": NOW + 100}),
    );
    let first = v.verify(&token, NOW).unwrap();
    let second = v.verify(&token, NOW + 1).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "second call must be a cache hit"
    );
    assert_eq!(v.cached(), 1);
    // Past exp (+ leeway) the entry is gone and the token refused.
    assert!(matches!(
        v.verify(&token, NOW + 200),
        Err(JwtError::Expired { .. })
    ));
    assert_eq!(v.cached(), 0);
    // A hit still re-checks time when `now` moves backwards before nbf.
    let t2 = sign(
        &rsa_a(),
        "RS256",
        Some("a"),
        &json!({"nbf": NOW, "exp": NOW + 100}),
    );
    v.verify(&t2, NOW).unwrap();
    assert!(matches!(
        v.verify(&t2, NOW - 60),
        Err(JwtError::NotYetValid { .. })
    ));
    // Bounded: more distinct tokens than capacity keep the size at capacity.
    for i in 0..10 {
        let t = sign(
            &rsa_a(),
            "RS256",
            Some("a"),
            &json!({"n": i, "exp": NOW + 100}),
        );
        v.verify(&t, NOW).unwrap();
    }
    assert_eq!(v.cached(), 4);
    // A tampered token never hits the cache entry of the genuine one.
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let v2 = CachedVerifier::new(rsa_a_keys(), opts(), 4);
    v2.verify(&token, NOW).unwrap();
    assert!(v2.verify(&forged, NOW).is_err());
}

#[test]
fn key_selection_rules() {
    let a = rsa_a();
    let b = rsa_b();
    let two = KeySet::from_jwks(&jwks(&[
        with_meta(a.public_jwk(), Some("a"), Some("RS256")),
        with_meta(b.public_jwk(), Some("b"), Some("RS256")),
    ]))
    .unwrap();
    let c = claims();
    assert!(verify(&sign(&b, "RS256", Some("b"), &c), &two, &opts(), NOW).is_ok());
    // No kid and two candidate keys: refuse to guess.
    assert_eq!(
        err(&sign(&a, "RS256", None, &c), &two, &opts()),
        JwtError::AmbiguousKey {
            alg: Algorithm::RS256,
            count: 2
        }
    );
    // No kid, one key that fits: used.
    let ec = Signer::generate_p256();
    let mixed = KeySet::from_jwks(&jwks(&[
        with_meta(a.public_jwk(), Some("a"), None),
        with_meta(ec.public_jwk(), Some("e"), None),
    ]))
    .unwrap();
    assert!(verify(&sign(&ec, "ES256", None, &c), &mixed, &opts(), NOW).is_ok());
    // Required kid mode (Cerbos default).
    let strict = two.clone().with_kid_mode(KidMode::Required);
    assert_eq!(
        err(&sign(&a, "RS256", None, &c), &strict, &opts()),
        JwtError::KidMissing
    );
    // Ignore mode tries every key (Cerbos optionalKid).
    let any = two.with_kid_mode(KidMode::Ignore);
    assert!(verify(&sign(&b, "RS256", None, &c), &any, &opts(), NOW).is_ok());
    assert!(verify(&sign(&b, "RS256", Some("zzz"), &c), &any, &opts(), NOW).is_ok());
    // Without inference a JWK lacking alg is unusable.
    let no_alg = KeySet::from_jwks(&jwks(&[with_meta(a.public_jwk(), Some("a"), None)]))
        .unwrap()
        .with_alg_inference(false);
    assert_eq!(
        err(&sign(&a, "RS256", Some("a"), &c), &no_alg, &opts()),
        JwtError::NoSuitableKey(Algorithm::RS256)
    );
}

// ------------------------------------------------------------------ attacks

#[test]
fn attack_alg_none() {
    let keys = rsa_a_keys();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = encode_url(format!(r#"{{"alg":"{alg}","kid":"a"}}"#).as_bytes());
        let p = encode_url(claims().to_string().as_bytes());
        for token in [format!("{h}.{p}."), format!("{h}.{p}.AAAA")] {
            assert_eq!(
                err(&token, &keys, &opts()),
                JwtError::AlgorithmNone,
                "{alg}"
            );
        }
    }
}

#[test]
fn attack_hs256_with_public_key_as_secret() {
    let keys = KeySet::from_pem(&fixture("rsa_a.spki.pem")).unwrap();
    let secret = fixture("rsa_a.spki.pem");
    for alg in ["HS256", "HS384", "HS512"] {
        let h = encode_url(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
        let p = encode_url(claims().to_string().as_bytes());
        let input = format!("{h}.{p}");
        let halg = match alg {
            "HS256" => ring::hmac::HMAC_SHA256,
            "HS384" => ring::hmac::HMAC_SHA384,
            _ => ring::hmac::HMAC_SHA512,
        };
        let key = ring::hmac::Key::new(halg, secret.as_bytes());
        let tag = ring::hmac::sign(&key, input.as_bytes());
        let token = format!("{input}.{}", encode_url(tag.as_ref()));
        assert_eq!(
            err(&token, &keys, &VerifyOptions::clerk()),
            JwtError::SymmetricAlgorithm(alg.into())
        );
        assert_eq!(
            err(&token, &keys, &opts()),
            JwtError::SymmetricAlgorithm(alg.into())
        );
    }
    // An `oct` JWK is never loaded as a key.
    let oct = KeySet::from_jwks(r#"{"kty":"oct","k":"c2VjcmV0","kid":"s","alg":"HS256"}"#);
    assert!(matches!(oct, Err(KeyError::NoUsableKeys(_))));
}

#[test]
fn attack_kid_not_found_and_wrong_key() {
    let keys = rsa_a_keys();
    assert_eq!(
        err(
            &sign(&rsa_a(), "RS256", Some("nope"), &claims()),
            &keys,
            &opts()
        ),
        JwtError::KidNotFound("nope".into())
    );
    // Right kid, signed by a different key.
    assert_eq!(
        err(
            &sign(&rsa_b(), "RS256", Some("a"), &claims()),
            &keys,
            &opts()
        ),
        JwtError::InvalidSignature
    );
}

#[test]
fn attack_tampering() {
    let keys = rsa_a_keys();
    let token = sign(&rsa_a(), "RS256", Some("a"), &claims());
    let parts: Vec<&str> = token.split('.').collect();
    // Payload swapped for an elevated one.
    let mut evil = claims();
    evil["sub"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        encode_url(evil.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(err(&forged, &keys, &opts()), JwtError::InvalidSignature);
    // Header swapped (kid unchanged, extra member).
    let h2 = encode_url(br#"{"alg":"RS256","kid":"a","x":1}"#);
    assert_eq!(
        err(&format!("{h2}.{}.{}", parts[1], parts[2]), &keys, &opts()),
        JwtError::InvalidSignature
    );
    // One signature bit flipped.
    let mut sig = portcullis::jwt::b64::decode_url(parts[2].as_bytes()).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], encode_url(&sig));
    assert_eq!(err(&flipped, &keys, &opts()), JwtError::InvalidSignature);
    // Truncated and padded signatures.
    let full = portcullis::jwt::b64::decode_url(parts[2].as_bytes()).unwrap();
    let short = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        encode_url(&full[..full.len() - 1])
    );
    assert_eq!(err(&short, &keys, &opts()), JwtError::InvalidSignature);
    let mut long_sig = full.clone();
    long_sig.push(0);
    let long = format!("{}.{}.{}", parts[0], parts[1], encode_url(&long_sig));
    assert_eq!(err(&long, &keys, &opts()), JwtError::InvalidSignature);
    let mut zero_prefixed = vec![0u8];
    zero_prefixed.extend_from_slice(&full);
    let zp = format!("{}.{}.{}", parts[0], parts[1], encode_url(&zero_prefixed));
    assert_eq!(err(&zp, &keys, &opts()), JwtError::InvalidSignature);
    // Empty signature.
    assert_eq!(
        err(&format!("{}.{}.", parts[0], parts[1]), &keys, &opts()),
        JwtError::InvalidSignature
    );
    // Base64 padding added to the signature segment.
    let padded = format!("{token}==");
    assert!(matches!(
        err(&padded, &keys, &opts()),
        JwtError::Base64 {
            part: Part::Signature,
            ..
        }
    ));
}

#[test]
fn attack_ecdsa_signature_shapes() {
    let ec = Signer::p256_pkcs8_pem(&fixture("ec_p256.pk8.pem"));
    let keys = KeySet::from_jwks(&jwks(&[with_meta(
        ec.public_jwk(),
        Some("e"),
        Some("ES256"),
    )]))
    .unwrap();
    let token = sign(&ec, "ES256", Some("e"), &claims());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let raw = portcullis::jwt::b64::decode_url(sig.as_bytes()).unwrap();
    // DER (ASN.1) encoding of the same r,s is not the JOSE format.
    let der = {
        let int = |b: &[u8]| {
            let mut v = b.to_vec();
            while v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0 {
                v.remove(0);
            }
            if v[0] & 0x80 != 0 {
                v.insert(0, 0);
            }
            let mut out = vec![2u8, v.len() as u8];
            out.extend(v);
            out
        };
        let mut body = int(&raw[..32]);
        body.extend(int(&raw[32..]));
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    };
    let t = format!("{input}.{}", encode_url(&der));
    assert_eq!(err(&t, &keys, &opts()), JwtError::InvalidSignature);
    // r || s swapped.
    let mut swapped = raw[32..].to_vec();
    swapped.extend_from_slice(&raw[..32]);
    assert_eq!(
        err(&format!("{input}.{}", encode_url(&swapped)), &keys, &opts()),
        JwtError::InvalidSignature
    );
    // All-zero signature.
    assert_eq!(
        err(
            &format!("{input}.{}", encode_url(&[0u8; 64])),
            &keys,
            &opts()
        ),
        JwtError::InvalidSignature
    );
}

#[test]
fn attack_time_claims() {
    let keys = rsa_a_keys();
    let s = |c: Value| sign(&rsa_a(), "RS256", Some("a"), &c);
    assert!(matches!(
        err(&s(json!({"exp": NOW - 60})), &keys, &opts()),
        JwtError::Expired { .. }
    ));
    assert!(matches!(
        err(&s(json!({"nbf": NOW + 60})), &keys, &opts()),
        JwtError::NotYetValid { .. }
    ));
    assert!(matches!(
        err(&s(json!({"iat": NOW + 60})), &keys, &opts()),
        JwtError::IssuedInFuture { .. }
    ));
    assert_eq!(
        err(&s(json!({"exp": "soon"})), &keys, &opts()),
        JwtError::InvalidClaimType("exp")
    );
    // Numeric strings only with the jwx-compatible switch.
    assert_eq!(
        err(&s(json!({"exp": "1"})), &keys, &opts()),
        JwtError::InvalidClaimType("exp")
    );
    let mut lenient = opts();
    lenient.numeric_date_strings = true;
    assert!(matches!(
        err(&s(json!({"exp": "1"})), &keys, &lenient),
        JwtError::Expired { .. }
    ));
    assert_eq!(
        err(&s(json!({"nbf": [1]})), &keys, &opts()),
        JwtError::InvalidClaimType("nbf")
    );
}

#[test]
fn attack_wrong_iss_aud_azp() {
    let keys = rsa_a_keys();
    let token = sign(
        &rsa_a(),
        "RS256",
        Some("a"),
        &json!({"iss": "https://evil.example", "aud": ["x", "y"], "azp": "https://evil.example", "exp": NOW + 60}),
    );
    let mut o = opts();
    o.issuer = Some("https://issuer.example".into());
    assert!(matches!(
        err(&token, &keys, &o),
        JwtError::IssuerMismatch { .. }
    ));
    let mut o = opts();
    o.audiences = vec!["api".into()];
    assert_eq!(
        err(&token, &keys, &o),
        JwtError::AudienceMismatch {
            expected: vec!["api".into()],
            found: vec!["x".into(), "y".into()]
        }
    );
    o.audiences = vec!["nope".into(), "y".into()];
    assert!(verify(&token, &keys, &o, NOW).is_ok(), "any-of audience");
    let no_aud = sign(&rsa_a(), "RS256", Some("a"), &json!({"exp": NOW + 60}));
    assert_eq!(err(&no_aud, &keys, &o), JwtError::MissingClaim("aud"));
    let mut o = opts();
    o.authorized_parties = vec!["https://app.example".into()];
    assert!(matches!(
        err(&token, &keys, &o),
        JwtError::UnauthorizedParty { .. }
    ));
    let mut o = opts();
    o.issuer = Some("https://issuer.example".into());
    assert_eq!(err(&no_aud, &keys, &o), JwtError::MissingClaim("iss"));
    let bad_aud = sign(&rsa_a(), "RS256", Some("a"), &json!({"aud": [1]}));
    assert_eq!(
        err(&bad_aud, &keys, &opts()),
        JwtError::InvalidClaimType("aud")
    );
    let bad_iss = sign(&rsa_a(), "RS256", Some("a"), &json!({"iss": 5}));
    assert_eq!(
        err(&bad_iss, &keys, &opts()),
        JwtError::InvalidClaimType("iss")
    );
}

#[test]
fn attack_malformed_structure() {
    let keys = rsa_a_keys();
    let token = sign(&rsa_a(), "RS256", Some("a"), &claims());
    let p: Vec<&str> = token.split('.').collect();
    for bad in [
        String::new(),
        "abc".to_string(),
        format!("{}.{}", p[0], p[1]),
        format!("{token}.x"),
        format!(".{}.{}", p[1], p[2]),
        format!("{}..{}", p[0], p[2]),
    ] {
        assert!(
            matches!(err(&bad, &keys, &opts()), JwtError::Malformed(_)),
            "{bad:?}"
        );
    }
    // Standard-alphabet and padded base64 in the header.
    let std_b64 = format!("{}+.{}.{}", p[0], p[1], p[2]);
    assert!(matches!(
        err(&std_b64, &keys, &opts()),
        JwtError::Base64 {
            part: Part::Header,
            ..
        }
    ));
    let payload_bad = format!("{}.{}*.{}", p[0], p[1], p[2]);
    assert!(matches!(
        err(&payload_bad, &keys, &opts()),
        JwtError::Base64 {
            part: Part::Payload,
            ..
        }
    ));
    // Non-canonical trailing bits: "QR" decodes like "QQ" in lax decoders.
    let nc = format!("{}.{}.{}R", p[0], p[1], &p[2][..p[2].len() - 1]);
    // A 256-byte signature leaves 4 spare bits in its last character; "R"
    // sets one of them.
    assert_eq!(
        err(&nc, &keys, &opts()),
        JwtError::Base64 {
            part: Part::Signature,
            source: Base64Error::NonCanonical
        }
    );
    // Header not JSON / not an object; payload not JSON (validly signed).
    let not_json = format!("{}.{}.{}", encode_url(b"{alg:RS256}"), p[1], p[2]);
    assert!(matches!(
        err(&not_json, &keys, &opts()),
        JwtError::Json {
            part: Part::Header,
            source: JsonError::Syntax(_)
        }
    ));
    let arr = format!("{}.{}.{}", encode_url(br#"["RS256"]"#), p[1], p[2]);
    assert!(matches!(
        err(&arr, &keys, &opts()),
        JwtError::Json {
            part: Part::Header,
            source: JsonError::NotAnObject
        }
    ));
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a"}"#,
        "not json",
    );
    assert!(matches!(
        err(&t, &keys, &opts()),
        JwtError::Json {
            part: Part::Payload,
            source: JsonError::Syntax(_)
        }
    ));
    let t = sign_raw(&rsa_a(), "RS256", r#"{"alg":"RS256","kid":"a"}"#, "[1,2]");
    assert!(matches!(
        err(&t, &keys, &opts()),
        JwtError::Json {
            part: Part::Payload,
            source: JsonError::NotAnObject
        }
    ));
    let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(100), "]".repeat(100));
    let t = sign_raw(&rsa_a(), "RS256", r#"{"alg":"RS256","kid":"a"}"#, &deep);
    assert!(matches!(
        err(&t, &keys, &opts()),
        JwtError::Json {
            part: Part::Payload,
            source: JsonError::TooDeep(_)
        }
    ));
    // Header without alg, alg of the wrong type.
    let t = sign_raw(&rsa_a(), "RS256", r#"{"kid":"a"}"#, "{}");
    assert_eq!(err(&t, &keys, &opts()), JwtError::MissingAlgorithm);
    let t = sign_raw(&rsa_a(), "RS256", r#"{"alg":["RS256"],"kid":"a"}"#, "{}");
    assert_eq!(err(&t, &keys, &opts()), JwtError::InvalidHeader("alg"));
    let t = sign_raw(&rsa_a(), "RS256", r#"{"alg":"RS256","kid":7}"#, "{}");
    assert_eq!(err(&t, &keys, &opts()), JwtError::InvalidHeader("kid"));
}

#[test]
fn attack_duplicate_keys() {
    let keys = rsa_a_keys();
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a"}"#,
        r#"{"sub":"user","sub":"admin"}"#,
    );
    assert_eq!(
        err(&t, &keys, &opts()),
        JwtError::Json {
            part: Part::Payload,
            source: JsonError::DuplicateKey("sub".into())
        }
    );
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a","alg":"none"}"#,
        "{}",
    );
    assert_eq!(
        err(&t, &keys, &opts()),
        JwtError::Json {
            part: Part::Header,
            source: JsonError::DuplicateKey("alg".into())
        }
    );
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a"}"#,
        r#"{"o":{"r":"a","\u0072":"b"}}"#,
    );
    assert_eq!(
        err(&t, &keys, &opts()),
        JwtError::Json {
            part: Part::Payload,
            source: JsonError::DuplicateKey("r".into())
        }
    );
    // Duplicate members in a JWK are refused at load time.
    assert!(matches!(
        KeySet::from_jwks(
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#
        ),
        Err(KeyError::Invalid(_))
    ));
}

#[test]
fn attack_crit_and_b64() {
    let keys = rsa_a_keys();
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a","crit":["exp"],"exp":1}"#,
        "{}",
    );
    assert_eq!(
        err(&t, &keys, &opts()),
        JwtError::CriticalHeader("exp".into())
    );
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a","crit":["b64"],"b64":false}"#,
        "{}",
    );
    assert_eq!(
        err(&t, &keys, &opts()),
        JwtError::CriticalHeader("b64".into())
    );
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a","crit":[]}"#,
        "{}",
    );
    assert_eq!(
        err(&t, &keys, &opts()),
        JwtError::CriticalHeader(String::new())
    );
    let t = sign_raw(
        &rsa_a(),
        "RS256",
        r#"{"alg":"RS256","kid":"a","b64":false}"#,
        "{}",
    );
    assert_eq!(err(&t, &keys, &opts()), JwtError::UnencodedPayload);
}

#[test]
fn attack_oversized_token() {
    let keys = rsa_a_keys();
    let big = json!({"pad": "x".repeat(20_000), "exp": NOW + 60});
    let t = sign(&rsa_a(), "RS256", Some("a"), &big);
    assert!(matches!(
        err(&t, &keys, &opts()),
        JwtError::TokenTooLarge { max: 16384, .. }
    ));
    let mut o = opts();
    o.max_token_bytes = 64 * 1024;
    assert!(verify(&t, &keys, &o, NOW).is_ok());
    // The size check comes before any decoding.
    let junk = "a".repeat(17_000);
    assert!(matches!(
        err(&junk, &keys, &opts()),
        JwtError::TokenTooLarge { .. }
    ));
}

#[test]
fn attack_algorithm_not_allowed_for_key() {
    let a = rsa_a();
    let ec = Signer::generate_p256();
    let ed = Signer::generate_ed25519();
    // ES256 token, kid names an RSA key.
    let keys = rsa_a_keys();
    assert_eq!(
        err(&sign(&ec, "ES256", Some("a"), &claims()), &keys, &opts()),
        JwtError::KeyAlgorithmMismatch {
            kid: "a".into(),
            key_alg: Algorithm::RS256,
            token_alg: Algorithm::ES256
        }
    );
    let unbound = KeySet::from_jwks(&jwks(&[with_meta(a.public_jwk(), Some("a"), None)])).unwrap();
    assert_eq!(
        err(&sign(&ec, "ES256", Some("a"), &claims()), &unbound, &opts()),
        JwtError::AlgorithmKeyMismatch {
            alg: Algorithm::ES256,
            kty: "RSA"
        }
    );
    // RS256 token against a key bound to PS256.
    let ps = KeySet::from_jwks(&jwks(&[with_meta(
        a.public_jwk(),
        Some("a"),
        Some("PS256"),
    )]))
    .unwrap();
    assert!(matches!(
        err(&sign(&a, "RS256", Some("a"), &claims()), &ps, &opts()),
        JwtError::KeyAlgorithmMismatch { .. }
    ));
    // EdDSA token against an EC key, ES384 against P-256.
    let eck = KeySet::from_jwks(&jwks(&[with_meta(ec.public_jwk(), Some("e"), None)])).unwrap();
    assert!(matches!(
        err(&sign(&ed, "EdDSA", Some("e"), &claims()), &eck, &opts()),
        JwtError::AlgorithmKeyMismatch { .. }
    ));
    let p384 = Signer::generate_p384();
    assert!(matches!(
        err(&sign(&p384, "ES384", Some("e"), &claims()), &eck, &opts()),
        JwtError::AlgorithmKeyMismatch { .. }
    ));
    // Allowed-algorithm list (Clerk: RS* only).
    let ec_pem_keys = KeySet::from_pem(&fixture("ec_p256.spki.pem")).unwrap();
    let ec2 = Signer::p256_pkcs8_pem(&fixture("ec_p256.pk8.pem"));
    assert_eq!(
        err(
            &sign(&ec2, "ES256", None, &claims()),
            &ec_pem_keys,
            &VerifyOptions::clerk()
        ),
        JwtError::AlgorithmNotAllowed(Algorithm::ES256)
    );
    // Unsupported algorithms.
    for alg in ["ES512", "ES256K", "RSA-OAEP", "Ed448", ""] {
        let t = sign_raw(
            &a,
            "RS256",
            &format!(r#"{{"alg":"{alg}","kid":"a"}}"#),
            "{}",
        );
        assert_eq!(
            err(&t, &keys, &opts()),
            JwtError::UnsupportedAlgorithm(alg.into())
        );
    }
}

#[test]
fn unusable_and_invalid_keys() {
    // RSA below 2048 bits.
    let small = KeySet::from_pem(&fixture("rsa_1024.spki.pem"));
    assert_eq!(small, Err(KeyError::RsaTooSmall { bits: 1024 }));
    let small_jwk = with_meta(
        serde_json::from_str(&fixture("rsa_1024.jwk.json")).unwrap(),
        Some("small"),
        Some("RS256"),
    );
    let set = KeySet::from_jwks(&jwks(&[
        small_jwk.clone(),
        with_meta(rsa_a().public_jwk(), Some("a"), Some("RS256")),
    ]))
    .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.skipped().len(), 1);
    let t = sign(&rsa_a(), "RS256", Some("small"), &claims());
    assert!(matches!(
        err(&t, &set, &opts()),
        JwtError::KeyUnusable { .. }
    ));
    assert!(matches!(
        KeySet::from_jwks(&jwks(&[small_jwk])),
        Err(KeyError::NoUsableKeys(_))
    ));
    // use / key_ops.
    let mut enc = with_meta(rsa_a().public_jwk(), Some("a"), None);
    enc["use"] = json!("enc");
    assert!(matches!(
        KeySet::from_jwks(&enc.to_string()),
        Err(KeyError::NoUsableKeys(_))
    ));
    let mut ops = with_meta(rsa_a().public_jwk(), Some("a"), None);
    ops["key_ops"] = json!(["sign"]);
    assert!(matches!(
        KeySet::from_jwks(&ops.to_string()),
        Err(KeyError::NoUsableKeys(_))
    ));
    ops["key_ops"] = json!(["sign", "verify"]);
    assert!(KeySet::from_jwks(&ops.to_string()).is_ok());
    // Alg that does not fit the key type.
    let mismatched = with_meta(rsa_a().public_jwk(), Some("a"), Some("ES256"));
    assert!(matches!(
        KeySet::from_jwks(&mismatched.to_string()),
        Err(KeyError::NoUsableKeys(_))
    ));
    // Empty / unknown alg names are invalid, as in Cerbos.
    assert_eq!(
        KeySet::from_jwks(&with_meta(rsa_a().public_jwk(), Some("a"), Some("")).to_string()),
        Err(KeyError::InvalidAlgorithm)
    );
    assert_eq!(
        KeySet::from_jwks(&with_meta(rsa_a().public_jwk(), Some("a"), Some("RS999")).to_string()),
        Err(KeyError::InvalidAlgorithm)
    );
    // Structural problems.
    assert!(matches!(
        KeySet::from_jwks(r#"{"kty":"RSA","e":"AQAB"}"#),
        Err(KeyError::Invalid(_))
    ));
    assert!(matches!(
        KeySet::from_jwks(r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#),
        Err(KeyError::Invalid(_))
    ));
    assert!(matches!(
        KeySet::from_jwks(r#"{"kty":"OKP","crv":"Ed25519","x":"AA=="}"#),
        Err(KeyError::Invalid(_))
    ));
    assert!(matches!(
        KeySet::from_jwks(r#"{"keys":{}}"#),
        Err(KeyError::Invalid(_))
    ));
    assert!(matches!(KeySet::from_pem("hello"), Err(KeyError::Pem(_))));
    assert!(matches!(
        KeySet::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
        Err(KeyError::Invalid(_))
    ));
    assert!(matches!(
        KeySet::from_pem("-----BEGIN PUBLIC KEY-----\nMIIB\n"),
        Err(KeyError::Pem(_))
    ));
}
