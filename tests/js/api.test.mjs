// The public API end to end in Node, against the real wasm and real bundles.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import {
  Authorizer,
  CheckResourcesResponse,
  InvalidAuxDataError,
  InvalidBundleError,
  InvalidConfigError,
  InvalidRequestError,
  UnsupportedBundleVersionError,
  WasmLoadError,
} from "portcullis";
import * as plain from "../../js/dist/index.js";
import { ACTIONS, NOW_MS, documentBundlePath, documentV2BundlePath, expectations, principals, resources } from "./support.mjs";

const bundleText = readFileSync(documentBundlePath(), "utf8");
const bundle = JSON.parse(bundleText);

test("the package resolves to the Node entry and answers the suite's decisions", async () => {
  const authz = await Authorizer.create({ bundle: bundleText, now: () => NOW_MS });
  assert.match(authz.bundleDigest, /^[0-9a-f]{64}$/);
  assert.equal(authz.bundleDigest, bundle.digest);
  for (const [p, r, expected] of expectations) {
    const result = authz.checkResource({ principal: principals[p], resource: resources[r], actions: ACTIONS });
    assert.deepEqual(result.actions, expected, `${p} on ${r}`);
    for (const action of ACTIONS) {
      assert.equal(result.isAllowed(action), expected[action] === "EFFECT_ALLOW");
      assert.equal(authz.isAllowed({ principal: principals[p], resource: resources[r], action }), expected[action] === "EFFECT_ALLOW");
    }
    assert.equal(result.isAllowed("not-checked"), undefined);
    // Cerbos (protojson) and the engine write the actions map sorted by name.
    assert.deepEqual(result.allowedActions().sort(), ACTIONS.filter((a) => expected[a] === "EFFECT_ALLOW").sort());
  }
});

test("every bundle form loads the same policies", async () => {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json", etag: '"v1"' });
    res.end(bundleText);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  try {
    const { port } = server.address();
    const forms = {
      object: bundle,
      text: bundleText,
      bytes: new TextEncoder().encode(bundleText),
      arrayBuffer: new TextEncoder().encode(bundleText).buffer,
      fileUrl: pathToFileURL(documentBundlePath()),
      httpUrl: new URL(`http://127.0.0.1:${port}/bundle.json`),
      response: new Response(bundleText),
      promise: Promise.resolve(bundleText),
    };
    for (const [form, source] of Object.entries(forms)) {
      const authz = await Authorizer.create({ bundle: source });
      assert.equal(authz.bundleDigest, bundle.digest, form);
      assert.equal(authz.isAllowed({ principal: principals.bob, resource: resources.alice_locked, action: "view" }), true, form);
      assert.equal(authz.isAllowed({ principal: principals.bob, resource: resources.alice_locked, action: "edit" }), false, form);
      authz.close();
    }
  } finally {
    server.close();
  }
});

test("checkResources mirrors @cerbos/core: several resources, metadata, findResult", async () => {
  const authz = await Authorizer.create({ bundle });
  const response = authz.checkResources({
    requestId: "r-1",
    principal: principals.carol,
    resources: [
      { resource: resources.alice_draft, actions: ACTIONS },
      { resource: resources.alice_locked, actions: ACTIONS },
    ],
    includeMetadata: true,
  });
  assert.ok(response instanceof CheckResourcesResponse);
  assert.equal(response.requestId, "r-1");
  assert.equal(typeof response.cerbosCallId, "string");
  assert.equal(response.results.length, 2);
  assert.equal(response.isAllowed({ resource: { kind: "document", id: "doc1" }, action: "delete" }), true);
  assert.equal(response.isAllowed({ resource: { kind: "document", id: "doc2" }, action: "delete" }), false);
  assert.equal(response.allAllowed({ kind: "document", id: "doc1" }), true);
  assert.deepEqual(response.allowedActions({ kind: "document", id: "doc2" }).sort(), ["edit", "view"]);
  assert.equal(response.findResult({ kind: "document", id: "nope" }), undefined);
  const meta = response.results[1].metadata;
  assert.ok(meta, "includeMetadata gives metadata");
  assert.equal(meta.actions.delete.matchedPolicy, "resource.document.vdefault");
  // Cerbos reports policyVersion and scope as sent.
  assert.deepEqual(response.results[0].resource, { id: "doc1", kind: "document", policyVersion: "", scope: "" });

  const noMeta = authz.checkResources({ principal: principals.carol, resources: [{ resource: resources.alice_draft, actions: ["view"] }] });
  assert.equal(noMeta.results[0].metadata, undefined);
  assert.match(noMeta.requestId, /^[0-9a-f-]{36}$/, "a random UUID request id by default");
});

