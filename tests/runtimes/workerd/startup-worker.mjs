// A Cloudflare Worker that creates its authorizer at startup: global-scope
// code cannot await (workerd kills a worker whose top-level await is
// unsettled), so it uses `Authorizer.createSync`, which instantiates the
// imported wasm module, loads the bundle and warms up before the first
// request arrives. Startup has its own CPU budget; requests then find the
// check path compiled.
import { Authorizer } from "portcullis";
import bundle from "./bundle.json";

const authz = Authorizer.createSync({ bundle });
// Read at startup: non-empty only once the wasm is instantiated.
const engineAtStartup = Authorizer.engineVersion;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/startup") {
      return Response.json({ engineAtStartup, digest: authz.bundleDigest });
    }
    if (url.pathname === "/decide" && request.method === "POST") {
      const { principal, resource, actions } = await request.json();
      return Response.json({ actions: authz.checkResource({ principal, resource, actions }).actions });
    }
    return new Response("not found", { status: 404 });
  },
};
