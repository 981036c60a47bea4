//! JWT verification cost: RS256, ES256, EdDSA natively, and a cache hit.
//!
//! Run: `cargo bench --no-default-features --bench jwt`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use portcullis::jwt::{b64, verify, CachedVerifier, KeySet, VerifyOptions};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

const NOW: i64 = 1_800_000_000;

fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/jwt_fixtures")
        .join(name);
    std::fs::read_to_string(p).unwrap_or_default()
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    b64::decode_standard(body.as_bytes(), true).unwrap_or_default()
}

/// A realistic Clerk-sized claim set (~600 bytes of JSON).
fn payload() -> String {
    format!(
        r#"{{"azp":"https://app.example.com","exp":{},"fva":[0,-1],"iat":{},"iss":"https://clerk.example.com","nbf":{},"sid":"sess_2abcdefghijklmnopqrstuvwxyz","sts":"active","sub":"user_2abcdefghijklmnopqrstuvwxyz","v":2,"o":{{"id":"org_2abcdefghijklmnopqrstuvwxyz","rol":"admin","slg":"acme","per":"read,manage","fpm":"3,1"}},"fea":"o:reports,o:billing,u:beta","metadata":{{"tier":"gold","department":"finance"}}}}"#,
        NOW + 3600,
        NOW - 10,
        NOW - 10
    )
}

fn token(alg: &str, kid: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let header = format!(r#"{{"alg":"{alg}","kid":"{kid}","typ":"JWT"}}"#);
    let input = format!(
        "{}.{}",
        b64::encode_url(header.as_bytes()),
        b64::encode_url(payload().as_bytes())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64::encode_url(&sig))
}

fn benches(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let opts = VerifyOptions::default();

    // RS256 (2048-bit), key from an SPKI PEM as Clerk provides it.
    let rsa = RsaKeyPair::from_pkcs8(&pem_der(&fixture("rsa_a.pk8.pem"))).expect("rsa fixture");
    let rs_token = token("RS256", "ins_1", |m| {
        let mut sig = vec![0u8; rsa.public().modulus_len()];
        rsa.sign(&signature::RSA_PKCS1_SHA256, &rng, m, &mut sig)
            .expect("sign");
        sig
    });
    let rs_keys = KeySet::from_pem(&fixture("rsa_a.spki.pem")).expect("rsa keys");
    c.bench_function("verify RS256", |b| {
        b.iter(|| verify(black_box(&rs_token), &rs_keys, &opts, NOW).expect("ok"))
    });

    // ES256.
    let ec_doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("ec");
    let ec = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        ec_doc.as_ref(),
        &rng,
    )
    .expect("ec");
    let es_token = token("ES256", "e", |m| {
        ec.sign(&rng, m).expect("sign").as_ref().to_vec()
    });
    let p = ec.public_key().as_ref();
    let es_jwk = format!(
        r#"{{"kty":"EC","crv":"P-256","kid":"e","alg":"ES256","x":"{}","y":"{}"}}"#,
        b64::encode_url(&p[1..33]),
        b64::encode_url(&p[33..])
    );
    let es_keys = KeySet::from_jwks(&es_jwk).expect("ec keys");
    c.bench_function("verify ES256", |b| {
        b.iter(|| verify(black_box(&es_token), &es_keys, &opts, NOW).expect("ok"))
    });

    // EdDSA.
    let ed_doc = Ed25519KeyPair::generate_pkcs8(&rng).expect("ed");
    let ed = Ed25519KeyPair::from_pkcs8(ed_doc.as_ref()).expect("ed");
    let ed_token = token("EdDSA", "d", |m| ed.sign(m).as_ref().to_vec());
    let ed_jwk = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","kid":"d","alg":"EdDSA","x":"{}"}}"#,
        b64::encode_url(ed.public_key().as_ref())
    );
    let ed_keys = KeySet::from_jwks(&ed_jwk).expect("ed keys");
    c.bench_function("verify EdDSA", |b| {
        b.iter(|| verify(black_box(&ed_token), &ed_keys, &opts, NOW).expect("ok"))
    });

    // Cache hit for the RS256 session token (digest + lookup + time re-check).
    let cached = CachedVerifier::new(rs_keys.clone(), opts.clone(), 1024);
    cached.verify(&rs_token, NOW).expect("warm");
    c.bench_function("cache hit RS256", |b| {
        b.iter(|| cached.verify(black_box(&rs_token), NOW).expect("ok"))
    });
    eprintln!("token length: {} bytes", rs_token.len());

    // The machine these run on is shared; wall-clock figures above include
    // time spent descheduled. Thread CPU time (Linux schedstat) is reported
    // alongside as a load-independent estimate.
    let cpu = |label: &str, iters: u32, f: &dyn Fn()| {
        if let Some(t0) = thread_cpu_ns() {
            for _ in 0..iters {
                f();
            }
            if let Some(t1) = thread_cpu_ns() {
                eprintln!(
                    "cpu-time {label}: {:.0} ns/op",
                    (t1 - t0) as f64 / f64::from(iters)
                );
            }
        }
    };
    cpu("verify RS256", 2_000, &|| {
        black_box(verify(black_box(&rs_token), &rs_keys, &opts, NOW).is_ok());
    });
    cpu("verify ES256", 2_000, &|| {
        black_box(verify(black_box(&es_token), &es_keys, &opts, NOW).is_ok());
    });
    cpu("verify EdDSA", 2_000, &|| {
        black_box(verify(black_box(&ed_token), &ed_keys, &opts, NOW).is_ok());
    });
    cpu("cache hit RS256", 500_000, &|| {
        black_box(cached.verify(black_box(&rs_token), NOW).is_ok());
    });
}

/// On-CPU time of this thread in ns (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

criterion_group!(jwt, benches);
criterion_main!(jwt);
