// Vercel / Next.js edge entry ("edge-light" condition). Next.js turns
// `*.wasm?module` imports into a WebAssembly.Module compiled by the host
// (in another realm under `next start`, so nothing here uses instanceof).
// Vercel's edge refuses to compile from bytes, so this entry never does.

import wasmModule from "../../pkg/portcullis_bg.wasm?module";
import { Authorizer as CoreAuthorizer, type AuthorizerOptions } from "./core.js";
import { TokenVerifier as CoreTokenVerifier, type TokenVerifierOptions } from "./token.js";
import type { Platform } from "./wasm.js";

export * from "./shared.js";

const platform: Platform = {
  name: "the edge runtime",
  allowCompile: false,
  longLived: false,
  defaultWasm: () => wasmModule,
  defaultWasmSync: () => wasmModule,
};

/** A loaded bundle answering CheckResources requests. */
export class Authorizer extends CoreAuthorizer {
  /** Instantiates the wasm (once per isolate) and loads the bundle. */
  static async create(options: AuthorizerOptions): Promise<Authorizer> {
    return (await super.createWith(platform, options)) as Authorizer;
  }

  /**
   * Instantiates the wasm (once per isolate) and loads the bundle without
   * awaiting, for startup code such as a Worker's global scope; warms up
   * unless `warmUp: false`. The bundle must be text, bytes or a parsed object.
   */
  static createSync(options: AuthorizerOptions): Authorizer {
    return super.createSyncWith(platform, options) as Authorizer;
  }
}

/** Verifies identity tokens (JWTs) in the wasm. */
export class TokenVerifier extends CoreTokenVerifier {
  /** Instantiates the wasm (once per isolate) and builds the verifier. */
  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    return (await super.createWith(platform, options)) as TokenVerifier;
  }
}
