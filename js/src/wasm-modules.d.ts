// Wasm imported as a module, as workerd/wrangler (`*.wasm`) and Next.js /
// Vercel edge (`*.wasm?module`) provide it: a compiled WebAssembly.Module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "*.wasm?module" {
  const module: WebAssembly.Module;
  export default module;
}
