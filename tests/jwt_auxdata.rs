//! Cerbos auxData conformance at the JWT layer.
//!
//! * `conformance/cerbos/auxdata/*.yaml`: each case gives key material and
//!   the keyset-loading error Cerbos reports (`wantErr` for every source,
//!   `wantLocalErr` / `wantRemoteErr` per source). Asserted: for error
//!   cases, the error text contains the expected string exactly as Cerbos
//!   words it (local source via `local.data`, remote source via
//!   `set_remote_keyset` + a decode that reports the lookup failure); for
//!   success cases, the keyset loads with ≥ 1 key *and* a token signed with
//!   the case's private key verifies through `AuxDataVerifier::decode`,
//!   exposing the claims exactly as Cerbos does.
//! * `keys/signing_key.jwk` / `verify_key.jwk`: the behaviour of Cerbos's
//!   `TestExtract_*` (skew, keyset selection, no keysets).
//! * `server/checks/check_resources/*.yaml` with `auxData`: the request's
//!   tokens decode to the claims Cerbos feeds the engine.

mod jwt_common;

use std::path::Path;

use jwt_common::*;
use portcullis::jwt::auxdata::{AuxDataConfigError, AuxDataError, AuxDataVerifier};
use portcullis::jwt::{b64, Curve, PublicKey};
use ring::signature::RsaKeyPair;
use serde_json::{json, Map, Value};

/// A fixed "now" (2025-11-23) before the server cases' exp (2031-10-16).
const NOW: i64 = 1_763_900_000;

fn std_b64(data: &[u8]) -> String {
    let mut s = b64::encode_url(data).replace('-', "+").replace('_', "/");
    while s.len() % 4 != 0 {
        s.push('=');
    }
    s
}

#[derive(Debug, Default)]
struct AuxCase {
    name: String,
    key: String,
    pem: bool,
    want_err: Option<String>,
    want_local_err: Option<String>,
    want_remote_err: Option<String>,
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    match v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\""),
        None => v.to_owned(),
    }
}

/// Reads the (small, fixed) YAML shape of `AuxDataTestCase` files.
fn parse_case(name: &str, text: &str) -> AuxCase {
    let mut case = AuxCase {
        name: name.to_owned(),
        ..AuxCase::default()
    };
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with('#') || line == "---" || line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("  ") {
            let (k, v) = rest
                .split_once(':')
                .unwrap_or_else(|| panic!("{name}: {line}"));
            match (k.trim(), v.trim()) {
                ("pem", "true") => case.pem = true,
                ("pem", "false") => case.pem = false,
                ("key", "|-") => {
                    let mut body = Vec::new();
                    while let Some(next) = lines.peek() {
                        if next.trim().is_empty() || next.starts_with("    ") {
                            body.push(next.strip_prefix("    ").unwrap_or(""));
                            lines.next();
                        } else {
                            break;
                        }
                    }
                    case.key = body.join("\n").trim_end().to_owned();
                }
                other => panic!("{name}: unexpected input member {other:?}"),
            }
            continue;
        }
        let (k, v) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{name}: {line}"));
        match k {
            "description" | "input" => {}
            "wantErr" => case.want_err = Some(unquote(v)),
            "wantLocalErr" => case.want_local_err = Some(unquote(v)),
            "wantRemoteErr" => case.want_remote_err = Some(unquote(v)),
            other => panic!("{name}: unexpected member {other}"),
        }
    }
    assert!(!case.key.is_empty(), "{name}: no key");
    case
}

fn local_config(key_text: &str, pem: bool, insecure: bool) -> Value {
    json!({"keySets": [{
        "id": "cerbos",
        "local": {"data": std_b64(key_text.as_bytes()), "pem": pem},
        "insecure": {"optionalAlg": insecure, "optionalKid": insecure},
    }]})
}

fn verifier(cfg: &Value) -> Result<AuxDataVerifier, AuxDataConfigError> {
    AuxDataVerifier::from_json(&cfg.to_string())
}

fn jwk_bytes(obj: &Value, member: &str) -> Vec<u8> {
    b64::decode_url(obj[member].as_str().unwrap().as_bytes()).unwrap()
}

