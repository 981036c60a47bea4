// The package in Cloudflare's real runtime: a worker importing "portcullis"
// (bundled as wrangler does) runs in `workerd serve` on 127.0.0.1 and answers
// HTTP requests with decisions from a real bundle. A second worker creates
// its authorizer at startup (global scope) with `Authorizer.createSync`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { NOW_MS, documentBundlePath, fixtures, nativeAnswers, normalize, parityRequests, root } from "../js/support.mjs";
import { assertSuiteDecisions, bundleForWorkerd, freePort, waitForHttp, workerdWorker } from "./support.mjs";

const dir = join(fixtures, "workerd");
let child;
let base;
let startupBase;
let stderr = "";

before(async () => {
  const wasmModules = await bundleForWorkerd(join(root, "tests", "runtimes", "workerd", "worker.mjs"), dir);
  assert.deepEqual(wasmModules, ["portcullis_bg.wasm"], "the wasm is shipped as a module, as wrangler does");
  await bundleForWorkerd(join(root, "tests", "runtimes", "workerd", "startup-worker.mjs"), dir, "startup-worker.js");
  copyFileSync(documentBundlePath(), join(dir, "bundle.json"));
  const port = await freePort();
  const startupPort = await freePort();
  // A compatibility date before 2025-06-01 also forbids compiling wasm at
  // startup, so any compile-from-bytes anywhere would fail.
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker), (name = "startup", worker = .startupWorker) ],
  sockets = [
    (name = "http", address = "127.0.0.1:${port}", http = (), service = "main"),
    (name = "startup-http", address = "127.0.0.1:${startupPort}", http = (), service = "startup"),
  ],
);
${workerdWorker("mainWorker", "worker.js")}${workerdWorker("startupWorker", "startup-worker.js")}`,
  );
  child = spawn(join(root, "node_modules", ".bin", "workerd"), ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "inherit", "pipe"] });
  child.stderr.on("data", (d) => (stderr += d));
  base = `http://127.0.0.1:${port}`;
  startupBase = `http://127.0.0.1:${startupPort}`;
  await waitForHttp(`${base}/probe`, 30_000, () => child.exitCode === null);
  await waitForHttp(`${startupBase}/startup`, 30_000, () => child.exitCode === null);
});

after(() => {
  if (child && child.exitCode === null) child.kill("SIGTERM");
  if (stderr.trim()) console.error(`workerd stderr:\n${stderr}`);
});

test("workerd refuses compiling wasm from bytes in a handler", async () => {
  const probe = await (await fetch(`${base}/probe`)).json();
  assert.match(probe.compileFromBytes, /^refused: CompileError/);
});

test("workerd answers the suite's decisions over HTTP", async () => {
  await assertSuiteDecisions(`${base}/decide`, stderr);
});

test("workerd answers exactly like the native CLI", async () => {
  const requests = parityRequests();
  const native = nativeAnswers(documentBundlePath(), requests);
  const response = await fetch(`${base}/raw`, { method: "POST", body: JSON.stringify({ now: NOW_MS, requests }) });
  assert.equal(response.status, 200, stderr);
  const answers = await response.json();
  assert.deepEqual(answers.map(normalize), native.map(normalize));
});

test("a worker that creates its authorizer at startup (createSync, warmed) answers the suite's decisions", async () => {
  const startup = await (await fetch(`${startupBase}/startup`)).json();
  // The wasm was instantiated by global-scope code, before any request.
  assert.match(startup.engineAtStartup, /^\d+\.\d+\.\d+/, stderr);
  assert.match(startup.digest, /^[0-9a-f]{64}$/);
  await assertSuiteDecisions(`${startupBase}/decide`, stderr);
});
