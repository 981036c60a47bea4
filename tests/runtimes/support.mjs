// Helpers for the runtime harnesses: bundling the package the way each
// platform's tooling does, free ports, and waiting for a server.
import { copyFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { root } from "../js/support.mjs";

export const wasmPath = join(root, "pkg", "portcullis_bg.wasm");

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
 * and `.wasm` imports kept as separate wasm modules next to the bundle.
 */
export async function bundleForWorkerd(entry, outdir) {
  mkdirSync(outdir, { recursive: true });
  const wasmModules = new Set();
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    outfile: join(outdir, "worker.js"),
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
