//! The JSON helpers the wasm surface calls for identity tokens.

mod jwt_common;

use jwt_common::*;
use portcullis::jwt::api::{identity_verifier, parse_options, verify_result_json};
use portcullis::jwt::{Algorithm, KidMode};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

#[test]
fn clerk_style_pem_and_result_json() {
    let v = identity_verifier(
        &fixture("rsa_a.spki.pem"),
        r#"{"preset":"clerk","authorizedParties":["https://app.example"],"clockSkewInMs":5000}"#,
    )
    .unwrap();
    let s = rsa_a_signer();
    let good = sign(
        &s,
        "RS256",
        Some("ins_1"),
        &json!({"sub": "user_1", "azp": "https://app.example", "exp": NOW + 60}),
    );
    let out = verify_result_json(&v.verify(&good, NOW));
    assert_eq!(out["ok"], true);
    assert_eq!(out["alg"], "RS256");
    assert_eq!(out["kid"], "ins_1");
    assert_eq!(out["claims"]["sub"], "user_1");
    assert_eq!(out["claims"]["exp"], NOW + 60);
    let bad = sign(
        &s,
        "RS256",
        None,
        &json!({"sub": "u", "azp": "https://evil.example", "exp": NOW + 60}),
    );
    let out = verify_result_json(&v.verify(&bad, NOW));
    assert_eq!(out["ok"], false);
    assert_eq!(out["error"]["code"], "unauthorized_party");
    let expired = sign(&s, "RS256", None, &json!({"sub": "u", "exp": NOW - 5}));
    assert_eq!(
        verify_result_json(&v.verify(&expired, NOW))["error"]["code"],
        "expired"
    );
    let es = Signer::generate_p256();
    let wrong_alg = sign(&es, "ES256", None, &json!({"sub": "u"}));
    assert_eq!(
        verify_result_json(&v.verify(&wrong_alg, NOW))["error"]["code"],
        "alg_not_allowed"
    );
}

#[test]
fn workos_style_jwks() {
    let s = rsa_a_signer();
    let jwks_text = jwks(&[with_meta(s.public_jwk(), Some("key_01"), Some("RS256"))]);
    let v = identity_verifier(
        &jwks_text,
        r#"{"preset":"workos","issuer":"https://api.workos.com"}"#,
    )
    .unwrap();
    let t = sign(
        &s,
        "RS256",
        Some("key_01"),
        &json!({"iss": "https://api.workos.com", "sub": "user_01", "sid": "session_01", "org_id": "org_01", "role": "admin", "permissions": ["posts:read"], "exp": NOW + 300}),
    );
    let out = verify_result_json(&v.verify(&t, NOW));
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["claims"]["permissions"], json!(["posts:read"]));
    // WorkOS/jose: zero tolerance on exp.
    let t = sign(
        &s,
        "RS256",
        Some("key_01"),
        &json!({"iss": "https://api.workos.com", "exp": NOW}),
    );
    assert_eq!(
        verify_result_json(&v.verify(&t, NOW))["error"]["code"],
        "expired"
    );
}

#[test]
fn options_parsing() {
    let (o, kid, cache) = parse_options("").unwrap();
    assert_eq!((o.leeway_secs, kid, cache), (5, KidMode::Match, 1024));
    let (o, kid, cache) = parse_options(r#"{"leewaySecs":0,"algorithms":["ES256","EdDSA","Ed25519"],"kidMode":"required","cacheSize":0,"audiences":["a"],"requireExp":true}"#).unwrap();
    assert_eq!(
        o.algorithms,
        Some(vec![Algorithm::ES256, Algorithm::EdDSA, Algorithm::Ed25519])
    );
    assert_eq!(
        (o.leeway_secs, kid, cache, o.require_exp),
        (0, KidMode::Required, 0, true)
    );
    for bad in [
        r#"{"preset":"okta"}"#,
        r#"{"algorithms":["HS256"]}"#,
        r#"{"kidMode":"x"}"#,
        r#"{"leewaySecs":-1}"#,
        r#"{"nope":1}"#,
        "[]",
    ] {
        let e = parse_options(bad).unwrap_err();
        assert_eq!(e.to_json()["code"], "invalid_options", "{bad}");
    }
    let e = identity_verifier("not a key", "").unwrap_err();
    assert_eq!(e.to_json()["code"], "invalid_key");
}

fn rsa_a_signer() -> Signer {
    Signer::rsa_pkcs8_pem(&fixture("rsa_a.pk8.pem"))
}

#[test]
fn result_text_is_built_once_and_time_checks_still_apply() {
    use portcullis::jwt::api::verify_result_text;
    let v = identity_verifier(&fixture("rsa_a.spki.pem"), "").unwrap();
    let token = sign(
        &rsa_a_signer(),
        "RS256",
        Some("ins_1"),
        &json!({"sub": "user_1", "exp": NOW + 60}),
    );
    let first = verify_result_text(&v.verify(&token, NOW));
    let parsed: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(parsed, verify_result_json(&v.verify(&token, NOW)));
    assert_eq!(parsed["claims"]["sub"], "user_1");
    // A cache hit answers the same text.
    assert_eq!(verify_result_text(&v.verify(&token, NOW + 1)), first);
    // The memo never hides expiry: the hit is re-checked first.
    let late: serde_json::Value =
        serde_json::from_str(&verify_result_text(&v.verify(&token, NOW + 3600))).unwrap();
    assert_eq!(late["ok"], false);
    assert_eq!(late["error"]["code"], "expired");
}
