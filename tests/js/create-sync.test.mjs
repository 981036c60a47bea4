// `Authorizer.createSync` (startup code that cannot await) and the
// `warmUp` option, in Node against the real wasm and bundles.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { Authorizer, InvalidBundleError, InvalidConfigError } from "portcullis";
import { ACTIONS, NOW_MS, documentBundlePath, expectations, principals, resources, root, suiteRequests } from "./support.mjs";

const bundleText = readFileSync(documentBundlePath(), "utf8");

/** Runs `code` (an ES module body) in a fresh Node process; returns its stdout. */
function fresh(code) {
  return execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: root, encoding: "utf8" });
}

test("in a fresh process, createSync instantiates the wasm, loads, warms up and answers", () => {
  const out = fresh(`
    import { readFileSync } from "node:fs";
    import { Authorizer } from "portcullis";
    const authz = Authorizer.createSync({ bundle: readFileSync(${JSON.stringify(documentBundlePath())}, "utf8") });
    const r = authz.checkResource({ principal: ${JSON.stringify(principals.alice)}, resource: ${JSON.stringify(resources.alice_draft)}, actions: ${JSON.stringify(ACTIONS)} });
    console.log(JSON.stringify({ digest: authz.bundleDigest, actions: r.actions, memory: Authorizer.wasmMemoryBytes }));
  `);
  const answer = JSON.parse(out);
  assert.equal(answer.digest, JSON.parse(bundleText).digest);
  assert.deepEqual(answer.actions, expectations.find(([p, r]) => p === "alice" && r === "alice_draft")[2]);
  assert.ok(answer.memory > 0);
});

test("createSync and warm-ups answer every request exactly as create does", async () => {
  const decisions = [];
  const plain = await Authorizer.create({ bundle: bundleText, now: () => NOW_MS });
  const warmed = await Authorizer.create({ bundle: bundleText, now: () => NOW_MS, warmUp: true });
  const sync = Authorizer.createSync({ bundle: JSON.parse(bundleText), now: () => NOW_MS, onDecision: (d) => decisions.push(d) });
  const unwarmed = Authorizer.createSync({ bundle: bundleText, now: () => NOW_MS, warmUp: false });
  for (const request of suiteRequests()) {
    const expected = JSON.stringify(plain.checkResources(request));
    for (const authz of [warmed, sync, unwarmed]) assert.equal(JSON.stringify(authz.checkResources(request)), expected);
  }
  for (const [p, r, expected] of expectations) {
    assert.deepEqual(sync.checkResource({ principal: principals[p], resource: resources[r], actions: ACTIONS }).actions, expected);
  }
  // The warm-up check is not a decision: the log holds only the suite's.
  assert.equal(decisions.length, suiteRequests().length + expectations.length);
  assert.ok(decisions.every((d) => !JSON.stringify(d).includes("portcullis-warm-up")));
});

test("createSync refuses what it cannot have without awaiting, naming the async way", () => {
  for (const bundle of [Promise.resolve(bundleText), pathToFileURL(documentBundlePath()), new Response(bundleText)]) {
    assert.throws(() => Authorizer.createSync({ bundle }), (e) => e instanceof InvalidBundleError && /createSync takes the bundle as JSON text, bytes or a parsed object/.test(e.message) && /await Authorizer\.create/.test(e.message));
  }
  assert.throws(() => Authorizer.createSync({}), InvalidBundleError);
  assert.throws(() => Authorizer.createSync(null), InvalidConfigError);
  const pem = "-----BEGIN PRIVATE KEY-----\nMIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDA=\n-----END PRIVATE KEY-----\n";
  assert.throws(
    () => Authorizer.createSync({ bundle: bundleText, jwt: { keySets: [{ id: "k", pem }] } }),
    (e) => e instanceof InvalidConfigError && /jwt key set k: createSync needs public keys/.test(e.message),
  );
  // A bad bundle is still a typed error.
  assert.throws(() => Authorizer.createSync({ bundle: "{}" }), InvalidBundleError);
});

test("in a fresh process, createSync refuses wasm it would have to compile or fetch", () => {
  const out = fresh(`
    import { readFileSync } from "node:fs";
    import { Authorizer } from "portcullis";
    const bundle = readFileSync(${JSON.stringify(documentBundlePath())}, "utf8");
    const bytes = readFileSync(new URL("./pkg/portcullis_bg.wasm", ${JSON.stringify(pathToFileURL(`${root}/`).href)}));
    const messages = [];
    for (const wasm of [bytes, new URL("https://example.invalid/x.wasm"), async () => bytes]) {
      try { Authorizer.createSync({ bundle, wasm }); messages.push("created"); } catch (e) { messages.push(e.name + ": " + e.message); }
    }
    // The module itself is fine, and the realm keeps that one instance.
    const authz = Authorizer.createSync({ bundle, wasm: new WebAssembly.Module(bytes) });
    const again = await Authorizer.create({ bundle });
    messages.push(String(authz.isAllowed({ principal: { id: "x", roles: ["user"] }, resource: { kind: "document", id: "d" }, action: "view" }) === again.isAllowed({ principal: { id: "x", roles: ["user"] }, resource: { kind: "document", id: "d" }, action: "view" })));
    console.log(JSON.stringify(messages));
  `);
  const messages = JSON.parse(out);
  assert.equal(messages.length, 4);
  for (const m of messages.slice(0, 3)) assert.match(m, /^WasmLoadError: createSync needs the wasm as a WebAssembly\.Module or instance .*await Authorizer\.create/);
  assert.equal(messages[3], "true");
});
