/**
 * `portcullis/next`: Portcullis in Next.js 16.
 *
 * - {@link createProxy} builds the function for `proxy.ts` (Node.js runtime,
 *   Next 16's replacement of middleware) or a legacy edge `middleware.ts`:
 *   it maps the request path to a resource and an action, asks the
 *   authorizer, and answers 403 (or redirects) on DENY. On ALLOW it forwards
 *   decision headers when given Next's `NextResponse.next`.
 * - {@link createAuthorize} gives `authorize(principal, resource, action)`
 *   for server components, route handlers and server actions.
 * - {@link permissionHints} precomputes decisions on the server for the
 *   UI-hint components of `portcullis/react`.
 *
 * This module depends only on Web-standard `Request`/`Response`, so it runs
 * in the Node proxy, the edge runtime and plain route handlers alike. It
 * takes the authorizer structurally: pass the `Authorizer` of the entry that
 * fits the runtime (`portcullis` resolves it by export condition).
 */

import { forOrganization, type IdentityPrincipal, type IdentityResult, type JsonValue } from "./identity.js";

/** A Cerbos principal as the authorizer takes it. */
export interface NextPrincipal {
  id: string;
  roles: string[];
  attr?: Record<string, JsonValue>;
  scope?: string;
  policyVersion?: string;
}

/** A Cerbos resource as the authorizer takes it. */
export interface NextResource {
  kind: string;
  id: string;
  attr?: Record<string, JsonValue>;
  scope?: string;
  policyVersion?: string;
}

/** The part of a check result this module reads. */
export interface CheckResultLike {
  isAllowed(action: string): boolean | undefined;
}

/** The part of Portcullis's `Authorizer` this module uses. */
export interface AuthorizerLike {
  checkResource(request: { principal: NextPrincipal; resource: NextResource; actions: string[] }): CheckResultLike;
}

/**
 * The authorizer, or a function returning it. A function is called on first
 * use and its promise kept, so the wasm is instantiated once per isolate and
 * never during module evaluation (workerd rejects unsettled top-level await).
 */
export type AuthorizerSource = AuthorizerLike | (() => AuthorizerLike | Promise<AuthorizerLike>);

/** A principal, or an adapter result (`clerkPrincipal` / `workosPrincipal`). */
export type PrincipalInput = NextPrincipal | IdentityPrincipal | IdentityResult;

/** The outcome of one authorization. */
export interface Decision {
  allowed: boolean;
  action: string;
  resource: { kind: string; id: string };
  principalId: string;
}

function lazy(source: AuthorizerSource): () => Promise<AuthorizerLike> {
  if (typeof source !== "function") {
    const ready = Promise.resolve(source);
    return () => ready;
  }
  let pending: Promise<AuthorizerLike> | undefined;
  return () => {
    pending ??= Promise.resolve()
      .then(source)
      .catch((error: unknown) => {
        // A failed load must not be cached forever: the next request retries.
        pending = undefined;
        throw error;
      });
    return pending;
  };
}

function isIdentityResult(p: PrincipalInput): p is IdentityResult {
  return typeof p === "object" && p !== null && "principal" in p && "kind" in p;
}

/** Options of {@link createAuthorize} and {@link createProxy}. */
export interface ResolveOptions {
  /**
   * Resource attribute holding its organization id (default `"orgId"`).
   * When the principal is an adapter result and the resource has this
   * attribute with another organization (or null), the token's organization
   * roles are removed
   * (`forOrganization`), so they cannot leak across tenants even if a
   * policy forgets the organization check. `false` disables this.
   */
  resourceOrgAttr?: string | false;
  /**
   * Put the adapter result's `scope` on resources of the active organization
   * that have no scope (only useful with per-organization policies; Cerbos
   * denies requests whose scope has no policies). Default false.
   */
  scopeResources?: boolean;
}

