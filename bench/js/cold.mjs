// Cold start: a fresh Node process per sample measures import + instantiate
// + load (bundle/policies) until the first decision is possible, next to the
// floor (a trivial package and an empty wasm module).
// Usage: node bench/js/cold.mjs [samples]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchBundlePath, fixtures, sharedRoot } from "../../tests/js/support.mjs";

const samples = Number(process.argv[2] ?? 15);
const shared = sharedRoot();
if (!shared) process.exit(0);
const bundlePath = benchBundlePath();
const child = fileURLToPath(new URL("./cold-child.mjs", import.meta.url));
const results = {};
// The floor of this machine and Node: a fresh process importing a one-line
// package by name (exports conditions, node:fs/promises, as the node entry
// does), then compiling and instantiating an empty wasm module.
const floorDir = join(fixtures, "cold-floor");
mkdirSync(join(floorDir, "node_modules", "floor"), { recursive: true });
writeFileSync(join(floorDir, "node_modules", "floor", "package.json"), JSON.stringify({ name: "floor", type: "module", exports: { ".": { node: "./index.js", default: "./index.js" } } }));
writeFileSync(join(floorDir, "node_modules", "floor", "index.js"), 'import { readFile } from "node:fs/promises";\nexport const read = readFile;\n');
// Like cold-child.mjs, it imports the harness's modules before the clock
// starts, so the loader's and built-ins' first use is outside the
// measurement for both.
const harness = [new URL("./engines.mjs", import.meta.url).href, new URL(`file://${shared}/bench/fixtures.mjs`).href];
writeFileSync(
  join(floorDir, "child.mjs"),
  `${harness.map((h) => `await import(${JSON.stringify(h)});`).join("\n")}\nconst started = performance.now();\nawait import("floor");\nconst m = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));\nawait WebAssembly.instantiate(m, {});\nprocess.stdout.write(String(performance.now() - started) + "\\n");\n`,
);
for (const engine of ["floor", "portcullis", "cedar", "casbin"]) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const args = engine === "floor" ? [join(floorDir, "child.mjs")] : [child, engine, shared, bundlePath];
    times.push(Number(execFileSync(process.execPath, args, { encoding: "utf8" }).trim()));
  }
  times.sort((a, b) => a - b);
  results[engine] = { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}
console.log("engine | cold start median ms | min | max");
for (const [engine, r] of Object.entries(results)) console.log(`${engine} | ${r.median.toFixed(2)} | ${r.min.toFixed(2)} | ${r.max.toFixed(2)}`);

// Portcullis phases (median of each phase over the samples).
const phases = [];
for (let i = 0; i < samples; i++) {
  phases.push(JSON.parse(execFileSync(process.execPath, [fileURLToPath(new URL("./cold-phases.mjs", import.meta.url)), bundlePath], { encoding: "utf8" })));
}
const median = (k) => phases.map((p) => p[k]).sort((a, b) => a - b)[Math.floor(phases.length / 2)];
console.log(`portcullis phases (median ms): ${["import", "compile", "instantiateAndLoad", "firstCheck", "total"].map((k) => `${k} ${median(k).toFixed(2)}`).join(", ")}`);
console.log(`portcullis, same process, wasm functions already compiled (median ms): load ${median("secondLoad").toFixed(2)}, check ${median("secondCheck").toFixed(2)}`);

// The same with Authorizer.createSync (warm-up included in creation).
const syncRuns = [];
for (let i = 0; i < samples; i++) {
  syncRuns.push(JSON.parse(execFileSync(process.execPath, [fileURLToPath(new URL("./cold-phases.mjs", import.meta.url)), bundlePath, "sync"], { encoding: "utf8" })));
}
const syncMedian = (k) => syncRuns.map((p) => p[k]).sort((a, b) => a - b)[Math.floor(syncRuns.length / 2)];
console.log(`portcullis with createSync (median ms): ${["import", "createSync", "firstCheck", "total"].map((k) => `${k} ${syncMedian(k).toFixed(2)}`).join(", ")}`);