/// A signer for the private key in a case (JWK, JWKS or PEM), or None when
/// this build cannot load the key (an EC PKCS#8 without its public point,
/// without the `ec-derive` feature).
fn case_signer(case: &AuxCase) -> Option<(Signer, String, Option<String>)> {
    if case.pem {
        let der = pem_der(&case.key);
        if let Ok(kp) = RsaKeyPair::from_pkcs8(&der) {
            return Some((Signer::Rsa(kp), "RS256".into(), None));
        }
        // An EC key: the engine's view of its public point (derived when the
        // PEM leaves it out) must be the one ring accepts for the scalar.
        let keys = portcullis::jwt::KeySet::from_pem(&case.key).ok()?;
        let PublicKey::Ec { curve, point } = &keys.keys()[0].key else {
            panic!("{}: not an EC key", case.name)
        };
        let signer = ec_signer(&ec_private_scalar(&der), point)
            .unwrap_or_else(|e| panic!("{}: derived point is not d·G: {e}", case.name));
        let alg = if *curve == Curve::P384 {
            "ES384"
        } else {
            "ES256"
        };
        return Some((signer, alg.into(), None));
    }
    let doc: Value = serde_json::from_str(&case.key).unwrap();
    let jwk = doc.get("keys").map_or(doc.clone(), |k| k[0].clone());
    let alg = jwk["alg"].as_str().unwrap_or("RS256").to_owned();
    let kid = jwk["kid"].as_str().map(str::to_owned);
    let signer = match jwk["kty"].as_str() {
        Some("RSA") => {
            let comps = ring::rsa::KeyPairComponents {
                public_key: ring::rsa::PublicKeyComponents {
                    n: jwk_bytes(&jwk, "n"),
                    e: jwk_bytes(&jwk, "e"),
                },
                d: jwk_bytes(&jwk, "d"),
                p: jwk_bytes(&jwk, "p"),
                q: jwk_bytes(&jwk, "q"),
                dP: jwk_bytes(&jwk, "dp"),
                dQ: jwk_bytes(&jwk, "dq"),
                qInv: jwk_bytes(&jwk, "qi"),
            };
            Signer::Rsa(RsaKeyPair::from_components(&comps).expect("RSA JWK"))
        }
        Some("EC") => Signer::p384_from_jwk(
            &jwk_bytes(&jwk, "d"),
            &jwk_bytes(&jwk, "x"),
            &jwk_bytes(&jwk, "y"),
        ),
        other => panic!("{}: kty {other:?}", case.name),
    };
    Some((signer, alg, kid))
}

/// Claims of Cerbos's `mkSignedToken` and how Cerbos exposes them.
fn test_claims(exp: i64) -> Value {
    json!({
        "iss": "cerbos-test-suite", "aud": "cerbos-jwt-tests", "exp": exp,
        "customString": "foobar", "customInt": 42, "customArray": ["A", "B", "C"],
        "customMap": {"A": "AA", "B": "BB", "C": "CC"},
    })
}

fn expected_claims(exp: i64) -> Map<String, Value> {
    let v = json!({
        "iss": "cerbos-test-suite", "aud": ["cerbos-jwt-tests"],
        "exp": portcullis::jwt::claims::rfc3339_utc(exp as f64),
        "customString": "foobar", "customInt": 42.0, "customArray": ["A", "B", "C"],
        "customMap": {"A": "AA", "B": "BB", "C": "CC"},
    });
    v.as_object().unwrap().clone()
}

fn decode_one(
    v: &AuxDataVerifier,
    token: &str,
    keyset: &str,
) -> Result<Map<String, Value>, AuxDataError> {
    let aux = json!({"jwt": {"token": token, "keySetId": keyset}});
    v.decode(&aux, NOW).map(|c| c.jwt.unwrap_or_default())
}

