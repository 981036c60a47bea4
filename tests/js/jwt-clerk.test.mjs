// Clerk session tokens: Portcullis (`preset: "clerk"`, in the wasm) accepts
// and refuses exactly what the real `@clerk/backend` `verifyToken(token,
// { jwtKey, authorizedParties })` accepts and refuses, case by case, for v1
// and v2 claim sets signed with a locally generated RSA key. No network.
//
// Clerk reads the clock with Date.now(); each case pins it so both sides see
// the same instant, which lets the table include the clock-skew boundaries.
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign as cryptoSign } from "node:crypto";
import { test } from "node:test";
import { verifyToken } from "@clerk/backend";
import { InvalidTokenError, TokenVerifier } from "../../js/dist/node.js";
import { makeRsaKey, signJwt } from "./identity-keys.mjs";

const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

const key = makeRsaKey("ins_2clerk");
const otherKey = makeRsaKey("ins_2clerk");
const APP = "https://app.example.com";
const NOW = 1_790_000_000; // seconds; pinned for both verifiers
const NOW_MS = NOW * 1000 + 250;

const common = {
  azp: APP,
  exp: NOW + 60,
  iat: NOW - 10,
  nbf: NOW - 10,
  iss: "https://clerk.example.com",
  sid: "sess_2abc",
  sub: "user_2abc",
  jti: "jti_1",
};
const CLAIMS = {
  v1: { ...common, org_id: "org_2acme", org_slug: "acme", org_role: "org:admin", org_permissions: ["org:reports:read"] },
  v2: { ...common, v: 2, o: { id: "org_2acme", slg: "acme", rol: "admin", per: "read,manage", fpm: "3,1" }, fea: "o:reports", pla: "o:pro", sts: "active", fva: [12, -1] },
};

function without(obj, name) {
  const copy = { ...obj };
  delete copy[name];
  return copy;
}

function tamperPayload(token, changes) {
  const [h, p, s] = token.split(".");
  const payload = JSON.parse(Buffer.from(p, "base64url").toString());
  return `${h}.${b64url({ ...payload, ...changes })}.${s}`;
}

function tamperSignature(token) {
  const [h, p, s] = token.split(".");
  const sig = Buffer.from(s, "base64url");
  sig[10] ^= 0x20;
  return `${h}.${p}.${sig.toString("base64url")}`;
}

