// Every way of handing over the wasm, each in a fresh isolate (worker thread)
// so that nothing is instantiated yet.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { documentBundlePath, fixtures, root } from "./support.mjs";

const bundle = readFileSync(documentBundlePath(), "utf8");

function load(mode, entry) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./loading-worker.mjs", import.meta.url), { workerData: { mode, bundle, entry } });
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

// A copy of the package whose glue is wasm-pack's output as is (no
// patch-glue.mjs): the loader falls back to the glue's own async init, which
// also takes modules from another realm. Only instantiate functions need the patch.
function unpatchedCopy() {
  const dir = join(fixtures, "unpatched");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, "js", "dist"), join(dir, "js", "dist"), { recursive: true });
  cpSync(join(root, "pkg"), join(dir, "pkg"), { recursive: true });
  const glue = readFileSync(join(root, "pkg", "portcullis.js"), "utf8");
  const cut = glue.indexOf("// portcullis: instantiation helpers");
  writeFileSync(join(dir, "pkg", "portcullis.js"), cut < 0 ? glue : glue.slice(0, cut));
  return pathToFileURL(join(dir, "js", "dist", "index.js")).href;
}

test("with wasm-pack's glue unpatched, modules of any realm, bytes and loaders still load", async () => {
  const entry = unpatchedCopy();
  for (const mode of ["module", "foreign-module", "loader-function", "bytes", "response"]) {
    const result = await load(mode, entry);
    assert.equal(result.ok, true, `${mode}: ${result.message}`);
    assert.equal(result.allowed, true, mode);
    assert.equal(result.denied, false, mode);
  }
  const fn = await load("instantiate-function", entry);
  assert.equal(fn.ok, false);
  assert.equal(fn.isWasmLoadError, true);
  assert.match(fn.message, /patch-glue/);
});
