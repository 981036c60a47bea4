/**
 * `portcullis/workos`: turns a WorkOS AuthKit identity into a Cerbos principal.
 *
 * Accepts the session objects WorkOS's SDKs return (`withAuth()` from
 * `@workos-inc/authkit-nextjs`, `authenticateWithSessionCookie()` /
 * `loadSealedSession(...).authenticate()` and `refreshSession()` from
 * `@workos-inc/node`) or the payload of an access token you have already
 * verified. The access token carries only the active organization, its
 * role(s), permissions, entitlements and feature flags; SSO details,
 * directory groups and membership state are not in it, so they are accepted
 * as optional enrichment inputs (cache them from login / Directory Sync).
 * This module never verifies anything itself.
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
  toJsonValue,
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

/** The fields of a WorkOS `User` this adapter reads. */
export interface WorkosUserLike {
  id: string;
  email?: string | null;
  emailVerified?: boolean;
  externalId?: string | null;
  metadata?: Record<string, string> | null;
}

/** Who is impersonating the user (AuthKit's `Impersonator`). */
export interface WorkosImpersonator {
  email: string;
  reason: string | null;
}

/**
 * `withAuth()`'s `UserInfo | NoUserInfo`, and the `authenticateWithSessionCookie`
 * / `refreshSession` success and failure responses.
 */
export interface WorkosSessionLike {
  authenticated?: boolean;
  reason?: string;
  user?: WorkosUserLike | null;
  sessionId?: string;
  organizationId?: string;
  role?: string;
  roles?: string[];
  permissions?: string[];
  entitlements?: string[];
  featureFlags?: string[];
  impersonator?: WorkosImpersonator;
  authenticationMethod?: string;
  accessToken?: string;
}

