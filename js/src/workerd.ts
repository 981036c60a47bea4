// Cloudflare Workers entry ("workerd" condition). The wasm is imported as a
// module, so workerd (and wrangler's default CompiledWasm rule) compile it
// when the Worker loads; requests only instantiate it, which is allowed.
// Compiling from bytes inside a handler is refused, so this entry never does.

import wasmModule from "../../pkg/portcullis_bg.wasm";
import { Authorizer as CoreAuthorizer, type AuthorizerOptions } from "./core.js";
import { TokenVerifier as CoreTokenVerifier, type TokenVerifierOptions } from "./token.js";
import type { Platform } from "./wasm.js";

export * from "./shared.js";

const platform: Platform = {
  name: "Cloudflare Workers",
  allowCompile: false,
  // Timers do not outlive a request: call `authz.refresh()` from a handler
  // and hand the promise to `ctx.waitUntil` instead.
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
