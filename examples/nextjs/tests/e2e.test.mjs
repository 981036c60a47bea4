// The Next.js example, end to end and offline: `next build`, `next start` on
// 127.0.0.1, then per-user HTTP checks (Clerk session tokens verified by
// @clerk/nextjs with CLERK_JWT_KEY; WorkOS access tokens verified with a JWKS
// served here) and a Chromium check of the buttons each user sees.
//
// Needs the package built at the repository root (`npm run build` there:
// pkg/ and js/dist/) and the native CLI (built here if missing) to compile
// ../../policies. PORTCULLIS_BUNDLE overrides the bundle.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { serve } from "../scripts/serve.mjs";
import { mintToken } from "../scripts/dev-identities.mjs";

let base;
let keys;
let stop;

before(async () => {
  ({ base, keys, stop } = await serve());
});

after(async () => {
  await stop?.();
});

const bearer = (user) => ({ authorization: `Bearer ${mintToken(keys, user)}` });

async function api(path, { user, method = "GET" } = {}) {
  const res = await fetch(`${base}${path}`, { method, headers: { accept: "application/json", ...(user ? bearer(user) : {}) }, redirect: "manual" });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

test("Clerk users through proxy.ts and the route handler", async () => {
  const cases = [
    // user, path, method, expected status
    ["alice", "/api/projects/p1", "GET", 200],
    ["alice", "/api/projects/p1", "DELETE", 200],
    ["alice", "/api/projects/p3", "GET", 403], // another organization's project
    ["bob", "/api/projects/p1", "GET", 200],
    ["bob", "/api/projects/p1", "DELETE", 403],
    ["support", "/api/projects/p1", "GET", 200], // impersonating alice
    ["support", "/api/projects/p1", "DELETE", 403],
    ["gina", "/api/projects/p3", "DELETE", 200],
    ["gina", "/api/projects/p1", "GET", 403],
    [undefined, "/api/projects/p1", "GET", 403],
  ];
  for (const [user, path, method, status] of cases) {
    const r = await api(path, { user, method });
    assert.equal(r.status, status, `${user ?? "anonymous"} ${method} ${path}: ${r.body}`);
    if (status === 200) {
      assert.equal(r.headers.get("x-portcullis-decision"), "allow");
      assert.equal(JSON.parse(r.body).ok, true);
    } else {
      assert.deepEqual(JSON.parse(r.body).error, "forbidden");
    }
  }
});

test("a forged token and a forged decision header get nothing", async () => {
  const forged = mintToken({ ...keys, clerk: { ...keys.workos, kid: keys.clerk.kid } }, "alice");
  const res = await fetch(`${base}/api/projects/p1`, { headers: { authorization: `Bearer ${forged}`, "x-portcullis-decision": "allow" } });
  assert.equal(res.status, 403);
});

test("WorkOS access tokens (local JWKS) through the proxy and the route handler", async () => {
  assert.equal((await api("/api/workos/projects/w1", { user: "pete", method: "DELETE" })).status, 200);
  assert.equal((await api("/api/workos/projects/w1", { user: "wendy" })).status, 200);
  assert.equal((await api("/api/workos/projects/w1", { user: "wendy", method: "DELETE" })).status, 403);
  assert.equal((await api("/api/workos/projects/p1", { user: "pete" })).status, 403);
  // A Clerk token is not a WorkOS token.
  assert.equal((await api("/api/workos/projects/w1", { user: "alice" })).status, 403);
});

test("HTML: denied page views redirect; allowed ones render", async () => {
  const denied = await fetch(`${base}/projects/p3`, { headers: { accept: "text/html", ...bearer("alice") }, redirect: "manual" });
  assert.equal(denied.status, 307);
  assert.match(denied.headers.get("location"), /\/denied\?action=view$/);
  const ok = await fetch(`${base}/projects/p1`, { headers: { accept: "text/html", ...bearer("bob") } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /Acme roadmap/);
});

test("Chromium: each user sees only the buttons the policies allow (UI hints)", async () => {
  const { chromium } = await import("playwright-core");
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    if (process.env.CI === "true") throw new Error(`no Chromium at ${executablePath}`);
    console.error(`SKIPPED: no Chromium at ${executablePath}`);
    return;
  }
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const expected = {
      alice: ["Edit", "Delete", "Transfer"],
      bob: [],
      support: ["Edit"],
    };
    for (const [user, buttons] of Object.entries(expected)) {
      const context = await browser.newContext({ extraHTTPHeaders: bearer(user) });
      const page = await context.newPage();
      await page.goto(`${base}/projects/p1`);
      await page.waitForSelector("#toolbar");
      const seen = await page.locator("#toolbar button").allInnerTexts();
      assert.deepEqual(seen, buttons, user);
      assert.equal(await page.locator("#toolbar span").count(), buttons.includes("Transfer") ? 0 : 1);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});