test("@cerbos/core's deprecated `attributes` is accepted like `attr`", async () => {
  const authz = await Authorizer.create({ bundle });
  const { attr, ...rest } = resources.alice_locked;
  const result = authz.checkResource({
    principal: { id: "bob", roles: ["member"], attributes: { orgId: "acme" } },
    resource: { ...rest, attributes: attr },
    actions: ["view"],
  });
  assert.equal(result.isAllowed("view"), true);
});

test("text that is not ASCII crosses the wasm boundary intact, in both directions", async () => {
  const authz = await Authorizer.create({ bundle });
  // The glue copies all-ASCII strings with one encodeInto and re-encodes
  // the rest (js/scripts/patch-glue.mjs): non-ASCII at the start, in the
  // middle, after a long ASCII prefix, astral characters, escapes.
  const texts = ["ünïcødé", "id-ü", "a".repeat(300) + "✓ 😀", 'quote " and \\ back'];
  for (const text of texts) {
    const answer = JSON.parse(
      authz.checkResourcesJson(
        JSON.stringify({
          requestId: text,
          principal: { ...principals.alice, attr: { orgId: "acme", note: text } },
          resources: [{ resource: { ...resources.alice_draft, id: text }, actions: ["view"] }],
        }),
      ),
    );
    assert.equal(answer.requestId, text);
    assert.equal(answer.results[0].resource.id, text);
    assert.deepEqual(answer.results[0].actions, { view: "EFFECT_ALLOW" });
    const result = authz.checkResource({ principal: principals.carol, resource: { ...resources.alice_draft, id: text }, actions: ["edit"] });
    assert.equal(result.resource.id, text);
    assert.equal(result.isAllowed("edit"), true);
  }
  // A lone surrogate in the JSON text itself (JSON.stringify would escape
  // it) reaches the engine as U+FFFD, the only way UTF-8 can carry it.
  const raw = JSON.stringify({ requestId: "x", principal: principals.alice, resources: [{ resource: resources.alice_draft, actions: ["view"] }] });
  const answer = JSON.parse(authz.checkResourcesJson(raw.replace('"x"', '"\uD800-lone"')));
  assert.equal(answer.requestId, "\uFFFD-lone");
});

test("invalid requests throw InvalidRequestError with the engine's message", async () => {
  const authz = await Authorizer.create({ bundle });
  assert.throws(() => authz.checkResources(null), InvalidRequestError);
  assert.throws(() => authz.checkResources({ principal: principals.alice }), InvalidRequestError);
  assert.throws(
    () => authz.checkResource({ principal: principals.alice, resource: resources.alice_draft, actions: [] }),
    (e) => e instanceof InvalidRequestError && e.message.length > 0,
  );
  assert.throws(
    () => authz.checkResource({ principal: { id: "", roles: [] }, resource: resources.alice_draft, actions: ["view"] }),
    InvalidRequestError,
  );
  // The authorizer still answers after rejected requests.
  assert.equal(authz.isAllowed({ principal: principals.alice, resource: resources.alice_draft, action: "view" }), true);
});

