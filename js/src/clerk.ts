/**
 * `portcullis/clerk`: turns a Clerk identity into a Cerbos principal.
 *
 * Accepts either the object Clerk's SDK gives you (`await auth()` in the App
 * Router, `getAuth(req)`, `clerkMiddleware((auth) => …)`,
 * `authenticateRequest(...).toAuth()`, including machine-token objects) or
 * the payload of a session token that you have already verified (v1 with
 * `org_*` claims, or v2 with the compact `o` claim). This module never
 * verifies anything itself.
 */

import {
  IdentityError,
  anonymousResult,
  buildResult,
  mapOrgRoles,
  pickClaims,
  rolesFromClaims,
  scopeFor,
  stringList,
  stringOrNull,
  type CommonIdentityOptions,
  type IdentityResult,
  type JsonValue,
} from "./identity.js";

export {
  IdentityError,
  forOrganization,
  isValidScope,
  type IdentityPrincipal,
  type IdentityResult,
  type JsonValue,
  type PrincipalKind,
} from "./identity.js";

/** Clerk's `act` claim (impersonation, or an agent acting for the user). */
export interface ClerkActor {
  sub: string;
  type?: string;
  [key: string]: unknown;
}

/** The compact organization claim of v2 session tokens. */
export interface ClerkOrgClaimV2 {
  id?: string;
  slg?: string;
  rol?: string;
  per?: string;
  fpm?: string;
}

/**
 * A verified Clerk session-token payload (v1 or v2). Custom claims from the
 * dashboard's session-token template are top-level keys.
 */
export interface ClerkSessionClaims {
  sub: string;
  sid?: string;
  iss?: string;
  azp?: string;
  v?: number;
  sts?: string | null;
  act?: ClerkActor;
  fva?: [number, number] | null;
  org_id?: string;
  org_role?: string;
  org_slug?: string;
  org_permissions?: string[];
  o?: ClerkOrgClaimV2;
  fea?: string;
  pla?: string;
  [key: string]: unknown;
}

/**
 * The fields of Clerk's auth objects this adapter reads: `SignedInAuthObject`,
 * `SignedOutAuthObject`, the machine objects (`api_key`, `m2m_token`,
 * `oauth_token`) and `InvalidTokenAuthObject` all fit.
 */
export interface ClerkAuthLike {
  tokenType?: string | null;
  isAuthenticated?: boolean;
  userId?: string | null;
  sessionId?: string | null;
  sessionStatus?: string | null;
  sessionClaims?: Record<string, unknown> | null;
  actor?: ClerkActor | null;
  orgId?: string | null;
  orgRole?: string | null;
  orgSlug?: string | null;
  orgPermissions?: string[] | null;
  factorVerificationAge?: readonly [number, number] | number[] | null;
  /** Machine tokens: the token's id. */
  id?: string | null;
  /** Machine tokens: who the token acts as. */
  subject?: string | null;
  /** Machine tokens: granted scopes. */
  scopes?: string[] | null;
  /** API keys: the key's name. */
  name?: string | null;
  /** API keys and M2M tokens: custom claims. */
  claims?: Record<string, unknown> | null;
  /** M2M tokens: the machine's id. */
  machineId?: string | null;
  /** OAuth tokens: the OAuth application's client id. */
  clientId?: string | null;
}

/** The machine token types Clerk can authenticate. */
export type ClerkMachineTokenType = "api_key" | "m2m_token" | "oauth_token";

const MACHINE_TOKEN_TYPES: readonly string[] = ["api_key", "m2m_token", "oauth_token"];

/** Options of {@link clerkPrincipal}. */
export interface ClerkPrincipalOptions extends CommonIdentityOptions {
  /**
   * How a pending session (`sts: "pending"`, e.g. an unfinished
   * choose-organization task) maps: `"anonymous"` (default, like Clerk's own
   * `treatPendingAsSignedOut: true`) or `"pending-role"`: the user's id with
   * only `pendingRole`, so policies can allow a few actions to such users.
   * Either way `attr.sessionStatus` is `"pending"`.
   */
  pending?: "anonymous" | "pending-role";
  /** Role of a pending session under `pending: "pending-role"`. Default `"pending"`. */
  pendingRole?: string;
  /** Base role of machine tokens. Default `"machine"`. */
  machineRole?: string;
  /**
   * Machine token types that map to machine principals; other machine
   * tokens map to the anonymous principal. Default: all three.
   */
  machineTokens?: readonly ClerkMachineTokenType[];
}

/** Features or plans split by the scope they belong to. */
export interface ScopedList {
  org: string[];
  user: string[];
}

/**
 * Splits a `fea` / `pla` claim (`"o:reports,u:beta,ou:x"`) the way Clerk
 * does: `o:` organization, `u:` user, `ou:`/`uo:` both; other scopes are
 * ignored, and an element without a colon is an error.
 */
