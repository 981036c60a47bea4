import { fileURLToPath } from "node:url";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // `portcullis` is linked from the repository root (file:../..).
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  // Loaded by Node at run time: it reads its wasm next to itself.
  serverExternalPackages: ["portcullis"],
};

export default nextConfig;
