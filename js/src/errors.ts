// Typed errors. Each carries the engine's own message so that a failure reads
// the same as the Cerbos PDP's (or the CLI's) for the same input.

/** Base class of every error this package throws. */
export class PortcullisError extends Error {
  override name = "PortcullisError";
}

/** A request Cerbos would reject (the HTTP API answers 400 for these). */
export class InvalidRequestError extends PortcullisError {
  override name = "InvalidRequestError";
  /** The engine's error code, when it gave one. */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/** `auxData` could not be used: a bad, expired or unverifiable JWT. */
export class InvalidAuxDataError extends InvalidRequestError {
  override name = "InvalidAuxDataError";
}

/** The bundle is not a bundle this engine can read. */
export class InvalidBundleError extends PortcullisError {
  override name = "InvalidBundleError";
}

/** The bundle was written by a compiler with a newer format. */
export class UnsupportedBundleVersionError extends InvalidBundleError {
  override name = "UnsupportedBundleVersionError";
}

/** The options given to `Authorizer.create` are not usable. */
export class InvalidConfigError extends PortcullisError {
  override name = "InvalidConfigError";
}

/** The WebAssembly module could not be obtained or instantiated. */
export class WasmLoadError extends PortcullisError {
  override name = "WasmLoadError";
}

/** Maps the JSON error the wasm throws from `Evaluator.create`. */
export function createError(thrown: unknown): PortcullisError {
  let kind = "";
  let message = String(thrown);
  if (typeof thrown === "string") {
    try {
      const parsed = JSON.parse(thrown) as { kind?: unknown; message?: unknown };
      if (typeof parsed.kind === "string") kind = parsed.kind;
      if (typeof parsed.message === "string") message = parsed.message;
    } catch {
      // Not the JSON the surface documents: keep the text as the message.
    }
  } else if (thrown instanceof Error) {
    message = thrown.message;
  }
  switch (kind) {
    case "unsupported_bundle_version":
      return new UnsupportedBundleVersionError(message);
    case "invalid_bundle":
      return new InvalidBundleError(message);
    case "invalid_config":
      return new InvalidConfigError(message);
    default:
      return new PortcullisError(message);
  }
}

/** Maps an engine `{"error": {code, message}}` answer. */
export function requestError(code: unknown, message: unknown): InvalidRequestError {
  const text = typeof message === "string" ? message : "invalid request";
  const codeText = typeof code === "string" ? code : code === undefined ? undefined : String(code);
  // Cerbos answers a JWT problem with InvalidArgument "invalid auxData".
  if (/aux_?data/i.test(codeText ?? "") || /^invalid auxData/i.test(text)) {
    return new InvalidAuxDataError(text, codeText);
  }
  return new InvalidRequestError(text, codeText);
}

/**
 * A token the verifier refused (bad signature, expired, wrong issuer, …).
 * `code` is the engine's machine-readable reason (`"expired"`,
 * `"invalid_signature"`, `"kid_not_found"`, …, or `"jwks_unavailable"` when
 * remote keys could not be fetched); callers should treat any of them as
 * "not signed in".
 */
export class InvalidTokenError extends PortcullisError {
  override name = "InvalidTokenError";
  /** The engine's error code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A remote JWKS could not be fetched or is not a usable key set. */
export class JwksFetchError extends PortcullisError {
  override name = "JwksFetchError";
}
