// Differential test: seeded random CheckResources requests answered by the
// real Cerbos 0.55.0 PDP (npm @cerbos/cerbos-linux-x64, on 127.0.0.1) and by
// `portcullis check`, compared field by field.
//
//   PORTCULLIS_DIFF_REQUESTS  requests per policy store (default 1000; CI runs 2 stores)
//   PORTCULLIS_DIFF_SEED      PRNG seed (default: fixed, so CI is reproducible)
//   PORTCULLIS_SHARED         root of the shared reference material (default ../shared)
//
// A mismatch prints a minimal reproduction: the single resource and action
// that differ, with both answers, as a ready-to-run request file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const shared = resolve(process.env.PORTCULLIS_SHARED ?? join(root, "..", "shared"));
const cerbosBin = join(root, "node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64");
const portcullisBin = join(root, "target/debug/portcullis");
const requestsPerStore = Number(process.env.PORTCULLIS_DIFF_REQUESTS ?? 1000);
const seed = Number(process.env.PORTCULLIS_DIFF_SEED ?? 0x5eed);

const stores = [
  { name: "policies/", dir: join(root, "policies"), globals: {} },
  {
    name: "cerbos store",
    dir: join(shared, "conformance/cerbos/store"),
    globals: { environment: "test" },
    needsShared: true,
  },
];

function requireShared() {
  if (existsSync(shared)) return true;
  const message = `shared material not found at ${shared} (set PORTCULLIS_SHARED)`;
  if (process.env.CI === "true") throw new Error(message);
  console.error(`\n*** SKIPPED: ${message} ***\n`);
  return false;
}

