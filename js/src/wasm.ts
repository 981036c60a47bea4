// Obtaining and instantiating the runtime wasm, once per isolate.
//
// wasm-bindgen's `web` glue (pkg/portcullis.js) keeps the instance in a
// module-level variable, so there is exactly one instance per JS realm: the
// first successful load wins and later loads reuse it.
//
// Why not the glue's `initSync`: it tests `module instanceof
// WebAssembly.Module`, which is false for a module compiled in another realm
// (Next.js's edge sandbox injects host-compiled modules), and then calls
// `new WebAssembly.Module(module)`, which throws. We recognise modules with
// Object.prototype.toString instead and instantiate them ourselves:
//
// * When the glue exports `__wbg_get_imports` and `__wbg_finalize_init`
//   (js/scripts/patch-glue.mjs adds that one export line after wasm-pack), we
//   build the import object, run `new WebAssembly.Instance(module, imports)`
//   (which accepts foreign-realm modules) or the caller's instantiate
//   function, and hand the instance to the glue. This is the path the package
//   is built and tested with.
// * With an unpatched glue we fall back to its async init, which passes the
//   module to `WebAssembly.instantiate` (also realm-agnostic). Only the
//   instantiate-function form needs the patch.
//
// Bytes are compiled only where the platform allows it: Cloudflare Workers
// and Vercel's edge refuse to compile wasm from bytes inside a request, so
// their entries accept only a precompiled `WebAssembly.Module`.

import initGlue, * as glue from "../../pkg/portcullis.js";
import { WasmLoadError } from "./errors.js";
import type { Awaitable } from "./types.js";

/** The exports of the instantiated runtime wasm. */
export type WasmExports = WebAssembly.Exports & { memory?: WebAssembly.Memory };

/**
 * Instantiates the wasm with the import object it is given (as
 * `@cerbos/embedded-server`'s `Server.from` does), e.g.
 * `(imports) => WebAssembly.instantiate(module, imports)`. It may also ignore
 * the imports and return any other {@link WasmSource}, e.g. a lazily imported
 * `WebAssembly.Module`.
 */
export type InstantiateFunction = (
  imports: WebAssembly.Imports,
) => Awaitable<
  WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource | WasmSourceValue
>;

/** A source of the wasm, as a value. */
export type WasmSourceValue =
  | WebAssembly.Module
  | Response
  | URL
  | string
  | ArrayBuffer
  | ArrayBufferView;

/** Where the runtime wasm comes from. */
export type WasmSource = WasmSourceValue | InstantiateFunction | PromiseLike<WasmSourceValue>;

/** What an entry file tells the core about its runtime. */
export interface Platform {
  /** Runtime name, for messages. */
  name: string;
  /** May this runtime compile wasm from bytes (WebAssembly.compile)? */
  allowCompile: boolean;
  /** The wasm to use when the caller passes none. */
  defaultWasm?: () => Awaitable<WasmSource>;
  /** Reads a URL (Node reads `file:` URLs from disk). */
  fetchUrl?: (url: URL, init?: RequestInit) => Promise<Response>;
  /** Can the runtime keep timers alive across requests (refreshing bundles)? */
  longLived: boolean;
}

type GlueExtras = {
  __wbg_get_imports?: () => WebAssembly.Imports;
  __wbg_finalize_init?: (instance: WebAssembly.Instance, module?: WebAssembly.Module) => WasmExports;
};

const tag = (value: unknown): string => Object.prototype.toString.call(value);

/** True for a `WebAssembly.Module` of any realm. */
export function isWasmModule(value: unknown): value is WebAssembly.Module {
  return tag(value) === "[object WebAssembly.Module]";
}

function isWasmInstance(value: unknown): value is WebAssembly.Instance {
  return tag(value) === "[object WebAssembly.Instance]";
}

function isInstantiatedSource(value: unknown): value is WebAssembly.WebAssemblyInstantiatedSource {
  return typeof value === "object" && value !== null && isWasmInstance((value as { instance?: unknown }).instance);
}

function isResponse(value: unknown): value is Response {
  if (tag(value) === "[object Response]") return true;
  const v = value as Partial<Response> | null;
  return typeof v === "object" && v !== null && typeof v.arrayBuffer === "function" && typeof v.status === "number" && typeof v.headers === "object";
}

function isBytes(value: unknown): value is ArrayBuffer | ArrayBufferView {
  const t = tag(value);
  return t === "[object ArrayBuffer]" || t === "[object SharedArrayBuffer]" || ArrayBuffer.isView(value);
}

