// Helpers for the runtime harnesses: bundling the package the way each
// platform's tooling does, free ports, and waiting for a server.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { extname, join, normalize as normalizePath } from "node:path";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { ACTIONS, expectations, fixtures, principals, resources, root } from "../js/support.mjs";

export const wasmPath = join(root, "pkg", "portcullis_bg.wasm");

const contentTypes = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };

/**
 * The file a browser test page may load for a URL path: the pages
 * (`/page/`), the fixtures (`/fixtures/`) and the package (`/js/dist/`,
 * `/pkg/`); nothing else.
 */
export function browserPageFile(path) {
  if (path.startsWith("/page/")) return join(root, "tests", "runtimes", "browser", path.slice(6));
  if (path.startsWith("/fixtures/")) return join(fixtures, path.slice(10));
  if (path.startsWith("/js/dist/") || path.startsWith("/pkg/")) return join(root, path);
  return undefined;
}

/** Answers with `file`, or 404 when there is none or the path tried to climb out. */
export function sendFile(res, file) {
  if (!file || normalizePath(file) !== file || !existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": contentTypes[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
}

/** Debian's headless chromium (never a downloaded one), without background traffic. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/**
 * Opens `url` in a new page of `browser` and waits until the page's
 * `#status` element has a `data-state`. Returns the page, its status text and
 * the page errors and console errors seen so far (the array keeps filling).
 */
export async function openStatusPage(browser, url, timeout) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("status").dataset.state !== undefined, null, { timeout });
  return { page, status: await page.textContent("#status"), errors };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers (any status) or `ms` pass. */
export async function waitForHttp(url, ms = 20_000, isAlive = () => true) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`server exited before answering ${url}`);
    try {
      return await fetch(url);
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer from ${url} within ${ms} ms: ${last}`);
}

/**
 * Bundles a worker like wrangler does: esbuild with the `workerd` condition
 * and `.wasm` imports kept as separate wasm modules next to the bundle
 * (`outdir/<outfile>`).
 */
export async function bundleForWorkerd(entry, outdir, outfile = "worker.js") {
  mkdirSync(outdir, { recursive: true });
  const wasmModules = new Set();
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    outfile: join(outdir, outfile),
    external: ["./bundle.json"],
    logLevel: "error",
    plugins: [
      {
        name: "compiled-wasm",
        setup(build) {
          build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => {
            const source = join(args.resolveDir, args.path.replace(/\?module$/, ""));
            copyFileSync(source, join(outdir, "portcullis_bg.wasm"));
            wasmModules.add("portcullis_bg.wasm");
            return { path: "./portcullis_bg.wasm", external: true };
          });
        },
      },
    ],
  });
  return [...wasmModules];
}

/**
 * Bundles middleware like Next.js does for the edge runtime: the
 * `edge-light` condition, and `*.wasm?module` imports bound to a global the
 * host fills with a WebAssembly.Module it compiled (Next's wasm bindings).
 */
export async function bundleForEdge(entry, wasmGlobal) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "neutral",
    conditions: ["edge-light", "worker", "browser"],
    write: false,
    logLevel: "error",
    plugins: [
      {
        name: "next-wasm-binding",
        setup(build) {
          build.onResolve({ filter: /\.wasm\?module$/ }, (args) => ({ path: args.path, namespace: "wasm-binding" }));
          build.onLoad({ filter: /.*/, namespace: "wasm-binding" }, () => ({
            contents: `export default globalThis[${JSON.stringify(wasmGlobal)}];`,
            loader: "js",
          }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/**
 * Asks `url` (a route taking `{principal, resource, actions}` and answering
 * `{actions}`) for every decision of the suite and checks each answer.
 */
export async function assertSuiteDecisions(url, context = "") {
  for (const [p, r, expected] of expectations) {
    const response = await fetch(url, {
      method: "POST",
      body: JSON.stringify({ principal: principals[p], resource: resources[r], actions: ACTIONS }),
    });
    assert.equal(response.status, 200, context);
    assert.deepEqual((await response.json()).actions, expected, `${p} on ${r}`);
  }
}

/** A workerd worker: its ES module, the package's wasm and the bundle as modules. */
export function workerdWorker(name, esModule, compatibilityDate = "2025-05-01") {
  return `const ${name} :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "${esModule}"),
    (name = "portcullis_bg.wasm", wasm = embed "portcullis_bg.wasm"),
    (name = "bundle.json", json = embed "bundle.json"),
  ],
  compatibilityDate = "${compatibilityDate}",
);
`;
}
