// A remote JSON Web Key Set (an identity provider's `/.well-known/jwks.json`)
// for long-lived runtimes. JavaScript only fetches and caches the document;
// every signature check happens in the wasm, which gets the key text.
//
// Freshness follows the response's `Cache-Control: max-age`, or else its
// `Expires` (relative to its `Date`), minus `Age`; `no-store`/`no-cache`
// mean the minimum. It is clamped to [minCacheMs, maxCacheMs]; a response
// that says nothing gets `cacheMaxAgeMs`. A token
// whose `kid` is not in the set triggers one refetch, at most once per
// `cooldownMs`, so a flood of tokens with invented `kid`s cannot turn into a
// flood of requests to the identity provider. Every fetch is single-flight:
// concurrent verifications wait for the same request.

import { JwksFetchError } from "./errors.js";

/** Options of {@link RemoteJwks}. */
export interface RemoteJwksOptions {
  /** The fetch to use (default: the global `fetch`). */
  fetch?: (input: URL, init?: RequestInit) => Promise<Response>;
  /** Extra request headers (e.g. an authorization header for a private JWKS). */
  headers?: Record<string, string>;
  /** Abort a fetch after this long. Default 5,000 ms. */
  timeoutMs?: number;
  /** Freshness when the response has neither `Cache-Control: max-age` nor `Expires`. Default 600,000 ms (10 minutes). */
  cacheMaxAgeMs?: number;
  /** Lower bound on freshness, whatever the response says. Default 30,000 ms. */
  minCacheMs?: number;
  /** Upper bound on freshness, whatever the response says. Default 86,400,000 ms (one day). */
  maxCacheMs?: number;
  /**
   * Least time between two fetches caused by an unknown `kid` (or by a failed
   * fetch). Default 30,000 ms.
   */
  cooldownMs?: number;
  /**
   * Refetch in the background on this period (0 = only when stale or on an
   * unknown `kid`). The timer does not keep a Node.js process alive. Leave 0
   * in Workers and edge functions, whose timers do not outlive a request.
   */
  refreshIntervalMs?: number;
  /** Largest accepted document. Default 262,144 bytes (the engine's limit). */
  maxBytes?: number;
  /** Clock, Unix milliseconds (tests). Default `Date.now`. */
  now?: () => number;
  /** Called with background refresh failures (stale keys stay in use). */
  onError?: (error: unknown) => void;
}

/** What a fetch did. */
export type JwksFetchOutcome = "changed" | "unchanged" | "not-modified";

const DEFAULTS = {
  timeoutMs: 5_000,
  cacheMaxAgeMs: 600_000,
  minCacheMs: 30_000,
  maxCacheMs: 86_400_000,
  cooldownMs: 30_000,
  maxBytes: 256 * 1024,
};

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`RemoteJwks: ${name} must be a non-negative number of milliseconds`);
  }
  return value;
}

/** Seconds in an `Age` header (RFC 9111 §5.1); absent or invalid is 0. */
function ageSeconds(headers: Headers): number {
  const raw = headers.get("age")?.split(",")[0]?.trim();
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 0;
}

/**
 * An HTTP-date (IMF-fixdate, RFC 850 or asctime, RFC 9110 §5.6.7) in Unix
 * ms, or NaN. Bare numbers such as `0` or `-1`, which servers send to mean
 * "already expired", are not dates.
 */
function httpDate(value: string | null): number {
  if (value === null || !/^\s*[A-Za-z]{3,9},? /.test(value)) return Number.NaN;
  return Date.parse(value);
}

/**
 * Remaining freshness in milliseconds (RFC 9111 §4.2), or `undefined` when
 * the response does not say:
 *
 * * `Cache-Control: no-store` or `no-cache` → 0 (the caller clamps to its
 *   minimum, which also keeps a flood of tokens from becoming a flood of
 *   fetches);
 * * else `max-age` (the first one; an invalid value counts as stale);
 * * else `Expires` − `Date` (the server's own clock on both sides, so a
 *   skewed local clock does not matter), or `Expires` − `nowMs` when the
 *   response has no `Date`; an invalid `Expires` is already stale.
 *
 * `Age` is subtracted from either lifetime.
 */
