// The runtime-independent part of the package: one code path for every
// runtime. Entry files (node.ts, workerd.ts, edge.ts, browser.ts, index.ts)
// differ only in the Platform they pass: where the default wasm comes from,
// whether bytes may be compiled, and how URLs are read.

import {
  InvalidBundleError,
  InvalidConfigError,
  InvalidRequestError,
  PortcullisError,
  createError,
  requestError,
} from "./errors.js";
import type {
  Awaitable,
  CheckInput,
  CheckOutput,
  CheckOutputActionEffect,
  CheckResourceRequest,
  CheckResourcesRequest,
  CheckResourcesResultMetadata,
  CheckResourcesResultResource,
  DecisionLogEntry,
  Effect,
  EvaluationError,
  IsAllowedRequest,
  JwtOptions,
  OutputResult,
  Principal,
  Resource,
  ResourceSearch,
  SchemaEnforcement,
  ValidationError,
  Value,
} from "./types.js";
import { Evaluator, ensureWasm, ensureWasmSync, engineVersion, wasmExports, type Platform, type WasmSource } from "./wasm.js";
import { publicKeysOnly } from "./pemkeys.js";

/** A bundle written by `portcullis compile`, in any of the forms accepted. */
export type BundleSource =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | Response
  | { formatVersion: number; [key: string]: unknown };

/** Options of {@link Authorizer.create}. */
export interface AuthorizerOptions {
  /**
   * The compiled bundle: parsed object, JSON text, bytes of JSON text, a
   * Response, or a URL (fetched, then re-fetched every `bundleRefreshInterval`
   * with `If-None-Match` in long-lived runtimes).
   */
  bundle: Awaitable<BundleSource>;
  /** The runtime wasm; each entry has a default except the plain one. */
  wasm?: WasmSource;
  /** Values exposed to conditions as `globals` / `G`. */
  globals?: Record<string, Value>;
  /** Policy version for requests that give none (default `"default"`). */
  defaultPolicyVersion?: string;
  /** Scope for requests that give none (default `""`). */
  defaultScope?: string;
  /** Fall back to the nearest existing ancestor scope. */
  lenientScopeSearch?: boolean;
  /** Treat condition evaluation errors as denials. */
  strictEvaluation?: boolean;
  /** Attribute schema enforcement (default `"none"`). */
  schemaEnforcement?: SchemaEnforcement;
  /** JWT verification for `auxData.jwt`. */
  jwt?: JwtOptions;
  /** Called with a Cerbos-shaped decision log entry after every check. */
  onDecision?: (entry: DecisionLogEntry) => Awaitable<void>;
  /** Clock for `now()` in conditions and JWT validation (default `Date.now`). */
  now?: () => number | Date;
  /** Milliseconds between bundle re-fetches for URL bundles (default 60 000; 0 = never). */
  bundleRefreshInterval?: number;
  /** Called after a refreshed bundle was swapped in. */
  onBundleUpdate?: (digest: string) => void;
  /** Called when refreshing a URL bundle fails (the current bundle stays). */
  onBundleError?: (error: unknown) => void;
  /**
   * Run one synthetic check right after loading (its answer is discarded),
   * so that the wasm functions checks need are compiled at creation rather
   * than on the first real check: V8 compiles each wasm function on its
   * first call, about 4-5 ms for a check's path in Node 20. Default `false`
   * for `create` and `true` for `createSync`, whose place is startup code.
   * Reloads are not warmed: the functions stay compiled.
   */
  warmUp?: boolean;
}

interface EngineAnswerResult {
  resource: { id: string; kind: string; policyVersion?: string; scope?: string };
  actions?: Record<string, Effect>;
  validationErrors?: ValidationError[];
  meta?: { actions?: Record<string, { matchedPolicy?: string; matchedScope?: string }>; effectiveDerivedRoles?: string[] };
  outputs?: { src: string; val?: Value; action?: string }[];
}

interface EngineAnswer {
  requestId?: string;
  cerbosCallId?: string;
  results?: EngineAnswerResult[];
  evaluationErrors?: { celError: EvaluationError }[];
  error?: { code?: unknown; message?: unknown };
}

