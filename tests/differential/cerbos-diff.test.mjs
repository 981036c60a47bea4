// Differential test: seeded random CheckResources requests answered by the
// real Cerbos 0.55.0 PDP (npm @cerbos/cerbos-linux-x64, on 127.0.0.1) and by
// `portcullis check`, compared field by field: effects, matched policy and
// scope, effective derived roles, outputs, validation errors and the CEL
// evaluation errors (Cerbos only logs those; they are read back from its log
// by call id). Runs cover both policy stores and every engine configuration
// Cerbos has (lenient scope search, strict evaluation, schema enforcement,
// default scope and version), with signed JWTs in auxData.
//
//   PORTCULLIS_DIFF_REQUESTS  requests per store run (default 1000; each
//                             configuration run gets a quarter of that)
//   PORTCULLIS_DIFF_SEED      PRNG seed (default: fixed, so CI is reproducible)
//   PORTCULLIS_SHARED         root of the shared reference material (default ../shared)
//
// A mismatch prints a minimal reproduction: the single resource and action
// that differ, with both answers, as a ready-to-run request file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
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

const cerbosStore = join(shared, "conformance/cerbos/store");
const storeGlobals = { environment: "test" };
const configurationRequests = Math.max(1, Math.ceil(requestsPerStore / 4));

/**
 * Each run: a policy store, the Cerbos engine configuration (YAML lines under
 * `engine:`, the schema enforcement) and the equivalent `portcullis check`
 * flags. `jwt` adds signed tokens to some requests' auxData.
 */
const runs = [
  { name: "policies/", dir: join(root, "policies"), globals: {}, requests: requestsPerStore },
  { name: "cerbos store", dir: cerbosStore, globals: storeGlobals, requests: requestsPerStore, needsShared: true, jwt: true },
  {
    name: "cerbos store, lenient scope search",
    dir: cerbosStore,
    globals: storeGlobals,
    requests: configurationRequests,
    needsShared: true,
    jwt: true,
    engine: ["lenientScopeSearch: true"],
    flags: ["--lenient-scopes"],
  },
  {
    name: "cerbos store, strict evaluation",
    dir: cerbosStore,
    globals: storeGlobals,
    requests: configurationRequests,
    needsShared: true,
    jwt: true,
    engine: ["strictEvaluation: true"],
    flags: ["--strict-evaluation"],
  },
  {
    name: "cerbos store, schema enforcement reject",
    dir: cerbosStore,
    globals: storeGlobals,
    requests: configurationRequests,
    needsShared: true,
    jwt: true,
    schema: "reject",
    flags: ["--schema-enforcement", "reject"],
  },
  {
    name: "cerbos store, schema enforcement warn",
    dir: cerbosStore,
    globals: storeGlobals,
    requests: configurationRequests,
    needsShared: true,
    jwt: true,
    schema: "warn",
    flags: ["--schema-enforcement", "warn"],
  },
  {
    name: "cerbos store, defaultScope acme.hr and defaultPolicyVersion 20210210",
    dir: cerbosStore,
    globals: storeGlobals,
    requests: configurationRequests,
    needsShared: true,
    jwt: true,
    engine: ['defaultScope: "acme.hr"', 'defaultPolicyVersion: "20210210"'],
    flags: ["--default-scope", "acme.hr", "--default-policy-version", "20210210"],
  },
];

/** Key set id the store's JWT conditions are verified with (file stem for `--jwks`). */
const keySetId = "cerbos";

/** Claim sets for the tokens: the store's conditions read `aud` and `customArray`. */
const claimSets = [
  { iss: "cerbos-test-suite", aud: ["cerbos-jwt-tests"], customArray: ["A", "B", "C"], customInt: 42, customMap: { A: "AA" }, customString: "foobar" },
  { iss: "someone", aud: "other-audience", customArray: ["X"], customInt: 7 },
  { iss: "cerbos-test-suite", aud: ["cerbos-jwt-tests", "more"], customArray: ["A"] },
];

