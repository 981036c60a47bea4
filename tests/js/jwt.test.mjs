// JWT key sets configured through the wrapper (`jwt` option → Cerbos
// `auxData.jwt`): a token signed by the configured key is accepted, while
// expired, foreign-key and tampered tokens are InvalidAuxDataErrors.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { Authorizer, InvalidAuxDataError, InvalidConfigError } from "portcullis";
import { NOW_MS, documentBundlePath, principals, resources } from "./support.mjs";

const b64url = (data) => Buffer.from(data).toString("base64url");

function keyPair(kid) {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" }, pem: publicKey.export({ format: "pem", type: "spki" }) };
}

function token(key, claims, { kid = true } = {}) {
  const header = kid ? { alg: "ES256", typ: "JWT", kid: key.kid } : { alg: "ES256", typ: "JWT" };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64url(signature)}`;
}

const bundle = readFileSync(documentBundlePath(), "utf8");
const nowSec = Math.floor(NOW_MS / 1000);

test("tokens are verified against the configured key sets", async () => {
  const good = keyPair("k1");
  const other = keyPair("k2");
  const authz = await Authorizer.create({ bundle, now: () => NOW_MS, jwt: { keySets: [{ id: "main", jwks: { keys: [good.jwk] } }], leeway: 2 } });
  const check = (jwt) =>
    authz.checkResource({ principal: principals.alice, resource: resources.alice_draft, actions: ["view"], auxData: { jwt: { token: jwt } } });

  const valid = token(good, { sub: "alice", exp: nowSec + 60, iat: nowSec - 1 });
  assert.equal(check(valid).isAllowed("view"), true);
  assert.equal(authz.checkResource({ principal: principals.alice, resource: resources.alice_draft, actions: ["view"], auxData: { jwt: { token: valid, keySetId: "main" } } }).isAllowed("view"), true);

  assert.throws(() => check(token(good, { sub: "alice", exp: nowSec - 60 })), InvalidAuxDataError, "expired");
  assert.throws(() => check(token(other, { sub: "alice", exp: nowSec + 60 })), InvalidAuxDataError, "signed by another key");
  const [h, , s] = valid.split(".");
  assert.throws(() => check(`${h}.${b64url(JSON.stringify({ sub: "mallory", exp: nowSec + 60 }))}.${s}`), InvalidAuxDataError, "tampered");
  assert.throws(
    () => authz.checkResource({ principal: principals.alice, resource: resources.alice_draft, actions: ["view"], auxData: { jwt: { token: valid, keySetId: "nope" } } }),
    InvalidAuxDataError,
    "unknown key set",
  );
  authz.close();
});

test("PEM key sets work too, and malformed key set options are rejected up front", async () => {
  const key = keyPair("p1");
  const authz = await Authorizer.create({ bundle, now: () => NOW_MS, jwt: { keySets: [{ id: "pem", pem: key.pem, insecure: { optionalAlg: true, optionalKid: true } }] } });
  // PEM keys carry neither `alg` nor `kid`; the engine (Cerbos semantics)
  // accepts them with the `insecure` relaxations, and the token names no kid.
  const jwt = token(key, { sub: "alice", exp: nowSec + 60 }, { kid: false });
  assert.equal(authz.isAllowed({ principal: principals.alice, resource: resources.alice_draft, action: "edit", auxData: { jwt: { token: jwt } } }), true);
  await assert.rejects(Authorizer.create({ bundle, jwt: { keySets: [{ id: "x" }] } }), InvalidConfigError);
  await assert.rejects(Authorizer.create({ bundle, jwt: { keySets: [{ id: "x", jwks: "{not json" }] } }), (e) => e.name === "InvalidConfigError" || e.name === "InvalidBundleError" || e.name === "PortcullisError");
});
