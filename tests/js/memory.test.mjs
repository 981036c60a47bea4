// A long run of checks keeps memory flat: the wasm's linear memory does not
// grow after warm-up (it never shrinks, so growth would mean a leak) and the
// JS heap returns to its level after GC. PORTCULLIS_MEMORY_CHECKS sets the
// count (default 1,000,000).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { Authorizer } from "portcullis";
import { ACTIONS, documentBundlePath, principals, resources } from "./support.mjs";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

test("memory stays flat over many checks", async () => {
  const total = Number(process.env.PORTCULLIS_MEMORY_CHECKS ?? 1_000_000);
  const authz = await Authorizer.create({ bundle: readFileSync(documentBundlePath(), "utf8") });
  const request = { principal: principals.alice, resource: resources.alice_locked, actions: ACTIONS, requestId: "mem" };
  const bad = { principal: principals.alice, resource: resources.alice_locked, actions: [] };
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      const result = authz.checkResource(request);
      if (result.actions.delete !== "EFFECT_DENY" || result.actions.view !== "EFFECT_ALLOW") throw new Error("wrong decision");
      // Error answers travel the same boundary and must not leak either.
      if (i % 1000 === 0) assert.throws(() => authz.checkResource(bad));
    }
  };
  run(20_000);
  gc();
  const wasmBefore = Authorizer.wasmMemoryBytes;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  run(total);
  const seconds = (performance.now() - started) / 1000;
  gc();
  const wasmAfter = Authorizer.wasmMemoryBytes;
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `memory: ${total} checks in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s); wasm memory ${wasmBefore} -> ${wasmAfter} bytes; JS heap ${(heapBefore / 1e6).toFixed(1)} -> ${(heapAfter / 1e6).toFixed(1)} MB`,
  );
  assert.ok(wasmBefore > 0, "the wasm memory is visible");
  assert.equal(wasmAfter, wasmBefore, "wasm linear memory did not grow");
  assert.ok(heapAfter - heapBefore < 8e6, `JS heap grew by ${heapAfter - heapBefore} bytes`);
  authz.close();
});