/** The principal and resource actually sent, after the organization rules. */
export function resolveRequest(
  input: PrincipalInput,
  resource: NextResource,
  options: ResolveOptions = {},
): { principal: NextPrincipal; resource: NextResource } {
  if (!isIdentityResult(input)) return { principal: input, resource };
  const attrName = options.resourceOrgAttr ?? "orgId";
  // A resource without the attribute is not tenant-owned as far as we can
  // tell: the principal goes unchanged and the policies decide.
  const hasOrg = attrName !== false && resource.attr !== undefined && Object.prototype.hasOwnProperty.call(resource.attr, attrName);
  const resourceOrg = hasOrg ? resource.attr?.[attrName as string] : input.orgId;
  const orgId = typeof resourceOrg === "string" ? resourceOrg : null;
  const principal = hasOrg ? forOrganization(input, orgId) : input.principal;
  let out = resource;
  if (options.scopeResources && hasOrg && resource.scope === undefined && input.scope !== undefined && orgId === input.orgId) {
    out = { ...resource, scope: input.scope };
  }
  return { principal, resource: out };
}

/**
 * `authorize(principal, resource, action)` for server components, route
 * handlers and server actions. Resolves to a {@link Decision}; it never
 * throws for a DENY. An authorizer or engine failure rejects the promise —
 * treat that as a denial.
 */
export function createAuthorize(
  authorizer: AuthorizerSource,
  options: ResolveOptions = {},
): (principal: PrincipalInput, resource: NextResource, action: string) => Promise<Decision> {
  const get = lazy(authorizer);
  return async (principalInput, resourceInput, action) => {
    const az = await get();
    const { principal, resource } = resolveRequest(principalInput, resourceInput, options);
    const allowed = az.checkResource({ principal, resource, actions: [action] }).isAllowed(action) === true;
    return { allowed, action, resource: { kind: resource.kind, id: resource.id }, principalId: principal.id };
  };
}

/** Thrown by {@link requireAllowed} on DENY. */
export class ForbiddenError extends Error {
  /** HTTP status for the denial. */
  readonly status = 403;
  /** The denied decision. */
  readonly decision: Decision;
  constructor(decision: Decision) {
    super(`forbidden: ${decision.action} on ${decision.resource.kind}:${decision.resource.id}`);
    this.name = "ForbiddenError";
    this.decision = decision;
  }
}

/** Throws {@link ForbiddenError} unless the decision allows. */
export function requireAllowed(decision: Decision): Decision {
  if (!decision.allowed) throw new ForbiddenError(decision);
  return decision;
}

/** Path parameters captured by a route pattern. */
export type RouteParams = Record<string, string>;

/** One protected route. */
export interface RouteRule {
  /**
   * Path pattern: literal segments, `:name` for one segment (captured), and
   * a final `*` for any rest (captured as `params["*"]`). E.g.
   * `"/projects/:id"`, `"/admin/*"`.
   */
  path: string;
  /** HTTP methods this rule covers (default: all). */
  methods?: readonly string[];
  /** The resource the request touches. */
  resource: (params: RouteParams, request: Request) => NextResource | Promise<NextResource>;
  /** The action: a name, or per-method names (`{GET: "view", DELETE: "delete"}`). */
  action: string | Readonly<Record<string, string>>;
}

interface CompiledRoute {
  rule: RouteRule;
  segments: string[];
  rest: boolean;
}

function compileRoute(rule: RouteRule): CompiledRoute {
  const parts = rule.path.split("/").filter((s) => s !== "");
  const rest = parts[parts.length - 1] === "*";
  return { rule, segments: rest ? parts.slice(0, -1) : parts, rest };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Matches `pathname` against a route; the captured parameters, or undefined. */
function matchRoute(route: CompiledRoute, pathname: string): RouteParams | undefined {
  const parts = pathname.split("/").filter((s) => s !== "");
  if (route.rest ? parts.length < route.segments.length : parts.length !== route.segments.length) return undefined;
  const params: RouteParams = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i] as string;
    const raw = parts[i] as string;
    const value = safeDecode(raw);
    if (value === undefined) return undefined;
    if (seg.startsWith(":")) params[seg.slice(1)] = value;
    else if (seg !== value) return undefined;
  }
  if (route.rest) {
    const restParts = parts.slice(route.segments.length).map(safeDecode);
    if (restParts.some((p) => p === undefined)) return undefined;
    params["*"] = restParts.join("/");
  }
  return params;
}