let loaded: WasmExports | undefined;
let loading: Promise<WasmExports> | undefined;

/** The instantiated wasm, if this realm has one. */
export function wasmExports(): WasmExports | undefined {
  return loaded;
}

/** Instantiates the wasm once per realm; later calls return the same exports. */
export function ensureWasm(source: WasmSource | undefined, platform: Platform): Promise<WasmExports> {
  if (loaded) return Promise.resolve(loaded);
  if (!loading) {
    loading = instantiate(source, platform).then(
      (exports) => {
        loaded = exports;
        return exports;
      },
      (error: unknown) => {
        loading = undefined;
        throw error instanceof WasmLoadError ? error : new WasmLoadError(`cannot instantiate the Portcullis wasm: ${describe(error)}`, { cause: error });
      },
    );
  }
  return loading;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function instantiate(given: WasmSource | undefined, platform: Platform): Promise<WasmExports> {
  let source: unknown = given;
  if (source === undefined) {
    if (!platform.defaultWasm) {
      throw new WasmLoadError(
        `no wasm given: in the ${platform.name} entry pass \`wasm\` (a WebAssembly.Module, e.g. the default import of "portcullis/portcullis.wasm", a URL, a Response or an instantiate function)`,
      );
    }
    source = await platform.defaultWasm();
  }
  const extras = glue as unknown as GlueExtras;
  const getImports = extras.__wbg_get_imports;
  const finalize = extras.__wbg_finalize_init;
  const patched = typeof getImports === "function" && typeof finalize === "function";

  // Each step narrows the source towards a module or an instance.
  for (let step = 0; step < 8; step++) {
    source = await source;
    if (typeof source === "function") {
      const fn = source as InstantiateFunction;
      if (patched) {
        source = await fn(getImports());
      } else if (fn.length === 0) {
        // A loader that ignores the imports works with any glue.
        source = await (fn as () => Awaitable<WasmSourceValue>)();
      } else {
        throw new WasmLoadError("an instantiate function needs the glue patched by js/scripts/patch-glue.mjs (run `npm run build`)");
      }
      continue;
    }
    if (isInstantiatedSource(source)) {
      if (!patched) throw new WasmLoadError("an instance needs the glue patched by js/scripts/patch-glue.mjs");
      return finalize(source.instance, source.module);
    }
    if (isWasmInstance(source)) {
      if (!patched) throw new WasmLoadError("an instance needs the glue patched by js/scripts/patch-glue.mjs");
      return finalize(source);
    }
    if (isWasmModule(source)) {
      if (patched) return finalize(new WebAssembly.Instance(source, getImports()), source);
      return (await initGlue({ module_or_path: source })) as unknown as WasmExports;
    }
    if (typeof source === "string" || tag(source) === "[object URL]") {
      const url = new URL(String(source));
      source = platform.fetchUrl ? await platform.fetchUrl(url) : await fetch(url);
      continue;
    }
    if (isResponse(source)) {
      const response: Response = source;
      if (!response.ok) throw new WasmLoadError(`cannot fetch the wasm: HTTP ${response.status} from ${response.url}`);
      requireCompile(platform);
      if (patched && typeof WebAssembly.instantiateStreaming === "function" && (response.headers.get("content-type") ?? "").startsWith("application/wasm")) {
        const result = await WebAssembly.instantiateStreaming(response, getImports());
        return finalize(result.instance, result.module);
      }
      source = await response.arrayBuffer();
      continue;
    }
    if (isBytes(source)) {
      requireCompile(platform);
      return instantiate(await WebAssembly.compile(source as BufferSource), platform);
    }
    throw new WasmLoadError(`unsupported wasm source (${tag(source)}): pass a WebAssembly.Module, URL, Response, bytes or an instantiate function`);
  }
  throw new WasmLoadError("the wasm source did not resolve to a module after several steps");
}

function requireCompile(platform: Platform): void {
  if (!platform.allowCompile) {
    throw new WasmLoadError(
      `${platform.name} does not allow compiling WebAssembly from bytes at request time: pass the precompiled WebAssembly.Module (import wasm from "portcullis/portcullis.wasm")`,
    );
  }
}

/** The glue's classes and functions, for the core. */
export const { Evaluator, engineVersion } = glue;
/** An evaluator instance of the glue. */
export type Evaluator = glue.Evaluator;