export function freshnessFromHeaders(headers: Headers, nowMs: number = Date.now()): number | undefined {
  const age = ageSeconds(headers);
  let maxAge: number | undefined;
  for (const part of (headers.get("cache-control") ?? "").split(",")) {
    const [rawName, rawValue] = part.split("=", 2);
    const name = (rawName ?? "").trim().toLowerCase();
    if (name === "no-store") return 0;
    // `no-cache="field"` only withholds those fields; a bare no-cache means revalidate.
    if (name === "no-cache" && rawValue === undefined) return 0;
    if (name === "max-age" && maxAge === undefined) {
      const value = (rawValue ?? "").trim().replace(/^"(.*)"$/, "$1");
      maxAge = /^\d+$/.test(value) ? Number(value) : 0;
    }
  }
  if (maxAge !== undefined) return Math.max(0, maxAge - age) * 1000;
  const expiresHeader = headers.get("expires");
  if (expiresHeader === null) return undefined;
  const expires = httpDate(expiresHeader);
  if (Number.isNaN(expires)) return 0;
  const date = httpDate(headers.get("date"));
  const lifetime = expires - (Number.isNaN(date) ? nowMs : date);
  return Math.max(0, lifetime - age * 1000);
}

/**
 * A JWKS fetched over HTTP(S) and cached. Share one instance between the
 * verifiers that use the same identity provider.
 */
export class RemoteJwks {
  /** Where the key set is fetched from. */
  readonly url: URL;
  readonly #fetch: (input: URL, init?: RequestInit) => Promise<Response>;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #defaultTtl: number;
  readonly #minTtl: number;
  readonly #maxTtl: number;
  readonly #cooldown: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #onError: ((error: unknown) => void) | undefined;
  #text: string | undefined;
  #version = 0;
  #etag: string | undefined;
  #freshUntil = 0;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #lastError: unknown;
  #inflight: Promise<JwksFetchOutcome> | undefined;
  #fetches = 0;
  #cacheOption = true;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(url: string | URL, options: RemoteJwksOptions = {}) {
    this.url = new URL(String(url));
    if (this.url.protocol !== "https:" && this.url.protocol !== "http:") {
      throw new TypeError(`RemoteJwks: ${this.url.href} is not an http(s) URL`);
    }
    const given = options.fetch;
    if (given !== undefined && typeof given !== "function") throw new TypeError("RemoteJwks: options.fetch must be a function");
    if (given === undefined && typeof globalThis.fetch !== "function") throw new TypeError("RemoteJwks: no fetch available; pass options.fetch");
    // Called unbound: workerd throws "Illegal invocation" when the global
    // fetch runs with another `this`.
    this.#fetch = given ?? ((input, init) => globalThis.fetch(input, init));
    this.#headers = { accept: "application/jwk-set+json, application/json", ...options.headers };
    this.#timeoutMs = nonNegative("timeoutMs", options.timeoutMs, DEFAULTS.timeoutMs);
    this.#defaultTtl = nonNegative("cacheMaxAgeMs", options.cacheMaxAgeMs, DEFAULTS.cacheMaxAgeMs);
    this.#minTtl = nonNegative("minCacheMs", options.minCacheMs, DEFAULTS.minCacheMs);
    this.#maxTtl = Math.max(this.#minTtl, nonNegative("maxCacheMs", options.maxCacheMs, DEFAULTS.maxCacheMs));
    this.#cooldown = nonNegative("cooldownMs", options.cooldownMs, DEFAULTS.cooldownMs);
    this.#maxBytes = nonNegative("maxBytes", options.maxBytes, DEFAULTS.maxBytes);
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError;
    const interval = nonNegative("refreshIntervalMs", options.refreshIntervalMs, 0);
    if (interval > 0) {
      this.#timer = setInterval(() => {
        this.refresh().catch((error: unknown) => this.#onError?.(error));
      }, interval);
      // Node: a refresh timer must not keep the process alive.
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** The key set's text as last fetched, or `undefined` before the first fetch. */
  get keysText(): string | undefined {
    return this.#text;
  }

  /** Increases each time a fetch brings a different key set. */
  get version(): number {
    return this.#version;
  }

  /** HTTP requests made so far (diagnostics and tests). */
  get fetchCount(): number {
    return this.#fetches;
  }

  /** Are the cached keys within their freshness lifetime? */
  get fresh(): boolean {
    return this.#text !== undefined && this.#now() < this.#freshUntil;
  }

