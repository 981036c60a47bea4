// Reloading while checks keep running: every decision must come wholly from
// one bundle or the other. onDecision reports which bundle (by digest) made
// each decision, so the test can tell a mix from a swap.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";

import { Authorizer, InvalidBundleError } from "portcullis";
import { ACTIONS, documentBundlePath, documentV2BundlePath, expectations, principals, resources, v2Changes } from "./support.mjs";

test("reload under concurrent checks swaps atomically", async () => {
  const v1 = readFileSync(documentBundlePath(), "utf8");
  const v2 = readFileSync(documentV2BundlePath(), "utf8");
  const digests = { [JSON.parse(v1).digest]: "v1", [JSON.parse(v2).digest]: "v2" };
  assert.equal(Object.keys(digests).length, 2, "the two bundles differ");

  const decisions = [];
  const authz = await Authorizer.create({ bundle: v1, onDecision: (e) => decisions.push(e) });
  let stop = false;
  const counts = { v1: 0, v2: 0 };

  async function checker(worker) {
    let n = 0;
    while (!stop) {
      for (const [p, r, expectedV1] of expectations) {
        const before = decisions.length;
        const result = authz.checkResource({ principal: principals[p], resource: resources[r], actions: ACTIONS, requestId: `w${worker}-${n++}` });
        const entry = decisions[before];
        const version = digests[entry.policySource.bundleDigest];
        assert.ok(version, "decision made by a known bundle");
        const expected = version === "v2" ? (v2Changes[`${p}/${r}`] ?? expectedV1) : expectedV1;
        assert.deepEqual(result.actions, expected, `${p} on ${r} under ${version}`);
        counts[version] += 1;
      }
      decisions.length = 0;
      await tick();
    }
  }

  async function reloader() {
    for (let i = 0; i < 40; i++) {
      await authz.reload(i % 2 === 0 ? v2 : JSON.parse(v1));
      if (i % 10 === 5) await assert.rejects(authz.reload('{"formatVersion":1}'), InvalidBundleError);
      await tick();
    }
    stop = true;
  }

  await Promise.all([checker(1), checker(2), checker(3), reloader()]);
  assert.ok(counts.v1 > 0 && counts.v2 > 0, `both bundles answered (v1 ${counts.v1}, v2 ${counts.v2})`);
  authz.close();
});
