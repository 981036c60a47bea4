// Builds the package's JavaScript: each public entry of js/src (and the CLI)
// bundled with esbuild into js/dist, next to the declarations tsc writes
// there (js/tsconfig.json emits declarations only).
//
// Why bundle: a fresh process importing the package used to load some twenty
// small ES modules (the entry, core, wasm, errors, types, token, jwks, …,
// wasm-bindgen's glue and its snippet), and each costs the loader a
// resolution, a read and a link: bench/js/cold.mjs measured the import
// phase at ~10 ms, bundled ~4.5 ms (medians, busy 2-core machine).
//
// * Code splitting keeps one copy of every module across entries: the glue
//   (and so the wasm instance) and the error classes are shared by
//   `portcullis`, `portcullis/node`, `portcullis/next`, … as before, in
//   shared `chunk-*.js` files.
// * The output files sit where tsc's did (js/dist/<entry>.js), so
//   `new URL("../../pkg/portcullis_bg.wasm", import.meta.url)` and the
//   workerd/edge `import … from "../../pkg/portcullis_bg.wasm[?module]"`
//   (kept external) still point at pkg/, for Next.js's file tracing and for
//   bundlers.
// * No minification: the files stay readable, and minifying measured no
//   faster to import.
import { readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const js = fileURLToPath(new URL("..", import.meta.url));
const dist = `${js}dist`;
const entries = ["index", "node", "workerd", "edge", "browser", "clerk", "workos", "next", "react"];

// Stale JavaScript of an earlier build (tsc's per-module files, old chunks);
// the declarations stay.
for (const name of readdirSync(dist, { withFileTypes: true })) {
  if (name.isFile() && /\.(js|mjs|js\.map)$/.test(name.name)) rmSync(`${dist}/${name.name}`);
}

const common = {
  outdir: dist,
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  tsconfig: `${js}tsconfig.json`,
  // Node built-ins (node entry, CLI), React (react entry, a peer dependency)
  // and the wasm (resolved by the host or the app's bundler).
  external: ["node:*", "react", "*.wasm", "*.wasm?module"],
  logLevel: "warning",
  metafile: true,
};
const results = [
  await esbuild.build({ ...common, entryPoints: entries.map((e) => `${js}src/${e}.ts`), splitting: true }),
  // The CLI imports the node entry as it is: bundled with the others, it
  // would move the node entry's own code into a chunk of its own (one more
  // file for every `import "portcullis"` on Node).
  await esbuild.build({
    ...common,
    entryPoints: [`${js}src/cli.ts`],
    plugins: [{ name: "node-entry", setup: (b) => b.onResolve({ filter: /^\.\/node\.js$/ }, (a) => ({ path: a.path, external: true })) }],
  }),
];
const outputs = results.flatMap((r) => Object.keys(r.metafile.outputs)).map((o) => o.slice(o.lastIndexOf("/") + 1));
console.log(`js/dist: ${outputs.length} files (${outputs.sort().join(", ")})`);