/** ES384 tokens signed with the Cerbos test suite's key, valid for an hour. */
function signedTokens() {
  const jwk = JSON.parse(readFileSync(join(shared, "conformance/cerbos/auxdata/keys/signing_key.jwk"), "utf8"));
  const key = createPrivateKey({ key: jwk, format: "jwk" });
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return claimSets.map((claims) => {
    const input = `${b64({ alg: "ES384", typ: "JWT", kid: jwk.kid })}.${b64({ ...claims, exp })}`;
    const signature = sign("sha384", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    return `${input}.${signature.toString("base64url")}`;
  });
}

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

function generator(vocab, random, tokens = []) {
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
  // Attribute maps are sometimes `null` (protojson reads it as empty) or absent.
  const attrs = () => {
    const shape = random();
    if (shape < 0.03) return null;
    if (shape < 0.06) return undefined;
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
    const request = { requestId: `diff-${n}`, principal, resources, includeMeta: true };
    if (tokens.length && random() < 0.3) {
      const token = () => ({ token: pick(tokens), keySetId });
      request.auxData = random() < 0.7 ? { jwt: token() } : { jwts: { token_a: token(), token_b: token() } };
    }
    return request;
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

async function startCerbos(run, work) {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const config = [
    "server:",
    `  httpListenAddr: "127.0.0.1:${httpPort}"`,
    `  grpcListenAddr: "127.0.0.1:${grpcPort}"`,
    "  adminAPI: { enabled: false }",
    "engine:",
    `  globals: ${JSON.stringify(run.globals)}`,
    ...(run.engine ?? []).map((line) => `  ${line}`),
    "storage:",
    "  driver: disk",
    `  disk: { directory: ${JSON.stringify(run.dir)}, watchForChanges: false }`,
    `schema: { enforcement: ${run.schema ?? "none"} }`,
    ...(run.jwt
      ? ["auxData:", "  jwt:", "    keySets:", `      - id: ${keySetId}`, `        local: { file: ${JSON.stringify(join(work, `${keySetId}.jwk`))} }`]
      : []),
    "audit: { enabled: false }",
    "telemetry: { disabled: true }",
  ].join("\n");
  const configPath = join(work, "cerbos.yaml");
  writeFileSync(configPath, config + "\n");
  // CEL evaluation errors are logged at warn level, one JSON line each.
  const child = spawn(cerbosBin, ["server", `--config=${configPath}`, "--log-level=warn"], {
    env: { ...process.env, CERBOS_NO_TELEMETRY: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = { text: "" };
  child.stdout.on("data", (d) => (log.text += d));
  child.stderr.on("data", (d) => (log.text += d));
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`cerbos exited: ${log.text}`);
    try {
      const r = await fetch(`${base}/_cerbos/health`);
      if (r.ok) return { child, base, log };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGTERM");
  throw new Error(`cerbos did not become healthy: ${log.text}`);
}

/** CEL evaluation errors Cerbos logged, by call id: `[{expression, message}]`. */
function loggedEvaluationErrors(logText) {
  const byCall = new Map();
  for (const line of logText.split("\n")) {
    if (!line.includes("Error evaluating CEL expression")) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const callId = entry.cerbos?.call_id;
    if (!byCall.has(callId)) byCall.set(callId, []);
    byCall.get(callId).push({ expression: entry.expression ?? "", message: entry.error ?? "" });
  }
  return byCall;
}

/** The fields both sides must agree on, in a canonical order. */
function normalise(response, evaluationErrors) {
  if (response.error || response.code !== undefined) {
    return { error: { code: response.error?.code ?? response.code } };
  }
  const results = (response.results ?? []).map((r) => ({
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
    validationErrors: [...(r.validationErrors ?? [])]
      .map((v) => JSON.stringify({ path: v.path ?? "", message: v.message ?? "", source: v.source ?? "" }))
      .sort(),
  }));
  const errors = [...new Set(evaluationErrors.map((e) => JSON.stringify({ expression: e.expression, message: e.message })))].sort();
  return { results, evaluationErrors: errors };
}

/** Ours, normalised: `portcullis check` reports `evaluationErrors` as `[{celError}]`. */
function normaliseOurs(response) {
  return normalise(response, (response.evaluationErrors ?? []).map((e) => e.celError));
}

/**
 * `donald_duck`'s principal policy in the Cerbos store has rules for `*` and
 * `salary_record`; Cerbos builds their rule rows in Go map order (random per
 * server start), so whether the erroring `*` condition is evaluated before
 * the DENY varies: that changes the logged errors and, in strict mode, which
 * policy is reported. Effects, derived roles, outputs and validation errors
 * must still agree.
 */
function mapOrderDependent(request, t, o) {
  if (request.principal.id !== "donald_duck" || !t.results || !o.results) return false;
  const stable = (n) => JSON.stringify(n.results.map((r) => [r.resource, r.actions, r.effectiveDerivedRoles, r.outputs, r.validationErrors]));
  return stable(t) === stable(o);
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

/** Which result fields differ, for a summary of a failing run. */
function differingFields(t, o) {
  if (!t.results || !o.results) return ["error"];
  const fields = new Set();
  if (JSON.stringify(t.evaluationErrors) !== JSON.stringify(o.evaluationErrors)) fields.add("evaluationErrors");
  t.results.forEach((result, i) => {
    for (const key of Object.keys(result)) {
      if (JSON.stringify(result[key]) !== JSON.stringify(o.results[i]?.[key])) fields.add(key);
    }
  });
  return [...fields];
}

function minimalRepro(request, t, o) {
  if (!t.results || !o.results) return { request, cerbos: t, portcullis: o };
  for (let i = 0; i < t.results.length; i++) {
    if (JSON.stringify(t.results[i]) === JSON.stringify(o.results[i])) continue;
    const entry = request.resources[i];
    const differs = (a) =>
      t.results[i].actions[a] !== o.results[i]?.actions[a] || JSON.stringify(t.results[i].meta[a]) !== JSON.stringify(o.results[i]?.meta[a]);
    const action = entry.actions.find(differs) ?? entry.actions[0];
    return {
      request: { ...request, resources: [{ resource: entry.resource, actions: [action] }] },
      cerbos: t.results[i],
      portcullis: o.results[i],
    };
  }
  const only = (a, b) => a.filter((e) => !b.includes(e)).map((e) => JSON.parse(e));
  return {
    request,
    evaluationErrorsOnlyInCerbos: only(t.evaluationErrors, o.evaluationErrors),
    evaluationErrorsOnlyInPortcullis: only(o.evaluationErrors, t.evaluationErrors),
  };
}

for (const run of runs) {
  test(`differential: ${run.name} (${run.requests} random requests vs real Cerbos 0.55.0)`, async () => {
    if (run.needsShared && !requireShared()) return;
    assert.ok(existsSync(cerbosBin), `Cerbos binary missing at ${cerbosBin}: run scripts/setup.sh`);
    assert.ok(existsSync(portcullisBin), `${portcullisBin} missing: cargo build first`);

    const work = mkdtempSync(join(tmpdir(), "portcullis-diff-"));
    const bundlePath = join(work, "bundle.json");
    // Compile warnings (disabled policies, ...) are expected; a failure throws with them.
    execFileSync(portcullisBin, ["compile", run.dir, "-o", bundlePath], { stdio: "pipe" });
    const jwksPath = join(work, `${keySetId}.jwk`);
    const tokens = run.jwt ? signedTokens() : [];
    if (run.jwt) writeFileSync(jwksPath, readFileSync(join(shared, "conformance/cerbos/auxdata/keys/verify_key.jwk")));
    const vocab = vocabulary(JSON.parse(readFileSync(bundlePath, "utf8")));
    const next = generator(vocab, prng(seed ^ run.name.length), tokens);
    const requests = Array.from({ length: run.requests }, (_, n) => next(n));

    const { child, base, log } = await startCerbos(run, work);
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
      // Let the last log lines arrive.
      await new Promise((r) => setTimeout(r, 200));
      const logged = loggedEvaluationErrors(log.text);

      const requestsPath = join(work, "requests.json");
      writeFileSync(requestsPath, JSON.stringify(requests));
      const flags = [...(run.flags ?? []), ...(run.jwt ? ["--jwks", jwksPath] : [])];
      const ours = JSON.parse(
        execFileSync(
          portcullisBin,
          ["check", "--bundle", bundlePath, "--requests", requestsPath, "--globals", JSON.stringify(run.globals), ...flags],
          { maxBuffer: 1 << 30 },
        ).toString(),
      );
      assert.equal(ours.length, requests.length);

      let mismatches = 0;
      let mapOrderTolerated = 0;
      let firstRepro = null;
      const byField = {};
      for (let i = 0; i < requests.length; i++) {
        const t = normalise(theirs[i], logged.get(theirs[i].cerbosCallId) ?? []);
        const o = normaliseOurs(ours[i]);
        if (JSON.stringify(t) === JSON.stringify(o)) continue;
        if (mapOrderDependent(requests[i], t, o)) {
          mapOrderTolerated++;
          continue;
        }
        mismatches++;
        firstRepro ??= minimalRepro(requests[i], t, o);
        for (const field of differingFields(t, o)) byField[field] = (byField[field] ?? 0) + 1;
      }
      if (mismatches) console.log(`mismatching fields (requests affected): ${JSON.stringify(byField)}`);
      const decisions = requests.reduce((n, r) => n + r.resources.reduce((m, e) => m + e.actions.length, 0), 0);
      const withErrors = ours.filter((a) => a.evaluationErrors?.length).length;
      const withTokens = requests.filter((r) => r.auxData).length;
      console.log(
        `differential ${run.name}: ${requests.length} requests (${withTokens} with JWTs, ${withErrors} with evaluation errors), ` +
          `${decisions} decisions, ${mismatches} mismatches, ${mapOrderTolerated} Go-map-order tolerated (seed ${seed})`,
      );
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
