// The package in a real browser: Debian's chromium, driven by playwright-core,
// loads a page from 127.0.0.1 that imports "portcullis" (browser entry),
// streams the wasm, fetches the bundle by URL and renders decisions.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize as normalizePath } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";
import { ACTIONS, NOW_MS, documentBundlePath, expectations, fixtures, nativeAnswers, normalize, parityRequests, principals, resources, root } from "../js/support.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };
let server;
let browser;
let base;
const served = [];

before(async () => {
  documentBundlePath();
  writeFileSync(
    join(fixtures, "browser-cases.json"),
    JSON.stringify({
      now: NOW_MS,
      cases: expectations.map(([p, r]) => ({ label: `${p}/${r}`, principal: principals[p], resource: resources[r], actions: ACTIONS })),
      raw: parityRequests(),
    }),
  );
  // Serves the package root (js/dist, pkg), the page and the fixtures; nothing else.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file;
    if (path === "/" || path.startsWith("/page/")) file = join(root, "tests", "runtimes", "browser", path === "/" ? "index.html" : path.slice(6));
    else if (path.startsWith("/fixtures/")) file = join(fixtures, path.slice(10));
    else if (path.startsWith("/js/dist/") || path.startsWith("/pkg/")) file = join(root, path);
    served.push(path);
    if (!file || normalizePath(file) !== file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("chromium renders the suite's decisions and matches the native CLI", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  // The page lives under /page/ so that index.html's ./page.mjs resolves there.
  await page.goto(`${base}/page/index.html`);
  await page.waitForFunction(() => document.getElementById("status").dataset.state !== undefined, null, { timeout: 20_000 });
  const status = await page.textContent("#status");
  assert.match(status, /^ready:/, `${status} ${errors.join("; ")}`);

  const rows = await page.$$eval("#decisions tbody tr", (trs) => trs.map((tr) => [tr.dataset.case, [...tr.children].slice(2).map((td) => td.textContent)]));
  assert.equal(rows.length, expectations.length);
  expectations.forEach(([p, r, expected], i) => {
    assert.deepEqual(rows[i], [`${p}/${r}`, ACTIONS.map((a) => expected[a])]);
  });

  const raw = JSON.parse(await page.textContent("#raw"));
  const native = nativeAnswers(documentBundlePath(), parityRequests());
  assert.deepEqual(raw.map(normalize), native.map(normalize));
  assert.ok(served.includes("/pkg/portcullis_bg.wasm"), "the wasm was fetched from next to the package");
  await page.screenshot({ path: join(fixtures, "browser.png") });
  assert.deepEqual(errors, []);
});