#[test]
fn auxdata_keyset_cases() {
    let Some(root) = shared_root() else { return };
    let dir = root.join("conformance/cerbos/auxdata");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no auxdata cases in {}", dir.display());
    let (mut passed, mut diverged) = (0, Vec::new());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case = parse_case(&name, &std::fs::read_to_string(path).unwrap());
        let local = verifier(&local_config(&case.key, case.pem, false));
        let remote_cfg = json!({"keySets": [{"id": "cerbos", "remote": {"url": "https://keys.example/jwks.json"}}]});
        let mut remote = verifier(&remote_cfg).unwrap();
        let remote_set = (!case.pem).then(|| remote.set_remote_keyset("cerbos", &case.key));

        if let Some(want) = case.want_err.as_deref().or(case.want_local_err.as_deref()) {
            let e = local.as_ref().expect_err(&name).to_string();
            assert!(e.contains(want), "{name}: local error {e:?} lacks {want:?}");
        }
        if let Some(want) = &case.want_err {
            if let Some(r) = &remote_set {
                let e = r.clone().expect_err(&name).to_string();
                assert!(
                    e.contains(want.as_str()),
                    "{name}: remote error {e:?} lacks {want:?}"
                );
            }
        }
        if let Some(want) = &case.want_remote_err {
            assert!(remote_set.as_ref().is_some_and(|r| r.is_err()), "{name}");
            // The keyset stays unavailable; a request then fails as Cerbos's does.
            let e = decode_one(&remote, "a.b.c", "cerbos").expect_err(&name);
            assert_eq!(e.to_string(), "invalid auxData");
            assert!(e.detail().contains(want.as_str()), "{name}: {}", e.detail());
        }
        if case.want_err.is_some() || case.want_local_err.is_some() {
            passed += 1;
            continue;
        }

        // Success case: keys load, and a token signed with the case's key verifies.
        let Some((signer, alg, kid)) = case_signer(&case) else {
            // single_key.ec.es384.pem.yaml: a PKCS#8 EC key without the public
            // point. jwx derives it; so does this crate with `ec-derive`
            // (native builds). The runtime wasm (no `ec-derive`) refuses it
            // and relies on the JavaScript wrapper's WebCrypto derivation
            // (tests/js/jwt-auxdata.test.mjs).
            if cfg!(feature = "ec-derive") {
                panic!("{name}: key did not load");
            }
            let e = local.expect_err(&name);
            assert!(
                e.to_string()
                    .contains("EC private key without an embedded public key"),
                "{e}"
            );
            diverged.push(format!(
                "{name}: EC PKCS#8 without public key is refused (Cerbos accepts)"
            ));
            continue;
        };
        let insecure = case.pem; // PEM keys carry no kid/alg: Cerbos needs both relaxations to use them.
        let v = verifier(&local_config(&case.key, case.pem, insecure))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let token = sign(&signer, &alg, kid.as_deref(), &test_claims(NOW + 3600));
        let claims =
            decode_one(&v, &token, "cerbos").unwrap_or_else(|e| panic!("{name}: {}", e.detail()));
        assert_eq!(claims, expected_claims(NOW + 3600), "{name}");
        if let Some(r) = remote_set {
            r.unwrap_or_else(|e| panic!("{name}: remote {e}"));
            let claims = decode_one(&remote, &token, "cerbos")
                .unwrap_or_else(|e| panic!("{name}: {}", e.detail()));
            assert_eq!(claims, expected_claims(NOW + 3600), "{name}");
        }
        passed += 1;
    }
    eprintln!(
        "auxdata cases: {passed} passed, {} diverged: {diverged:#?}",
        diverged.len()
    );
    assert_eq!(passed + diverged.len(), files.len());
    let allowed = if cfg!(feature = "ec-derive") { 0 } else { 1 };
    assert!(
        diverged.len() <= allowed,
        "unexpected divergences: {diverged:?}"
    );
}

/// Cerbos's test key pair: its signing key's scalar, given as PEM without
/// the public point (SEC1 and PKCS#8), yields exactly the published
/// verification key.
#[cfg(feature = "ec-derive")]
#[test]
fn derived_point_matches_cerbos_verify_key() {
    let Some(root) = shared_root() else { return };
    let keys = root.join("conformance/cerbos/auxdata/keys");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(keys.join(f)).unwrap()).unwrap()
    };
    let (signing, published) = (read("signing_key.jwk"), read("verify_key.jwk"));
    let sec1 = sec1_without_public(OID_P384, &jwk_bytes(&signing, "d"));
    let mut expected = vec![4u8];
    expected.extend(jwk_bytes(&published, "x"));
    expected.extend(jwk_bytes(&published, "y"));
    for pem in [
        to_pem("EC PRIVATE KEY", &sec1),
        to_pem("PRIVATE KEY", &pkcs8_ec(OID_P384, &sec1)),
    ] {
        let set = portcullis::jwt::KeySet::from_pem(&pem).unwrap();
        assert_eq!(
            set.keys()[0].key,
            PublicKey::Ec {
                curve: Curve::P384,
                point: expected.clone()
            }
        );
    }
}

struct TestKeys {
    verify_jwk: String,
    signer: Signer,
}

