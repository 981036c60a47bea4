// TokenVerifier in Cloudflare's real runtime: a worker importing "portcullis"
// (bundled as wrangler does) runs in `workerd serve` on 127.0.0.1 and
// verifies jose-signed tokens in the wasm, with inline keys and with a
// remote JWKS served by this test (unknown kid -> one refetch).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as jose from "jose";

import { fixtures, root } from "../js/support.mjs";
import { sec1WithoutPublicPem } from "./jwt-support.mjs";
import { bundleForWorkerd, freePort, waitForHttp } from "./support.mjs";

const dir = join(fixtures, "workerd-jwt");
const NOW = Math.floor(Date.now() / 1000);
let child;
let base;
let jwksServer;
let jwksUrl;
let stderr = "";
const published = [];
let hits = 0;

const keys = {};
for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"]) {
  const pair = await jose.generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true });
  keys[alg] = { privateKey: pair.privateKey, jwk: { ...(await jose.exportJWK(pair.publicKey)), kid: `k-${alg}`, alg } };
}
const sign = (alg, claims = {}) =>
  new jose.SignJWT({ sub: "user_1", iat: NOW, exp: NOW + 600, ...claims }).setProtectedHeader({ alg, kid: `k-${alg}`, typ: "JWT" }).sign(keys[alg].privateKey);

before(async () => {
  jwksServer = createServer((req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" }).end(JSON.stringify({ keys: published }));
  });
  await new Promise((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`;

  const wasmModules = await bundleForWorkerd(join(root, "tests", "runtimes", "workerd", "jwt-worker.mjs"), dir);
  assert.deepEqual(wasmModules, ["portcullis_bg.wasm"]);
  const port = await freePort();
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "portcullis_bg.wasm", wasm = embed "portcullis_bg.wasm"),
  ],
  compatibilityDate = "2025-05-01",
  globalOutbound = "internet",
);
`,
  );
  child = spawn(join(root, "node_modules", ".bin", "workerd"), ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "inherit", "pipe"] });
  child.stderr.on("data", (d) => (stderr += d));
  base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/`, 30_000, () => child.exitCode === null);
});

after(async () => {
  if (child && child.exitCode === null) child.kill("SIGTERM");
  await new Promise((resolve) => jwksServer?.close(resolve) ?? resolve());
  if (stderr.trim()) console.error(`workerd stderr:\n${stderr}`);
});

async function verify(body) {
  const response = await fetch(base, { method: "POST", body: JSON.stringify(body) });
  const json = await response.json();
  assert.equal(response.status, 200, `${JSON.stringify(json)}\n${stderr}`);
  return json;
}

test("workerd: jose-signed tokens of each algorithm verify in the wasm with inline keys; bad ones are refused", async () => {
  const jwks = { keys: Object.values(keys).map((k) => k.jwk) };
  for (const alg of Object.keys(keys)) {
    const out = await verify({ keys: jwks, token: await sign(alg) });
    assert.deepEqual([out.ok, out.alg, out.claims?.sub], [true, alg, "user_1"], JSON.stringify(out));
  }
  assert.equal((await verify({ keys: jwks, token: await sign("ES256", { exp: NOW - 60 }) })).code, "expired");
  const [h, p] = (await sign("RS256")).split(".");
  assert.equal((await verify({ keys: jwks, token: `${h}.${p}.AAAA` })).code, "invalid_signature");
  assert.equal((await verify({ keys: jwks, options: { preset: "clerk" }, token: await sign("ES256") })).code, "alg_not_allowed");
});

test("workerd: an EC private PEM key without its public point works through workerd's WebCrypto", async () => {
  const pem = await sec1WithoutPublicPem(keys.ES384.privateKey);
  const out = await verify({ keys: pem, token: await sign("ES384") });
  assert.deepEqual([out.ok, out.alg, out.claims?.sub], [true, "ES384", "user_1"], JSON.stringify(out));
  const [h, , s] = (await sign("ES384")).split(".");
  const forged = `${h}.${Buffer.from(JSON.stringify({ sub: "admin", exp: NOW + 600 })).toString("base64url")}.${s}`;
  assert.equal((await verify({ keys: pem, token: forged })).code, "invalid_signature");
});

test("workerd: a remote JWKS is fetched by the worker; an unknown kid refetches once", async () => {
  published.push(keys.ES256.jwk);
  const first = await verify({ keys: jwksUrl, token: await sign("ES256") });
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.equal(first.fetches, 1);
  assert.equal(hits, 1);
  // EdDSA is published later; the worker's cooldown (30 s) blocks a refetch
  // right after the first fetch, so the token is refused without a request.
  published.push(keys.EdDSA.jwk);
  const early = await verify({ keys: jwksUrl, token: await sign("EdDSA") });
  assert.deepEqual([early.ok, early.code, hits], [false, "kid_not_found", 1]);
  // Another verifier in the worker with no cooldown: the unknown kid makes
  // it refetch, and the new key verifies.
  published.splice(0, published.length, keys.ES256.jwk);
  const jwksOptions = { cooldownMs: 0 };
  assert.equal((await verify({ keys: jwksUrl, jwksOptions, token: await sign("ES256") })).ok, true);
  assert.equal(hits, 2);
  published.push(keys.EdDSA.jwk);
  const late = await verify({ keys: jwksUrl, jwksOptions, token: await sign("EdDSA") });
  assert.deepEqual([late.ok, late.alg, late.fetches, hits], [true, "EdDSA", 2, 3], JSON.stringify(late));
});
