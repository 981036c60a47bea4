// Patches wasm-bindgen's `web` glue (pkg/portcullis.js) twice:
//
// 1. One export line so the wrapper can instantiate the wasm itself:
//      export { __wbg_get_imports, __wbg_finalize_init };
//    The `web` target keeps these two functions private and exports only
//    `initSync` (which uses `instanceof WebAssembly.Module` and so rejects
//    modules from another realm) and the async init.
// 2. passStringToWasm0 copies a string into the wasm with one
//    `TextEncoder.encodeInto` call instead of wasm-bindgen's per-character
//    JavaScript loop over the ASCII prefix. Every check's request crosses
//    here: for the ~300-character bench request the loop took ~0.8 µs,
//    encodeInto ~0.3 µs (Node 20). A string that is not all ASCII goes, as
//    before, through the glue's own re-encoding with a larger buffer.
//
// Idempotent; fails loudly if a wasm-bindgen upgrade changes the code.
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
// The glue's ASCII loop, exactly as wasm-bindgen 0.2.130 writes it.
const asciiLoop = `    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
`;
// encodeInto fills at most len bytes: if it read every code unit, each
// took one byte (all ASCII). Otherwise offset stays 0 and the glue's
// non-ASCII path that follows encodes the whole string again.
const encodeAscii = `    // portcullis: one native encodeInto call instead of a per-character loop.
    const head = cachedTextEncoder.encodeInto(arg, mem.subarray(ptr, ptr + len));
    if (head.read === len) offset = len;
`;
if (text.split(asciiLoop).length !== 2) {
  console.error("pkg/portcullis.js: passStringToWasm0's ASCII loop is not the expected code: wasm-bindgen changed its glue; update js/scripts/patch-glue.mjs");
  process.exit(1);
}
text = text.replace(asciiLoop, encodeAscii);
text += `\n${marker}\nexport { __wbg_get_imports, __wbg_finalize_init };\n`;
writeFileSync(file, text);
console.log("pkg/portcullis.js: exported __wbg_get_imports and __wbg_finalize_init; passStringToWasm0 encodes with encodeInto");
