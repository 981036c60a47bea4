// Runs in a fresh worker thread (a new isolate with no wasm instantiated yet)
// and loads the wasm the way workerData.mode says, through the plain entry
// (the node entry for a `file:` URL, which it reads from disk).
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { principals, resources } from "./support.mjs";

const wasmUrl = new URL("../../pkg/portcullis_bg.wasm", import.meta.url);
const bytes = readFileSync(wasmUrl);
const { mode, bundle } = workerData;
const entry = mode === "file-url" ? "node.js" : "index.js";
const { Authorizer, WasmLoadError } = await import(new URL(`../../js/dist/${entry}`, import.meta.url).href);

async function wasmFor(mode) {
  switch (mode) {
    case "module":
      return WebAssembly.compile(bytes);
    case "foreign-module":
      // Compiled in another realm: `instanceof WebAssembly.Module` is false here.
      return runInNewContext("WebAssembly.compile(bytes)", { bytes });
    case "instantiate-function":
      return async (imports) => WebAssembly.instantiate(await WebAssembly.compile(bytes), imports);
    case "loader-function":
      return () => WebAssembly.compile(bytes);
    case "bytes":
      return bytes;
    case "response":
      return new Response(bytes, { headers: { "content-type": "application/wasm" } });
    case "file-url":
      return wasmUrl;
    case "promise":
      return Promise.resolve(WebAssembly.compile(bytes));
    case "none":
      return undefined;
    case "garbage":
      return new Uint8Array([1, 2, 3]);
    default:
      throw new Error(mode);
  }
}

try {
  const wasm = await wasmFor(mode);
  const foreign = mode === "foreign-module" ? !(wasm instanceof WebAssembly.Module) : undefined;
  const authz = await Authorizer.create({ bundle, wasm });
  const allowed = authz.isAllowed({ principal: principals.alice, resource: resources.alice_draft, action: "delete" });
  const denied = authz.isAllowed({ principal: principals.bob, resource: resources.alice_draft, action: "delete" });
  parentPort.postMessage({ ok: true, allowed, denied, foreign });
} catch (error) {
  parentPort.postMessage({ ok: false, name: error.name, isWasmLoadError: error instanceof WasmLoadError, message: error.message });
}
