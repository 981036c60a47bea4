// Adds one export line to wasm-bindgen's `web` glue (pkg/portcullis.js) so
// the wrapper can instantiate the wasm itself:
//   export { __wbg_get_imports, __wbg_finalize_init };
// The `web` target keeps these two functions private and exports only
// `initSync` (which uses `instanceof WebAssembly.Module` and so rejects
// modules from another realm) and the async init. Idempotent; fails loudly
// if a wasm-bindgen upgrade renames the functions.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../../pkg/portcullis.js", import.meta.url);
const marker = "// portcullis: instantiation helpers for js/src/wasm.ts";
let text = readFileSync(file, "utf8");
if (text.includes(marker)) {
  console.log("pkg/portcullis.js: already patched");
  process.exit(0);
}
for (const name of ["__wbg_get_imports", "__wbg_finalize_init"]) {
  if (!new RegExp(`^function ${name}\\(`, "m").test(text)) {
    console.error(`pkg/portcullis.js has no top-level function ${name}: wasm-bindgen changed its glue; update js/src/wasm.ts`);
    process.exit(1);
  }
}
text += `\n${marker}\nexport { __wbg_get_imports, __wbg_finalize_init };\n`;
writeFileSync(file, text);
console.log("pkg/portcullis.js: exported __wbg_get_imports and __wbg_finalize_init");
