// TokenVerifier in a real browser: Debian's chromium, driven by
// playwright-core, loads a page from 127.0.0.1 that imports "portcullis"
// (browser entry, wasm streamed) and verifies tokens signed here by jose:
// every algorithm verifies, tampered/expired/foreign tokens are refused, a
// PEM EC private key without its public point works through the browser's
// WebCrypto, and a remote JWKS is fetched from the page's origin.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as jose from "jose";

import { browserPageFile, launchChromium, openStatusPage, sendFile } from "./support.mjs";
import { NOW_MS, fixtures } from "../js/support.mjs";
import { sec1WithoutPublicPem, signingKeys } from "./jwt-support.mjs";

const NOW = Math.floor(NOW_MS / 1000);
let server;
let browser;
let base;
let jwksHits = 0;
const expected = [];

const b64url = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");

before(async () => {
  const { keys, sign } = await signingKeys(NOW);
  const jwks = { keys: Object.values(keys).map((k) => k.jwk) };
  const cases = [];
  const add = (label, keySource, token, outcome, options = {}) => {
    cases.push({ label, keys: keySource, options, token });
    expected.push([label, outcome]);
  };
  for (const alg of Object.keys(keys)) add(`jwks ${alg}`, jwks, await sign(alg), `ok ${alg} user_1`);
  const [h, , s] = (await sign("RS256")).split(".");
  add("tampered payload", jwks, `${h}.${b64url({ sub: "admin", exp: NOW + 600 })}.${s}`, "refused invalid_signature");
  add("expired", jwks, await sign("ES256", { exp: NOW - 60 }), "refused expired");
  const stranger = await jose.generateKeyPair("EdDSA");
  add("foreign key", jwks, await new jose.SignJWT({ sub: "user_1", exp: NOW + 600 }).setProtectedHeader({ alg: "EdDSA", kid: "k-EdDSA" }).sign(stranger.privateKey), "refused invalid_signature");
  add("alg none", jwks, `${b64url({ alg: "none", kid: "k-RS256" })}.${b64url({ sub: "admin", exp: NOW + 600 })}.`, "refused alg_none");
  add("clerk preset refuses ES256", jwks, await sign("ES256"), "refused alg_not_allowed", { preset: "clerk" });
  add("pem spki", await jose.exportSPKI(keys.PS256.publicKey), await sign("PS256"), "ok PS256 user_1");
  const noPoint = await sec1WithoutPublicPem(keys.ES256.privateKey);
  add("pem EC private key without public point", noPoint, await sign("ES256"), "ok ES256 user_1");
  add("pem EC private key, other key's token", noPoint, await sign("ES384"), "refused kid_not_found");
  add("remote jwks", "remote", await sign("ES384"), "ok ES384 user_1");
  add("remote jwks, unknown kid", "remote", await sign("RS256"), "refused kid_not_found");

  mkdirSync(fixtures, { recursive: true });
  writeFileSync(join(fixtures, "jwt-browser-cases.json"), JSON.stringify({ nowMs: NOW_MS, cases }));
  const remote = JSON.stringify({ keys: [keys.ES384.jwk] });
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/jwks.json") {
      jwksHits++;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" }).end(remote);
      return;
    }
    sendFile(res, browserPageFile(path));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("chromium: TokenVerifier verifies real tokens in the wasm and refuses forged ones", async () => {
  const { page, status, errors } = await openStatusPage(browser, `${base}/page/jwt.html`, 30_000);
  assert.equal(status, "ready", `${status} ${errors.join("; ")}`);
  const rows = await page.$$eval("#results tbody tr", (trs) => trs.map((tr) => [tr.dataset.case, tr.children[1].textContent]));
  assert.equal(rows.length, expected.length);
  for (const [i, [label, outcome]] of expected.entries()) {
    assert.equal(rows[i][0], label);
    assert.equal(rows[i][1], outcome, label);
  }
  assert.equal(jwksHits, 2, "the remote JWKS: one fetch, one refetch for the unknown kid");
  await page.screenshot({ path: join(fixtures, "jwt-browser.png") });
  assert.deepEqual(errors, []);
});
