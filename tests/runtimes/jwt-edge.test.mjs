// TokenVerifier in Vercel's edge runtime emulator (npm edge-runtime) with
// wasm code generation disabled, as on the real edge: middleware bundled
// as Next.js does, the wasm compiled by the host and injected. Tokens signed
// by jose in the test verify inside the VM; tampered, expired and foreign
// ones are refused; a remote JWKS is fetched from 127.0.0.1; an EC private
// PEM key without its public point is usable through the VM's WebCrypto.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as jose from "jose";

import { EdgeRuntime, runServer } from "edge-runtime";
import { root } from "../js/support.mjs";
import { bundleForEdge, wasmPath } from "./support.mjs";
import { sec1WithoutPublicPem, signingKeys } from "./jwt-support.mjs";

const NOW = Math.floor(Date.now() / 1000);
let server;
let jwksServer;
let jwksUrl;
let hits = 0;
const published = [];
const { keys, sign } = await signingKeys(NOW);

before(async () => {
  jwksServer = createServer((req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" }).end(JSON.stringify({ keys: published }));
  });
  await new Promise((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`;

  const code = await bundleForEdge(join(root, "tests", "runtimes", "edge", "jwt-middleware.mjs"), "__PORTCULLIS_WASM__");
  const hostModule = await WebAssembly.compile(readFileSync(wasmPath));
  const runtime = new EdgeRuntime({
    initialCode: code,
    codeGeneration: { strings: false, wasm: false },
    extend: (context) => Object.assign(context, { __PORTCULLIS_WASM__: hostModule }),
  });
  server = await runServer({ runtime, port: 0, host: "127.0.0.1" });
});

after(async () => {
  await server?.close();
  await new Promise((resolve) => jwksServer?.close(resolve) ?? resolve());
});

async function verify(body) {
  const response = await fetch(server.url, { method: "POST", body: JSON.stringify(body) });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  return json;
}

test("edge: jose-signed tokens of each algorithm verify in the wasm; tampered, expired and foreign ones are refused", async () => {
  const jwks = { keys: Object.values(keys).map((k) => k.jwk) };
  for (const alg of Object.keys(keys)) {
    const out = await verify({ keys: jwks, token: await sign(alg) });
    assert.deepEqual([out.ok, out.alg, out.claims?.sub], [true, alg, "user_1"], JSON.stringify(out));
  }
  const [h, , s] = (await sign("ES256")).split(".");
  const forged = `${h}.${Buffer.from(JSON.stringify({ sub: "admin", exp: NOW + 600 })).toString("base64url")}.${s}`;
  assert.deepEqual(await verify({ keys: jwks, token: forged }), { ok: false, code: "invalid_signature", fetches: 0 });
  assert.equal((await verify({ keys: jwks, token: await sign("RS256", { exp: NOW - 60 }) })).code, "expired");
  const stranger = await jose.generateKeyPair("ES256");
  const foreign = await new jose.SignJWT({ sub: "user_1", exp: NOW + 600 }).setProtectedHeader({ alg: "ES256", kid: "k-ES256" }).sign(stranger.privateKey);
  assert.equal((await verify({ keys: jwks, token: foreign })).code, "invalid_signature");
  assert.equal((await verify({ keys: jwks, options: { preset: "clerk" }, token: await sign("ES256") })).code, "alg_not_allowed");
});

test("edge: PEM keys, including an EC private key without its public point (derived by the VM's WebCrypto)", async () => {
  const spki = await jose.exportSPKI(keys.RS256.publicKey);
  assert.equal((await verify({ keys: spki, token: await sign("RS256") })).ok, true);
  const pem = await sec1WithoutPublicPem(keys.ES384.privateKey);
  const out = await verify({ keys: pem, token: await sign("ES384") });
  assert.deepEqual([out.ok, out.alg], [true, "ES384"], JSON.stringify(out));
  assert.equal((await verify({ keys: pem, token: await sign("ES256") })).ok, false);
});

test("edge: a remote JWKS on 127.0.0.1 is fetched from the VM; an unknown kid refetches once", async () => {
  published.push(keys.ES256.jwk);
  const first = await verify({ keys: jwksUrl, token: await sign("ES256") });
  assert.deepEqual([first.ok, first.fetches, hits], [true, 1, 1], JSON.stringify(first));
  published.push(keys.EdDSA.jwk);
  const late = await verify({ keys: jwksUrl, token: await sign("EdDSA") });
  assert.deepEqual([late.ok, late.alg, late.fetches, hits], [true, "EdDSA", 2, 2], JSON.stringify(late));
  const unknown = await verify({ keys: jwksUrl, token: await sign("PS256") });
  assert.deepEqual([unknown.ok, unknown.code, hits], [false, "kid_not_found", 3]);
});