export function splitByScope(claim: unknown): ScopedList {
  const out: ScopedList = { org: [], user: [] };
  if (claim === undefined || claim === null || claim === "") return out;
  if (typeof claim !== "string") {
    throw new IdentityError("invalid_claims", "Clerk fea/pla claim is not a string");
  }
  for (const raw of claim.split(",")) {
    const part = raw.trim();
    const colon = part.indexOf(":");
    if (colon === -1) {
      throw new IdentityError("invalid_claims", `Clerk claim element without a scope: ${part}`);
    }
    const scope = part.slice(0, colon);
    const value = part.slice(colon + 1);
    if (scope === "o") out.org.push(value);
    else if (scope === "u") out.user.push(value);
    else if (scope === "ou" || scope === "uo") {
      out.org.push(value);
      out.user.push(value);
    }
  }
  return out;
}

/**
 * Rebuilds `orgPermissions` from a v2 token exactly as Clerk's
 * `jwtPayloadParser` does: the i-th organization feature of `fea` has the
 * decimal bitmask `o.fpm[i]`; bit j (least significant first) grants
 * `o.per[j]`, giving `org:<feature>:<permission>`.
 */
export function decodeV2Permissions(fea: unknown, org: ClerkOrgClaimV2 | undefined): string[] {
  const per = org?.per;
  const fpm = org?.fpm;
  if (!per || !fpm || typeof per !== "string" || typeof fpm !== "string") return [];
  const features = splitByScope(fea).org;
  const permissions = per.split(",").map((p) => p.trim());
  const masks = fpm.split(",").map((m) => m.trim());
  const out: string[] = [];
  for (let i = 0; i < features.length && i < masks.length; i++) {
    const mask = masks[i] as string;
    // Clerk ignores (grants nothing for) a mask that is not a decimal number.
    if (!/^\d+$/.test(mask)) continue;
    // BigInt keeps masks wider than 53 bits exact, as Clerk's string division does.
    const bits = BigInt(mask);
    for (let j = 0; j < permissions.length; j++) {
      if (((bits >> BigInt(j)) & 1n) === 1n) {
        out.push(`org:${features[i] as string}:${permissions[j] as string}`);
      }
    }
  }
  return out;
}

/**
 * The auth-object fields Clerk derives from a verified session-token payload
 * (same results as Clerk's `__experimental_JWTPayloadToAuthObjectProperties`).
 */
export function clerkClaimsToAuth(claims: ClerkSessionClaims): ClerkAuthLike {
  if (claims === null || typeof claims !== "object" || typeof claims.sub !== "string") {
    throw new IdentityError("invalid_claims", "Clerk session claims need a string `sub`");
  }
  let orgId: string | undefined;
  let orgRole: string | undefined;
  let orgSlug: string | undefined;
  let orgPermissions: string[] | undefined;
  if (claims.v === 2) {
    const o = claims.o;
    if (o && typeof o === "object") {
      orgId = typeof o.id === "string" ? o.id : undefined;
      orgSlug = typeof o.slg === "string" ? o.slg : undefined;
      if (typeof o.rol === "string" && o.rol !== "") orgRole = `org:${o.rol}`;
      orgPermissions = decodeV2Permissions(claims.fea, o);
    }
  } else {
    orgId = typeof claims.org_id === "string" ? claims.org_id : undefined;
    orgRole = typeof claims.org_role === "string" ? claims.org_role : undefined;
    orgSlug = typeof claims.org_slug === "string" ? claims.org_slug : undefined;
    orgPermissions = Array.isArray(claims.org_permissions) ? stringList(claims.org_permissions) : undefined;
  }
  return {
    tokenType: "session_token",
    isAuthenticated: true,
    userId: claims.sub,
    sessionId: typeof claims.sid === "string" ? claims.sid : null,
    sessionStatus: typeof claims.sts === "string" ? claims.sts : null,
    sessionClaims: claims,
    actor: claims.act && typeof claims.act === "object" ? claims.act : null,
    orgId: orgId ?? null,
    orgRole: orgRole ?? null,
    orgSlug: orgSlug ?? null,
    orgPermissions: orgPermissions ?? null,
    factorVerificationAge: Array.isArray(claims.fva) ? claims.fva : null,
  };
}

function isAuthObject(input: object): boolean {
  return (
    "tokenType" in input ||
    "isAuthenticated" in input ||
    "userId" in input ||
    "sessionClaims" in input ||
    "subject" in input
  );
}

function factorAge(fva: ClerkAuthLike["factorVerificationAge"], index: number): number {
  if (!Array.isArray(fva)) return -1;
  const v: unknown = fva[index];
  return typeof v === "number" && Number.isFinite(v) ? v : -1;
}

function scopedJson(list: ScopedList): JsonValue {
  return { org: list.org, user: list.user };
}