/** A verified AuthKit access-token payload. */
export interface WorkosAccessTokenClaims {
  sub: string;
  sid?: string;
  iss?: string;
  org_id?: string;
  role?: string;
  roles?: string[];
  permissions?: string[];
  entitlements?: string[];
  feature_flags?: string[];
  act?: { sub: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** A role reference as WorkOS returns it. */
export interface WorkosRoleRef {
  slug: string;
}

/** The fields of an SSO `Profile` this adapter reads. */
export interface WorkosProfileLike {
  id?: string;
  idpId?: string;
  organizationId?: string | null;
  connectionId?: string;
  connectionType?: string;
  role?: WorkosRoleRef | null;
  roles?: WorkosRoleRef[] | null;
  groups?: string[] | null;
  customAttributes?: Record<string, unknown> | null;
}

/** The fields of a Directory Sync `DirectoryGroup` this adapter reads. */
export interface WorkosDirectoryGroupLike {
  id: string;
  idpId?: string;
  directoryId?: string;
  organizationId?: string | null;
  name: string;
  rawAttributes?: unknown;
}

/** The fields of a `DirectoryUser` / `DirectoryUserWithGroups` this adapter reads. */
export interface WorkosDirectoryUserLike {
  id?: string;
  directoryId?: string;
  organizationId?: string | null;
  idpId?: string;
  state?: string;
  role?: WorkosRoleRef | null;
  roles?: WorkosRoleRef[] | null;
  customAttributes?: Record<string, unknown> | null;
  groups?: WorkosDirectoryGroupLike[];
}

/** The fields of a `Directory` this adapter reads. */
export interface WorkosDirectoryLike {
  id?: string;
  type?: string;
  state?: string;
  organizationId?: string | null;
}

/** The fields of an `OrganizationMembership` this adapter reads. */
export interface WorkosMembershipLike {
  id?: string;
  organizationId: string;
  userId?: string;
  status: string;
  role?: WorkosRoleRef | null;
  roles?: WorkosRoleRef[] | null;
  directoryManaged?: boolean;
  customAttributes?: Record<string, unknown> | null;
}

/** Options and enrichment inputs of {@link workosPrincipal}. */
export interface WorkosPrincipalOptions extends CommonIdentityOptions {
  /** SSO profile from login (`sso.getProfileAndToken`), cached by the app. */
  profile?: WorkosProfileLike | null;
  /** Directory Sync user (with or without `groups`). */
  directoryUser?: WorkosDirectoryUserLike | null;
  /** Directory Sync groups of the user (added to `directoryUser.groups`). */
  directoryGroups?: readonly WorkosDirectoryGroupLike[] | null;
  /** The directory the groups come from (for `attr.directory.provider`). */
  directory?: WorkosDirectoryLike | null;
  /** The user's membership in the active organization. */
  membership?: WorkosMembershipLike | null;
  /**
   * Directory or SSO group → role(s). Group roles are organization roles:
   * they apply only when the group belongs to the active organization.
   */
  groupRoles?: Record<string, string | string[]>;
  /** Name used for a directory group. Default `group.name`. */
  groupName?: (group: WorkosDirectoryGroupLike) => string;
  /** Allow-listed keys of profile / directory / membership `customAttributes`. */
  customAttributes?: string[];
  /**
   * What a membership whose status is not `active` does to organization
   * roles: `"drop-org-roles"` (default) or `"keep"`. `attr.membership.status`
   * is set either way.
   */
  inactiveMembership?: "drop-org-roles" | "keep";
}

/** SSO protocol of a WorkOS `ConnectionType` (`OktaSAML` → `saml`, …). */
export function ssoProtocol(connectionType: string | null | undefined): string {
  if (typeof connectionType !== "string" || connectionType === "") return "none";
  if (/SAML$/.test(connectionType)) return "saml";
  if (/oidc$/i.test(connectionType)) return "oidc";
  if (/OAuth$/.test(connectionType)) return "oauth";
  if (connectionType === "MagicLink") return "magic_link";
  return "other";
}

/** Identity provider behind a Directory Sync `DirectoryType`. */
export function directoryProvider(type: string | null | undefined): string | null {
  if (typeof type !== "string" || type === "") return null;
  if (type.startsWith("okta")) return "okta";
  if (type.startsWith("azure")) return "azure_ad";
  if (type === "gsuite directory") return "google_workspace";
  return type.replace(/ scim v2\.0$/, "").replace(/\s+/g, "_");
}

function slugs(one: WorkosRoleRef | null | undefined, many: WorkosRoleRef[] | null | undefined): string[] {
  if (Array.isArray(many) && many.length > 0) {
    return many.map((r) => r?.slug).filter((s): s is string => typeof s === "string" && s !== "");
  }
  return typeof one?.slug === "string" && one.slug !== "" ? [one.slug] : [];
}

function sameOrg(orgId: string | null, other: string | null | undefined): boolean {
  return orgId !== null && other === orgId;
}

function groupRoleList(groups: readonly string[], options: WorkosPrincipalOptions): string[] {
  const map = options.groupRoles;
  if (!map) return [];
  const out: string[] = [];
  for (const g of groups) {
    if (!Object.prototype.hasOwnProperty.call(map, g)) continue;
    const target = map[g];
    for (const r of Array.isArray(target) ? target : [target]) {
      if (typeof r === "string" && r !== "") out.push(r);
    }
  }
  return out;
}

interface Normalized {
  userId: string;
  sessionId: string | null;
  orgId: string | null;
  role: string | null;
  roles: string[];
  permissions: string[];
  entitlements: string[];
  featureFlags: string[];
  impersonated: boolean;
  impersonatorEmail: string | null;
  impersonationReason: string | null;
  authenticationMethod: string | null;
  user: WorkosUserLike | null;
  iss: string | null;
  claims: Record<string, unknown>;
}

function fromSession(s: WorkosSessionLike, user: WorkosUserLike): Normalized {
  const imp = s.impersonator && typeof s.impersonator === "object" ? s.impersonator : null;
  return {
    userId: user.id,
    sessionId: stringOrNull(s.sessionId),
    orgId: stringOrNull(s.organizationId),
    role: stringOrNull(s.role),
    roles: stringList(s.roles),
    permissions: stringList(s.permissions),
    entitlements: stringList(s.entitlements),
    featureFlags: stringList(s.featureFlags),
    impersonated: imp !== null,
    impersonatorEmail: imp ? stringOrNull(imp.email) : null,
    impersonationReason: imp ? stringOrNull(imp.reason) : null,
    authenticationMethod: stringOrNull(s.authenticationMethod),
    user,
    iss: null,
    claims: {},
  };
}

function fromClaims(c: WorkosAccessTokenClaims): Normalized {
  const act = c.act && typeof c.act === "object" ? c.act : null;
  return {
    userId: c.sub,
    sessionId: stringOrNull(c.sid),
    orgId: stringOrNull(c.org_id),
    role: stringOrNull(c.role),
    roles: stringList(c.roles),
    permissions: stringList(c.permissions),
    entitlements: stringList(c.entitlements),
    featureFlags: stringList(c.feature_flags),
    impersonated: act !== null,
    // WorkOS puts the impersonator's email in `act.sub`.
    impersonatorEmail: act ? stringOrNull(act.sub) : null,
    impersonationReason: null,
    authenticationMethod: null,
    user: null,
    iss: stringOrNull(c.iss),
    claims: c,
  };
}

/**
 * Maps a WorkOS session or verified access-token claims (plus optional
 * enrichment) to a principal.
 *
 * Roles: `[baseRole, ...organization role slugs, ...group roles]`; the
 * organization roles hold only in the active organization (`attr.orgId`, see
 * `forOrganization`). Every enrichment section of `attr` (`sso`, `directory`,
 * `membership`) is always present with `present: false` when not supplied,
 * so policy conditions never read a missing key.
 *
 * @throws {IdentityError} when the input is neither a WorkOS session nor
 *   claims with a string `sub`.
 */
export function workosPrincipal(
  input: WorkosSessionLike | WorkosAccessTokenClaims | null | undefined,
  options: WorkosPrincipalOptions = {},
): IdentityResult {
  if (input === null || input === undefined) return anonymousResult("workos", options);
  if (typeof input !== "object") {
    throw new IdentityError("invalid_input", "workosPrincipal expects a WorkOS session or access-token claims");
  }
  let n: Normalized;
  const sub = (input as WorkosAccessTokenClaims).sub;
  // Claims first: session objects never carry a top-level `sub`, while a
  // custom claim could be called `user`.
  if (typeof sub === "string" && sub !== "") {
    n = fromClaims(input as WorkosAccessTokenClaims);
  } else if ("user" in input || "authenticated" in input) {
    const s = input as WorkosSessionLike;
    if (s.authenticated === false) {
      return anonymousResult("workos", options, s.reason ? { reason: String(s.reason) } : {});
    }
    const user = s.user;
    if (!user || typeof user !== "object" || typeof user.id !== "string" || user.id === "") {
      return anonymousResult("workos", options);
    }
    n = fromSession(s, user);
  } else {
    throw new IdentityError("invalid_input", "workosPrincipal expects a WorkOS session or access-token claims");
  }

  const orgId = n.orgId;
  const custom = (v: Record<string, unknown> | null | undefined): JsonValue =>
    pickClaims(v ?? {}, options.customAttributes);

  // Membership: only the one for the active organization counts.
  const m = options.membership && sameOrg(orgId, options.membership.organizationId) ? options.membership : null;
  const membershipAttr: { [key: string]: JsonValue } = {
    present: m !== null,
    status: m ? stringOrNull(m.status) : null,
    directoryManaged: m ? m.directoryManaged === true : false,
    roles: m ? slugs(m.role, m.roles) : [],
    custom: m ? custom(m.customAttributes) : {},
  };
  const membershipInactive = m !== null && m.status !== "active";

  // SSO profile: describes how the user logged in.
  const p = options.profile ?? null;
  const ssoGroups = p ? stringList(p.groups) : [];
  const ssoAttr: { [key: string]: JsonValue } = {
    present: p !== null,
    connectionId: p ? stringOrNull(p.connectionId) : null,
    connectionType: p ? stringOrNull(p.connectionType) : null,
    protocol: ssoProtocol(p?.connectionType),
    idpId: p ? stringOrNull(p.idpId) : null,
    organizationId: p ? stringOrNull(p.organizationId) : null,
    groups: ssoGroups,
    roles: p ? slugs(p.role, p.roles) : [],
    custom: p ? custom(p.customAttributes) : {},
  };

  // Directory Sync: groups of the active organization's directory.
  const du = options.directoryUser ?? null;
  const allGroups = [...(du?.groups ?? []), ...(options.directoryGroups ?? [])];
  const nameOf = options.groupName ?? ((g: WorkosDirectoryGroupLike) => g.name);
  const seen = new Set<string>();
  const groups: WorkosDirectoryGroupLike[] = [];
  for (const g of allGroups) {
    if (!g || typeof g !== "object" || typeof g.id !== "string" || seen.has(g.id)) continue;
    // A group of another organization's directory says nothing here.
    if (g.organizationId !== null && g.organizationId !== undefined && g.organizationId !== orgId) continue;
    seen.add(g.id);
    groups.push(g);
  }
  const groupNames = groups.map((g) => nameOf(g)).filter((s): s is string => typeof s === "string");
  const dir = options.directory ?? null;
  const directoryState = du ? stringOrNull(du.state) : null;
  const directoryAttr: { [key: string]: JsonValue } = {
    present: du !== null || groups.length > 0,
    directoryId: stringOrNull(du?.directoryId ?? dir?.id),
    provider: directoryProvider(dir?.type),
    state: directoryState,
    groups: groupNames,
    groupIds: groups.map((g) => g.id),
    roles: du ? slugs(du.role, du.roles) : [],
    custom: du ? custom(du.customAttributes) : {},
  };

  // Organization roles: the token's, else the active membership's.
  let tokenRoles = n.roles.length > 0 ? n.roles : n.role !== null ? [n.role] : [];
  if (tokenRoles.length === 0 && m !== null) tokenRoles = slugs(m.role, m.roles);
  let orgRoles = orgId !== null ? mapOrgRoles(tokenRoles, options) : [];
  const ssoGroupsInOrg = p !== null && sameOrg(orgId, p.organizationId) ? ssoGroups : [];
  const groupsForRoles = directoryState === "inactive" ? ssoGroupsInOrg : [...groupNames, ...ssoGroupsInOrg];
  if (orgId !== null) orgRoles.push(...groupRoleList(groupsForRoles, options));
  if (membershipInactive && (options.inactiveMembership ?? "drop-org-roles") === "drop-org-roles") {
    orgRoles = [];
  }

  const user = n.user;
  const attr: { [key: string]: JsonValue } = {
    idp: "workos",
    authenticated: true,
    sessionId: n.sessionId,
    orgId,
    role: n.role,
    roleSlugs: n.roles.length > 0 ? n.roles : n.role !== null ? [n.role] : [],
    permissions: orgId !== null ? n.permissions : [],
    entitlements: n.entitlements,
    featureFlags: n.featureFlags,
    impersonated: n.impersonated,
    impersonatorEmail: n.impersonatorEmail,
    impersonationReason: n.impersonationReason,
    authenticationMethod: n.authenticationMethod,
    email: user ? stringOrNull(user.email) : stringOrNull(n.claims.email),
    emailVerified: user ? user.emailVerified === true : false,
    externalId: user ? stringOrNull(user.externalId) : null,
    userMetadata: (user && toJsonValue(user.metadata ?? {})) || {},
    iss: n.iss,
    claims: pickClaims(n.claims, options.claims),
    sso: ssoAttr,
    directory: directoryAttr,
    membership: membershipAttr,
  };
  const scope = scopeFor(orgId, null, options);
  const base = [options.baseRole ?? "user", ...rolesFromClaims(n.claims, options)];
  return buildResult("user", n.userId, base, orgRoles, attr, orgId, scope, options);
}
