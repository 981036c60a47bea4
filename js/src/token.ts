// Identity-token verification (Clerk session tokens, WorkOS access tokens,
// any JWS signed with RS*/PS*/ES256/ES384/EdDSA/Ed25519) in the wasm.
//
// The wasm owns everything cryptographic and every claim check; this wrapper
// turns options into the engine's options JSON, hands it key text (inline,
// or a RemoteJwks's latest document) and maps answers to values or typed
// errors. It uses the same wasm instance as the Authorizer (one per realm).

import { TokenVerifier as WasmTokenVerifier } from "../../pkg/portcullis.js";
import { InvalidConfigError, InvalidTokenError, PortcullisError } from "./errors.js";
import { RemoteJwks } from "./jwks.js";
import { publicKeysOnly } from "./pemkeys.js";
import { ensureWasm, type Platform, type WasmSource } from "./wasm.js";

/** Claim checks preset on top of signature verification. */
export type TokenPreset = "default" | "clerk" | "workos";

/** A JSON Web Key Set or a single JWK, as an object. */
export interface JsonWebKeySetObject {
  keys: object[];
}

/** Where the verification keys come from. */
export type TokenKeys = string | JsonWebKeySetObject | object | URL | RemoteJwks;

/** Options of `TokenVerifier.create`. */
export interface TokenVerifierOptions {
  /**
   * Verification keys: JWKS or JWK text/object, PEM text (`-----BEGIN PUBLIC
   * KEY-----`, certificates, PKCS#1; private keys too, of which only the
   * public half is used — an EC key's point is derived with WebCrypto when
   * the PEM leaves it out), or a remote JWKS (a {@link RemoteJwks}, a `URL`,
   * or an `https://` string).
   */
  keys: TokenKeys;
  /**
   * `"clerk"`: as `@clerk/backend` `verifyToken` (RS256/384/512, `sub`
   * required, `typ` JWT when present, 5 s skew). `"workos"`: as AuthKit (no
   * skew, `iat` unchecked). `"default"`: 5 s skew. Other options override it.
   */
  preset?: TokenPreset;
  /** Required `iss`. */
  issuer?: string;
  /** Accepted `aud` values (the token must name one of them). */
  audiences?: string | string[];
  /** Accepted `azp` values (Clerk: checked when the token has `azp`). */
  authorizedParties?: string[];
  /** Clock tolerance for `exp`, `nbf`, `iat`, whole seconds. */
  leewaySeconds?: number;
  /** Clock tolerance in milliseconds (Clerk's name), floored to seconds. */
  clockSkewInMs?: number;
  /** Required header `typ` (compared case-insensitively, `application/` optional). */
  typ?: string;
  /** Refuse tokens without a `typ` header when `typ` is set. */
  requireTyp?: boolean;
  /** Accepted algorithms (default: every supported asymmetric one, or the preset's). */
  algorithms?: string[];
  /** Largest accepted token. */
  maxTokenBytes?: number;
  /** Refuse tokens without `exp`. */
  requireExp?: boolean;
  /** Refuse tokens without `sub`. */
  requireSub?: boolean;
  /** Refuse tokens issued in the future (beyond the leeway). */
  checkIat?: boolean;
  /**
   * How the header `kid` selects keys: `"match"` (default: the key with that
   * `kid`, else the only key fitting the algorithm), `"required"`, `"ignore"`.
   */
  kidMode?: "match" | "required" | "ignore";
  /** Verified tokens remembered until they expire (0 disables). */
  cacheSize?: number;
  /** Clock for `verify` when it is given no time (Unix ms or a Date). */
  now?: () => number | Date;
  /** The runtime wasm; each entry has a default except the plain one. */
  wasm?: WasmSource;
  /** Called when a refreshed remote key set cannot be used (the old keys stay). */
  onKeysError?: (error: unknown) => void;
}

/** A JSON value inside a token. */
export type TokenJson = null | boolean | number | string | TokenJson[] | { [key: string]: TokenJson };

/** A verified token. */
export interface VerifiedToken {
  /** The payload's claims, as in the token. */
  claims: { [key: string]: TokenJson };
  /** The protected header. */
  header: { [key: string]: TokenJson };
  /** The algorithm that verified it. */
  alg: string;
  /** The `kid` of the key that verified it, if that key had one. */
  kid: string | null;
}