fn test_keys(root: &Path) -> TestKeys {
    let keys = root.join("conformance/cerbos/auxdata/keys");
    let verify_jwk = std::fs::read_to_string(keys.join("verify_key.jwk")).unwrap();
    let signing: Value =
        serde_json::from_str(&std::fs::read_to_string(keys.join("signing_key.jwk")).unwrap())
            .unwrap();
    let signer = Signer::p384_from_jwk(
        &jwk_bytes(&signing, "d"),
        &jwk_bytes(&signing, "x"),
        &jwk_bytes(&signing, "y"),
    );
    TestKeys { verify_jwk, signer }
}

fn mk_token(k: &TestKeys, exp: i64) -> String {
    sign(
        &k.signer,
        "ES384",
        Some("19LfZatEdg83YNc5r23guMJqrn4="),
        &test_claims(exp),
    )
}

#[test]
fn extract_multiple_keysets_like_cerbos() {
    let Some(root) = shared_root() else { return };
    let k = test_keys(&root);
    let data = std_b64(k.verify_jwk.as_bytes());
    let cfg = json!({
        "acceptableTimeSkew": "1m",
        "keySets": [
            {"id": "remote", "remote": {"url": "https://keys.example/verify_key.jwk"}},
            {"id": "local_data", "local": {"data": data}},
            {"id": "local_inline", "local": {"inline": k.verify_jwk}},
            {"id": "remote_insecure", "remote": {"url": "https://keys.example/verify_key.jwk"},
             "insecure": {"optionalAlg": true, "optionalKid": true}},
            {"id": "local_data_insecure", "local": {"data": data},
             "insecure": {"optionalAlg": true, "optionalKid": true}},
        ]
    });
    let mut v = verifier(&cfg).unwrap();
    v.set_remote_keyset("remote", &k.verify_jwk).unwrap();
    v.set_remote_keyset("remote_insecure", &k.verify_jwk)
        .unwrap();
    let ids = [
        "remote",
        "local_data",
        "local_inline",
        "remote_insecure",
        "local_data_insecure",
    ];
    for (label, exp, valid) in [
        ("Valid", NOW + 3600, true),
        ("ValidWithinSkew", NOW - 2, true),
        ("ExpiredJustBeyondSkew", NOW - 61, false),
        ("Expired", NOW - 3600, false),
    ] {
        let token = mk_token(&k, exp);
        for id in ids {
            let r = decode_one(&v, &token, id);
            if valid {
                assert_eq!(
                    r.unwrap_or_else(|e| panic!("{label}/{id}: {}", e.detail())),
                    expected_claims(exp)
                );
            } else {
                let e = r.expect_err(label);
                assert_eq!(e.to_string(), "invalid auxData");
                assert!(
                    e.detail()
                        .starts_with("failed to extract JWT: token has expired (exp)"),
                    "{}",
                    e.detail()
                );
            }
        }
    }
    // no_token -> no claims
    assert_eq!(v.decode(&json!({"jwt": {}}), NOW).unwrap().jwt, None);
    // no_keyset_id with several keysets
    let e = v
        .decode(&json!({"jwt": {"token": mk_token(&k, NOW + 60)}}), NOW)
        .unwrap_err();
    assert_eq!(
        e.detail(),
        "failed to extract JWT: cannot determine keyset to use for validating the JWT"
    );
    // unknown_keyset_id
    let e = decode_one(&v, &mk_token(&k, NOW + 60), "blah").unwrap_err();
    assert_eq!(e.detail(), "failed to extract JWT: keyset not found: blah");
    assert_eq!(
        e.to_status_json(),
        json!({"code": 3, "message": "invalid auxData"})
    );
    assert_eq!((e.grpc_code(), e.http_status()), (3, 400));
    // The insecure keysets accept a token without kid; the strict ones do not.
    let no_kid = sign(&k.signer, "ES384", None, &test_claims(NOW + 60));
    assert!(decode_one(&v, &no_kid, "local_data_insecure").is_ok());
    let e = decode_one(&v, &no_kid, "local_data").unwrap_err();
    assert_eq!(
        e.detail().split(" (").next(),
        Some("failed to extract JWT: failed to parse JWT")
    );
    // Verified tokens are cached per keyset.
    assert!(v.cached_tokens() > 0);
}

