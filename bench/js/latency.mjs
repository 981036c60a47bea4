// checkResource, 1 resource x 4 actions (shared benchCase), through each
// engine's public API: p50/p99 and checks/s, plus the Portcullis boundary
// split (raw JSON call vs the typed wrapper).
// Usage: node bench/js/latency.mjs   (needs the shared bench material)
//
// Each engine runs in its own Node process, one after the other in the same
// run: the JIT state of one engine then cannot slow another down, and Node
// 20.20's V8 aborts in its deoptimizer ("unreachable code") when Cedar's
// and Portcullis's wasm are both hot in one process for a few seconds
// (reproduced with either Portcullis build; each engine alone runs clean).
import { Bench } from "tinybench";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { benchBundlePath, sharedRoot } from "../../tests/js/support.mjs";
import * as engines from "./engines.mjs";

const shared = sharedRoot();
if (!shared) process.exit(0);
const fixtures = await import(pathToFileURL(join(shared, "bench", "fixtures.mjs")).href);
const bundlePath = benchBundlePath();

// ENGINES=portcullis,cedar,casbin (default: all) picks the engines to time.
const wanted = (process.env.ENGINES ?? "portcullis,cedar,casbin").split(",");
const header = "engine | p50 µs | p99 µs | checks/s | p50 ratio vs portcullis";
const print = (rows) => {
  const base = rows[0].p50;
  console.log(header);
  for (const r of rows) console.log(`${r.name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${Math.round(r.perSecond)} | ${(r.p50 / base).toFixed(1)}x`);
};
if (wanted.length > 1) {
  const self = fileURLToPath(import.meta.url);
  const rows = wanted.flatMap((engine) => {
    const out = execFileSync(process.execPath, [self], { env: { ...process.env, ENGINES: engine, LATENCY_JSON: "1" }, encoding: "utf8" });
    return JSON.parse(out.trim().split("\n").pop());
  });
  print(rows);
  process.exit(0);
}
const loaded = [];
for (const name of wanted) loaded.push(await engines[name]({ bundlePath, shared }));

// Every engine must give the 84 reference decisions before it is timed.
for (const engine of loaded) {
  for (const [p, r, bits] of fixtures.cases) {
    const got = engine.check({ principal: fixtures.principals[p], resource: fixtures.resources[r], actions: fixtures.ACTIONS });
    const want = fixtures.expected(bits);
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${engine.name}: ${p}/${r} gave ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

const bench = new Bench({ time: Number(process.env.BENCH_MS ?? 2000), warmupTime: 300 });
for (const engine of loaded) bench.add(engine.name, () => engine.check(fixtures.benchCase));
const rawBody = JSON.stringify({
  requestId: "bench",
  principal: fixtures.benchCase.principal,
  resources: [{ resource: fixtures.benchCase.resource, actions: fixtures.benchCase.actions }],
});
if (loaded[0]?.raw) {
  bench.add("portcullis raw checkResourcesJson (string in/out, no wrapper)", () => loaded[0].raw(rawBody));
  bench.add("JSON.stringify+parse of the same request/response (JS only)", () => JSON.parse(JSON.stringify(JSON.parse(rawBody))));
}
await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  const lat = r.latency ?? r;
  const p50 = (lat.p50 ?? lat.median) * 1000;
  const p99 = lat.p99 * 1000;
  return { name: t.name, p50, p99, perSecond: r.throughput?.mean ?? r.hz };
});
if (process.env.LATENCY_JSON) console.log(JSON.stringify(rows));
else print(rows);