test("a JWT that cannot be verified is an InvalidAuxDataError", async () => {
  const authz = await Authorizer.create({ bundle });
  assert.throws(
    () =>
      authz.checkResource({
        principal: principals.alice,
        resource: resources.alice_draft,
        actions: ["view"],
        auxData: { jwt: { token: "not.a.jwt" } },
      }),
    InvalidAuxDataError,
  );
});

test("bad bundles and options throw typed errors", async () => {
  await assert.rejects(Authorizer.create({ bundle: "{not json" }), InvalidBundleError);
  await assert.rejects(Authorizer.create({ bundle: { ...bundle, formatVersion: 999 } }), UnsupportedBundleVersionError);
  await assert.rejects(Authorizer.create({ bundle: { formatVersion: 1 } }), InvalidBundleError);
  await assert.rejects(Authorizer.create({ bundle, schemaEnforcement: "sometimes" }), InvalidConfigError);
  await assert.rejects(Authorizer.create({ bundle, globals: [] }), InvalidConfigError);
  await assert.rejects(Authorizer.create({ bundle: undefined }), InvalidBundleError);
  await assert.rejects(Authorizer.create({ bundle: new URL("file:///does/not/exist.json") }));
});

test("the plain entry needs a wasm source; other wasm forms are accepted once instantiated", async () => {
  // The wasm is already instantiated in this process (once per realm), so
  // the plain entry reuses it whatever it is given.
  const authz = await plain.Authorizer.create({ bundle, wasm: new Uint8Array([0, 97, 115, 109]) });
  assert.equal(authz.isAllowed({ principal: principals.alice, resource: resources.alice_draft, action: "edit" }), true);
  assert.equal(typeof plain.Authorizer.engineVersion, "string");
  assert.ok(WasmLoadError.prototype instanceof Error);
});

test("defaultPolicyVersion and defaultScope reach the engine", async () => {
  const authz = await Authorizer.create({ bundle, defaultPolicyVersion: "v2" });
  // No policy has version v2: every action is denied, and the result reports the version used.
  const result = authz.checkResource({ principal: principals.carol, resource: resources.alice_draft, actions: ACTIONS });
  assert.deepEqual(result.actions, { view: "EFFECT_DENY", edit: "EFFECT_DENY", delete: "EFFECT_DENY" });
  const explicit = authz.checkResource({
    principal: principals.carol,
    resource: { ...resources.alice_draft, policyVersion: "default" },
    actions: ACTIONS,
  });
  assert.deepEqual(explicit.actions, { view: "EFFECT_ALLOW", edit: "EFFECT_ALLOW", delete: "EFFECT_ALLOW" });
});

test("onDecision receives Cerbos DecisionLogEntry-shaped entries", async () => {
  const entries = [];
  const authz = await Authorizer.create({ bundle, now: () => NOW_MS, onDecision: (e) => entries.push(e) });
  const response = authz.checkResources({
    requestId: "log-1",
    principal: principals.alice,
    resources: [{ resource: resources.alice_locked, actions: ACTIONS }],
  });
  assert.equal(response.results[0].metadata, undefined, "metadata stays off unless asked for");
  assert.equal(entries.length, 1);
  const [entry] = entries;
  assert.equal(entry.callId, response.cerbosCallId);
  assert.equal(entry.timestamp.getTime(), NOW_MS);
  assert.equal(entry.method.name, "CheckResources");
  assert.equal(entry.method.inputs[0].requestId, "log-1");
  assert.equal(entry.method.inputs[0].principal.id, "alice");
  assert.deepEqual(entry.method.inputs[0].actions, ACTIONS);
  const out = entry.method.outputs[0];
  assert.equal(out.resourceId, "doc2");
  assert.deepEqual(out.actions.delete, { effect: "EFFECT_DENY", policy: "resource.document.vdefault", scope: "" });
  assert.equal(out.actions.view.effect, "EFFECT_ALLOW");
  assert.ok("resource.document.vdefault" in entry.auditTrail.effectivePolicies);
  assert.equal(entry.policySource.bundleDigest, bundle.digest);

  // A throwing logger never changes decisions.
  const noisy = await Authorizer.create({ bundle, onDecision: () => { throw new Error("log sink down"); } });
  assert.equal(noisy.isAllowed({ principal: principals.alice, resource: resources.alice_draft, action: "view" }), true);

  // Rejected requests are logged with their error.
  assert.throws(() => authz.checkResource({ principal: principals.alice, resource: resources.alice_draft, actions: [] }), InvalidRequestError);
  assert.equal(entries.length, 2);
  assert.equal(typeof entries[1].method.error, "string");
});

