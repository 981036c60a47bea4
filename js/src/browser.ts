// Browser entry ("browser" condition). The wasm is streamed from next to the
// package (bundlers emit `new URL(..., import.meta.url)` assets) with
// WebAssembly.instantiateStreaming. Pages with a CSP need 'wasm-unsafe-eval'.

import { Authorizer as CoreAuthorizer, type AuthorizerOptions } from "./core.js";
import { TokenVerifier as CoreTokenVerifier, type TokenVerifierOptions } from "./token.js";
import type { Platform } from "./wasm.js";

export * from "./shared.js";

const platform: Platform = {
  name: "the browser",
  allowCompile: true,
  longLived: true,
  defaultWasm: () => fetch(new URL("../../pkg/portcullis_bg.wasm", import.meta.url)),
};

/** A loaded bundle answering CheckResources requests. */
export class Authorizer extends CoreAuthorizer {
  /** Instantiates the wasm (once per page) and loads the bundle. */
  static async create(options: AuthorizerOptions): Promise<Authorizer> {
    return (await super.createWith(platform, options)) as Authorizer;
  }

  /**
   * Instantiates the wasm (once per page) and loads the bundle without
   * awaiting, for startup code; warms up unless `warmUp: false`. Needs
   * `wasm` as a compiled `WebAssembly.Module`, and the bundle as text, bytes
   * or a parsed object.
   */
  static createSync(options: AuthorizerOptions): Authorizer {
    return super.createSyncWith(platform, options) as Authorizer;
  }
}

/** Verifies identity tokens (JWTs) in the wasm. */
export class TokenVerifier extends CoreTokenVerifier {
  /** Instantiates the wasm (once per page) and builds the verifier. */
  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    return (await super.createWith(platform, options)) as TokenVerifier;
  }
}