#[test]
fn extract_single_keyset_and_no_keysets() {
    let Some(root) = shared_root() else { return };
    let k = test_keys(&root);
    let v = verifier(&json!({"acceptableTimeSkew": "1m", "keySets": [{"id": "local", "local": {"inline": k.verify_jwk}}]})).unwrap();
    for (exp, valid) in [(NOW + 3600, true), (NOW - 2, true), (NOW - 3600, false)] {
        let r = v.decode(&json!({"jwt": {"token": mk_token(&k, exp)}}), NOW);
        assert_eq!(r.is_ok(), valid, "exp {exp}");
        if valid {
            assert_eq!(r.unwrap().jwt.unwrap(), expected_claims(exp));
        }
    }
    let none = verifier(&json!({})).unwrap();
    for exp in [NOW + 3600, NOW - 3600] {
        assert!(none
            .decode(&json!({"jwt": {"token": mk_token(&k, exp)}}), NOW)
            .is_err());
    }
}

#[test]
fn server_check_resources_auxdata_cases() {
    let Some(root) = shared_root() else { return };
    let k = test_keys(&root);
    let v = verifier(&json!({"keySets": [{"id": "cerbos", "local": {"inline": k.verify_jwk}}]}))
        .unwrap();
    let dir = root.join("conformance/cerbos/server/checks/check_resources");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut seen = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("auxData") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The request is YAML flow style (JSON plus trailing commas).
        let start = text.find("input:").unwrap() + "input:".len();
        let end = text.find("wantResponse:").unwrap_or(text.len());
        let mut body = text[start..end].to_owned();
        while let Some(i) = find_trailing_comma(&body) {
            body.remove(i);
        }
        let req: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want_ok = text.contains("httpStatusCode: 200");
        let claims = v.decode(&req["auxData"], NOW);
        assert_eq!(claims.is_ok(), want_ok, "{name}");
        let claims = claims.unwrap();
        let engine = claims.to_engine_json();
        let expected = json!({
            "aud": ["cerbos-jwt-tests"], "customArray": ["A", "B", "C"], "customInt": 42.0,
            "customMap": {"A": "AA", "B": "BB", "C": "CC"}, "customString": "foobar",
            "exp": "2031-10-16T16:20:39Z", "iss": "cerbos-test-suite",
        });
        if let Some(jwt) = engine.get("jwt") {
            assert_eq!(jwt, &expected, "{name}");
        } else {
            let jwts = engine["jwts"].as_object().expect(&name);
            assert!(!jwts.is_empty());
            for (n, entry) in jwts {
                assert_eq!(entry["claims"], expected, "{name}/{n}");
            }
        }
        seen += 1;
    }
    assert_eq!(seen, 2, "expected cr_case_01 (jwt) and cr_case_09 (jwts)");
}

fn find_trailing_comma(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len()).find(|&i| {
        b[i] == b','
            && b[i + 1..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .is_some_and(|&c| c == b'}' || c == b']')
    })
}

// ---- behaviour observed from the real Cerbos 0.55.0 (shared/oracle), no shared files needed

fn own_keys() -> (AuxDataVerifier, Signer) {
    let s = Signer::generate_p384();
    let jwk = with_meta(s.public_jwk(), Some("k"), Some("ES384"));
    let v = verifier(&json!({"keySets": [{"id": "ks", "local": {"inline": jwk.to_string()}}]}))
        .unwrap();
    (v, s)
}