// mulberry32: small, seedable, good enough to spread requests.
function prng(state) {
  return () => {
    state |= 0;
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Vocabulary of names the policies actually use, read from the compiled bundle. */
function vocabulary(bundle) {
  const literal = (s) => typeof s === "string" && s.length > 0 && !/[*?[\]{}]/.test(s);
  const kinds = new Set();
  const roles = new Set();
  const actions = new Set();
  const scopes = new Set([""]);
  const versions = new Set(["default"]);
  const principals = new Set();
  const attrKeys = new Set();
  const strings = new Set(["", "a", "GB", "US", "marketing", "engineering", "design"]);
  for (const row of bundle.rows) {
    if (literal(row.resource)) kinds.add(row.resource);
    if (literal(row.role)) roles.add(row.role);
    if (row.action) {
      if (literal(row.action)) actions.add(row.action);
      else if (row.action.endsWith(":*")) actions.add(row.action.slice(0, -1) + "random");
    }
    for (const a of row.allowActions ?? []) if (literal(a)) actions.add(a);
    if (row.scope) scopes.add(row.scope);
    if (row.version) versions.add(row.version);
    if (row.principal) principals.add(row.principal);
  }
  for (const parents of Object.values(bundle.scopeParentRoles ?? {}))
    for (const [role, list] of Object.entries(parents)) {
      roles.add(role);
      list.forEach((r) => roles.add(r));
    }
  for (const dr of bundle.derivedRoles ?? []) dr.parentRoles.filter(literal).forEach((r) => roles.add(r));
  for (const { source } of bundle.expressions) {
    for (const m of source.matchAll(/attr\.([A-Za-z_]\w*)/g)) attrKeys.add(m[1]);
    for (const m of source.matchAll(/attr\[["']([^"']+)["']\]/g)) attrKeys.add(m[1]);
    for (const m of source.matchAll(/"([^"\\]{1,24})"/g)) strings.add(m[1]);
    for (const m of source.matchAll(/'([^'\\]{1,24})'/g)) strings.add(m[1]);
  }
  for (const p of principals) strings.add(p);
  for (const s of [...scopes]) if (s) scopes.add(`${s}.child`);
  scopes.add("nowhere");
  return {
    kinds: [...kinds].sort(),
    roles: [...roles].sort(),
    actions: [...actions].sort(),
    scopes: [...scopes].sort(),
    versions: [...versions].sort(),
    principals: [...principals, "alice", "bob"].sort(),
    attrKeys: [...attrKeys].sort(),
    strings: [...strings].sort(),
  };
}

function generator(vocab, random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const some = (list, max) => {
    const n = 1 + Math.floor(random() * Math.min(max, list.length));
    const out = new Set();
    while (out.size < n) out.add(pick(list));
    return [...out];
  };
  const value = (depth = 0) => {
    const r = random();
    if (r < 0.35) return pick(vocab.strings);
    if (r < 0.5) return random() < 0.5;
    if (r < 0.62) return Math.floor(random() * 20) - 5;
    if (r < 0.68) return Math.round(random() * 1000) / 10;
    if (r < 0.74) return null;
    if (r < 0.86 && depth < 2) return some(vocab.strings, 3);
    if (depth < 2) return Object.fromEntries(some(vocab.attrKeys.length ? vocab.attrKeys : ["k"], 3).map((k) => [k, value(depth + 1)]));
    return pick(vocab.strings);
  };
  const attrs = () => {
    const out = {};
    for (const key of vocab.attrKeys) if (random() < 0.45) out[key] = value();
    return out;
  };
  const maybe = (list) => (random() < 0.5 ? pick(list) : undefined);
  return (n) => {
    const id = random() < 0.6 ? pick(vocab.principals) : `user${Math.floor(random() * 5)}`;
    const principal = { id, roles: some(vocab.roles, 3), attr: attrs() };
    const pv = maybe(vocab.versions);
    if (pv !== undefined) principal.policyVersion = pv;
    const ps = maybe(vocab.scopes);
    if (ps !== undefined) principal.scope = ps;
    const resources = [];
    const count = 1 + Math.floor(random() * 3);
    for (let i = 0; i < count; i++) {
      const resource = { kind: pick(vocab.kinds), id: `r${n}-${i}`, attr: attrs() };
      const rv = maybe(vocab.versions);
      if (rv !== undefined) resource.policyVersion = rv;
      const rs = maybe(vocab.scopes);
      if (rs !== undefined) resource.scope = rs;
      resources.push({ resource, actions: some(vocab.actions, 4) });
    }
    return { requestId: `diff-${n}`, principal, resources, includeMeta: true };
  };
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function startCerbos(store, work) {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const config = [
    "server:",
    `  httpListenAddr: "127.0.0.1:${httpPort}"`,
    `  grpcListenAddr: "127.0.0.1:${grpcPort}"`,
    "  adminAPI: { enabled: false }",
    "engine:",
    `  globals: ${JSON.stringify(store.globals)}`,
    "storage:",
    "  driver: disk",
    `  disk: { directory: ${JSON.stringify(store.dir)}, watchForChanges: false }`,
    "schema: { enforcement: none }",
    "audit: { enabled: false }",
    "telemetry: { disabled: true }",
  ].join("\n");
  const configPath = join(work, "cerbos.yaml");
  writeFileSync(configPath, config + "\n");
  const child = spawn(cerbosBin, ["server", `--config=${configPath}`, "--log-level=error"], {
    env: { ...process.env, CERBOS_NO_TELEMETRY: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`cerbos exited: ${stderr}`);
    try {
      const r = await fetch(`${base}/_cerbos/health`);
      if (r.ok) return { child, base };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGTERM");
  throw new Error(`cerbos did not become healthy: ${stderr}`);
}

/** The fields both sides must agree on, in a canonical order. */
function normalise(response) {
  if (response.error || response.code !== undefined) {
    return { error: { code: response.error?.code ?? response.code } };
  }
  return (response.results ?? []).map((r) => ({
    resource: { id: r.resource.id, kind: r.resource.kind, policyVersion: r.resource.policyVersion ?? "", scope: r.resource.scope ?? "" },
    actions: sortKeys(r.actions ?? {}),
    meta: Object.fromEntries(
      Object.entries(r.meta?.actions ?? {})
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([a, m]) => [a, { matchedPolicy: m.matchedPolicy ?? "", matchedScope: m.matchedScope ?? "" }]),
    ),
    effectiveDerivedRoles: [...(r.meta?.effectiveDerivedRoles ?? [])].sort(),
    outputs: [...(r.outputs ?? [])]
      .map((o) => JSON.stringify({ src: o.src, action: o.action, val: clockFree(o.val ?? null), error: o.error ?? "" }))
      .sort(),
    validationErrors: [...(r.validationErrors ?? [])].map((v) => JSON.stringify(v)).sort(),
  }));
}

/**
 * Cerbos reads its wall clock for `now()` and cannot be given a fixed one,
 * so an output that is a timestamp within minutes of this run is compared
 * as "now" rather than to the nanosecond.
 */
function clockFree(val) {
  if (typeof val === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(val)) {
    if (Math.abs(Date.parse(val) - Date.now()) < 15 * 60 * 1000) return "<now>";
  }
  return val;
}

function sortKeys(obj) {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Which top-level result fields differ, for a summary of a failing run. */
function differingFields(t, o) {
  if (!Array.isArray(t) || !Array.isArray(o)) return ["error"];
  const fields = new Set();
  t.forEach((result, i) => {
    for (const key of Object.keys(result)) {
      if (JSON.stringify(result[key]) !== JSON.stringify(o[i]?.[key])) fields.add(key);
    }
  });
  return [...fields];
}

function minimalRepro(request, index, theirs, ours) {
  const t = normalise(theirs);
  const o = normalise(ours);
  if (!Array.isArray(t) || !Array.isArray(o)) return { request, cerbos: theirs, portcullis: ours };
  for (let i = 0; i < t.length; i++) {
    if (JSON.stringify(t[i]) === JSON.stringify(o[i])) continue;
    const entry = request.resources[i];
    const action = entry.actions.find((a) => t[i].actions[a] !== o[i]?.actions[a] || JSON.stringify(t[i].meta[a]) !== JSON.stringify(o[i]?.meta[a])) ?? entry.actions[0];
    return {
      request: { ...request, resources: [{ resource: entry.resource, actions: [action] }] },
      cerbos: t[i],
      portcullis: o[i],
    };
  }
  return { request, index, cerbos: t, portcullis: o };
}

for (const store of stores) {
  test(`differential: ${store.name} (${requestsPerStore} random requests vs real Cerbos 0.55.0)`, async () => {
    if (store.needsShared && !requireShared()) return;
    assert.ok(existsSync(cerbosBin), `Cerbos binary missing at ${cerbosBin}: run npm ci`);
    assert.ok(existsSync(portcullisBin), `${portcullisBin} missing: cargo build first`);

    const work = mkdtempSync(join(tmpdir(), "portcullis-diff-"));
    const bundlePath = join(work, "bundle.json");
    execFileSync(portcullisBin, ["compile", store.dir, "-o", bundlePath], { stdio: ["ignore", "ignore", "inherit"] });
    const vocab = vocabulary(JSON.parse(readFileSync(bundlePath, "utf8")));
    const next = generator(vocab, prng(seed ^ store.name.length));
    const requests = Array.from({ length: requestsPerStore }, (_, n) => next(n));

    const { child, base } = await startCerbos(store, work);
    try {
      const theirs = [];
      for (const request of requests) {
        const r = await fetch(`${base}/api/check/resources`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
        });
        theirs.push(await r.json());
      }
      const requestsPath = join(work, "requests.json");
      writeFileSync(requestsPath, JSON.stringify(requests));
      const ours = JSON.parse(
        execFileSync(
          portcullisBin,
          ["check", "--bundle", bundlePath, "--requests", requestsPath, "--globals", JSON.stringify(store.globals)],
          { maxBuffer: 1 << 30 },
        ).toString(),
      );
      assert.equal(ours.length, requests.length);

      let mismatches = 0;
      let firstRepro = null;
      const byField = {};
      for (let i = 0; i < requests.length; i++) {
        const t = normalise(theirs[i]);
        const o = normalise(ours[i]);
        if (JSON.stringify(t) !== JSON.stringify(o)) {
          mismatches++;
          firstRepro ??= minimalRepro(requests[i], i, theirs[i], ours[i]);
          for (const field of differingFields(t, o)) byField[field] = (byField[field] ?? 0) + 1;
        }
      }
      if (mismatches) console.log(`mismatching fields (requests affected): ${JSON.stringify(byField)}`);
      const decisions = requests.reduce((n, r) => n + r.resources.reduce((m, e) => m + e.actions.length, 0), 0);
      console.log(`differential ${store.name}: ${requests.length} requests, ${decisions} decisions, ${mismatches} mismatches (seed ${seed})`);
      if (firstRepro) {
        const reproPath = join(tmpdir(), `portcullis-diff-repro-${Date.now()}.json`);
        writeFileSync(reproPath, JSON.stringify([firstRepro.request], null, 2));
        console.log(`first mismatch (request saved to ${reproPath}):\n${JSON.stringify(firstRepro, null, 2)}`);
      }
      assert.equal(mismatches, 0, `${mismatches} of ${requests.length} requests differ from Cerbos`);
    } finally {
      child.kill("SIGTERM");
      rmSync(work, { recursive: true, force: true });
    }
  });
}