/** The outcome of checking a principal's permissions on one resource. */
export class CheckResourcesResult {
  constructor(
    /** The resource that was checked. */
    readonly resource: CheckResourcesResultResource,
    /** The decision for each action. */
    readonly actions: Record<string, Effect>,
    /** Schema validation errors of the principal or resource attributes. */
    readonly validationErrors: ValidationError[],
    /** How the decisions were reached; only with `includeMetadata`. */
    readonly metadata: CheckResourcesResultMetadata | undefined,
    /** User-defined outputs of the rules that were evaluated. */
    readonly outputs: OutputResult[],
  ) {}

  /** Whether `action` is allowed; `undefined` if it was not checked. */
  isAllowed(action: string): boolean | undefined {
    const effect = this.actions[action];
    return effect === "EFFECT_ALLOW" ? true : effect === "EFFECT_DENY" ? false : undefined;
  }

  /** Whether every checked action is allowed. */
  allAllowed(): boolean {
    return Object.values(this.actions).every((e) => e === "EFFECT_ALLOW");
  }

  /** The allowed actions. */
  allowedActions(): string[] {
    return Object.keys(this.actions).filter((a) => this.actions[a] === "EFFECT_ALLOW");
  }

  /** The output value a rule produced, by its source (`resource.x.vdefault#rule`). */
  output(source: string): Value | undefined {
    return this.outputs.find((o) => o.source === source)?.value;
  }
}

/** The outcome of checking a principal's permissions on several resources. */
export class CheckResourcesResponse {
  #callId: string | undefined;
  #requestId: string | undefined;

  /**
   * An identifier left `undefined` becomes a random UUID when first read:
   * most callers never read them, and a UUID per check is measurable.
   */
  constructor(
    cerbosCallId: string | undefined,
    requestId: string | undefined,
    /** One result per resource, in request order. */
    readonly results: CheckResourcesResult[],
    /**
     * CEL expressions of the request that failed to evaluate, deduplicated
     * and sorted (Cerbos only logs these): why a condition you expected to
     * hold did not.
     */
    readonly evaluationErrors: EvaluationError[] = [],
  ) {
    this.#callId = cerbosCallId;
    this.#requestId = requestId;
  }

