// Portcullis cold start split into phases in a fresh process: import of the
// package, WebAssembly.compile of the wasm, instantiate + bundle load, first
// decision; then a second load and decision in the same process, whose wasm
// functions are already compiled (Node compiles wasm functions lazily, on
// first call, with Liftoff): the difference to the first is mostly that
// compilation (plus the one instantiation). Prints JSON. Usage: node bench/js/cold-phases.mjs <bundle.json>
// With a second argument `sync`: import, `Authorizer.createSync` (read and
// compile the wasm, instantiate, load, warm-up check), first decision.
import { readFileSync, writeSync } from "node:fs";
// For bench/js/cold-code.mjs: phase names on stdout, between V8's traces.
const mark = process.env.PORTCULLIS_PHASE_MARKS ? (name) => writeSync(1, `PHASE ${name}\n`) : () => {};
if (process.argv[3] === "sync") await syncPhases();
const request = { principal: { id: "a", roles: ["member"], attr: {} }, resource: { kind: "document", id: "d", attr: {} }, action: "view" };
const t0 = performance.now();
const { Authorizer } = await import("portcullis");
const t1 = performance.now();
mark("compile");
const bytes = readFileSync(new URL("../../pkg/portcullis_bg.wasm", import.meta.url));
const module = await WebAssembly.compile(bytes);
const t2 = performance.now();
mark("load");
const bundle = readFileSync(process.argv[2], "utf8");
const authz = await Authorizer.create({ bundle, wasm: module });
const t3 = performance.now();
mark("firstCheck");
authz.isAllowed(request);
const t4 = performance.now();
mark("rest");
const again = await Authorizer.create({ bundle, wasm: module });
const t5 = performance.now();
again.isAllowed(request);
const t6 = performance.now();
const phases = { import: t1 - t0, compile: t2 - t1, instantiateAndLoad: t3 - t2, firstCheck: t4 - t3, total: t4 - t0, secondLoad: t5 - t4, secondCheck: t6 - t5 };
process.stdout.write(JSON.stringify(phases) + "\n");

async function syncPhases() {
  const t0 = performance.now();
  const { Authorizer } = await import("portcullis");
  const t1 = performance.now();
  mark("createSync");
  const authz = Authorizer.createSync({ bundle: readFileSync(process.argv[2], "utf8") });
  const t2 = performance.now();
  mark("firstCheck");
  authz.isAllowed({ principal: { id: "a", roles: ["member"], attr: {} }, resource: { kind: "document", id: "d", attr: {} }, action: "view" });
  const t3 = performance.now();
  mark("rest");
  process.stdout.write(JSON.stringify({ import: t1 - t0, createSync: t2 - t1, firstCheck: t3 - t2, total: t3 - t0 }) + "\n");
  process.exit(0);
}