function machinePrincipal(auth: ClerkAuthLike, options: ClerkPrincipalOptions): IdentityResult {
  const tokenType = auth.tokenType as ClerkMachineTokenType;
  const allowed = options.machineTokens ?? MACHINE_TOKEN_TYPES;
  const subject = auth.subject;
  if (
    auth.isAuthenticated !== true ||
    !allowed.includes(tokenType) ||
    typeof subject !== "string" ||
    subject === ""
  ) {
    return anonymousResult("clerk", options, { tokenType });
  }
  const orgId = stringOrNull(auth.orgId);
  const scope = scopeFor(orgId, null, options);
  const attr: { [key: string]: JsonValue } = {
    idp: "clerk",
    authenticated: true,
    tokenType,
    machineTokenId: stringOrNull(auth.id),
    scopes: stringList(auth.scopes),
    name: stringOrNull(auth.name),
    userId: stringOrNull(auth.userId),
    orgId,
    machineId: stringOrNull(auth.machineId),
    clientId: stringOrNull(auth.clientId),
    impersonated: false,
    claims: pickClaims(auth.claims ?? {}, options.claims),
  };
  const base = [options.machineRole ?? "machine", tokenType, ...rolesFromClaims(auth.claims ?? {}, options)];
  return buildResult("machine", subject, base, [], attr, orgId, scope, options);
}

/**
 * Maps a Clerk auth object or verified session-token claims to a principal.
 *
 * Signed-in users get `roles: [baseRole, <org role without "org:">]`; the
 * organization role holds only in the active organization (`attr.orgId`,
 * and see `forOrganization`). Impersonation (`act`) is reported in
 * `attr.impersonated` / `attr.actorId`, never as a role. Signed-out,
 * invalid and (by default) pending sessions map to the anonymous principal.
 *
 * @throws {IdentityError} when the input is neither an auth object nor
 *   claims with a string `sub`, or when `fea`/`pla` is malformed.
 */
export function clerkPrincipal(
  input: ClerkAuthLike | ClerkSessionClaims | null | undefined,
  options: ClerkPrincipalOptions = {},
): IdentityResult {
  if (input === null || input === undefined) return anonymousResult("clerk", options);
  if (typeof input !== "object") {
    throw new IdentityError("invalid_input", "clerkPrincipal expects an auth object or session claims");
  }
  let auth: ClerkAuthLike;
  // Claims first: a custom session claim may well be called `userId`, but no
  // Clerk auth object has a top-level `sub`.
  if (typeof (input as ClerkSessionClaims).sub === "string") {
    auth = clerkClaimsToAuth(input as ClerkSessionClaims);
  } else if (isAuthObject(input)) {
    auth = input as ClerkAuthLike;
  } else {
    throw new IdentityError("invalid_input", "clerkPrincipal expects an auth object or session claims");
  }

  if (typeof auth.tokenType === "string" && MACHINE_TOKEN_TYPES.includes(auth.tokenType)) {
    return machinePrincipal(auth, options);
  }
  if (auth.tokenType !== undefined && auth.tokenType !== null && auth.tokenType !== "session_token") {
    return anonymousResult("clerk", options, { tokenType: String(auth.tokenType) });
  }

  const sessionStatus = stringOrNull(auth.sessionStatus);
  const userId = auth.userId;
  const signedIn = typeof userId === "string" && userId !== "" && auth.isAuthenticated !== false;
  if (!signedIn) {
    // Clerk's default `treatPendingAsSignedOut` yields a signed-out object that
    // still carries `sessionStatus: "pending"`; keep that visible to policies.
    return anonymousResult("clerk", options, sessionStatus ? { sessionStatus } : {});
  }
  const pending = sessionStatus === "pending";
  if (pending && (options.pending ?? "anonymous") === "anonymous") {
    return anonymousResult("clerk", options, { sessionStatus, pendingUserId: userId });
  }

  const claims: Record<string, unknown> =
    auth.sessionClaims && typeof auth.sessionClaims === "object" ? auth.sessionClaims : {};
  const orgId = stringOrNull(auth.orgId);
  const orgSlug = stringOrNull(auth.orgSlug);
  const orgRole = stringOrNull(auth.orgRole);
  // An org role without an active org cannot be scoped, so it is ignored.
  const orgRoles =
    orgId !== null && orgRole !== null && !pending
      ? mapOrgRoles([orgRole.replace(/^org:/, "")], options)
      : [];
  const actor = auth.actor && typeof auth.actor === "object" ? auth.actor : null;
  const fva = auth.factorVerificationAge;
  const attr: { [key: string]: JsonValue } = {
    idp: "clerk",
    authenticated: true,
    tokenType: "session_token",
    sessionId: stringOrNull(auth.sessionId),
    sessionStatus,
    orgId,
    orgSlug,
    orgRole,
    permissions: orgId !== null ? stringList(auth.orgPermissions) : [],
    features: scopedJson(splitByScope(claims.fea)),
    plans: scopedJson(splitByScope(claims.pla)),
    firstFactorAgeMin: factorAge(fva, 0),
    secondFactorAgeMin: factorAge(fva, 1),
    impersonated: actor !== null,
    actorId: actor !== null ? stringOrNull(actor.sub) : null,
    actorType: actor !== null ? (stringOrNull(actor.type) ?? "impersonation") : null,
    azp: stringOrNull(claims.azp),
    iss: stringOrNull(claims.iss),
    claims: pickClaims(claims, options.claims),
  };
  const scope = scopeFor(orgId, orgSlug, options);
  const base = pending
    ? [options.pendingRole ?? "pending"]
    : [options.baseRole ?? "user", ...rolesFromClaims(claims, options)];
  return buildResult("user", userId, base, orgRoles, attr, orgId, scope, options);
}
