/**
 * Shared building blocks of the identity adapters (`portcullis/clerk`,
 * `portcullis/workos`): the principal shape they produce, the Cerbos scope
 * rule, and the allow-list copy of custom claims.
 *
 * The adapters never verify tokens. They take either an identity provider's
 * own auth object (which its SDK built from a verified token) or claims that
 * the caller has already verified, and turn them into a Cerbos principal.
 */

/** Why an adapter refused its input. */
export type IdentityErrorCode = "invalid_input" | "invalid_claims";

/**
 * Thrown when an adapter's input is not an identity it understands (for
 * example claims without a `sub`). Callers should treat it as "deny".
 */
export class IdentityError extends Error {
  /** Machine-readable reason. */
  readonly code: IdentityErrorCode;
  constructor(code: IdentityErrorCode, message: string) {
    super(message);
    this.name = "IdentityError";
    this.code = code;
  }
}

/** A JSON value as it may appear in principal attributes. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A Cerbos principal, as sent in a CheckResources request. */
export interface IdentityPrincipal {
  /** Stable identifier: the IdP's user id, a machine id, or the anonymous id. */
  id: string;
  /** At least one role; the base role first. */
  roles: string[];
  /** Attributes visible to policies as `P.attr.*`. */
  attr: { [key: string]: JsonValue };
  /** Cerbos principal scope, set only when the adapter is asked to. */
  scope?: string;
  /** Cerbos principal policy version, set only when configured. */
  policyVersion?: string;
}

/** What kind of caller a principal stands for. */
export type PrincipalKind = "user" | "machine" | "anonymous";

/** The result of mapping an identity to a principal. */
export interface IdentityResult {
  /** The principal to put in CheckResources requests. */
  principal: IdentityPrincipal;
  /**
   * Suggested Cerbos scope for resources of the active organization (its id
   * when it is a valid scope), or `undefined`. Cerbos resolves a scope only if
   * policies exist for it, so set `resource.scope` from this only when you
   * keep per-organization policies (or run with lenient scope search).
   */
  scope: string | undefined;
  /** User, machine or anonymous. */
  kind: PrincipalKind;
  /** The active organization's id, or `null`. */
  orgId: string | null;
  /**
   * The roles that came from the active organization (already in
   * `principal.roles`). {@link forOrganization} removes them for resources of
   * another organization.
   */
  orgRoles: string[];
}

/** Options every adapter understands. */
export interface CommonIdentityOptions {
  /** Role every signed-in user gets. Default `"user"`. */
  baseRole?: string;
  /** Role (and id) of a caller without a usable session. Default `"anonymous"`. */
  anonymousRole?: string;
  /** Principal id of a caller without a usable session. Default `"anonymous"`. */
  anonymousId?: string;
  /**
   * Rename or expand organization roles: key is the normalized role (Clerk:
   * without the `org:` prefix; WorkOS: the slug), value the Cerbos role(s).
   * Roles not listed keep their normalized name, unless `onlyMappedRoles`.
   */
  roleMap?: Record<string, string | string[]>;
  /** Drop organization roles that `roleMap` does not list. Default false. */
  onlyMappedRoles?: boolean;
  /**
   * Paths (dot-separated) of custom claims copied into `attr.claims`, e.g.
   * `"metadata.plan"`. Nothing else is copied: registered claims such as
   * `exp` would make decisions depend on the token rather than the user.
   */
  claims?: string[];
  /**
   * Paths of claims whose value (a string or an array of strings) become
   * roles, e.g. `"metadata.roles"`. Combined with `claimRolePrefix`.
   */
  roleClaims?: string[];
  /** Prefix added to roles taken from `roleClaims`. Default none. */
  claimRolePrefix?: string;
  /**
   * Cerbos scope for the active organization. Default: the organization id
   * when it matches the Cerbos scope pattern. `false` disables scopes; a
   * function may return a custom scope (invalid results are dropped).
   */
  scope?: false | ((orgId: string, orgSlug: string | null) => string | undefined);
  /** Also set `principal.scope` to the computed scope. Default false. */
  principalScope?: boolean;
  /** Set `principal.policyVersion`. Default unset. */
  policyVersion?: string;
}

// The pattern Cerbos validates scopes against (engine protobuf).
const SCOPE_PATTERN = /^(^$|\.|[0-9a-zA-Z][\w-]*(\.\w[\w-]*)*)$/;
const MAX_SCOPE_LENGTH = 256;

/** Whether `s` is a scope Cerbos accepts in a request. */
export function isValidScope(s: string): boolean {
  return s.length <= MAX_SCOPE_LENGTH && SCOPE_PATTERN.test(s);
}

/** Keys that must never be created on attribute objects. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

// Hostile claims can nest arbitrarily; attributes past this depth are cut.
const MAX_DEPTH = 16;

/**
 * Copies `value` as JSON: drops functions, `undefined`, non-finite numbers and
 * forbidden keys, converts dates to ISO strings, and stops at a fixed depth.
 * Returns `undefined` for values with no JSON form.
 */