#[test]
fn claims_exposed_as_cerbos_exposes_them() {
    let (v, s) = own_keys();
    // Request sent through the oracle; Cerbos output of request.aux_data.jwt:
    // {"aud":["single"],"big":9007199254740992,"e":1e+300,"exp":"2096-10-02T07:06:40Z","f":1.5,
    //  "iat":"1970-01-01T00:16:40Z","iss":"x","jti":"j","n":1,"nbf":"1970-01-01T00:16:40Z","neg":-5,
    //  "nested":{"a":[1,"x",null,true]},"sub":"s"}
    let payload = r#"{"iss":"x","aud":"single","exp":4000000000,"nbf":1000,"iat":1000.5,"n":1,"f":1.5,"big":9007199254740993,"nested":{"a":[1,"x",null,true]},"sub":"s","jti":"j","neg":-5,"e":1e300}"#;
    let token = sign_raw(
        &s,
        "ES384",
        r#"{"alg":"ES384","kid":"k","typ":"JWT"}"#,
        payload,
    );
    let got = v
        .decode(&json!({"jwt": {"token": token}}), NOW)
        .unwrap()
        .jwt
        .unwrap();
    let want = json!({"aud":["single"],"big":9007199254740992.0,"e":1e300,"exp":"2096-10-02T07:06:40Z","f":1.5,
        "iat":"1970-01-01T00:16:40Z","iss":"x","jti":"j","n":1.0,"nbf":"1970-01-01T00:16:40Z","neg":-5.0,
        "nested":{"a":[1.0,"x",null,true]},"sub":"s"});
    assert_eq!(Value::Object(got), want);
    // exp as a numeric string is accepted (jwx), year 10000 printed as Go does.
    let token = sign_raw(
        &s,
        "ES384",
        r#"{"alg":"ES384","kid":"k"}"#,
        r#"{"exp":"253402300800","nbf":1000}"#,
    );
    let got = v
        .decode(&json!({"jwt": {"token": token}}), NOW)
        .unwrap()
        .jwt
        .unwrap();
    assert_eq!(
        Value::Object(got),
        json!({"exp": "10000-01-01T00:00:00Z", "nbf": "1970-01-01T00:16:40Z"})
    );
    // iss not a string, aud with a number: rejected ("invalid auxData").
    for p in [r#"{"iss":5}"#, r#"{"aud":[1]}"#] {
        let token = sign_raw(&s, "ES384", r#"{"alg":"ES384","kid":"k"}"#, p);
        let e = v
            .decode(&json!({"jwt": {"token": token}}), NOW)
            .unwrap_err();
        assert_eq!(e.to_string(), "invalid auxData");
    }
}

#[test]
fn request_validation_messages_match_cerbos() {
    let (v, s) = own_keys();
    let good = sign(
        &s,
        "ES384",
        Some("k"),
        &json!({"exp": NOW + 60, "sub": "a"}),
    );
    let msg = |aux: Value| v.decode(&aux, NOW).unwrap_err().to_string();
    // Strings returned by Cerbos 0.55.0's HTTP API for these auxData values.
    assert_eq!(
        msg(json!({"jwt": {"token": good}, "jwts": {"x": {"token": good}}})),
        "validation error: aux_data: Only one of the jwt or jwts fields must be set"
    );
    assert_eq!(
        msg(json!({"jwts": {"": {"token": good}}})),
        "validation error: aux_data.jwts[\"\"]: must be at least 1 characters"
    );
    assert_eq!(
        msg(json!({"jwts": {"x": {"token": ""}}})),
        "validation error: aux_data.jwts[\"x\"].token: value is required"
    );
    assert_eq!(
        msg(json!({"jwt": {"token": ""}})),
        "validation error: aux_data.jwt.token: value is required"
    );
    assert_eq!(
        msg(json!({"jwt": {"token": good, "bogus": 1}})),
        "proto: unknown field \"bogus\""
    );
    // Accepted shapes: snake_case key set id, empty jwt object, empty jwts.
    assert!(v
        .decode(&json!({"jwt": {"token": good, "key_set_id": "ks"}}), NOW)
        .is_ok());
    assert_eq!(
        v.decode(&json!({"jwt": {}}), NOW).unwrap().to_engine_json(),
        json!({})
    );
    assert_eq!(
        v.decode(&json!({"jwts": {}}), NOW)
            .unwrap()
            .to_engine_json(),
        json!({})
    );
    assert_eq!(
        v.decode(&Value::Null, NOW).unwrap().to_engine_json(),
        json!({})
    );
    // jwts: all must verify; the failing name is in the detail.
    let bad = sign(&s, "ES384", Some("k"), &json!({"exp": NOW - 60}));
    let e = v
        .decode(
            &json!({"jwts": {"a": {"token": good}, "c": {"token": bad}}}),
            NOW,
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid auxData");
    assert!(
        e.detail().starts_with(
            "failed to extract JWT: failed to extract JWT \"c\": token has expired (exp)"
        ),
        "{}",
        e.detail()
    );
    let ok = v
        .decode(
            &json!({"jwts": {"a": {"token": good}, "b": {"token": good}}}),
            NOW,
        )
        .unwrap();
    assert_eq!(ok.to_engine_json()["jwts"]["b"]["claims"]["sub"], "a");
}

#[test]
fn cerbos_error_descriptions() {
    let (v, s) = own_keys();
    let e = |claims: Value| {
        let t = sign(&s, "ES384", Some("k"), &claims);
        v.decode(&json!({"jwt": {"token": t}}), NOW)
            .unwrap_err()
            .detail()
    };
    assert!(
        e(json!({"exp": NOW - 1})).starts_with("failed to extract JWT: token has expired (exp)")
    );
    assert!(e(json!({"nbf": NOW + 60}))
        .starts_with("failed to extract JWT: token is not valid yet ('nbf')"));
    assert!(e(json!({"iat": NOW + 60}))
        .starts_with("failed to extract JWT: issued at time is in the future (iat)"));
    let garbage = v
        .decode(&json!({"jwt": {"token": "garbage"}}), NOW)
        .unwrap_err();
    assert!(garbage
        .detail()
        .starts_with("failed to extract JWT: failed to parse JWT"));
    let none = format!(
        "{}.{}.",
        b64::encode_url(br#"{"alg":"none"}"#),
        b64::encode_url(b"{}")
    );
    assert!(v
        .decode(&json!({"jwt": {"token": none}}), NOW)
        .unwrap_err()
        .detail()
        .starts_with("failed to extract JWT: failed to parse JWT"));
}

#[test]
fn disable_verification_still_validates_time() {
    let v = verifier(&json!({"disableVerification": true, "acceptableTimeSkew": 5})).unwrap();
    let s = Signer::generate_p256();
    // Any signature (even from an unknown key, or none at all for HS256) is not checked.
    let t = sign(
        &s,
        "ES256",
        Some("unknown"),
        &json!({"sub": "x", "exp": NOW + 60}),
    );
    assert_eq!(
        v.decode(&json!({"jwt": {"token": t}}), NOW)
            .unwrap()
            .jwt
            .unwrap()["sub"],
        "x"
    );
    let hs = format!(
        "{}.{}.c2ln",
        b64::encode_url(br#"{"alg":"HS256"}"#),
        b64::encode_url(br#"{"sub":"y"}"#)
    );
    assert_eq!(
        v.decode(&json!({"jwt": {"token": hs}}), NOW)
            .unwrap()
            .jwt
            .unwrap()["sub"],
        "y"
    );
    // Time is still validated (with the skew).
    let t = sign(&s, "ES256", None, &json!({"exp": NOW - 4}));
    assert!(v.decode(&json!({"jwt": {"token": t}}), NOW).is_ok());
    let t = sign(&s, "ES256", None, &json!({"exp": NOW - 6}));
    let e = v.decode(&json!({"jwt": {"token": t}}), NOW).unwrap_err();
    assert!(e
        .detail()
        .starts_with("failed to extract JWT: token has expired (exp)"));
    // Key data is not even loaded when verification is off (as in Cerbos).
    assert!(verifier(&json!({"disableVerification": true,
        "keySets": [{"id": "k", "local": {"inline": "{\"kty\":\"RSA\"}"}}]}))
    .is_ok());
    assert!(
        verifier(&json!({"keySets": [{"id": "k", "local": {"inline": "{\"kty\":\"RSA\"}"}}]}))
            .is_err()
    );
    // alg none stays refused.
    let none = format!(
        "{}.{}.",
        b64::encode_url(br#"{"alg":"none"}"#),
        b64::encode_url(b"{}")
    );
    assert!(v.decode(&json!({"jwt": {"token": none}}), NOW).is_err());
}

#[test]
fn config_validation_like_cerbos() {
    let err = |cfg: Value| verifier(&cfg).unwrap_err().to_string();
    let local = json!({"inline": "{}"});
    assert_eq!(
        err(
            json!({"keySets": [{"id": "a", "remote": {"url": "u"}}, {"id": "a", "remote": {"url": "u"}}]})
        ),
        "duplicate keyset id 'a'"
    );
    assert_eq!(
        err(json!({"keySets": [{"id": "a"}]})),
        "keyset 'a': should have one of `local` or `remote` defined"
    );
    assert_eq!(
        err(json!({"keySets": [{"id": "a", "local": local, "remote": {"url": "u"}}]})),
        "keyset 'a': only one of `local` or `remote` should be defined"
    );
    assert_eq!(
        err(json!({"keySets": [{"id": "a", "remote": {"url": ""}}]})),
        "keyset 'a': remote URL is empty"
    );
    assert_eq!(
        err(json!({"keySets": [{"id": "a", "local": {}}]})),
        "keyset 'a': at least one of 'local.data' or 'local.file' must be defined"
    );
    assert!(
        err(json!({"keySets": [{"id": "a", "local": {"file": "/k.jwk"}}]}))
            .contains("cannot be read inside the runtime")
    );
    assert_eq!(
        err(json!({"acceptableTimeSkew": "-2s"})),
        "acceptableTimeSkew must be positive"
    );
    assert!(err(json!({"acceptableTimeSkew": "2 fortnights"})).contains("acceptableTimeSkew"));
    assert!(err(json!({"keySets": [], "bogus": true})).contains("unknown field"));
    assert!(err(json!({"keySets": [{"id": "a", "local": {"data": "!!"}}]})).contains("base64"));
    // Key errors carry Cerbos's wording.
    assert_eq!(
        err(
            json!({"keySets": [{"id": "a", "local": {"inline": r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#}}]})
        ),
        "keyset 'a': failed to validate key at idx 0: missing algorithm (alg)"
    );
    assert!(verifier(&json!({"keySets": [{"id": "a", "local": {"inline": r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#}, "insecure": {"optionalAlg": true, "optionalKid": true}}]})).is_ok());
    // Sub-second parts are dropped: "500ms" behaves as no skew.
    for (skew, secs) in [("1m", 60), ("1m30s", 90), ("500ms", 0), ("2h", 7200)] {
        let v =
            verifier(&json!({"acceptableTimeSkew": skew, "disableVerification": true})).unwrap();
        let tok = |exp: i64| {
            let payload = format!(r#"{{"exp":{exp}}}"#);
            format!(
                "{}.{}.c2ln",
                b64::encode_url(br#"{"alg":"ES256"}"#),
                b64::encode_url(payload.as_bytes())
            )
        };
        assert!(
            v.decode(&json!({"jwt": {"token": tok(NOW - secs + 1)}}), NOW)
                .is_ok(),
            "{skew}"
        );
        assert!(
            v.decode(&json!({"jwt": {"token": tok(NOW - secs)}}), NOW)
                .is_err(),
            "{skew}"
        );
    }
}

#[test]
fn pem_keysets_need_both_insecure_flags() {
    // Observed with Cerbos 0.55.0 (oracle, RSA PEM keyset, RS256 tokens with
    // and without kid): only optionalAlg + optionalKid together verify; every
    // other combination fails with "failed to parse JWT".
    let pem = fixture("rsa_a.pk8.pem");
    let signer = Signer::rsa_pkcs8_pem(&pem);
    let claims = json!({"sub": "s", "exp": NOW + 60});
    let with_kid = sign(&signer, "RS256", Some("x"), &claims);
    let no_kid = sign(&signer, "RS256", None, &claims);
    for (alg, kid, ok) in [
        (false, false, false),
        (false, true, false),
        (true, false, false),
        (true, true, true),
    ] {
        let v = verifier(
            &json!({"keySets": [{"id": "p", "local": {"inline": pem, "pem": true},
            "insecure": {"optionalAlg": alg, "optionalKid": kid}}]}),
        )
        .unwrap();
        for t in [&with_kid, &no_kid] {
            let r = v.decode(&json!({"jwt": {"token": t}}), NOW);
            assert_eq!(r.is_ok(), ok, "optionalAlg={alg} optionalKid={kid}");
            if let Err(e) = r {
                assert!(
                    e.detail()
                        .starts_with("failed to extract JWT: failed to parse JWT"),
                    "{}",
                    e.detail()
                );
            }
        }
    }
}

#[test]
fn config_deserializes_with_serde() {
    // The engine reads its `auxData.jwt` block with serde_json::from_value.
    let cfg: portcullis::jwt::auxdata::AuxDataConfig = serde_json::from_value(json!({
        "acceptableTimeSkew": "2s",
        "keySets": [{"id": "r", "remote": {"url": "https://x"}, "insecure": {"optionalKid": true}}],
    }))
    .unwrap();
    assert_eq!(cfg.key_sets.len(), 1);
    assert!(cfg.key_sets[0].insecure.optional_kid);
    let bad =
        serde_json::from_value::<portcullis::jwt::auxdata::AuxDataConfig>(json!({"keySet": []}));
    assert!(bad
        .unwrap_err()
        .to_string()
        .contains("unknown field \"keySet\""));
}
