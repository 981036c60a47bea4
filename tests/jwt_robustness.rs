//! Hostile-input robustness: mutated tokens and random key material must
//! always yield an error value — never a panic, never an accepted forgery.

mod jwt_common;

use jwt_common::*;
use portcullis::jwt::auxdata::AuxDataVerifier;
use portcullis::jwt::{pem, verify, KeySet, VerifyOptions};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_single_byte_mutation_is_refused() {
    let signer = Signer::generate_ed25519();
    let keys = KeySet::from_jwks(&jwks(&[with_meta(
        signer.public_jwk(),
        Some("k"),
        Some("EdDSA"),
    )]))
    .unwrap();
    let token = sign(
        &signer,
        "EdDSA",
        Some("k"),
        &json!({"sub": "u", "exp": NOW + 60}),
    );
    let opts = VerifyOptions::default();
    assert!(verify(&token, &keys, &opts, NOW).is_ok());
    let alphabet = b"AQgw_-.=+/ \x00\xff";
    let bytes = token.as_bytes();
    let mut checked = 0;
    for i in 0..bytes.len() {
        for &c in alphabet {
            if bytes[i] == c {
                continue;
            }
            let mut m = bytes.to_vec();
            m[i] = c;
            let Ok(s) = String::from_utf8(m) else {
                continue;
            };
            assert!(
                verify(&s, &keys, &opts, NOW).is_err(),
                "mutation at {i} to {c:#x} accepted"
            );
            checked += 1;
        }
        // Deletion and duplication of each byte.
        let mut del = bytes.to_vec();
        del.remove(i);
        if let Ok(s) = String::from_utf8(del) {
            assert!(
                verify(&s, &keys, &opts, NOW).is_err(),
                "deletion at {i} accepted"
            );
        }
    }
    assert!(checked > 1000);
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let keys = KeySet::from_pem(&fixture("rsa_a.spki.pem")).unwrap();
    let opts = VerifyOptions::default();
    let aux =
        AuxDataVerifier::from_json(&json!({"disableVerification": true}).to_string()).unwrap();
    let pieces = [
        "eyJhbGciOiJSUzI1NiJ9",
        "eyJ9",
        ".",
        "..",
        "e30",
        "W10",
        "bnVsbA",
        "-----BEGIN PUBLIC KEY-----\n",
        "MIIB",
        "\n-----END PUBLIC KEY-----",
        "{\"kty\":\"RSA\"",
        "\"n\":\"",
        "AQAB",
        "}",
        "[",
        "\"keys\":",
        ",",
    ];
    for _ in 0..20_000 {
        let mut s = String::new();
        for _ in 0..rng.below(8) {
            if rng.below(3) == 0 {
                let len = rng.below(12);
                for _ in 0..len {
                    const CHARS: &[u8] = b"ABCxyz019-_+/=.{}\":,[] \n";
                    s.push(char::from(CHARS[rng.below(CHARS.len())]));
                }
            } else {
                s.push_str(pieces[rng.below(pieces.len())]);
            }
        }
        let _ = verify(&s, &keys, &opts, NOW);
        let _ = KeySet::from_jwks(&s);
        let _ = KeySet::from_pem(&s);
        let _ = aux.decode(&json!({"jwt": {"token": s.clone()}}), NOW);
        let raw: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let _ = pem::parse_spki(&raw);
        let _ = pem::parse_pkcs8(&raw);
        let _ = pem::parse_certificate(&raw);
        let _ = pem::parse_pkcs1_public(&raw);
    }
}

#[test]
fn truncated_key_material_never_panics() {
    for name in [
        "rsa_a.spki.pem",
        "rsa_a.pk8.pem",
        "rsa_a.pkcs1.pem",
        "ec_p256.sec1.pem",
        "ec_p256.cert.pem",
        "ed25519.pk8.pem",
    ] {
        let der = pem_der(&fixture(name));
        let label = fixture(name)
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("-----BEGIN ")
            .trim_end_matches("-----")
            .to_owned();
        assert!(pem::key_from_der(&label, &der).is_ok(), "{name}");
        for cut in 0..der.len() {
            assert!(
                pem::key_from_der(&label, &der[..cut]).is_err(),
                "{name} cut at {cut}"
            );
        }
        for i in 0..der.len().min(200) {
            let mut m = der.clone();
            m[i] ^= 0x80;
            let _ = pem::key_from_der(&label, &m);
        }
    }
}
