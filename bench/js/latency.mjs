// checkResource, 1 resource x 4 actions (shared benchCase), through each
// engine's public API in one Node process: p50/p99 and checks/s, plus the
// Portcullis boundary split (raw JSON call vs the typed wrapper).
// Usage: node bench/js/latency.mjs   (needs the shared bench material)
import { Bench } from "tinybench";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { benchBundlePath, sharedRoot } from "../../tests/js/support.mjs";
import * as engines from "./engines.mjs";

const shared = sharedRoot();
if (!shared) process.exit(0);
const fixtures = await import(pathToFileURL(join(shared, "bench", "fixtures.mjs")).href);
const bundlePath = benchBundlePath();

// ENGINES=portcullis,cedar,casbin (default: all) picks the engines to load.
const wanted = (process.env.ENGINES ?? "portcullis,cedar,casbin").split(",");
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
const base = rows[0].p50;
console.log("engine | p50 µs | p99 µs | checks/s | p50 ratio vs portcullis");
for (const r of rows) console.log(`${r.name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${Math.round(r.perSecond)} | ${(r.p50 / base).toFixed(1)}x`);
