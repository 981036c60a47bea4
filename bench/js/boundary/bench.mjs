// Boundary cost only (no engine): the same typed request/response crossing
// as JSON text (what src/wasm.rs does) vs serde-wasm-bindgen JS objects.
// Build: (cd bench/js/boundary && wasm-pack build --target web --out-dir pkg --release --no-pack)
// Run:   node bench/js/boundary/bench.mjs
import { readFileSync } from "node:fs";
import init, { rt_json, rt_swb, noop_str } from "./pkg/boundary.js";
import { Bench } from "tinybench";
const shared = process.env.PORTCULLIS_SHARED ?? new URL("../../../../shared/", import.meta.url).pathname;
const { benchCase } = await import(`${shared}/bench/fixtures.mjs`);
await init({ module_or_path: await WebAssembly.compile(readFileSync(new URL("./pkg/boundary_bg.wasm", import.meta.url))) });
const req = { requestId: "bench", principal: benchCase.principal, resources: [{ resource: benchCase.resource, actions: benchCase.actions }] };
const a = JSON.parse(rt_json(JSON.stringify(req))), b = rt_swb(req);
if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("differ " + JSON.stringify(a) + JSON.stringify(b));
const text = JSON.stringify(req);
const bench = new Bench({ time: 1500, warmupTime: 300 });
bench.add("JSON string in/out (stringify + wasm serde_json + JSON.parse)", () => JSON.parse(rt_json(JSON.stringify(req))));
bench.add("serde-wasm-bindgen object in/out", () => rt_swb(req));
bench.add("JS JSON.stringify+JSON.parse only", () => JSON.parse(JSON.stringify(req)));
bench.add("wasm string copy only (noop_str)", () => noop_str(text));
await bench.run();
for (const t of bench.tasks) { const l = t.result.latency; console.log(`${t.name}: p50 ${(l.p50*1000).toFixed(2)} µs, p99 ${(l.p99*1000).toFixed(2)} µs`); }