function signRaw(header, payload, signer) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString("base64url")}`;
}

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });

// [name, (claims) => token, what Clerk does (checked below, not assumed:
// true = accepted), options {authorizedParties, difference}].
const CASES = [
  ["valid", (c) => signJwt(key, c), true],
  ["valid, no azp check configured", (c) => signJwt(key, c), true, { authorizedParties: [] }],
  ["valid, typ absent", (c) => signJwt(key, c, { typ: undefined }), true],
  // Clerk's header check lists RS384/RS512, but it imports the key as RS256,
  // so these signatures never verify there.
  ["RS384", (c) => signRaw({ alg: "RS384", kid: key.kid, typ: "JWT" }, c, (d) => cryptoSign("sha384", d, key.privateKey)), false],
  ["RS512", (c) => signRaw({ alg: "RS512", kid: key.kid, typ: "JWT" }, c, (d) => cryptoSign("sha512", d, key.privateKey)), false],
  ["valid, no nbf/iat", (c) => signJwt(key, without(without(c, "nbf"), "iat")), true],
  ["expired", (c) => signJwt(key, { ...c, exp: NOW - 60 }), false],
  ["expired beyond the 5 s skew (exp = now - 5)", (c) => signJwt(key, { ...c, exp: NOW - 5 }), false],
  ["expired within the 5 s skew (exp = now - 4)", (c) => signJwt(key, { ...c, exp: NOW - 4 }), true],
  ["nbf in the future", (c) => signJwt(key, { ...c, nbf: NOW + 60 }), false],
  ["nbf within the skew (now + 5)", (c) => signJwt(key, { ...c, nbf: NOW + 5 }), true],
  ["nbf just beyond the skew (now + 6)", (c) => signJwt(key, { ...c, nbf: NOW + 6 }), false],
  ["iat in the future", (c) => signJwt(key, { ...c, iat: NOW + 60 }), false],
  ["wrong azp", (c) => signJwt(key, { ...c, azp: "https://evil.example.com" }), false],
  ["no azp while authorized parties are configured", (c) => signJwt(key, without(c, "azp")), false],
  ["no azp, no authorized parties", (c) => signJwt(key, without(c, "azp")), true, { authorizedParties: [] }],
  ["azp among several authorized parties", (c) => signJwt(key, c), true, { authorizedParties: ["https://other.example.com", APP] }],
  ["wrong key (same kid)", (c) => signJwt(otherKey, c), false],
  ["tampered payload (sub)", (c) => tamperPayload(signJwt(key, c), { sub: "user_admin" }), false],
  ["tampered payload (exp extended)", (c) => tamperPayload(signJwt(key, { ...c, exp: NOW - 60 }), { exp: NOW + 3600 }), false],
  ["tampered signature", (c) => tamperSignature(signJwt(key, c)), false],
  ["no sub", (c) => signJwt(key, without(c, "sub")), false],
  ["numeric sub", (c) => signJwt(key, { ...c, sub: 42 }), false],
  ["no exp", (c) => signJwt(key, without(c, "exp")), false],
  ["exp as a string", (c) => signJwt(key, { ...c, exp: String(NOW + 60) }), false],
  ["typ JWS", (c) => signJwt(key, c, { typ: "JWS" }), false],
  ["alg none", (c) => `${b64url({ alg: "none", typ: "JWT" })}.${b64url(c)}.`, false],
  ["ES256 (not an RS algorithm)", (c) => signRaw({ alg: "ES256", kid: key.kid, typ: "JWT" }, c, (d) => cryptoSign("sha256", d, { key: ec.privateKey, dsaEncoding: "ieee-p1363" })), false],
  ["HS256 with the public key as secret", (c) => signRaw({ alg: "HS256", kid: key.kid, typ: "JWT" }, c, (d) => createHmac("sha256", key.pem).update(d).digest()), false],
  ["not a JWT", () => "not.a.jwt", false],
  // Known differences (asserted as such, not counted as agreement): RFC 7515
  // compares `typ` case-insensitively with an optional "application/"; Clerk
  // compares it exactly. Clerk tokens always carry "JWT".
  ["typ jwt (lower case)", (c) => signJwt(key, c, { typ: "jwt" }), false, { difference: "typ compared per RFC 7515 (case-insensitive)" }],
  ["typ application/JWT", (c) => signJwt(key, c, { typ: "application/JWT" }), false, { difference: "typ compared per RFC 7515 (application/ prefix optional)" }],
  // Clerk refuses its machine-to-machine token category in verifyToken; the
  // engine does not read the private `cat` header.
  ["M2M token category header", (c) => signJwt(key, c, { cat: "cl_B7d4PD333AAA" }), false, { difference: "Clerk's private `cat` header is not read" }],
];

async function clerkAccepts(token, authorizedParties) {
  const realNow = Date.now;
  Date.now = () => NOW_MS;
  try {
    await verifyToken(token, { jwtKey: key.pem, authorizedParties });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error?.reason ?? error?.message };
  } finally {
    Date.now = realNow;
  }
}

const verifiers = new Map();
async function portcullis(authorizedParties) {
  const id = JSON.stringify(authorizedParties);
  if (!verifiers.has(id)) verifiers.set(id, await TokenVerifier.create({ keys: key.pem, preset: "clerk", authorizedParties, cacheSize: 0 }));
  return verifiers.get(id);
}

async function portcullisAccepts(token, authorizedParties) {
  const v = await portcullis(authorizedParties);
  try {
    await v.verify(token, NOW_MS);
    return { ok: true };
  } catch (error) {
    assert.ok(error instanceof InvalidTokenError, String(error));
    return { ok: false, reason: error.code };
  }
}

const differencesSeen = [];
for (const version of ["v1", "v2"]) {
  test(`Clerk ${version} session tokens: Portcullis agrees with @clerk/backend verifyToken on every case`, async () => {
    const rows = [];
    for (const [name, make, expected, opts] of CASES) {
      const token = make(CLAIMS[version]);
      const authorizedParties = opts?.authorizedParties ?? [APP];
      const clerk = await clerkAccepts(token, authorizedParties);
      const ours = await portcullisAccepts(token, authorizedParties);
      assert.equal(clerk.ok, expected, `${version} ${name}: @clerk/backend ${clerk.ok ? "accepted" : `refused (${clerk.reason})`}, the table says ${expected}`);
      if (opts?.difference) {
        // A listed difference must still be one (else it should move to the table).
        assert.notEqual(ours.ok, clerk.ok, `${version} ${name}: no longer differs; make it an agreement case`);
        differencesSeen.push(`${version} ${name}: Clerk ${clerk.ok ? "accepts" : "refuses"}, Portcullis ${ours.ok ? "accepts" : "refuses"} (${opts.difference})`);
        continue;
      }
      rows.push({ name, clerk: clerk.ok, portcullis: ours.ok, clerkReason: clerk.reason, code: ours.reason });
    }
    const disagreements = rows.filter((r) => r.clerk !== r.portcullis);
    assert.deepEqual(disagreements, [], `disagreements:\n${JSON.stringify(disagreements, null, 1)}`);
    assert.ok(rows.filter((r) => r.clerk).length >= 8 && rows.filter((r) => !r.clerk).length >= 18, "the table covers both outcomes");
  });
}

test("known differences from @clerk/backend are exactly the listed ones", () => {
  // Printed so a test log shows them; each was asserted above.
  for (const line of differencesSeen) console.log(`known difference: ${line}`);
  assert.equal(differencesSeen.length, 2 * CASES.filter((c) => c[3]?.difference).length);
});

test("an accepted Clerk token yields the claims @clerk/backend returns", async () => {
  for (const version of ["v1", "v2"]) {
    const token = signJwt(key, CLAIMS[version]);
    const realNow = Date.now;
    Date.now = () => NOW_MS;
    let payload;
    try {
      payload = await verifyToken(token, { jwtKey: key.pem, authorizedParties: [APP] });
    } finally {
      Date.now = realNow;
    }
    const ours = await (await portcullis([APP])).verify(token, NOW_MS);
    assert.deepEqual(ours.claims, payload);
    assert.equal(ours.header.kid, key.kid);
  }
});
