// Cerbos auxData conformance through the package (runtime wasm + wrapper):
// every case of conformance/cerbos/auxdata/ configured as an Authorizer key
// set. Error cases fail `Authorizer.create` with Cerbos's words; success
// cases verify a token signed with the case's private key, and a policy
// reading `request.aux_data.jwt` sees the claims as Cerbos exposes them.
// The ES384 PEM case (a PKCS#8 key without its public point) passes only
// because the wrapper derives the point with WebCrypto: the wasm on its own
// refuses it, which is asserted too.
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, sign as cryptoSign } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { Authorizer, InvalidAuxDataError, TokenVerifier } from "portcullis";
import { TokenVerifier as WasmTokenVerifier, initSync } from "../../pkg/portcullis.js";
import { NOW_MS, cli, fixtures, sharedRoot } from "./support.mjs";

// The package's entries carry their own copy of the glue (they are bundles),
// so the glue file used here to call the runtime wasm without the wrapper
// gets an instance of its own.
initSync({ module: readFileSync(new URL("../../pkg/portcullis_bg.wasm", import.meta.url)) });

const shared = sharedRoot();
const nowSec = Math.floor(NOW_MS / 1000);
const b64url = (v) => Buffer.from(typeof v === "string" || Buffer.isBuffer(v) ? v : JSON.stringify(v)).toString("base64url");

/** The small fixed YAML shape of AuxDataTestCase files. */
function parseCase(text) {
  const out = { pem: false };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if ((m = /^ {2}pem: (true|false)$/.exec(line))) out.pem = m[1] === "true";
    else if (/^ {2}key: \|-$/.test(line)) {
      const body = [];
      while (i + 1 < lines.length && (lines[i + 1].startsWith("    ") || lines[i + 1].trim() === "")) body.push(lines[++i].slice(4));
      out.key = body.join("\n").trimEnd();
    } else if ((m = /^(wantErr|wantLocalErr|wantRemoteErr): "(.*)"$/.exec(line))) out[m[1]] = m[2].replace(/\\"/g, '"');
  }
  return out;
}

// A policy allowing "read" only when the token's claims arrive as Cerbos
// exposes them (aud always a list, exp an RFC 3339 string, numbers doubles).
function claimsBundle() {
  const dir = join(fixtures, "auxdata-policies");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "report.yaml"),
    `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: report
  rules:
    - actions: ["read"]
      effect: EFFECT_ALLOW
      roles: ["user"]
      condition:
        match:
          all:
            of:
              - expr: request.aux_data.jwt.iss == "cerbos-test-suite"
              - expr: request.aux_data.jwt.aud == ["cerbos-jwt-tests"]
              - expr: request.aux_data.jwt.customString == "foobar"
              - expr: request.aux_data.jwt.customInt == 42.0
              - expr: request.aux_data.jwt.customMap.B == "BB"
              - expr: request.aux_data.jwt.exp == "${new Date((nowSec + 3600) * 1000).toISOString().replace(".000", "")}"
`,
  );
  const out = join(fixtures, "auxdata.bundle.json");
  cli(["compile", dir, "-o", out]);
  return readFileSync(out, "utf8");
}

function signToken(privateKey, alg, kid, claims) {
  const header = kid ? { alg, typ: "JWT", kid } : { alg, typ: "JWT" };
  const input = `${b64url(header)}.${b64url(claims)}`;
  const hash = { RS256: "sha256", ES384: "sha384" }[alg];
  const sig = cryptoSign(hash, Buffer.from(input), alg.startsWith("ES") ? { key: privateKey, dsaEncoding: "ieee-p1363" } : privateKey);
  return `${input}.${b64url(sig)}`;
}

/** Key set option, signing key, alg and kid for a case. */
function caseKeys(c) {
  if (c.pem) {
    const privateKey = createPrivateKey(c.key);
    return { keySet: { id: "cerbos", pem: c.key, insecure: { optionalAlg: true, optionalKid: true } }, privateKey, alg: privateKey.asymmetricKeyType === "ec" ? "ES384" : "RS256", kid: undefined };
  }
  const doc = JSON.parse(c.key);
  const jwk = doc.keys ? doc.keys[0] : doc;
  return { keySet: { id: "cerbos", jwks: c.key }, privateKey: createPrivateKey({ key: jwk, format: "jwk" }), alg: jwk.alg, kid: jwk.kid };
}

