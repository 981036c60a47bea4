// Every way of handing over the wasm, each in a fresh isolate (worker thread)
// so that nothing is instantiated yet.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { documentBundlePath, root } from "./support.mjs";

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

for (const mode of ["module", "foreign-module", "instantiate-function", "loader-function", "bytes", "response", "promise", "file-url"]) {
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

// The entries are bundles (js/scripts/bundle.mjs) that carry the patched glue
// inside them, so no glue file on disk is loaded at run time, and every path
// they reference relatively (chunks, the wasm for `new URL(…, import.meta.url)`,
// the workerd/edge wasm imports) must exist from js/dist, or bundlers and
// Next.js's file tracing would fail on them.
test("js/dist entries load no glue file and reference only files that exist", () => {
  const dist = join(root, "js", "dist");
  const files = readdirSync(dist).filter((f) => f.endsWith(".js"));
  for (const entry of ["index", "node", "workerd", "edge", "browser", "clerk", "workos", "next", "react", "cli"]) {
    assert.ok(files.includes(`${entry}.js`), `js/dist/${entry}.js`);
  }
  let wasmReferences = 0;
  for (const file of files) {
    const text = readFileSync(join(dist, file), "utf8");
    const specifiers = [
      ...[...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"';]*?(?:from\s*)?["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]),
      ...[...text.matchAll(/new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[1]),
    ];
    for (const specifier of specifiers) {
      // The CLI's compiler wasm is optional (`npm run build:compiler`).
      if (specifier.startsWith("../../pkg-compiler/")) continue;
      assert.doesNotMatch(specifier, /pkg\/portcullis\.js$/, `${file} imports the glue instead of bundling it`);
      const target = join(dist, specifier.replace(/\?module$/, ""));
      assert.ok(existsSync(target), `${file} references ${specifier}, which does not exist`);
      if (specifier.endsWith("portcullis_bg.wasm") || specifier.endsWith("portcullis_bg.wasm?module")) wasmReferences++;
    }
  }
  // node (new URL), browser (new URL), workerd (import), edge (import ?module).
  assert.equal(wasmReferences, 4);
});
