// Obtaining and instantiating the runtime wasm, once per isolate.
//
// wasm-bindgen's `web` glue (pkg/portcullis.js) keeps the instance in a
// module-level variable, so there is exactly one instance per JS realm: the
// first successful load wins and later loads reuse it. The glue is bundled
// into the package's entry files (js/scripts/bundle.mjs), so it is always the
// build's own, patched glue.
//
// Why not the glue's `initSync`: it tests `module instanceof
// WebAssembly.Module`, which is false for a module compiled in another realm
// (Next.js's edge sandbox injects host-compiled modules), and then calls
// `new WebAssembly.Module(module)`, which throws. We recognise modules with
// Object.prototype.toString instead and instantiate them ourselves: the glue
// exports `__wbg_get_imports` and `__wbg_finalize_init` (js/scripts/patch-glue.mjs
// adds that one export line after wasm-pack), we build the import object,
// run `new WebAssembly.Instance(module, imports)` (which accepts
// foreign-realm modules) or the caller's instantiate function, and hand the
// instance to the glue. The glue's async init is not used: it would also
// bring its default `new URL("portcullis_bg.wasm", import.meta.url)` into the
// bundle, a path that does not exist next to js/dist and that bundlers would
// try to resolve.
//
// Bytes are compiled only where the platform allows it: Cloudflare Workers
// and Vercel's edge refuse to compile wasm from bytes inside a request, so
// their entries accept only a precompiled `WebAssembly.Module`.

import { Evaluator as GlueEvaluator, __wbg_finalize_init as finalize, __wbg_get_imports as getImports, engineVersion as glueEngineVersion } from "../../pkg/portcullis.js";
import { WasmLoadError } from "./errors.js";
import type { Awaitable } from "./types.js";

// The two helpers js/scripts/patch-glue.mjs exports (wasm-bindgen's own
// declarations do not list them).
declare module "../../pkg/portcullis.js" {
  /** The import object the wasm is instantiated with. */
  export function __wbg_get_imports(): WebAssembly.Imports;
  /** Hands an instance to the glue; returns its exports. */
  export function __wbg_finalize_init(instance: WebAssembly.Instance, module?: WebAssembly.Module): WasmExports;
}

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
  /**
   * The same wasm, compiled, for synchronous creation (`createSync`);
   * absent where it can only be had asynchronously (the browser fetches it).
   */
  defaultWasmSync?: () => WebAssembly.Module;
  /**
   * Reads a URL. Node reads `file:` URLs from disk and answers their bytes:
   * wrapping them in a Response would load Node's fetch implementation,
   * ~20 ms on its first use (`bench/js/cold.mjs` with a URL bundle).
   */
  fetchUrl?: (url: URL, init?: RequestInit) => Promise<Response | Uint8Array>;
  /** Can the runtime keep timers alive across requests (refreshing bundles)? */
  longLived: boolean;
}

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

/**
 * Hands an instance to the glue unless the realm already has one. The glue
 * keeps a single instance in a module variable, and evaluators hold
 * pointers into its memory: a second instance would strand them.
 */
function adopt(instance: WebAssembly.Instance, module?: WebAssembly.Module): WasmExports {
  loaded ??= finalize(instance, module);
  return loaded;
}

/**
 * Adopts `value` if it is compiled already: an instance, an instantiated
 * source, or a module of any realm (instantiated here). `undefined` for
 * anything else.
 */
function adoptCompiled(value: unknown): WasmExports | undefined {
  if (isInstantiatedSource(value)) return adopt(value.instance, value.module);
  if (isWasmInstance(value)) return adopt(value);
  if (isWasmModule(value)) return adopt(new WebAssembly.Instance(value, getImports()), value);
  return undefined;
}

/**
 * The wasm, instantiated now: for startup code that cannot await (a
 * Worker's global scope). It takes a `WebAssembly.Module` (of any realm) or
 * an instance, or the platform's compiled default.
 */
export function ensureWasmSync(source: WasmSource | undefined, platform: Platform): WasmExports {
  if (loaded) return loaded;
  const value: unknown = source ?? platform.defaultWasmSync?.();
  let adopted: WasmExports | undefined;
  try {
    adopted = adoptCompiled(value);
  } catch (error) {
    throw new WasmLoadError(`cannot instantiate the Portcullis wasm: ${describe(error)}`, { cause: error });
  }
  if (adopted) return adopted;
  const given = value === undefined ? `no wasm given and the ${platform.name} entry has none compiled` : `the wasm was given as ${tag(value)}`;
  throw new WasmLoadError(`createSync needs the wasm as a WebAssembly.Module or instance (${given}); use \`await Authorizer.create(...)\` for URLs, responses, bytes and instantiate functions`);
}

/** Instantiates the wasm once per realm; later calls return the same exports. */
export function ensureWasm(source: WasmSource | undefined, platform: Platform): Promise<WasmExports> {
  if (loaded) return Promise.resolve(loaded);
  if (!loading) {
    // Every successful path ends in `adopt`, which sets `loaded`.
    loading = instantiate(source, platform).catch((error: unknown) => {
      loading = undefined;
      throw error instanceof WasmLoadError ? error : new WasmLoadError(`cannot instantiate the Portcullis wasm: ${describe(error)}`, { cause: error });
    });
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
  // Each step narrows the source towards a module or an instance.
  for (let step = 0; step < 8; step++) {
    source = await source;
    if (typeof source === "function") {
      source = await (source as InstantiateFunction)(getImports());
      continue;
    }
    if (loaded) return loaded;
    const adopted = adoptCompiled(source);
    if (adopted) return adopted;
    if (typeof source === "string" || tag(source) === "[object URL]") {
      const url = new URL(String(source));
      source = platform.fetchUrl ? await platform.fetchUrl(url) : await fetch(url);
      continue;
    }
    if (isResponse(source)) {
      const response: Response = source;
      if (!response.ok) throw new WasmLoadError(`cannot fetch the wasm: HTTP ${response.status} from ${response.url}`);
      requireCompile(platform);
      if (typeof WebAssembly.instantiateStreaming === "function" && (response.headers.get("content-type") ?? "").startsWith("application/wasm")) {
        const result = await WebAssembly.instantiateStreaming(response, getImports());
        return adopt(result.instance, result.module);
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
export const Evaluator = GlueEvaluator;
/** An evaluator instance of the glue. */
export type Evaluator = GlueEvaluator;
/** Version of the engine inside the wasm. */
export const engineVersion = glueEngineVersion;
