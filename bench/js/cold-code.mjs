// How much wasm code V8 compiles in each cold-start phase: deterministic,
// unlike the timings of cold.mjs, so it tracks what code changes do to cold
// start. Node 20 compiles a wasm function (Liftoff) on its first call; this
// runs cold-phases.mjs under `--trace-wasm-compilation-times` and sums the
// body sizes of the functions compiled between its phase marks, for
// `Authorizer.create` and for `Authorizer.createSync` (warm-up included).
// Usage: node bench/js/cold-code.mjs
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchBundlePath, sharedRoot } from "../../tests/js/support.mjs";

if (!sharedRoot()) process.exit(0);
const phasesScript = fileURLToPath(new URL("./cold-phases.mjs", import.meta.url));
const raw = (await import("node:fs")).statSync(new URL("../../pkg/portcullis_bg.wasm", import.meta.url)).size;

function compiled(mode) {
  const out = execFileSync(process.execPath, ["--trace-wasm-compilation-times", phasesScript, benchBundlePath(), ...(mode ? [mode] : [])], {
    encoding: "utf8",
    env: { ...process.env, PORTCULLIS_PHASE_MARKS: "1" },
    maxBuffer: 64 << 20,
  });
  const phases = new Map();
  let phase = "import";
  for (const line of out.split("\n")) {
    if (line.startsWith("PHASE ")) {
      phase = line.slice(6);
      if (!phases.has(phase)) phases.set(phase, { functions: 0, bytes: 0 });
    }
    const m = / using Liftoff, .*bodysize (\d+)/.exec(line);
    if (!m) continue;
    const p = phases.get(phase) ?? { functions: 0, bytes: 0 };
    p.functions += 1;
    p.bytes += Number(m[1]);
    phases.set(phase, p);
  }
  return phases;
}

console.log(`runtime wasm: ${raw} bytes of which V8 compiles, lazily, per phase (Liftoff):`);
for (const [label, mode] of [["Authorizer.create", undefined], ["Authorizer.createSync", "sync"]]) {
  const phases = compiled(mode);
  const parts = [...phases].filter(([p]) => p !== "rest").map(([p, v]) => `${p} ${(v.bytes / 1000).toFixed(1)} KB (${v.functions} functions)`);
  console.log(`${label}: ${parts.join(", ")}`);
}
