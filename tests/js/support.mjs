// Shared fixtures for the JavaScript tests: real bundles compiled by the
// native CLI from the example policies, the expected decisions of their test
// suite (policies/tests/document_test.yaml, verified against Cerbos 0.55),
// and the native CLI's answers for parity checks.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const fixtures = join(root, "target", "js-fixtures");

/** A fixed evaluation time so native and wasm answers can be compared. */
export const NOW = "2026-11-23T10:00:00Z";
export const NOW_MS = Date.parse(NOW);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs the native CLI (built once, debug). */
export function cli(args, options = {}) {
  // PORTCULLIS_CLI points at a prebuilt binary (e.g. a release build).
  const bin = process.env.PORTCULLIS_CLI ?? join(root, "target", "debug", "portcullis");
  if (!process.env.PORTCULLIS_CLI && !existsSync(bin)) {
    execFileSync("cargo", ["build", "--quiet", "--features", "cli", "--bin", "portcullis"], { cwd: root, stdio: "inherit" });
  }
  return execFileSync(bin, args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, ...options });
}

function compile(dir, out) {
  if (existsSync(out) && statSync(out).mtimeMs >= newestMtime(dir)) return out;
  mkdirSync(dirname(out), { recursive: true });
  cli(["compile", dir, "-o", out]);
  return out;
}

/** The example policies (policies/) compiled into a bundle; returns its path. */
export function documentBundlePath() {
  return compile(join(root, "policies"), join(fixtures, "document.bundle.json"));
}

/**
 * A second version of the example policies without the
 * `no-delete-when-locked` rule, so owners and admins may delete locked
 * documents: used to observe bundle swaps.
 */
export function documentV2BundlePath() {
  const dir = join(fixtures, "policies-v2");
  const source = readFileSync(join(root, "policies", "document.yaml"), "utf8");
  const cut = source.indexOf("    - name: no-delete-when-locked");
  if (cut < 0) throw new Error("policies/document.yaml no longer has the no-delete-when-locked rule; update tests/js/support.mjs");
  const v2 = source.slice(0, cut);
  const target = join(dir, "document.yaml");
  if (!existsSync(target) || readFileSync(target, "utf8") !== v2) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(join(root, "policies", "document_roles.yaml"), join(dir, "document_roles.yaml"));
    writeFileSync(target, v2);
  }
  return compile(dir, join(fixtures, "document-v2.bundle.json"));
}

/** Root of the shared reference material, or undefined (loud skip outside CI). */
export function sharedRoot() {
  const dir = process.env.PORTCULLIS_SHARED ? resolve(process.env.PORTCULLIS_SHARED) : resolve(root, "..", "shared");
  if (existsSync(dir)) return dir;
  if (process.env.CI === "true") throw new Error(`shared material not found at ${dir} (set PORTCULLIS_SHARED)`);
  console.error(`SKIPPED: shared material not found at ${dir}`);
  return undefined;
}

/** The shared benchmark fixtures module (`bench/fixtures.mjs`), or undefined. */
export async function benchFixtures() {
  const shared = sharedRoot();
  if (!shared) return undefined;
  return import(pathToFileURL(join(shared, "bench", "fixtures.mjs")).href);
}

/** The shared benchmark policies compiled into a bundle, or undefined. */
export function benchBundlePath() {
  const shared = sharedRoot();
  if (!shared) return undefined;
  return compile(join(shared, "bench", "policies", "cerbos"), join(fixtures, "bench.bundle.json"));
}

// ---- The example suite: policies/tests/document_test.yaml -----------------
// Combinations the suite does not list expect EFFECT_DENY for every action,
// as in Cerbos test suites.

export const principals = {
  alice: { id: "alice", roles: ["member"], attr: { orgId: "acme" } },
  bob: { id: "bob", roles: ["member"], attr: { orgId: "acme" } },
  carol: { id: "carol", roles: ["admin"], attr: { orgId: "acme" } },
  mallory: { id: "mallory", roles: ["admin"], attr: { orgId: "evil" } },
};

export const resources = {
  alice_draft: { kind: "document", id: "doc1", attr: { ownerId: "alice", orgId: "acme", status: "draft", locked: false } },
  alice_locked: { kind: "document", id: "doc2", attr: { ownerId: "alice", orgId: "acme", status: "published", locked: true } },
};

export const ACTIONS = ["view", "edit", "delete"];
const A = "EFFECT_ALLOW";
const D = "EFFECT_DENY";
const all = (e) => ({ view: e, edit: e, delete: e });

/** [principal, resource, expected actions] for every combination of the suite. */
export const expectations = [
  ["alice", "alice_draft", all(A)],
  ["bob", "alice_draft", all(D)],
  ["carol", "alice_draft", all(A)],
  ["mallory", "alice_draft", all(D)],
  ["alice", "alice_locked", { view: A, edit: A, delete: D }],
  ["bob", "alice_locked", { view: A, edit: D, delete: D }],
  ["carol", "alice_locked", { view: A, edit: A, delete: D }],
];

/** What the v2 bundle (no locked-delete rule) answers differently. */
export const v2Changes = {
  "alice/alice_locked": { view: A, edit: A, delete: A },
  "carol/alice_locked": { view: A, edit: A, delete: A },
};

/** One Cerbos API request body per expectation, with fixed request ids. */
export function suiteRequests({ includeMeta = true } = {}) {
  return expectations.map(([p, r], i) => ({
    requestId: `suite-${i}-${p}-${r}`,
    principal: principals[p],
    resources: [{ resource: resources[r], actions: ACTIONS }],
    ...(includeMeta ? { includeMeta: true } : {}),
  }));
}

/**
 * Requests for parity checks: the suite plus a multi-resource request, a
 * scoped/versioned one, one with outputs-free unknown kinds and invalid ones.
 */
export function parityRequests() {
  return [
    ...suiteRequests(),
    {
      requestId: "multi",
      principal: principals.carol,
      resources: Object.values(resources).map((resource) => ({ resource, actions: ACTIONS })),
    },
    {
      requestId: "unknown-kind",
      principal: principals.alice,
      resources: [{ resource: { kind: "invoice", id: "i1", attr: {} }, actions: ["view"] }],
      includeMeta: true,
    },
    { requestId: "bad-no-principal", resources: [{ resource: resources.alice_draft, actions: ["view"] }] },
    { requestId: "bad-no-actions", principal: principals.alice, resources: [{ resource: resources.alice_draft, actions: [] }] },
  ];
}

/** The native CLI's answers to `requests` against `bundle` at NOW. */
export function nativeAnswers(bundle, requests) {
  mkdirSync(fixtures, { recursive: true });
  const file = join(fixtures, `requests-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(requests));
  try {
    return JSON.parse(cli(["check", "--bundle", bundle, "--requests", file, "--now", NOW]));
  } finally {
    rmSync(file, { force: true });
  }
}

/** Drops fields that legitimately differ per call (fresh call ids). */
export function normalize(answer) {
  const copy = structuredClone(answer);
  if (copy && typeof copy === "object") delete copy.cerbosCallId;
  return copy;
}
