// What every entry exports besides its own Authorizer.
export { CheckResourcesResponse, CheckResourcesResult, type AuthorizerOptions, type BundleSource } from "./core.js";
export {
  InvalidAuxDataError,
  InvalidBundleError,
  InvalidConfigError,
  InvalidRequestError,
  PortcullisError,
  UnsupportedBundleVersionError,
  WasmLoadError,
} from "./errors.js";
export * from "./types.js";
export { isWasmModule, type InstantiateFunction, type WasmSource, type WasmSourceValue } from "./wasm.js";
export { InvalidTokenError, JwksFetchError } from "./errors.js";
export { RemoteJwks, freshnessFromHeaders, type JwksFetchOutcome, type RemoteJwksOptions } from "./jwks.js";
export type { JsonWebKeySetObject, TokenJson, TokenKeys, TokenPreset, TokenVerifierOptions, VerifiedToken } from "./token.js";
