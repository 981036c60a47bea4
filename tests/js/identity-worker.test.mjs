// examples/cloudflare-worker in Cloudflare's real runtime: bundled as
// wrangler does (esbuild, "workerd" condition, wasm as a separate module),
// served by `workerd serve` on 127.0.0.1 with a locally generated Clerk key
// as the CLERK_JWT_KEY binding, and asked per user over HTTP. @clerk/backend
// verifies the tokens inside the worker, offline.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { root, documentBundlePath, fixtures } from "./support.mjs";
import { makeRsaKey, signJwt, nowSec } from "./identity-keys.mjs";

const example = join(root, "examples", "cloudflare-worker");
const out = join(fixtures, "identity-worker");
const key = makeRsaKey();
let child;
let base;
let stderr = "";

function freePort() {
  return new Promise((resolve, reject) => {
    import("node:net").then(({ createServer }) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  });
}

before(async () => {
  // What `npm install` does for "portcullis": "file:../..".
  const link = join(example, "node_modules", "portcullis");
  if (!existsSync(link)) {
    mkdirSync(join(example, "node_modules"), { recursive: true });
    symlinkSync("../../..", link, "dir");
  }
  mkdirSync(out, { recursive: true });
  const wasm = [];
  await esbuild.build({
    entryPoints: [join(example, "src", "index.mjs")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    outfile: join(out, "worker.js"),
    external: ["./bundle.json"],
    logLevel: "error",
    plugins: [{
      name: "compiled-wasm",
      setup(build) {
        build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => {
          copyFileSync(join(args.resolveDir, args.path.replace(/\?module$/, "")), join(out, "portcullis_bg.wasm"));
          wasm.push(args.path);
          return { path: "./portcullis_bg.wasm", external: true };
        });
      },
    }],
  });
  assert.equal(wasm.length, 1, "the wasm is imported as a module");
  copyFileSync(documentBundlePath(), join(out, "bundle.json"));
  const port = await freePort();
  writeFileSync(join(out, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "portcullis_bg.wasm", wasm = embed "portcullis_bg.wasm"),
    (name = "bundle.json", json = embed "bundle.json"),
  ],
  bindings = [ (name = "CLERK_JWT_KEY", text = ${JSON.stringify(key.pem)}) ],
  compatibilityDate = "2025-05-01",
);
`);
  child = spawn(join(root, "node_modules", ".bin", "workerd"), ["serve", join(out, "config.capnp")], { stdio: ["ignore", "inherit", "pipe"] });
  child.stderr.on("data", (d) => (stderr += d));
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${base}/`);
      break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`workerd did not start: ${e}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

after(() => {
  if (child && child.exitCode === null) child.kill("SIGTERM");
  if (stderr.trim()) console.error(`workerd stderr:\n${stderr}`);
});

function token(claims, signingKey = key) {
  const now = nowSec();
  return signJwt(signingKey, { iss: "https://clerk.example.test", sid: "sess_x", iat: now, nbf: now - 5, exp: now + 300, v: 2, ...claims });
}

const alice = token({ sub: "user_2alice", o: { id: "org_2acme", rol: "admin" } });
const bob = token({ sub: "user_2bob", o: { id: "org_2acme", rol: "member" } });
const support = token({ sub: "user_2alice", act: { sub: "user_2support" }, o: { id: "org_2acme", rol: "admin" } });

async function call(path, bearer, method = "GET") {
  const res = await fetch(`${base}${path}`, { method, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: res.status, body: await res.json() };
}

test("Clerk tokens verified in workerd, decisions by the wasm", async () => {
  const cases = [
    [alice, "/projects/p1", "GET", 200],
    [alice, "/projects/p1", "DELETE", 200],
    [alice, "/projects/p3", "GET", 403],
    [bob, "/projects/p1", "GET", 200],
    [bob, "/projects/p1", "DELETE", 403],
    [support, "/projects/p1", "GET", 200],
    [support, "/projects/p1", "DELETE", 403],
    [undefined, "/projects/p1", "GET", 403],
    [token({ sub: "user_2alice", o: { id: "org_2acme", rol: "admin" } }, makeRsaKey()), "/projects/p1", "GET", 403],
    [alice, "/elsewhere", "GET", 403],
  ];
  for (const [bearer, path, method, status] of cases) {
    const r = await call(path, bearer, method);
    assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    if (status === 200) assert.deepEqual(r.body, { ok: true, method, project: path.split("/")[2] });
  }
});
