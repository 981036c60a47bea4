// A Cloudflare Worker using the package as an app would: `import "portcullis"`
// resolves to the workerd entry, which imports the wasm as a module.
import { Authorizer } from "portcullis";
import bundle from "./bundle.json";

let authz;
let nowMs = Date.now();

async function authorizer() {
  // Instantiated in the first request, once per isolate (no top-level await).
  authz ??= await Authorizer.create({ bundle, now: () => nowMs });
  return authz;
}

async function compileProbe() {
  try {
    await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    return "allowed";
  } catch (error) {
    return `refused: ${error.name}`;
  }
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/probe") {
      return Response.json({ compileFromBytes: await compileProbe() });
    }
    const a = await authorizer();
    if (url.pathname === "/decide" && request.method === "POST") {
      // Body: {principal, resource, actions} -> {actions, allowed}
      const { principal, resource, actions } = await request.json();
      const result = a.checkResource({ principal, resource, actions });
      return Response.json({ actions: result.actions, allowed: result.allowedActions(), digest: a.bundleDigest });
    }
    if (url.pathname === "/raw" && request.method === "POST") {
      // Body: {now, requests: [...]} -> raw engine answers, for parity.
      const { now, requests } = await request.json();
      nowMs = now;
      return Response.json(requests.map((r) => JSON.parse(a.checkResourcesJson(JSON.stringify(r)))));
    }
    return new Response("not found", { status: 404 });
  },
};
