// Cross-checks the wasm's JOSE against the npm `jose` package: tokens of
// every supported algorithm signed by jose verify through TokenVerifier, and
// tokens jose refuses (tampered, expired, alg none, HS256 signed with the
// public key as an HMAC secret, wrong key) are refused by Portcullis too.
import assert from "node:assert/strict";
import { KeyObject, constants, createHmac, sign as cryptoSign } from "node:crypto";
import { test } from "node:test";
import * as jose from "jose";
import { InvalidConfigError, InvalidTokenError, TokenVerifier } from "../../js/dist/node.js";
import * as plain from "../../js/dist/index.js";

const ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];
const NOW = Math.floor(Date.now() / 1000);
const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

const keys = new Map();
for (const alg of ALGS) {
  const options = alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true };
  const pair = await jose.generateKeyPair(alg, options);
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: `k-${alg}`, alg, use: "sig" };
  const pem = await jose.exportSPKI(pair.publicKey);
  keys.set(alg, { ...pair, jwk, pem });
}
const jwks = { keys: [...keys.values()].map((k) => k.jwk) };
const localJwks = jose.createLocalJWKSet(jwks);

const claims = { sub: "user_1", iss: "https://issuer.test", aud: "api", iat: NOW - 10, exp: NOW + 300, org: { id: "o1", roles: ["admin"] } };

async function sign(alg, payload = claims, header = {}) {
  const k = keys.get(alg);
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid: k.jwk.kid, typ: "JWT", ...header }).sign(k.privateKey);
}

const verifier = await TokenVerifier.create({ keys: jwks, issuer: "https://issuer.test", audiences: ["api"] });

async function joseAccepts(token) {
  try {
    await jose.jwtVerify(token, localJwks, { issuer: "https://issuer.test", audience: "api", clockTolerance: 5 });
    return true;
  } catch {
    return false;
  }
}

async function portcullisAccepts(token) {
  try {
    await verifier.verify(token);
    return true;
  } catch (error) {
    assert.ok(error instanceof InvalidTokenError, `expected InvalidTokenError, got ${error}`);
    assert.equal(typeof error.code, "string");
    return false;
  }
}

for (const alg of ALGS) {
  test(`${alg}: a token signed by jose verifies in the wasm (JWKS), claims and header intact`, async () => {
    const token = await sign(alg);
    assert.equal(await joseAccepts(token), true);
    const out = await verifier.verify(token);
    assert.deepEqual(out.claims, claims);
    assert.deepEqual(out.header, { alg, kid: `k-${alg}`, typ: "JWT" });
    assert.equal(out.alg, alg);
    assert.equal(out.kid, `k-${alg}`);
  });

  test(`${alg}: the same key as PEM (SPKI) verifies too; a kidless token picks the only key`, async () => {
    const v = await TokenVerifier.create({ keys: keys.get(alg).pem });
    const token = await new jose.SignJWT(claims).setProtectedHeader({ alg }).sign(keys.get(alg).privateKey);
    const out = await v.verify(token);
    assert.equal(out.claims.sub, "user_1");
    v.close();
  });

  test(`${alg}: tampered payload, tampered signature, wrong key and expiry are refused by both`, async () => {
    const token = await sign(alg);
    const [h, p, s] = token.split(".");
    const tamperedPayload = `${h}.${b64url({ ...claims, sub: "admin" })}.${s}`;
    const sig = Buffer.from(s, "base64url");
    sig[Math.floor(sig.length / 2)] ^= 0x01;
    const tamperedSig = `${h}.${p}.${sig.toString("base64url")}`;
    // Signed by another algorithm's key but claiming this kid.
    const other = alg === "ES256" ? "ES384" : "ES256";
    const wrongKey = await new jose.SignJWT(claims).setProtectedHeader({ alg: other, kid: `k-${alg}` }).sign(keys.get(other).privateKey);
    const expired = await sign(alg, { ...claims, iat: NOW - 1000, exp: NOW - 60 });
    const notYet = await sign(alg, { ...claims, nbf: NOW + 600 });
    const wrongAud = await sign(alg, { ...claims, aud: "other" });
    const wrongIss = await sign(alg, { ...claims, iss: "https://evil.test" });
    for (const [name, bad] of Object.entries({ tamperedPayload, tamperedSig, wrongKey, expired, notYet, wrongAud, wrongIss })) {
      assert.equal(await joseAccepts(bad), false, `jose accepted ${name}`);
      assert.equal(await portcullisAccepts(bad), false, `portcullis accepted ${name}`);
    }
    await assert.rejects(verifier.verify(expired), (e) => e instanceof InvalidTokenError && e.code === "expired");
    await assert.rejects(verifier.verify(tamperedSig), (e) => e.code === "invalid_signature");
    await assert.rejects(verifier.verify(wrongAud), (e) => e.code === "audience_mismatch");
    await assert.rejects(verifier.verify(wrongIss), (e) => e.code === "issuer_mismatch");
    await assert.rejects(verifier.verify(notYet), (e) => e.code === "not_yet_valid");
  });
}

