// The same requests through the native CLI (`portcullis check`) and through
// the wasm in Node give identical responses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { Authorizer } from "portcullis";
import { NOW_MS, benchBundlePath, benchFixtures, documentBundlePath, nativeAnswers, normalize, parityRequests } from "./support.mjs";

async function compare(bundlePath, requests) {
  const native = nativeAnswers(bundlePath, requests);
  const authz = await Authorizer.create({ bundle: readFileSync(bundlePath, "utf8"), now: () => NOW_MS });
  assert.equal(native.length, requests.length);
  requests.forEach((request, i) => {
    const wasm = JSON.parse(authz.checkResourcesJson(JSON.stringify(request)));
    assert.deepEqual(normalize(wasm), normalize(native[i]), `request ${request.requestId}`);
  });
  authz.close();
  return native;
}

test("wasm in Node answers exactly like the native CLI (example policies)", async () => {
  const native = await compare(documentBundlePath(), parityRequests());
  assert.ok(native.some((a) => a.error), "the set includes rejected requests");
  assert.ok(native.some((a) => a.results), "and answered ones");
});

test("wasm in Node answers exactly like the native CLI (shared bench policies)", async (t) => {
  const bundle = benchBundlePath();
  if (!bundle) return t.skip("shared material not found");
  const { principals, resources, cases, ACTIONS, expected } = await benchFixtures();
  const requests = cases.map(([p, r], i) => ({
    requestId: `bench-${i}`,
    principal: principals[p],
    resources: [{ resource: resources[r], actions: ACTIONS }],
    includeMeta: true,
  }));
  const native = await compare(bundle, requests);
  // And both give the 84 decisions the real Cerbos gives on these fixtures.
  cases.forEach(([p, r, bits], i) => {
    const want = Object.fromEntries(Object.entries(expected(bits)).map(([a, ok]) => [a, ok ? "EFFECT_ALLOW" : "EFFECT_DENY"]));
    assert.deepEqual(native[i].results[0].actions, want, `${p} on ${r}`);
  });
});
