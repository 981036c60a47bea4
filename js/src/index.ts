// The plain entry ("default" condition): the whole API, with no default wasm.
// Pass `wasm` (a WebAssembly.Module, URL, Response, bytes or an instantiate
// function). Runtime-specific entries (node, workerd, edge-light, browser)
// supply a default.

import { Authorizer as CoreAuthorizer, type AuthorizerOptions } from "./core.js";
import { TokenVerifier as CoreTokenVerifier, type TokenVerifierOptions } from "./token.js";
import type { Platform } from "./wasm.js";

export * from "./shared.js";

const platform: Platform = {
  name: "this runtime",
  allowCompile: true,
  longLived: true,
};

/** A loaded bundle answering CheckResources requests. */
export class Authorizer extends CoreAuthorizer {
  /** Instantiates the wasm (once per realm) and loads the bundle. */
  static async create(options: AuthorizerOptions): Promise<Authorizer> {
    return (await super.createWith(platform, options)) as Authorizer;
  }

  /**
   * Instantiates the wasm (once per realm) and loads the bundle without
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
  /** Instantiates the wasm (once per realm) and builds the verifier. */
  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    return (await super.createWith(platform, options)) as TokenVerifier;
  }
}