test("Cerbos auxdata cases through Authorizer: 10/10, the ES384 PEM key included", { skip: !shared }, async () => {
  const dir = join(shared, "conformance", "cerbos", "auxdata");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
  assert.equal(files.length, 10);
  const bundle = claimsBundle();
  const claims = { iss: "cerbos-test-suite", aud: "cerbos-jwt-tests", exp: nowSec + 3600, customString: "foobar", customInt: 42, customArray: ["A", "B", "C"], customMap: { A: "AA", B: "BB", C: "CC" } };
  const request = (token) => ({ principal: { id: "u", roles: ["user"] }, resource: { kind: "report", id: "r1" }, actions: ["read"], auxData: { jwt: { token, keySetId: "cerbos" } } });
  let passed = 0;
  for (const file of files) {
    const c = parseCase(readFileSync(join(dir, file), "utf8"));
    const want = c.wantErr ?? c.wantLocalErr;
    if (want !== undefined) {
      const { keySet } = caseKeys(c);
      await assert.rejects(Authorizer.create({ bundle, jwt: { keySets: [keySet] } }), (e) => e.message.includes(want), `${file}: wants ${want}`);
      passed++;
      continue;
    }
    const { keySet, privateKey, alg, kid } = caseKeys(c);
    const authz = await Authorizer.create({ bundle, now: () => NOW_MS, jwt: { keySets: [keySet] } });
    const token = signToken(privateKey, alg, kid, claims);
    assert.equal(authz.checkResource(request(token)).isAllowed("read"), true, `${file}: claims reach the policy`);
    // Another claim value: verified, but the policy denies.
    assert.equal(authz.checkResource(request(signToken(privateKey, alg, kid, { ...claims, customString: "x" }))).isAllowed("read"), false, file);
    const [h, , s] = token.split(".");
    assert.throws(() => authz.checkResource(request(`${h}.${b64url({ ...claims, customString: "x" })}.${s}`)), InvalidAuxDataError, `${file}: tampered`);
    assert.throws(() => authz.checkResource(request(signToken(privateKey, alg, kid, { ...claims, exp: nowSec - 3600 }))), InvalidAuxDataError, `${file}: expired`);
    authz.close();
    passed++;
  }
  assert.equal(passed, 10);
});

// SEC1 ECPrivateKey with only version, scalar and curve (OpenSSL -no_public).
function der(tag, body) {
  const n = body.length;
  return Buffer.concat([Buffer.from(n < 0x80 ? [tag, n] : [tag, 0x81, n]), Buffer.from(body)]);
}
const OIDS = { "P-256": [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], "P-384": [0x2b, 0x81, 0x04, 0x00, 0x22] };
function sec1NoPublic(crv, d) {
  return der(0x30, Buffer.concat([der(0x02, [1]), der(0x04, d), der(0xa0, der(0x06, OIDS[crv]))]));
}
const pem = (label, bytes) => `-----BEGIN ${label}-----\n${bytes.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;

test("TokenVerifier: EC private keys without a public point (SEC1 and PKCS#8, P-256 and P-384) verify; the wasm alone refuses them", async () => {
  for (const [crv, alg, hash] of [["P-256", "ES256", "sha256"], ["P-384", "ES384", "sha384"]]) {
    const full = generateKeyPairSync("ec", { namedCurve: crv }).privateKey;
    const d = Buffer.from(full.export({ format: "jwk" }).d, "base64url");
    const sec1 = sec1NoPublic(crv, d);
    // PKCS#8 around the same SEC1 (what `openssl pkcs8 -topk8` writes for it).
    const pkcs8 = der(0x30, Buffer.concat([der(0x02, [0]), der(0x30, Buffer.concat([der(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), der(0x06, OIDS[crv])])), der(0x04, sec1)]));
    const input = `${b64url({ alg, typ: "JWT" })}.${b64url({ sub: "user_1", exp: nowSec + 600 })}`;
    const token = `${input}.${b64url(cryptoSign(hash, Buffer.from(input), { key: full, dsaEncoding: "ieee-p1363" }))}`;
    for (const text of [pem("EC PRIVATE KEY", sec1), pem("PRIVATE KEY", pkcs8)]) {
      // Node itself reads it as the same key (it derives the point too).
      assert.deepEqual(createPrivateKey(text).export({ format: "jwk" }), full.export({ format: "jwk" }));
      const v = await TokenVerifier.create({ keys: text, now: () => NOW_MS });
      const out = await v.verify(token);
      assert.deepEqual([out.alg, out.claims.sub], [alg, "user_1"]);
      const [h, , s] = token.split(".");
      await assert.rejects(v.verify(`${h}.${b64url({ sub: "admin", exp: nowSec + 600 })}.${s}`), (e) => e.code === "invalid_signature");
      v.close();
      // Without the wrapper's derivation the runtime wasm cannot load it.
      assert.throws(() => WasmTokenVerifier.create(text, "{}"), (e) => typeof e === "string" && e.includes("EC private key without an embedded public key"));
    }
  }
  // RSA and Ed25519 private keys, public keys and mixed texts pass through untouched.
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ed = generateKeyPairSync("ed25519");
  const mixed = `${rsa.privateKey.export({ format: "pem", type: "pkcs8" })}${ed.publicKey.export({ format: "pem", type: "spki" })}`;
  const v = await TokenVerifier.create({ keys: mixed, now: () => NOW_MS });
  const input = `${b64url({ alg: "EdDSA" })}.${b64url({ sub: "ed", exp: nowSec + 60 })}`;
  assert.equal((await v.verify(`${input}.${b64url(cryptoSign(null, Buffer.from(input), ed.privateKey))}`)).claims.sub, "ed");
  v.close();
});