test("CEL evaluation errors reach the response and the decision log", async () => {
  const entries = [];
  const authz = await Authorizer.create({ bundle, now: () => NOW_MS, onDecision: (e) => entries.push(e) });
  // No `locked` attribute: the DENY rule's `R.attr.locked == true` fails to
  // evaluate, counts as not met, and the owner may delete.
  const { locked: _, ...unlocked } = resources.alice_draft.attr;
  const resource = { ...resources.alice_draft, attr: unlocked };
  const response = authz.checkResources({ principal: principals.alice, resources: [{ resource, actions: ["delete"] }] });
  assert.equal(response.results[0].isAllowed("delete"), true);
  const want = [{ expression: "R.attr.locked == true", message: "no such key: locked" }];
  assert.deepEqual(response.evaluationErrors, want);
  assert.deepEqual(entries[0].method.evaluationErrors, want);
  // A clean request has none.
  const clean = authz.checkResources({ principal: principals.alice, resources: [{ resource: resources.alice_draft, actions: ["delete"] }] });
  assert.deepEqual(clean.evaluationErrors, []);
  assert.deepEqual(entries[1].method.evaluationErrors, []);
});

test("reload swaps bundles and keeps the old one when the new one is bad", async () => {
  const authz = await Authorizer.create({ bundle });
  const check = () => authz.checkResource({ principal: principals.alice, resource: resources.alice_locked, actions: ["delete"] }).actions.delete;
  assert.equal(check(), "EFFECT_DENY");
  await authz.reload(readFileSync(documentV2BundlePath(), "utf8"));
  assert.equal(check(), "EFFECT_ALLOW");
  await assert.rejects(authz.reload("{}"), InvalidBundleError);
  assert.equal(check(), "EFFECT_ALLOW", "a failed reload leaves the previous bundle");
  await authz.reload(bundle);
  assert.equal(check(), "EFFECT_DENY");
});

test("a URL bundle is refreshed with If-None-Match and swapped when it changes", async () => {
  const v2Text = readFileSync(documentV2BundlePath(), "utf8");
  let current = { text: bundleText, etag: '"one"' };
  const seen = [];
  const server = createServer((req, res) => {
    seen.push(req.headers["if-none-match"] ?? null);
    if (req.headers["if-none-match"] === current.etag) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", etag: current.etag });
    res.end(current.text);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const updates = [];
  try {
    const { port } = server.address();
    const authz = await Authorizer.create({
      bundle: new URL(`http://127.0.0.1:${port}/bundle.json`),
      bundleRefreshInterval: 0,
      onBundleUpdate: (d) => updates.push(d),
    });
    const check = () => authz.isAllowed({ principal: principals.alice, resource: resources.alice_locked, action: "delete" });
    assert.equal(check(), false);
    assert.equal(await authz.refresh(), false, "304: nothing to swap");
    current = { text: v2Text, etag: '"two"' };
    assert.equal(await authz.refresh(), true);
    assert.equal(check(), true);
    assert.deepEqual(seen, [null, '"one"', '"one"']);
    assert.deepEqual(updates, [JSON.parse(v2Text).digest]);
    authz.close();
  } finally {
    server.close();
  }
});