  /** Identifier of this decision (as in the decision log). */
  get cerbosCallId(): string {
    return (this.#callId ??= randomId());
  }

  /** The request's tracing identifier (a random UUID when the request gave none). */
  get requestId(): string {
    return (this.#requestId ??= randomId());
  }

  /** The result for a resource. */
  findResult(resource: ResourceSearch): CheckResourcesResult | undefined {
    return this.results.find(
      ({ resource: r }) =>
        r.kind === resource.kind &&
        r.id === resource.id &&
        (resource.policyVersion === undefined || r.policyVersion === resource.policyVersion) &&
        (resource.scope === undefined || r.scope === resource.scope),
    );
  }

  /** Whether an action is allowed on a resource; `undefined` if not checked. */
  isAllowed(check: { resource: ResourceSearch; action: string }): boolean | undefined {
    return this.findResult(check.resource)?.isAllowed(check.action);
  }

  /** Whether every action checked on a resource is allowed. */
  allAllowed(resource: ResourceSearch): boolean | undefined {
    return this.findResult(resource)?.allAllowed();
  }

  /** The allowed actions on a resource. */
  allowedActions(resource: ResourceSearch): string[] | undefined {
    return this.findResult(resource)?.allowedActions();
  }

  /** Unique validation errors over all results. */
  get validationErrors(): ValidationError[] {
    const unique = new Map<string, ValidationError>();
    for (const r of this.results) for (const e of r.validationErrors) unique.set(`${e.path}:${e.message}:${e.source}`, e);
    return [...unique.values()];
  }
}

interface Loaded {
  evaluator: Evaluator;
  digest: string;
  /** Policy key → sourceAttributes, parsed lazily for decision logs. */
  policies: Map<string, Record<string, Value>> | undefined;
  /** The bundle text, kept only when decision logs need its policy metadata. */
  bundleText: string | undefined;
}

const textDecoder = /* @__PURE__ */ new TextDecoder();

let counter = 0;
function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  counter += 1;
  return `${Date.now().toString(16)}-${counter.toString(16)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The bundle as JSON text when it is at hand: text, bytes or a parsed
 * object; `undefined` for a URL, a Response or anything else.
 */
function bundleTextNow(source: unknown): string | undefined {
  if (typeof source === "string") return source;
  const t = Object.prototype.toString.call(source);
  if (t === "[object ArrayBuffer]" || ArrayBuffer.isView(source)) return textDecoder.decode(source as ArrayBuffer | ArrayBufferView);
  const plain = isObject(source) && t === "[object Object]" && typeof source["then"] !== "function" && typeof source["text"] !== "function";
  return plain ? JSON.stringify(source) : undefined;
}

/** The bundle as JSON text, or a URL to fetch it from. */
async function bundleText(source: BundleSource, platform: Platform, etag?: string): Promise<{ text?: string; url?: URL; etag?: string; notModified?: boolean }> {
  const ready = bundleTextNow(source);
  if (ready !== undefined) return { text: ready };
  const t = Object.prototype.toString.call(source);
  if (source instanceof URL || t === "[object URL]") {
    const url = new URL(String(source));
    const init: RequestInit = etag ? { headers: { "if-none-match": etag } } : {};
    const response = platform.fetchUrl ? await platform.fetchUrl(url, init) : await fetch(url, init);
    if (ArrayBuffer.isView(response)) return { text: textDecoder.decode(response), url };
    if (response.status === 304) return { url, notModified: true, ...(etag ? { etag } : {}) };
    if (!response.ok) throw new InvalidBundleError(`cannot fetch the bundle: HTTP ${response.status} from ${url.href}`);
    const newTag = response.headers.get("etag") ?? undefined;
    return { text: await response.text(), url, ...(newTag ? { etag: newTag } : {}) };
  }
  if (t === "[object Response]" || (isObject(source) && typeof source["text"] === "function" && typeof source["status"] === "number")) {
    const response = source as Response;
    if (!response.ok) throw new InvalidBundleError(`cannot read the bundle: HTTP ${response.status}`);
    return { text: await response.text() };
  }
  if (isObject(source)) return { text: JSON.stringify(source) };
  throw new InvalidBundleError(`unsupported bundle source (${t})`);
}

/**
 * `options` with the EC private keys of its PEM key sets replaced by their
 * public keys (derived with WebCrypto; see pemkeys.ts). Shapes are left to
 * `engineConfig` to judge.
 */
async function withPublicPemKeys(options: AuthorizerOptions): Promise<AuthorizerOptions> {
  const keySets = options.jwt?.keySets;
  if (!Array.isArray(keySets) || !keySets.some((k) => isObject(k) && typeof k.pem === "string")) return options;
  const completed = await Promise.all(keySets.map(async (k) => (isObject(k) && typeof k.pem === "string" ? { ...k, pem: await publicKeysOnly(k.pem) } : k)));
  return { ...options, jwt: { ...options.jwt, keySets: completed } };
}

function engineConfig(options: AuthorizerOptions): string {
  const config: Record<string, unknown> = {};
  if (options.globals !== undefined) {
    if (!isObject(options.globals)) throw new InvalidConfigError("globals must be an object");
    config["globals"] = options.globals;
  }
  if (options.defaultPolicyVersion !== undefined) config["defaultPolicyVersion"] = options.defaultPolicyVersion;
  if (options.defaultScope !== undefined) config["defaultScope"] = options.defaultScope;
  if (options.lenientScopeSearch !== undefined) config["lenientScopeSearch"] = options.lenientScopeSearch;
  if (options.strictEvaluation !== undefined) config["strictEvaluation"] = options.strictEvaluation;
  if (options.schemaEnforcement !== undefined) {
    if (!["none", "warn", "reject"].includes(options.schemaEnforcement)) {
      throw new InvalidConfigError(`schemaEnforcement must be "none", "warn" or "reject", not ${JSON.stringify(options.schemaEnforcement)}`);
    }
    config["schemaEnforcement"] = options.schemaEnforcement;
  }
  if (options.jwt !== undefined) {
    // Cerbos's `auxData.jwt` configuration; key text goes inline.
    const keySets = (options.jwt.keySets ?? []).map((k) => {
      if (!isObject(k) || typeof k.id !== "string") throw new InvalidConfigError("each jwt key set needs a string id");
      if ((k.jwks === undefined) === (k.pem === undefined)) throw new InvalidConfigError(`jwt key set ${k.id}: give exactly one of jwks or pem`);
      const inline = k.pem !== undefined ? k.pem : typeof k.jwks === "string" ? k.jwks : JSON.stringify(k.jwks);
      return {
        id: k.id,
        local: { inline, pem: k.pem !== undefined },
        ...(k.insecure ? { insecure: k.insecure } : {}),
      };
    });
    const jwt: Record<string, unknown> = { keySets };
    if (options.jwt.leeway !== undefined) jwt["acceptableTimeSkew"] = options.jwt.leeway;
    if (options.jwt.disableVerification !== undefined) jwt["disableVerification"] = options.jwt.disableVerification;
    config["auxData"] = { jwt };
  }
  // No options: the engine's defaults, without reading a JSON config
  // (whose reader V8 would otherwise compile on every cold start).
  return Object.keys(config).length === 0 ? "" : JSON.stringify(config);
}

function attrOf(entity: Principal | Resource): Record<string, Value> | undefined {
  return entity.attr ?? entity.attributes;
}

function principalJson(p: Principal): Record<string, unknown> {
  if (!isObject(p)) throw new InvalidRequestError("principal must be an object");
  const out: Record<string, unknown> = { id: p.id, roles: p.roles };
  const attr = attrOf(p);
  if (attr !== undefined) out["attr"] = attr;
  if (p.policyVersion !== undefined) out["policyVersion"] = p.policyVersion;
  if (p.scope !== undefined) out["scope"] = p.scope;
  return out;
}

function resourceJson(r: Resource): Record<string, unknown> {
  if (!isObject(r)) throw new InvalidRequestError("resource must be an object");
  const out: Record<string, unknown> = { kind: r.kind, id: r.id };
  const attr = attrOf(r);
  if (attr !== undefined) out["attr"] = attr;
  if (r.policyVersion !== undefined) out["policyVersion"] = r.policyVersion;
  if (r.scope !== undefined) out["scope"] = r.scope;
  return out;
}

/**
 * A loaded bundle answering Cerbos CheckResources requests synchronously.
 * Create one per process/isolate with the entry's `Authorizer.create`.
 */
export class Authorizer {
  #loaded: Loaded;
  readonly #platform: Platform;
  readonly #options: AuthorizerOptions;
  readonly #config: string;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #bundleUrl: URL | undefined;
  #etag: string | undefined;
  #refreshing: Promise<boolean> | undefined;
  #closed = false;
  /** True during the warm-up check, which logs no decision. */
  #warming = false;

  /** @internal use `Authorizer.create` */
  protected constructor(platform: Platform, options: AuthorizerOptions, config: string, loaded: Loaded, url: URL | undefined, etag: string | undefined) {
    this.#platform = platform;
    this.#options = options;
    this.#config = config;
    this.#loaded = loaded;
    this.#bundleUrl = url;
    this.#etag = etag;
    const now = options.now;
    this.#now = now ? () => { const v = now(); return typeof v === "number" ? v : v.getTime(); } : Date.now;
    const interval = options.bundleRefreshInterval ?? 60_000;
    if (url && platform.longLived && interval > 0) {
      this.#timer = setInterval(() => {
        this.refresh().catch((error: unknown) => options.onBundleError?.(error));
      }, interval);
      // Node: a refresh timer must not keep the process alive.
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** @internal shared by the entries' `create` */
  protected static async createWith(platform: Platform, options: AuthorizerOptions): Promise<Authorizer> {
    if (!isObject(options)) throw new InvalidConfigError("options must be an object");
    const config = engineConfig(await withPublicPemKeys(options));
    const [, source] = await Promise.all([ensureWasm(options.wasm, platform), Promise.resolve(options.bundle)]);
    if (source === undefined || source === null) throw new InvalidBundleError("no bundle given");
    const fetched = await bundleText(source, platform);
    if (fetched.text === undefined) throw new InvalidBundleError("the bundle URL answered 304 without a cached copy");
    const loaded = load(fetched.text, config, options.onDecision !== undefined);
    const authorizer = new this(platform, options, config, loaded, fetched.url, fetched.etag);
    if (options.warmUp === true) authorizer.#warmUp();
    return authorizer;
  }

  /** @internal shared by the entries' `createSync` */
  protected static createSyncWith(platform: Platform, options: AuthorizerOptions): Authorizer {
    if (!isObject(options)) throw new InvalidConfigError("options must be an object");
    for (const k of options.jwt?.keySets ?? []) {
      // Deriving a private key's public half is asynchronous (WebCrypto).
      if (isObject(k) && typeof k.pem === "string" && k.pem.includes("PRIVATE KEY-----")) {
        throw new InvalidConfigError(`jwt key set ${String(k.id)}: createSync needs public keys; a PEM private key needs \`await Authorizer.create(...)\``);
      }
    }
    const config = engineConfig(options);
    ensureWasmSync(options.wasm, platform);
    if (options.bundle === undefined || options.bundle === null) throw new InvalidBundleError("no bundle given");
    const text = bundleTextNow(options.bundle);
    if (text === undefined) {
      throw new InvalidBundleError("createSync takes the bundle as JSON text, bytes or a parsed object; a URL, Response or promise needs `await Authorizer.create(...)`");
    }
    const loaded = load(text, config, options.onDecision !== undefined);
    const authorizer = new this(platform, options, config, loaded, undefined, undefined);
    if (options.warmUp !== false) authorizer.#warmUp();
    return authorizer;
  }

  /** Digest of the bundle in use. */
  get bundleDigest(): string {
    return this.#loaded.digest;
  }

  /** Version of the engine inside the wasm ("" until the wasm is instantiated). */
  static get engineVersion(): string {
    return wasmExports() ? engineVersion() : "";
  }

  /** Bytes of linear memory the wasm instance holds (grows, never shrinks). */
  static get wasmMemoryBytes(): number {
    return wasmExports()?.memory?.buffer.byteLength ?? 0;
  }

  /**
   * Swaps in another bundle. The new bundle is loaded completely before the
   * swap; checks are synchronous, so every check sees one bundle or the
   * other, never a mix. A bundle that fails to load leaves the old in place.
   */
  async reload(bundle: Awaitable<BundleSource>): Promise<void> {
    const fetched = await bundleText(await bundle, this.#platform);
    if (fetched.text === undefined) return;
    this.#swap(load(fetched.text, this.#config, this.#options.onDecision !== undefined));
    if (fetched.url) {
      this.#bundleUrl = fetched.url;
      this.#etag = fetched.etag;
    }
  }

  /**
   * Re-fetches a URL bundle now (with `If-None-Match`); resolves to whether a
   * new bundle was swapped in. On edge runtimes call it from a request and
   * pass the promise to `waitUntil`.
   */
  refresh(): Promise<boolean> {
    const url = this.#bundleUrl;
    if (!url) return Promise.resolve(false);
    this.#refreshing ??= (async () => {
      try {
        const fetched = await bundleText(url, this.#platform, this.#etag);
        if (fetched.notModified || fetched.text === undefined) return false;
        const next = load(fetched.text, this.#config, this.#options.onDecision !== undefined);
        this.#etag = fetched.etag;
        if (next.digest === this.#loaded.digest) {
          next.evaluator.free();
          return false;
        }
        this.#swap(next);
        this.#options.onBundleUpdate?.(next.digest);
        return true;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #swap(next: Loaded): void {
    if (this.#closed) {
      next.evaluator.free();
      throw new PortcullisError("the authorizer is closed");
    }
    const previous = this.#loaded;
    this.#loaded = next;
    // INVARIANT: checks run synchronously to completion, so no check is
    // inside the previous evaluator when we get here.
    previous.evaluator.free();
  }

  /** Stops bundle refreshing and frees the evaluator; later checks throw. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#closed) {
      this.#closed = true;
      this.#loaded.evaluator.free();
    }
  }

  /** Checks a principal's permissions on several resources. */
  checkResources(request: CheckResourcesRequest): CheckResourcesResponse {
    if (!isObject(request)) throw new InvalidRequestError("request must be an object");
    if (!Array.isArray(request.resources)) throw new InvalidRequestError("resources must be an array");
    const resources = request.resources.map((entry) => {
      if (!isObject(entry)) throw new InvalidRequestError("each resource entry must be an object");
      return { actions: entry.actions, resource: resourceJson(entry.resource) };
    });
    return this.#check(request.requestId, principalJson(request.principal), resources, request.auxData, request.includeMetadata === true);
  }

  /** Checks a principal's permissions on one resource. */
  checkResource(request: CheckResourceRequest): CheckResourcesResult {
    if (!isObject(request)) throw new InvalidRequestError("request must be an object");
    const response = this.#check(
      request.requestId,
      principalJson(request.principal),
      [{ actions: request.actions, resource: resourceJson(request.resource) }],
      request.auxData,
      request.includeMetadata === true,
    );
    const result = response.results[0];
    if (!result) throw new PortcullisError("the engine returned no result for the resource");
    return result;
  }

  /** Whether the principal may perform one action on one resource. */
  isAllowed(request: IsAllowedRequest): boolean {
    if (!isObject(request)) throw new InvalidRequestError("request must be an object");
    const result = this.checkResource({
      principal: request.principal,
      resource: request.resource,
      actions: [request.action],
      ...(request.auxData ? { auxData: request.auxData } : {}),
      ...(request.requestId ? { requestId: request.requestId } : {}),
    });
    return result.isAllowed(request.action) === true;
  }

  /**
   * Answers a raw Cerbos HTTP API CheckResources body (JSON text) with the
   * raw response JSON text, exactly as the engine writes it. For parity
   * tests and proxies; most code wants {@link checkResources}.
   */
  checkResourcesJson(requestJson: string): string {
    if (this.#closed) throw new PortcullisError("the authorizer is closed");
    return this.#loaded.evaluator.checkResources(requestJson, this.#now());
  }

  /**
   * The warm-up check (`warmUp`): the engine's synthetic request through
   * the public path, once with compact and once with full answers, answers
   * discarded and no decision logged.
   */
  #warmUp(): void {
    const request = JSON.parse(this.#loaded.evaluator.warmUpRequest()) as CheckResourcesRequest;
    this.#warming = true;
    try {
      this.checkResources(request);
      this.checkResources({ ...request, includeMetadata: true });
    } catch {
      // Nothing is decided here: whatever failed fails again, visibly, on a real check.
    } finally {
      this.#warming = false;
    }
  }

  #check(
    requestId: string | undefined,
    principal: Record<string, unknown>,
    resources: { actions: unknown; resource: Record<string, unknown> }[],
    auxData: unknown,
    includeMetadata: boolean,
  ): CheckResourcesResponse {
    if (this.#closed) throw new PortcullisError("the authorizer is closed");
    const loaded = this.#loaded;
    const onDecision = this.#warming ? undefined : this.#options.onDecision;
    // A decision log needs the ids now; otherwise they are made when read.
    const id = requestId ?? (onDecision ? randomId() : undefined);
    const body: Record<string, unknown> = id === undefined ? { principal, resources } : { requestId: id, principal, resources };
    if (auxData !== undefined) body["auxData"] = auxData;
    // Decision logs need the matched policies even when the caller did not ask.
    if (includeMetadata || onDecision) body["includeMeta"] = true;
    const nowMs = this.#now();
    // Without metadata or a decision log the engine may answer with the
    // effects alone (see `compactResponse`).
    const compact = !includeMetadata && !onDecision;
    let answerText: string;
    try {
      const bodyText = JSON.stringify(body);
      answerText = compact ? loaded.evaluator.checkResourcesCompact(bodyText, nowMs) : loaded.evaluator.checkResources(bodyText, nowMs);
    } catch (error) {
      // The surface never throws for a request; a throw here is a trap
      // (a bug in the engine). Fail closed with a typed error.
      throw new PortcullisError(`the engine failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (answerText.charCodeAt(0) === COMPACT_MARK) return compactResponse(answerText, id, resources);
    const answer = JSON.parse(answerText) as EngineAnswer;
    if (answer.error) {
      const error = requestError(answer.error.code, answer.error.message);
      if (onDecision) this.#log(loaded, onDecision, nowMs, id ?? randomId(), principal, resources, auxData, undefined, error.message);
      throw error;
    }
    const engineResults = answer.results ?? [];
    const results: CheckResourcesResult[] = new Array(engineResults.length);
    for (let i = 0; i < engineResults.length; i++) results[i] = apiResult(engineResults[i]!, includeMetadata);
    const evaluationErrors = answer.evaluationErrors?.length ? answer.evaluationErrors.map((e) => e.celError) : [];
    if (!onDecision) return new CheckResourcesResponse(answer.cerbosCallId, id, results, evaluationErrors);
    const callId = answer.cerbosCallId ?? randomId();
    const logId = id ?? randomId();
    const response = new CheckResourcesResponse(callId, logId, results, evaluationErrors);
    this.#log(loaded, onDecision, nowMs, logId, principal, resources, auxData, answer, undefined, callId);
    return response;
  }

  #log(
    loaded: Loaded,
    onDecision: NonNullable<AuthorizerOptions["onDecision"]>,
    nowMs: number,
    requestId: string,
    principal: Record<string, unknown>,
    resources: { actions: unknown; resource: Record<string, unknown> }[],
    auxData: unknown,
    answer: EngineAnswer | undefined,
    error: string | undefined,
    callId: string = randomId(),
  ): void {
    const policies = (loaded.policies ??= policyAttributes(loaded.bundleText ?? "{}"));
    const effectivePolicies: Record<string, Record<string, Value>> = {};
    const fullPrincipal = {
      id: String(principal["id"] ?? ""),
      roles: (principal["roles"] as string[] | undefined) ?? [],
      attr: (principal["attr"] as Record<string, Value> | undefined) ?? {},
      policyVersion: String(principal["policyVersion"] ?? ""),
      scope: String(principal["scope"] ?? ""),
    };
    const inputs: CheckInput[] = resources.map(({ actions, resource }) => ({
      requestId,
      principal: fullPrincipal,
      resource: {
        kind: String(resource["kind"] ?? ""),
        id: String(resource["id"] ?? ""),
        attr: (resource["attr"] as Record<string, Value> | undefined) ?? {},
        policyVersion: String(resource["policyVersion"] ?? ""),
        scope: String(resource["scope"] ?? ""),
      },
      actions: Array.isArray(actions) ? (actions as string[]) : [],
      // Verified claims stay inside the wasm; the log records that a token came.
      auxData: auxData === undefined ? undefined : { jwt: {} },
    }));
    const outputs: CheckOutput[] = (answer?.results ?? []).map((r) => {
      const actions: Record<string, CheckOutputActionEffect> = {};
      for (const [action, effect] of Object.entries(r.actions ?? {})) {
        const meta = r.meta?.actions?.[action];
        const policy = meta?.matchedPolicy ?? "";
        actions[action] = { effect, policy, scope: meta?.matchedScope ?? "" };
        if (policy && !(policy in effectivePolicies)) effectivePolicies[policy] = policies.get(policy) ?? {};
      }
      return {
        requestId,
        resourceId: r.resource.id,
        actions,
        effectiveDerivedRoles: r.meta?.effectiveDerivedRoles ?? [],
        validationErrors: r.validationErrors ?? [],
        outputs: (r.outputs ?? []).map((o) => ({ source: o.src, action: o.action ?? "", value: o.val })),
      };
    });
    const entry: DecisionLogEntry = {
      callId,
      timestamp: new Date(nowMs),
      peer: { address: "", authInfo: "", userAgent: "", forwardedFor: "" },
      metadata: {},
      auditTrail: { effectivePolicies },
      method: { name: "CheckResources", inputs, outputs, evaluationErrors: (answer?.evaluationErrors ?? []).map((e) => e.celError), error },
      oversized: false,
      policySource: { kind: "portcullis", bundleDigest: loaded.digest },
    };
    try {
      const pending = onDecision(entry);
      if (pending && typeof (pending as PromiseLike<void>).then === "function") {
        (pending as Promise<void>).then(undefined, () => undefined);
      }
    } catch {
      // A failing logger must not change the decision.
    }
  }
}

/** First character of a compact answer (`!`); a JSON answer starts with `{`. */
const COMPACT_MARK = 33;

/**
 * The response for a compact answer: after the mark, per resource entry one
 * `A` (allow) or `D` (deny) per action in request order, entries separated
 * by `,`. The engine answers so only when the response holds nothing but
 * effects, in exactly that order, and it echoes the request's resources,
 * so the response is rebuilt from the request that was sent.
 */
function compactResponse(
  text: string,
  requestId: string | undefined,
  resources: { actions: unknown; resource: Record<string, unknown> }[],
): CheckResourcesResponse {
  const results: CheckResourcesResult[] = new Array(resources.length);
  let pos = 1;
  for (let i = 0; i < resources.length; i++) {
    const { actions, resource } = resources[i]!;
    const effects: Record<string, Effect> = {};
    // INVARIANT: the engine accepted the request, so `actions` is an array
    // of strings and the resource's fields are strings.
    for (const action of actions as string[]) effects[action] = text.charCodeAt(pos++) === 65 ? "EFFECT_ALLOW" : "EFFECT_DENY";
    pos++;
    const echo = {
      id: resource["id"] as string,
      kind: resource["kind"] as string,
      policyVersion: (resource["policyVersion"] as string | undefined) ?? "",
      scope: (resource["scope"] as string | undefined) ?? "",
    };
    results[i] = new CheckResourcesResult(echo, effects, [], undefined, []);
  }
  return new CheckResourcesResponse(undefined, requestId, results, []);
}

/** The typed result for one engine result entry. */
function apiResult(r: EngineAnswerResult, includeMetadata: boolean): CheckResourcesResult {
  const res = r.resource;
  const meta = includeMetadata ? r.meta : undefined;
  return new CheckResourcesResult(
    { id: res.id, kind: res.kind, policyVersion: res.policyVersion ?? "", scope: res.scope ?? "" },
    r.actions ?? {},
    r.validationErrors ?? [],
    meta
      ? {
          actions: Object.fromEntries(
            Object.entries(meta.actions ?? {}).map(([a, m]) => [a, { matchedPolicy: m.matchedPolicy ?? "", matchedScope: m.matchedScope ?? "" }]),
          ),
          effectiveDerivedRoles: meta.effectiveDerivedRoles ?? [],
        }
      : undefined,
    r.outputs ? r.outputs.map((o) => ({ source: o.src, action: o.action ?? "", value: o.val })) : [],
  );
}

function load(text: string, config: string, keepText: boolean): Loaded {
  let evaluator: Evaluator;
  try {
    evaluator = Evaluator.create(text, config);
  } catch (thrown) {
    throw createError(thrown);
  }
  return { evaluator, digest: evaluator.digest, policies: undefined, bundleText: keepText ? text : undefined };
}

function policyAttributes(text: string): Map<string, Record<string, Value>> {
  const map = new Map<string, Record<string, Value>>();
  try {
    const bundle = JSON.parse(text) as { policies?: { key?: string; sourceAttributes?: Record<string, Value> }[] };
    for (const p of bundle.policies ?? []) if (p.key) map.set(p.key, p.sourceAttributes ?? {});
  } catch {
    // The engine accepted the bundle, so it parses; an empty map is only a fallback.
  }
  return map;
}
