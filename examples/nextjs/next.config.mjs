import { fileURLToPath } from "node:url";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // `portcullis` is linked from the repository root (file:../..).
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  // Loaded by Node at run time: it reads its wasm next to itself.
  serverExternalPackages: ["portcullis"],
  // The proxy sees the URL the request came in on (127.0.0.1:<port>), not
  // localhost:<port>. Clerk turns "continue" into a rewrite to that URL;
  // with Next's default normalisation its origin would differ from the
  // server's and Next would proxy the request to itself over the network.
  skipProxyUrlNormalize: true,
};

export default nextConfig;
