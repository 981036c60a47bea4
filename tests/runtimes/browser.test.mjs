// The package in a real browser: Debian's chromium, driven by playwright-core,
// loads a page from 127.0.0.1 that imports "portcullis" (browser entry),
// streams the wasm, fetches the bundle by URL and renders decisions.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { browserPageFile, launchChromium, openStatusPage, sendFile } from "./support.mjs";
import { ACTIONS, NOW_MS, documentBundlePath, expectations, fixtures, nativeAnswers, normalize, parityRequests, principals, resources } from "../js/support.mjs";

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
    served.push(path);
    sendFile(res, browserPageFile(path === "/" ? "/page/index.html" : path));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Opens the page at `path` and checks its decisions against the suite and the native CLI. */
async function checkPage(path) {
  // The page lives under /page/ so that index.html's ./page.mjs resolves there.
  const { page, status, errors } = await openStatusPage(browser, `${base}${path}`, 20_000);
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
  assert.deepEqual(errors, []);
  return page;
}

test("chromium renders the suite's decisions and matches the native CLI", async () => {
  const page = await checkPage("/page/index.html");
  await page.screenshot({ path: join(fixtures, "browser.png") });
});

test("chromium: createSync with a compiled module gives the same decisions", async () => {
  await checkPage("/page/index.html?sync");
});