/** What a DENY turns into. */
export type DenyHandler =
  | "forbid"
  | { redirect: string | ((request: Request, decision: Decision) => string) }
  | ((request: Request, decision: Decision) => Response | Promise<Response>);

/** Next's `NextResponse.next`, passed in so this module needs no `next` import. */
export type NextFn = (init?: { request?: { headers: Headers }; headers?: HeadersInit }) => Response;

/**
 * Options of {@link createProxy}. `C` is whatever the caller passes as the
 * proxy function's second argument (e.g. Clerk's `auth` inside
 * `clerkMiddleware((auth, req) => guard(req, auth))`).
 */
export interface ProxyOptions<C = undefined> extends ResolveOptions {
  /** The authorizer (or a lazy factory). */
  authorizer: AuthorizerSource;
  /**
   * The caller's principal: e.g. `clerkPrincipal(await auth())` inside
   * `clerkMiddleware`, or `workosPrincipal(await authkit(request))`.
   */
  principal: (request: Request, context: C) => PrincipalInput | Promise<PrincipalInput>;
  /** Protected routes, first match wins. */
  routes: readonly RouteRule[];
  /** DENY handling (default `"forbid"`: a 403 JSON response). */
  onDeny?: DenyHandler;
  /** Requests matching no route: `"allow"` (default) passes them on, `"deny"` forbids. */
  unmatched?: "allow" | "deny";
  /**
   * `NextResponse.next`. With it, an ALLOW continues with `x-portcullis-*`
   * decision headers on the response and on the forwarded request (inbound
   * copies are removed first, so server code can trust them). Without it an
   * ALLOW returns `undefined`, which Next also treats as "continue".
   */
  next?: NextFn;
  /** Prefix of the decision headers (default `"x-portcullis-"`). */
  headerPrefix?: string;
  /**
   * Called when deciding fails (authorizer load, principal, engine). The
   * request is denied either way; this is for logging.
   */
  onError?: (error: unknown, request: Request) => void;
}

function methodAction(action: RouteRule["action"], method: string): string | undefined {
  if (typeof action === "string") return action;
  return Object.prototype.hasOwnProperty.call(action, method) ? action[method] : undefined;
}