export function toJsonValue(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : undefined;
    case "bigint":
      return value.toString();
    case "object": {
      if (value instanceof Date) {
        return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
      }
      if (Array.isArray(value)) {
        const out: JsonValue[] = [];
        for (const item of value) {
          const v = toJsonValue(item, depth + 1);
          if (v !== undefined) out.push(v);
        }
        return out;
      }
      const out: { [key: string]: JsonValue } = {};
      for (const [k, item] of Object.entries(value as Record<string, unknown>)) {
        if (FORBIDDEN_KEYS.has(k)) continue;
        const v = toJsonValue(item, depth + 1);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

function splitPath(path: string): string[] | undefined {
  const parts = path.split(".");
  if (parts.some((p) => p === "" || FORBIDDEN_KEYS.has(p))) return undefined;
  return parts;
}

/** Reads a dot-separated path from a claims object (own properties only). */
export function readPath(source: unknown, path: string): unknown {
  const parts = splitPath(path);
  if (!parts) return undefined;
  let cur: unknown = source;
  for (const p of parts) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, p)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/**
 * Copies the allow-listed claim paths of `source` into a new object with the
 * same nesting (`"metadata.plan"` → `{metadata: {plan: …}}`). Missing paths
 * are left out.
 */
export function pickClaims(
  source: unknown,
  paths: readonly string[] | undefined,
): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (!paths) return out;
  for (const path of paths) {
    const parts = splitPath(path);
    if (!parts) continue;
    const value = toJsonValue(readPath(source, path));
    if (value === undefined) continue;
    let target = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i] as string;
      const next = target[key];
      if (next === undefined || next === null || typeof next !== "object" || Array.isArray(next)) {
        const created: { [key: string]: JsonValue } = {};
        target[key] = created;
        target = created;
      } else {
        target = next;
      }
    }
    target[parts[parts.length - 1] as string] = value;
  }
  return out;
}

/** Roles named by the `roleClaims` option, prefixed. */
export function rolesFromClaims(source: unknown, options: CommonIdentityOptions): string[] {
  const out: string[] = [];
  for (const path of options.roleClaims ?? []) {
    const value = readPath(source, path);
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (typeof item === "string" && item.trim() !== "") {
        out.push(`${options.claimRolePrefix ?? ""}${item.trim()}`);
      }
    }
  }
  return out;
}

/** Applies `roleMap` / `onlyMappedRoles` to normalized organization roles. */
export function mapOrgRoles(roles: readonly string[], options: CommonIdentityOptions): string[] {
  const out: string[] = [];
  for (const role of roles) {
    const mapped = options.roleMap ? Object.prototype.hasOwnProperty.call(options.roleMap, role) : false;
    if (mapped) {
      const target = (options.roleMap as Record<string, string | string[]>)[role];
      for (const r of Array.isArray(target) ? target : [target]) {
        if (typeof r === "string" && r !== "") out.push(r);
      }
    } else if (!options.onlyMappedRoles && role !== "") {
      out.push(role);
    }
  }
  return out;
}

/** Order-preserving de-duplication (Cerbos rejects duplicate roles). */
export function uniq(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Strings of an array-ish value; anything else gives `[]`. */
export function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === "string");
}

/** A string, or `null` for anything else. */
export function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** The Cerbos scope for an organization under the adapter options. */
export function scopeFor(
  orgId: string | null,
  orgSlug: string | null,
  options: CommonIdentityOptions,
): string | undefined {
  if (orgId === null || options.scope === false) return undefined;
  const scope = typeof options.scope === "function" ? options.scope(orgId, orgSlug) : orgId;
  return typeof scope === "string" && scope !== "" && isValidScope(scope) ? scope : undefined;
}

/**
 * Assembles the result, applying the principal scope / version options.
 * `baseRoles` hold everywhere; `orgRoles` only inside the active organization.
 */
export function buildResult(
  kind: PrincipalKind,
  id: string,
  baseRoles: string[],
  orgRoles: string[],
  attr: { [key: string]: JsonValue },
  orgId: string | null,
  scope: string | undefined,
  options: CommonIdentityOptions,
): IdentityResult {
  const roles = uniq([...baseRoles, ...orgRoles]);
  const base = new Set(baseRoles);
  const principal: IdentityPrincipal = { id, roles, attr };
  if (options.principalScope && scope !== undefined) principal.scope = scope;
  if (options.policyVersion !== undefined) principal.policyVersion = options.policyVersion;
  return { principal, scope, kind, orgId, orgRoles: uniq(orgRoles.filter((r) => !base.has(r))) };
}

/** The principal of a caller without a usable session. */
export function anonymousResult(
  idp: string,
  options: CommonIdentityOptions,
  attr: { [key: string]: JsonValue } = {},
): IdentityResult {
  const role = options.anonymousRole ?? "anonymous";
  return buildResult(
    "anonymous",
    options.anonymousId ?? "anonymous",
    [role],
    [],
    { idp, authenticated: false, ...attr },
    null,
    undefined,
    options,
  );
}

/**
 * The principal to use for a resource owned by `resourceOrgId`: the
 * organization roles of a token hold only inside its active organization, so
 * for any other organization (or a resource without one) they are removed.
 * The base role stays; a principal never ends up without roles.
 */
export function forOrganization(
  result: IdentityResult,
  resourceOrgId: string | null | undefined,
): IdentityPrincipal {
  if (result.orgId !== null && resourceOrgId === result.orgId) return result.principal;
  if (result.orgRoles.length === 0) return result.principal;
  const drop = new Set(result.orgRoles);
  // INVARIANT: buildResult keeps base roles out of orgRoles, and every
  // adapter passes at least one base role, so `roles` is never empty.
  const roles = result.principal.roles.filter((r) => !drop.has(r));
  return { ...result.principal, roles };
}