test("alg none is refused by both", async () => {
  const unsecured = new jose.UnsecuredJWT(claims).encode();
  assert.equal(await joseAccepts(unsecured), false);
  await assert.rejects(verifier.verify(unsecured), (e) => e instanceof InvalidTokenError && e.code === "alg_none");
  // Same, with a kid naming a real key and a leftover signature.
  const token = await sign("RS256");
  const [, p, s] = token.split(".");
  const none = `${b64url({ alg: "none", kid: "k-RS256" })}.${p}.${s}`;
  assert.equal(await joseAccepts(none), false);
  await assert.rejects(verifier.verify(none), (e) => e.code === "alg_none");
});

test("HS256 signed with the RSA public key as HMAC secret (key confusion) is refused by both", async () => {
  const k = keys.get("RS256");
  for (const secret of [k.pem, JSON.stringify(k.jwk), Buffer.from(k.jwk.n, "base64url")]) {
    const h = b64url({ alg: "HS256", kid: "k-RS256", typ: "JWT" });
    const p = b64url(claims);
    const mac = createHmac("sha256", secret).update(`${h}.${p}`).digest("base64url");
    const token = `${h}.${p}.${mac}`;
    assert.equal(await joseAccepts(token), false);
    await assert.rejects(verifier.verify(token), (e) => e instanceof InvalidTokenError && e.code === "alg_symmetric");
    // A PEM-only verifier (no JWK `alg` to compare with) refuses it as well.
    const pemOnly = await TokenVerifier.create({ keys: k.pem });
    await assert.rejects(pemOnly.verify(token), (e) => e.code === "alg_symmetric");
    pemOnly.close();
  }
});