interface VerifyAnswer {
  ok: boolean;
  alg?: string;
  kid?: string | null;
  header?: VerifiedToken["header"];
  claims?: VerifiedToken["claims"];
  error?: { code?: string; message?: string };
}

const OPTION_NAMES: ReadonlyArray<[keyof TokenVerifierOptions, string]> = [
  ["preset", "preset"],
  ["issuer", "issuer"],
  ["authorizedParties", "authorizedParties"],
  ["leewaySeconds", "leewaySecs"],
  ["clockSkewInMs", "clockSkewInMs"],
  ["typ", "typ"],
  ["requireTyp", "requireTyp"],
  ["algorithms", "algorithms"],
  ["maxTokenBytes", "maxTokenBytes"],
  ["requireExp", "requireExp"],
  ["requireSub", "requireSub"],
  ["checkIat", "checkIat"],
  ["kidMode", "kidMode"],
  ["cacheSize", "cacheSize"],
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The engine's options JSON (see `parse_options` in src/jwt/api.rs). */
function engineOptions(options: TokenVerifierOptions): string {
  const out: Record<string, unknown> = {};
  for (const [from, to] of OPTION_NAMES) {
    const value = options[from];
    if (value !== undefined) out[to] = value;
  }
  for (const name of ["leewaySeconds", "clockSkewInMs", "maxTokenBytes", "cacheSize"] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidConfigError(`${name} must be a non-negative integer`);
    }
  }
  if (options.clockSkewInMs !== undefined) out["clockSkewInMs"] = Math.floor(options.clockSkewInMs);
  if (options.audiences !== undefined) out["audiences"] = typeof options.audiences === "string" ? [options.audiences] : options.audiences;
  return JSON.stringify(out);
}

type KeySource = { kind: "static"; text: string } | { kind: "remote"; jwks: RemoteJwks };

