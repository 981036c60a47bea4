// portcullis/next + portcullis/clerk as a Next.js edge middleware.ts, in
// Vercel's edge runtime emulator (npm edge-runtime) with wasm code
// generation disabled and the wasm module injected from the host realm, as
// Next's edge sandbox and Vercel's edge do. Clerk tokens are verified inside
// the VM by @clerk/backend (WebCrypto), offline.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EdgeRuntime, runServer } from "edge-runtime";
import { root, documentBundlePath } from "./support.mjs";
import { bundleForEdge, wasmPath } from "../runtimes/support.mjs";
import { makeRsaKey, signJwt, nowSec } from "./identity-keys.mjs";

const key = makeRsaKey();
let server;

before(async () => {
  const code = await bundleForEdge(join(root, "tests", "js", "identity-edge", "middleware.mjs"), "__PORTCULLIS_WASM__");
  const runtime = new EdgeRuntime({
    initialCode: code,
    codeGeneration: { strings: false, wasm: false },
    extend: (context) =>
      Object.assign(context, {
        __PORTCULLIS_WASM__: new WebAssembly.Module(readFileSync(wasmPath)),
        __PORTCULLIS_BUNDLE__: readFileSync(documentBundlePath(), "utf8"),
        __CLERK_JWT_KEY__: key.pem,
      }),
  });
  server = await runServer({ runtime, port: 0, host: "127.0.0.1" });
});

after(async () => {
  await server?.close();
});

const token = (claims, k = key) => {
  const now = nowSec();
  return signJwt(k, { iss: "https://clerk.example.test", sid: "sess", iat: now, nbf: now - 5, exp: now + 120, v: 2, ...claims });
};

async function call(path, claims, { method = "GET", signingKey } = {}) {
  const headers = claims ? { authorization: `Bearer ${token(claims, signingKey)}` } : {};
  return fetch(new URL(path, server.url), { method, headers, redirect: "manual" });
}

test("edge middleware: ALLOW continues with decision headers, DENY redirects", async () => {
  const admin = { sub: "user_2alice", o: { id: "org_2acme", rol: "admin" } };
  const member = { sub: "user_2bob", o: { id: "org_2acme", rol: "member" } };
  const ok = await call("/projects/p1", admin, { method: "DELETE" });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-middleware-next"), "1");
  assert.equal(ok.headers.get("x-portcullis-decision"), "allow");
  assert.equal(ok.headers.get("x-middleware-request-x-portcullis-principal"), "user_2alice");
  assert.equal((await call("/projects/p1", member)).status, 200);
  for (const [claims, path, method, signingKey] of [
    [member, "/projects/p1", "DELETE"],
    [admin, "/projects/p3", "GET"],
    [undefined, "/projects/p1", "GET"],
    [admin, "/projects/p1", "GET", makeRsaKey()],
  ]) {
    const r = await call(path, claims, { method, signingKey });
    assert.equal(r.status, 307, `${claims?.sub ?? "anonymous"} ${method} ${path}`);
    assert.equal(new URL(r.headers.get("location")).pathname, "/sign-in");
  }
  // Unmatched paths continue, without decision headers.
  const other = await call("/about", member);
  assert.equal(other.headers.get("x-middleware-next"), "1");
  assert.equal(other.headers.get("x-portcullis-decision"), null);
});