test("a token whose header alg differs from the key's JWK alg is refused by both", async () => {
  // RS256 key used with PS256 (the JWK says RS256); WebCrypto keys are bound
  // to one algorithm, so node:crypto makes the PSS signature.
  const h = b64url({ alg: "PS256", kid: "k-RS256" });
  const p = b64url(claims);
  const key = KeyObject.from(keys.get("RS256").privateKey);
  const sig = cryptoSign("sha256", Buffer.from(`${h}.${p}`), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const token = `${h}.${p}.${sig.toString("base64url")}`;
  // Genuinely a valid PS256 signature: the same key as a bare PEM (no JWK alg) accepts it.
  const pemOnly = await TokenVerifier.create({ keys: keys.get("RS256").pem });
  assert.equal((await pemOnly.verify(token)).alg, "PS256");
  pemOnly.close();
  assert.equal(await joseAccepts(token), false);
  assert.equal(await portcullisAccepts(token), false);
});

test("garbage never throws anything but InvalidTokenError", async () => {
  for (const bad of ["", "a", "a.b", "a.b.c", "..", "....", "eyJ.eyJ.sig", "x".repeat(20000), `${b64url({ alg: "RS256" })}.${b64url("[]")}.AA`]) {
    await assert.rejects(verifier.verify(bad), InvalidTokenError);
    assert.throws(() => verifier.verifySync(bad), InvalidTokenError);
  }
  await assert.rejects(verifier.verify(42), InvalidTokenError);
});

test("verifySync and an explicit time: the wasm uses the time it is given", async () => {
  const token = await sign("ES256");
  assert.equal(verifier.verifySync(token).claims.sub, "user_1");
  assert.throws(() => verifier.verifySync(token, (NOW + 3600) * 1000), (e) => e.code === "expired");
  assert.throws(() => verifier.verifySync(token, new Date((NOW + 3600) * 1000)), (e) => e.code === "expired");
  // The verified-token cache does not hide expiry: same token, later time.
  assert.equal((await verifier.verify(token, NOW * 1000)).claims.sub, "user_1");
  await assert.rejects(verifier.verify(token, (NOW + 3600) * 1000), (e) => e.code === "expired");
});

test("presets and options reach the engine", async () => {
  // clerk: RS* only, so an ES256 token is refused even though the key is present.
  const clerk = await TokenVerifier.create({ keys: jwks, preset: "clerk" });
  assert.equal((await clerk.verify(await sign("RS256"))).claims.sub, "user_1");
  await assert.rejects(clerk.verify(await sign("ES256")), (e) => e.code === "alg_not_allowed");
  // algorithms option.
  const onlyEd = await TokenVerifier.create({ keys: jwks, algorithms: ["EdDSA"] });
  await assert.rejects(onlyEd.verify(await sign("RS256")), (e) => e.code === "alg_not_allowed");
  assert.equal((await onlyEd.verify(await sign("EdDSA"))).alg, "EdDSA");
  // leeway: 30 s past exp is accepted with 60 s leeway, refused with 0.
  const late = await sign("ES256", { ...claims, exp: NOW - 30 });
  const lenient = await TokenVerifier.create({ keys: jwks, leewaySeconds: 60 });
  const strict = await TokenVerifier.create({ keys: jwks, preset: "workos" });
  assert.equal((await lenient.verify(late)).claims.sub, "user_1");
  await assert.rejects(strict.verify(late), (e) => e.code === "expired");
  for (const v of [clerk, onlyEd, lenient, strict]) v.close();
});

test("unusable keys and options are InvalidConfigError; the plain entry works with an explicit wasm", async () => {
  await assert.rejects(TokenVerifier.create({ keys: "not a key" }), InvalidConfigError);
  await assert.rejects(TokenVerifier.create({ keys: { keys: [{ kty: "RSA" }] } }), InvalidConfigError);
  await assert.rejects(TokenVerifier.create({ keys: jwks, preset: "okta" }), /unknown preset/);
  await assert.rejects(TokenVerifier.create({ keys: jwks, leewaySeconds: -1 }), InvalidConfigError);
  await assert.rejects(TokenVerifier.create({ keys: jwks, algorithms: ["HS256"] }), InvalidConfigError);
  await assert.rejects(TokenVerifier.create({}), InvalidConfigError);
  // The wasm is already instantiated in this realm, so the plain entry reuses it.
  const v = await plain.TokenVerifier.create({ keys: JSON.stringify(jwks) });
  assert.equal((await v.verify(await sign("PS384"))).alg, "PS384");
  v.close();
  assert.throws(() => v.verifySync("a.b.c"), /closed/);
});

test("RFC 9864 Ed25519 (fully-specified EdDSA): accepted and refused exactly as jose does", async () => {
  const k = keys.get("EdDSA");
  const signEd = (kid, payload = claims) => new jose.SignJWT(payload).setProtectedHeader({ alg: "Ed25519", kid }).sign(k.privateKey);
  const { alg: _alg, ...unbound } = k.jwk;
  const sets = {
    bound: { keys: [{ ...k.jwk, kid: "ed", alg: "Ed25519" }] },
    unbound: { keys: [{ ...unbound, kid: "ed" }] },
    // A key bound to the polymorphic name does not verify the specific one (jose: no matching key).
    eddsa: { keys: [{ ...k.jwk, kid: "ed", alg: "EdDSA" }] },
    // Another Ed25519 key under the same kid: the signature fails.
    other: { keys: [{ ...(await jose.exportJWK((await jose.generateKeyPair("Ed25519", { extractable: true })).publicKey)), kid: "ed", alg: "Ed25519" }] },
  };
  const good = await signEd("ed");
  const [h, , s] = good.split(".");
  const tampered = `${h}.${b64url({ ...claims, sub: "admin" })}.${s}`;
  const expected = { bound: [true, false], unbound: [true, false], eddsa: [false, false], other: [false, false] };
  for (const [name, set] of Object.entries(sets)) {
    const v = await TokenVerifier.create({ keys: set });
    const got = [];
    for (const token of [good, tampered]) {
      let joseOk = true;
      try {
        await jose.jwtVerify(token, jose.createLocalJWKSet(set), { clockTolerance: 5 });
      } catch {
        joseOk = false;
      }
      let ours = true;
      try {
        const out = await v.verify(token);
        assert.deepEqual([out.alg, out.claims.sub], ["Ed25519", "user_1"]);
      } catch (error) {
        assert.ok(error instanceof InvalidTokenError, String(error));
        ours = false;
      }
      assert.equal(ours, joseOk, `${name}: Portcullis and jose disagree`);
      got.push(ours);
    }
    assert.deepEqual(got, expected[name], name);
    v.close();
  }
  // The allow-list names it on its own; the PEM (no alg) accepts it.
  await assert.rejects((await TokenVerifier.create({ keys: sets.unbound, algorithms: ["EdDSA"] })).verify(good), (e) => e.code === "alg_not_allowed");
  assert.equal((await (await TokenVerifier.create({ keys: k.pem, algorithms: ["Ed25519"] })).verify(await signEd(undefined))).alg, "Ed25519");
});
