// Every way of handing over the wasm, each in a fresh isolate (worker thread)
// so that nothing is instantiated yet.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { documentBundlePath } from "./support.mjs";

const bundle = readFileSync(documentBundlePath(), "utf8");

function load(mode) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./loading-worker.mjs", import.meta.url), { workerData: { mode, bundle } });
    worker.once("message", (m) => {
      resolve(m);
      worker.terminate();
    });
    worker.once("error", reject);
  });
}

for (const mode of ["module", "foreign-module", "instantiate-function", "loader-function", "bytes", "response", "promise"]) {
  test(`wasm given as ${mode} loads and decides`, async () => {
    const result = await load(mode);
    assert.equal(result.ok, true, result.message);
    assert.equal(result.allowed, true);
    assert.equal(result.denied, false);
    if (mode === "foreign-module") assert.equal(result.foreign, true, "the module really came from another realm");
  });
}

test("no wasm in the plain entry is a WasmLoadError naming what to pass", async () => {
  const result = await load("none");
  assert.equal(result.ok, false);
  assert.equal(result.isWasmLoadError, true);
  assert.match(result.message, /pass `wasm`/);
});

test("bytes that are not wasm are a WasmLoadError", async () => {
  const result = await load("garbage");
  assert.equal(result.ok, false);
  assert.equal(result.isWasmLoadError, true);
});