  /**
   * Resolves once keys are available and, when possible, fresh. A stale set
   * whose refetch fails stays in use (the failure goes to `onError`); with no
   * keys at all the failure is thrown as a {@link JwksFetchError}. After a
   * failure, no new request is made within `cooldownMs`.
   */
  async ready(): Promise<void> {
    if (this.fresh) return;
    const coolingDown = this.#now() - this.#lastAttempt < this.#cooldown && this.#lastError !== undefined;
    if (coolingDown && !this.#inflight) {
      if (this.#text !== undefined) return;
      throw this.#lastError instanceof JwksFetchError ? this.#lastError : new JwksFetchError(`cannot fetch ${this.url.href}`, { cause: this.#lastError });
    }
    try {
      await this.refresh();
    } catch (error) {
      if (this.#text === undefined) throw error;
      this.#onError?.(error);
    }
  }

  /**
   * Refetches because a token named a `kid` the set lacks. Makes at most one
   * request per `cooldownMs` (concurrent callers share it); resolves to
   * whether the key set changed.
   */
  async refreshForUnknownKid(): Promise<boolean> {
    if (this.#inflight) return (await this.#inflight) === "changed";
    if (this.#now() - this.#lastAttempt < this.#cooldown) return false;
    try {
      return (await this.refresh()) === "changed";
    } catch (error) {
      this.#onError?.(error);
      return false;
    }
  }

  /** Fetches now (single-flight: joins a fetch already under way). */
  refresh(): Promise<JwksFetchOutcome> {
    this.#inflight ??= this.#fetchOnce().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Stops the background refresh timer. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #fetchOnce(): Promise<JwksFetchOutcome> {
    this.#lastAttempt = this.#now();
    this.#fetches++;
    try {
      const outcome = await this.#request();
      this.#lastError = undefined;
      return outcome;
    } catch (error) {
      const wrapped = error instanceof JwksFetchError ? error : new JwksFetchError(`cannot fetch ${this.url.href}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      this.#lastError = wrapped;
      throw wrapped;
    }
  }

  async #request(): Promise<JwksFetchOutcome> {
    const headers: Record<string, string> = { ...this.#headers };
    if (this.#etag !== undefined && this.#text !== undefined) headers["if-none-match"] = this.#etag;
    const controller = new AbortController();
    const timer = this.#timeoutMs > 0 ? setTimeout(() => controller.abort(new Error(`timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs) : undefined;
    try {
      const response = await this.#send({ headers, signal: controller.signal, redirect: "follow" });
      if (response.status === 304 && this.#text !== undefined) {
        await response.body?.cancel();
        this.#freshUntil = this.#now() + this.#ttl(response.headers);
        return "not-modified";
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new JwksFetchError(`cannot fetch ${this.url.href}: HTTP ${response.status}`);
      }
      const declared = Number.parseInt(response.headers.get("content-length") ?? "", 10);
      if (Number.isFinite(declared) && declared > this.#maxBytes) {
        await response.body?.cancel();
        throw new JwksFetchError(`${this.url.href}: key set is ${declared} bytes (limit ${this.#maxBytes})`);
      }
      const text = await response.text();
      if (text.length > this.#maxBytes) throw new JwksFetchError(`${this.url.href}: key set is over ${this.#maxBytes} bytes`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new JwksFetchError(`${this.url.href} did not answer JSON`);
      }
      if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
        throw new JwksFetchError(`${this.url.href} did not answer a JWK set ({"keys": [...]})`);
      }
      this.#freshUntil = this.#now() + this.#ttl(response.headers);
      this.#etag = response.headers.get("etag") ?? undefined;
      if (text === this.#text) return "unchanged";
      this.#text = text;
      this.#version++;
      return "changed";
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /**
   * One request. This class is the cache: an HTTP cache under fetch (a
   * browser's) would answer a refetch for an unknown `kid` with the copy
   * already held, so requests ask it to revalidate (`cache: "no-cache"`).
   * Runtimes without that option (workerd: "Unsupported cache mode") have no such
   * cache; there the request is sent again without it, and never again with.
   */
  async #send(init: RequestInit): Promise<Response> {
    const fetchFn = this.#fetch;
    if (this.#cacheOption) {
      try {
        return await fetchFn(this.url, { ...init, cache: "no-cache" });
      } catch (error) {
        if (init.signal?.aborted || !(error instanceof Error) || !/\bcache\b/i.test(error.message)) throw error;
        this.#cacheOption = false;
      }
    }
    return fetchFn(this.url, init);
  }

  #ttl(headers: Headers): number {
    const said = freshnessFromHeaders(headers, this.#now()) ?? this.#defaultTtl;
    return Math.min(this.#maxTtl, Math.max(this.#minTtl, said));
  }
}
