// Node.js entry ("node" condition; also Next.js proxy, which runs on Node).
// The wasm is read from the package with fs and compiled once per process.
// `new URL(..., import.meta.url)` keeps bundlers' file tracing exact.

import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Authorizer as CoreAuthorizer, type AuthorizerOptions } from "./core.js";
import { TokenVerifier as CoreTokenVerifier, type TokenVerifierOptions } from "./token.js";
import type { Platform } from "./wasm.js";

export * from "./shared.js";

const wasmUrl = new URL("../../pkg/portcullis_bg.wasm", import.meta.url);

async function fetchUrl(url: URL, init?: RequestInit): Promise<Response | Uint8Array> {
  if (url.protocol === "file:") return readFile(url);
  return fetch(url, init);
}

const platform: Platform = {
  name: "Node.js",
  allowCompile: true,
  longLived: true,
  defaultWasm: async () => WebAssembly.compile(await readFile(wasmUrl)),
  defaultWasmSync: () => new WebAssembly.Module(readFileSync(wasmUrl)),
  fetchUrl,
};

/** A loaded bundle answering CheckResources requests. */
export class Authorizer extends CoreAuthorizer {
  /** Instantiates the wasm (once per process) and loads the bundle. */
  static async create(options: AuthorizerOptions): Promise<Authorizer> {
    return (await super.createWith(platform, options)) as Authorizer;
  }

  /**
   * Instantiates the wasm (once per process) and loads the bundle without
   * awaiting, for startup code such as a Worker's global scope; warms up
   * unless `warmUp: false`. The bundle must be text, bytes or a parsed object.
   */
  static createSync(options: AuthorizerOptions): Authorizer {
    return super.createSyncWith(platform, options) as Authorizer;
  }
}

/** Verifies identity tokens (JWTs) in the wasm. */
export class TokenVerifier extends CoreTokenVerifier {
  /** Instantiates the wasm (once per process) and builds the verifier. */
  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    return (await super.createWith(platform, options)) as TokenVerifier;
  }
}
