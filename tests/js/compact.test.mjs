// Without metadata or a decision log the engine may answer with the effects
// alone, and the wrapper rebuilds the response from the request it sent.
// Those responses must equal the ones built from the full JSON answer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { Authorizer } from "portcullis";
import { ACTIONS, NOW_MS, documentBundlePath, parityRequests, principals, resources } from "./support.mjs";

/** The wrapper's view of a response, or of the error it threw. */
function outcome(authz, request) {
  try {
    const response = authz.checkResources(request);
    return {
      requestId: response.requestId,
      results: response.results.map((r) => ({ ...r, allowed: r.allowedActions() })),
      evaluationErrors: response.evaluationErrors,
    };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
}

function requests() {
  const fromParity = parityRequests().map(({ requestId, principal, resources: entries }) => ({
    requestId,
    principal,
    resources: entries,
  }));
  const first = Object.values(resources)[0];
  return [
    ...fromParity,
    // Fields the response echoes, in their edge forms.
    {
      requestId: "echo",
      principal: principals.alice,
      resources: [
        { resource: { ...first, id: "dök-✓", policyVersion: "default", scope: "" }, actions: ["view", "edit"] },
        { resource: { ...first, id: "dök-✓" }, actions: [...ACTIONS].reverse() },
      ],
    },
    // No request id: both make one up when it is read, so only its shape is compared.
    { principal: principals.carol, resources: [{ resource: first, actions: ACTIONS }] },
  ];
}

test("compact answers give the responses the full JSON answers give", async () => {
  const bundle = readFileSync(documentBundlePath(), "utf8");
  const compact = await Authorizer.create({ bundle, now: () => NOW_MS });
  // A decision log makes the wrapper ask for (and build from) the full answer.
  const full = await Authorizer.create({ bundle, now: () => NOW_MS, onDecision: () => {} });
  let plain = 0;
  for (const request of requests()) {
    const a = outcome(compact, request);
    const b = outcome(full, request);
    if (request.requestId === undefined && !a.error) {
      assert.match(a.requestId, /^[0-9a-f-]{36}$/);
      a.requestId = b.requestId;
    }
    assert.deepEqual(a, b, `request ${request.requestId}`);
    // Key order is part of what callers see (Object.keys, JSON.stringify).
    assert.equal(JSON.stringify(a), JSON.stringify(b), `request ${request.requestId}`);
    const onlyEffects = !a.error && a.evaluationErrors.length === 0 && a.results.every((r) => r.outputs.length === 0 && r.validationErrors.length === 0);
    if (onlyEffects) plain++;
  }
  // Most of the set is answered with effects only, i.e. compactly.
  assert.ok(plain >= 10, `only ${plain} plain answers`);
  compact.close();
  full.close();
});