function keySource(keys: TokenKeys): KeySource {
  if (keys instanceof RemoteJwks) return { kind: "remote", jwks: keys };
  if (keys instanceof URL) return { kind: "remote", jwks: new RemoteJwks(keys) };
  if (typeof keys === "string") {
    if (/^https?:\/\//i.test(keys.trim())) return { kind: "remote", jwks: new RemoteJwks(keys.trim()) };
    return { kind: "static", text: keys };
  }
  if (isObject(keys)) return { kind: "static", text: JSON.stringify(keys) };
  throw new InvalidConfigError("keys must be JWKS/JWK/PEM text, a JWKS object, a URL or a RemoteJwks");
}

/** Maps what the wasm throws from `TokenVerifier.create`. */
function createFailure(thrown: unknown): PortcullisError {
  let code = "invalid_key";
  let message = String(thrown);
  if (typeof thrown === "string") {
    try {
      const parsed = JSON.parse(thrown) as { code?: unknown; message?: unknown };
      if (typeof parsed.code === "string") code = parsed.code;
      if (typeof parsed.message === "string") message = parsed.message;
    } catch {
      // Not the documented JSON: keep the text.
    }
  } else if (thrown instanceof Error) {
    message = thrown.message;
  }
  return new InvalidConfigError(code === "invalid_options" ? message : `keys: ${message}`);
}

function buildInner(keysText: string, optionsJson: string): WasmTokenVerifier {
  try {
    return WasmTokenVerifier.create(keysText, optionsJson);
  } catch (thrown) {
    throw createFailure(thrown);
  }
}

function toMillis(now: number | Date): number {
  const ms = typeof now === "number" ? now : now.getTime();
  if (!Number.isFinite(ms)) throw new InvalidConfigError("now must be a finite time");
  return ms;
}

/**
 * Verifies identity tokens in the wasm with one key set and one set of claim
 * checks. Create one per identity provider with the entry's
 * `TokenVerifier.create`; it is safe to share across requests.
 */
export class TokenVerifier {
  #inner: WasmTokenVerifier;
  #version: number;
  readonly #optionsJson: string;
  readonly #source: KeySource;
  readonly #now: () => number;
  readonly #onKeysError: ((error: unknown) => void) | undefined;
  #closed = false;

  /** @internal use `TokenVerifier.create` */
  protected constructor(options: TokenVerifierOptions, optionsJson: string, source: KeySource, inner: WasmTokenVerifier, version: number) {
    this.#optionsJson = optionsJson;
    this.#source = source;
    this.#inner = inner;
    this.#version = version;
    this.#onKeysError = options.onKeysError;
    const now = options.now;
    this.#now = now ? () => toMillis(now()) : Date.now;
  }

  /** @internal shared by the entries' `create` */
  protected static async createWith(platform: Platform, options: TokenVerifierOptions): Promise<TokenVerifier> {
    if (!isObject(options)) throw new InvalidConfigError("options must be an object");
    if (options.keys === undefined || options.keys === null) throw new InvalidConfigError("no keys given");
    const optionsJson = engineOptions(options);
    const source = keySource(options.keys);
    await ensureWasm(options.wasm, platform);
    if (source.kind === "static") {
      // PEM EC private keys become public keys first (the wasm cannot derive a missing point).
      const text = await publicKeysOnly(source.text);
      return new this(options, optionsJson, source, buildInner(text, optionsJson), 0);
    }
    await source.jwks.ready();
    const text = source.jwks.keysText;
    if (text === undefined) throw new InvalidConfigError(`no keys from ${source.jwks.url.href}`);
    return new this(options, optionsJson, source, buildInner(text, optionsJson), source.jwks.version);
  }

  /** The remote key set in use, if any. */
  get remoteJwks(): RemoteJwks | undefined {
    return this.#source.kind === "remote" ? this.#source.jwks : undefined;
  }

  /**
   * Verifies a compact JWS at `now` (Unix ms or a Date; default the clock).
   * With a remote key set, stale keys are refreshed first and an unknown
   * `kid` triggers one refetch (subject to the cooldown). Rejects with an
   * {@link InvalidTokenError} carrying the engine's code and message.
   */
  async verify(token: string, now?: number | Date): Promise<VerifiedToken> {
    const at = now === undefined ? this.#now() : toMillis(now);
    if (this.#source.kind === "static") return this.#answer(this.#run(token, at));
    const jwks = this.#source.jwks;
    if (!jwks.fresh) {
      try {
        await jwks.ready();
      } catch (error) {
        throw new InvalidTokenError("jwks_unavailable", error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
    // Another verifier sharing the key set may have fetched a newer one.
    this.#sync();
    const used = this.#version;
    let answer = this.#run(token, at);
    if (!answer.ok && answer.error?.code === "kid_not_found") {
      await jwks.refreshForUnknownKid();
      this.#sync();
      // Concurrent calls share one refetch; whichever call rebuilt the
      // verifier, every call that missed retries with the new keys.
      if (this.#version !== used) answer = this.#run(token, at);
    }
    return this.#answer(answer);
  }

  /**
   * Verifies with the keys already at hand, synchronously: never fetches
   * (a remote key set is used as last fetched, even when stale).
   */
  verifySync(token: string, now?: number | Date): VerifiedToken {
    const at = now === undefined ? this.#now() : toMillis(now);
    if (this.#source.kind === "remote") this.#sync();
    return this.#answer(this.#run(token, at));
  }

  /** Frees the wasm verifier and detaches from the remote key set. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inner.free();
  }

  /** Rebuilds the wasm verifier when the remote key set changed; true if it did. */
  #sync(): boolean {
    if (this.#source.kind !== "remote" || this.#closed) return false;
    const jwks = this.#source.jwks;
    if (jwks.version === this.#version) return false;
    const text = jwks.keysText;
    // Whatever happens below, this version has been dealt with.
    this.#version = jwks.version;
    if (text === undefined) return false;
    let next: WasmTokenVerifier;
    try {
      next = buildInner(text, this.#optionsJson);
    } catch (error) {
      this.#onKeysError?.(error);
      return false;
    }
    const previous = this.#inner;
    this.#inner = next;
    // INVARIANT: wasm calls are synchronous, so no verification is inside
    // the previous verifier now.
    previous.free();
    return true;
  }

  #run(token: string, at: number): VerifyAnswer {
    if (this.#closed) throw new PortcullisError("the token verifier is closed");
    if (typeof token !== "string") return { ok: false, error: { code: "malformed", message: "token must be a string" } };
    return JSON.parse(this.#inner.verify(token, at)) as VerifyAnswer;
  }

  #answer(answer: VerifyAnswer): VerifiedToken {
    if (!answer.ok || !answer.claims || !answer.header || typeof answer.alg !== "string") {
      throw new InvalidTokenError(answer.error?.code ?? "invalid_token", answer.error?.message ?? "invalid token");
    }
    return { claims: answer.claims, header: answer.header, alg: answer.alg, kid: answer.kid ?? null };
  }
}
