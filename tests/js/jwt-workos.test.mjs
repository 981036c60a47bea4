// WorkOS access tokens: AuthKit verifies them with `jose.jwtVerify(token,
// JWKS)` and no other options. Portcullis with `preset: "workos"` must
// accept and refuse exactly what that call does, case by case, at a pinned
// instant (jose's `currentDate`), including the zero-tolerance boundaries.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as jose from "jose";
import { InvalidTokenError, TokenVerifier } from "../../js/dist/node.js";

const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const NOW = 1_790_000_000;
const NOW_MS = NOW * 1000 + 400;

async function rsaKey(kid) {
  const pair = await jose.generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey: pair.privateKey, jwk: { ...(await jose.exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" } };
}
const key = await rsaKey("sso_oidc_key_pair_01");
const other = await rsaKey("sso_oidc_key_pair_01");
const jwks = { keys: [key.jwk] };
const joseKeys = jose.createLocalJWKSet(jwks);

const CLAIMS = {
  iss: "https://api.workos.com/user_management/client_01",
  sub: "user_01H",
  sid: "session_01H",
  jti: "01HJTI",
  org_id: "org_01H",
  role: "admin",
  permissions: ["posts:read", "posts:write"],
  entitlements: ["audit-logs"],
  exp: NOW + 300,
  iat: NOW - 10,
};

const sign = (claims, k = key, header = {}) =>
  new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: k.kid, typ: "JWT", ...header }).sign(k.privateKey);
const without = (o, name) => Object.fromEntries(Object.entries(o).filter(([n]) => n !== name));

const CASES = [
  ["valid", () => sign(CLAIMS)],
  ["valid without typ", () => sign(CLAIMS, key, { typ: undefined })],
  ["exp = now (expired, zero tolerance)", () => sign({ ...CLAIMS, exp: NOW })],
  ["exp = now + 1", () => sign({ ...CLAIMS, exp: NOW + 1 })],
  ["expired an hour ago", () => sign({ ...CLAIMS, exp: NOW - 3600 })],
  ["nbf = now + 1", () => sign({ ...CLAIMS, nbf: NOW + 1 })],
  ["nbf = now", () => sign({ ...CLAIMS, nbf: NOW })],
  ["iat in the future (not checked by either)", () => sign({ ...CLAIMS, iat: NOW + 600 })],
  ["no exp", () => sign(without(CLAIMS, "exp"))],
  ["exp as a string", () => sign({ ...CLAIMS, exp: String(NOW + 300) })],
  ["wrong key, same kid", () => sign(CLAIMS, other)],
  ["unknown kid", () => sign(CLAIMS, { ...key, kid: "other" })],
  ["tampered payload", async () => {
    const [h, , s] = (await sign(CLAIMS)).split(".");
    return `${h}.${b64url({ ...CLAIMS, role: "owner" })}.${s}`;
  }],
  ["alg none", () => `${b64url({ alg: "none" })}.${b64url(CLAIMS)}.`],
  ["payload not an object", async () => {
    const [h, , s] = (await sign(CLAIMS)).split(".");
    return `${h}.${b64url("[1,2]")}.${s}`;
  }],
];

test("WorkOS access tokens: Portcullis (preset workos) agrees with jose.jwtVerify as AuthKit calls it", async () => {
  const v = await TokenVerifier.create({ keys: jwks, preset: "workos", cacheSize: 0 });
  const rows = [];
  for (const [name, make] of CASES) {
    const token = await make();
    let joseOk = true;
    try {
      await jose.jwtVerify(token, joseKeys, { currentDate: new Date(NOW_MS) });
    } catch {
      joseOk = false;
    }
    let ours = true;
    let code;
    try {
      await v.verify(token, NOW_MS);
    } catch (error) {
      assert.ok(error instanceof InvalidTokenError, String(error));
      ours = false;
      code = error.code;
    }
    rows.push({ name, jose: joseOk, portcullis: ours, code });
  }
  assert.deepEqual(rows.filter((r) => r.jose !== r.portcullis), [], JSON.stringify(rows, null, 1));
  assert.ok(rows.filter((r) => r.jose).length >= 5 && rows.filter((r) => !r.jose).length >= 8, "both outcomes covered");
  const ok = await v.verify(await sign(CLAIMS), NOW_MS);
  assert.deepEqual(ok.claims, CLAIMS);
  v.close();
});