function forbidden(decision: Decision | undefined): Response {
  return new Response(JSON.stringify({ error: "forbidden", action: decision?.action ?? null }), {
    status: 403,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

async function denyResponse(onDeny: DenyHandler, request: Request, decision: Decision): Promise<Response> {
  if (onDeny === "forbid") return forbidden(decision);
  if (typeof onDeny === "function") return onDeny(request, decision);
  const target = typeof onDeny.redirect === "function" ? onDeny.redirect(request, decision) : onDeny.redirect;
  const url = new URL(target, request.url);
  return new Response(null, { status: 307, headers: { location: url.toString(), "cache-control": "no-store" } });
}

/**
 * The proxy / middleware function. Use it as (Next 16, `proxy.ts`):
 *
 * ```ts
 * export const proxy = createProxy({ authorizer, principal, routes, next: NextResponse.next });
 * ```
 *
 * Resolves to a Response (403, redirect, or `next(...)` with headers) or
 * `undefined` (continue). Failures deny: a proxy that cannot decide must not
 * let the request through.
 */
export function createProxy<C = undefined>(
  options: ProxyOptions<C>,
): (request: Request, context?: C) => Promise<Response | undefined> {
  const get = lazy(options.authorizer);
  const routes = options.routes.map(compileRoute);
  const prefix = (options.headerPrefix ?? "x-portcullis-").toLowerCase();
  const onDeny = options.onDeny ?? "forbid";
  return async (request, context) => {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    let matched: { route: CompiledRoute; params: RouteParams; action: string } | undefined;
    for (const route of routes) {
      if (route.rule.methods && !route.rule.methods.map((m) => m.toUpperCase()).includes(method)) continue;
      const params = matchRoute(route, url.pathname);
      if (!params) continue;
      const action = methodAction(route.rule.action, method);
      if (action === undefined) continue;
      matched = { route, params, action };
      break;
    }
    if (!matched) {
      if ((options.unmatched ?? "allow") === "deny") return forbidden(undefined);
      return passThrough(request, undefined);
    }

    let decision: Decision;
    try {
      const [az, principalInput, resourceInput] = await Promise.all([
        get(),
        // INVARIANT: callers that declare a context type pass it; the cast
        // only restores the optional parameter's declared type.
        options.principal(request, context as C),
        matched.route.rule.resource(matched.params, request),
      ]);
      const { principal, resource } = resolveRequest(principalInput, resourceInput, options);
      const allowed =
        az.checkResource({ principal, resource, actions: [matched.action] }).isAllowed(matched.action) === true;
      decision = { allowed, action: matched.action, resource: { kind: resource.kind, id: resource.id }, principalId: principal.id };
    } catch (error) {
      options.onError?.(error, request);
      return forbidden({ allowed: false, action: matched.action, resource: { kind: "", id: "" }, principalId: "" });
    }
    if (!decision.allowed) return denyResponse(onDeny, request, decision);
    return passThrough(request, decision);
  };

  function passThrough(request: Request, decision: Decision | undefined): Response | undefined {
    if (!options.next) return undefined;
    // Inbound x-portcullis-* request headers are dropped so that whatever
    // server code reads downstream was set here.
    const headers = new Headers();
    request.headers.forEach((value, name) => {
      if (!name.toLowerCase().startsWith(prefix)) headers.set(name, value);
    });
    const decisionHeaders: [string, string][] = decision
      ? [
          [`${prefix}decision`, "allow"],
          [`${prefix}action`, decision.action],
          [`${prefix}resource`, `${decision.resource.kind}:${decision.resource.id}`],
          [`${prefix}principal`, decision.principalId],
        ]
      : [];
    for (const [k, v] of decisionHeaders) headers.set(k, v);
    const response = options.next({ request: { headers } });
    for (const [k, v] of decisionHeaders) response.headers.set(k, v);
    return response;
  }
}

/** Decisions for the UI, keyed `"kind:id"` then action. Serializable. */
export type PermissionHints = Record<string, Record<string, boolean>>;

/** The key of a resource in {@link PermissionHints}. */
export function hintKey(resource: { kind: string; id: string }): string {
  return `${resource.kind}:${resource.id}`;
}

/**
 * Computes decisions on the server for `portcullis/react`'s provider (pass
 * the result as its `hints` prop). These are display hints only: every
 * action must still be authorized when it is performed.
 */
export async function permissionHints(
  authorizer: AuthorizerSource,
  principal: PrincipalInput,
  checks: readonly { resource: NextResource; actions: readonly string[] }[],
  options: ResolveOptions = {},
): Promise<PermissionHints> {
  const az = await lazy(authorizer)();
  const out: PermissionHints = {};
  for (const check of checks) {
    const { principal: p, resource } = resolveRequest(principal, check.resource, options);
    const result = az.checkResource({ principal: p, resource, actions: [...check.actions] });
    const entry: Record<string, boolean> = (out[hintKey(resource)] ??= {});
    for (const action of check.actions) entry[action] = result.isAllowed(action) === true;
  }
  return out;
}
