// Edge middleware that creates its authorizer when the module loads: no
// await at module scope, so `Authorizer.createSync` instantiates the
// host-compiled module (another realm), loads the bundle and warms up.
import { Authorizer } from "portcullis";

const authz = Authorizer.createSync({ bundle: globalThis.__PORTCULLIS_BUNDLE__ });
// Read at module load: non-empty only once the wasm is instantiated.
const engineAtStartup = Authorizer.engineVersion;

async function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === "/startup") return Response.json({ engineAtStartup, digest: authz.bundleDigest });
  if (url.pathname === "/decide" && request.method === "POST") {
    const { principal, resource, actions } = await request.json();
    return Response.json({ actions: authz.checkResource({ principal, resource, actions }).actions });
  }
  return new Response("not found", { status: 404 });
}

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));
