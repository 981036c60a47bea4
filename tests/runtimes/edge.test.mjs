// The package in Vercel's edge runtime emulator (npm edge-runtime) with wasm
// code generation disabled, as on Vercel's real edge: middleware bundled as
// Next.js does, the wasm compiled by the host and injected (another realm).
// Compiling from bytes inside the VM fails, so any such path fails the test.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { EdgeRuntime, runServer } from "edge-runtime";
import { NOW_MS, documentBundlePath, nativeAnswers, normalize, parityRequests, root } from "../js/support.mjs";
import { assertSuiteDecisions, bundleForEdge, wasmPath } from "./support.mjs";

let server;

/**
 * Serves `middleware` (tests/runtimes/edge/) in its own edge VM, wasm code
 * generation off, with the host-compiled module, the wasm bytes and the
 * bundle text as globals.
 */
async function serveMiddleware(middleware) {
  const code = await bundleForEdge(join(root, "tests", "runtimes", "edge", middleware), "__PORTCULLIS_WASM__");
  const bytes = readFileSync(wasmPath);
  const hostModule = await WebAssembly.compile(bytes);
  const bundleText = readFileSync(documentBundlePath(), "utf8");
  const runtime = new EdgeRuntime({
    initialCode: code,
    codeGeneration: { strings: false, wasm: false },
    extend: (context) =>
      Object.assign(context, {
        __PORTCULLIS_WASM__: hostModule,
        __PORTCULLIS_WASM_BYTES__: new Uint8Array(bytes),
        __PORTCULLIS_BUNDLE__: bundleText,
      }),
  });
  return runServer({ runtime, port: 0, host: "127.0.0.1" });
}

before(async () => {
  server = await serveMiddleware("middleware.mjs");
});

after(async () => {
  await server?.close();
});

test("the edge VM forbids compiling from bytes, and the package never tries", async () => {
  const probe = await (await fetch(new URL("/probe", server.url))).json();
  assert.match(probe.compileFromBytes, /^refused: CompileError/);
  assert.equal(probe.createFromBytes, "WasmLoadError");
  assert.equal(probe.moduleIsForeign, true, "the injected module comes from the host realm");
});

test("the edge runtime answers the suite's decisions over HTTP", async () => {
  await assertSuiteDecisions(new URL("/decide", server.url));
});

test("the edge runtime answers exactly like the native CLI", async () => {
  const requests = parityRequests();
  const native = nativeAnswers(documentBundlePath(), requests);
  const response = await fetch(new URL("/raw", server.url), { method: "POST", body: JSON.stringify({ now: NOW_MS, requests }) });
  const answers = await response.json();
  assert.deepEqual(answers.map(normalize), native.map(normalize));
});

test("middleware that creates its authorizer at module load (createSync) answers the suite's decisions", async () => {
  // A second VM: its own realm, so createSync is what instantiates the wasm there.
  const startupServer = await serveMiddleware("startup-middleware.mjs");
  try {
    const startup = await (await fetch(new URL("/startup", startupServer.url))).json();
    assert.match(startup.engineAtStartup, /^\d+\.\d+\.\d+/);
    assert.match(startup.digest, /^[0-9a-f]{64}$/);
    await assertSuiteDecisions(new URL("/decide", startupServer.url));
  } finally {
    await startupServer.close();
  }
});
