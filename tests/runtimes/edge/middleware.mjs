// Edge middleware using the package as a Next.js app would: `import
// "portcullis"` resolves to the edge-light entry, whose `*.wasm?module`
// import is a host-compiled WebAssembly.Module (another realm).
import { Authorizer, WasmLoadError } from "portcullis";

let authz;
let nowMs = Date.now();

async function authorizer() {
  authz ??= await Authorizer.create({ bundle: globalThis.__PORTCULLIS_BUNDLE__, now: () => nowMs });
  return authz;
}

async function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === "/probe") {
    let compile;
    try {
      await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
      compile = "allowed";
    } catch (error) {
      compile = `refused: ${error.name}`;
    }
    let bytes;
    try {
      // Never compiles: the edge entry refuses bytes before trying.
      await Authorizer.create({ bundle: globalThis.__PORTCULLIS_BUNDLE__, wasm: globalThis.__PORTCULLIS_WASM_BYTES__ });
      bytes = "loaded";
    } catch (error) {
      bytes = error instanceof WasmLoadError ? "WasmLoadError" : `${error.name}: ${error.message}`;
    }
    return Response.json({
      compileFromBytes: compile,
      createFromBytes: bytes,
      moduleIsForeign: !(globalThis.__PORTCULLIS_WASM__ instanceof WebAssembly.Module),
    });
  }
  const a = await authorizer();
  if (url.pathname === "/decide" && request.method === "POST") {
    const { principal, resource, actions } = await request.json();
    const result = a.checkResource({ principal, resource, actions });
    return Response.json({ actions: result.actions, allowed: result.allowedActions(), digest: a.bundleDigest });
  }
  if (url.pathname === "/raw" && request.method === "POST") {
    const { now, requests } = await request.json();
    nowMs = now;
    return Response.json(requests.map((r) => JSON.parse(a.checkResourcesJson(JSON.stringify(r)))));
  }
  return new Response("not found", { status: 404 });
}

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));
