// portcullis/clerk against the real Clerk SDK: tokens signed with a local RSA
// key are verified offline by @clerk/backend's verifyToken (jwtKey), turned
// into Clerk's own auth objects, and mapped by clerkPrincipal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyToken } from "@clerk/backend";
import {
  signedInAuthObject,
  signedOutAuthObject,
  authenticatedMachineObject,
  unauthenticatedMachineObject,
  invalidTokenAuthObject,
  getAuthObjectFromJwt,
} from "@clerk/backend/internal";
import { decodeJwt } from "@clerk/backend/jwt";
import { __experimental_JWTPayloadToAuthObjectProperties as clerkParse } from "@clerk/shared/jwtPayloadParser";
import {
  clerkPrincipal,
  clerkClaimsToAuth,
  decodeV2Permissions,
  forOrganization,
  IdentityError,
} from "../../js/dist/clerk.js";
import { makeRsaKey, signJwt, nowSec } from "./identity-keys.mjs";

const key = makeRsaKey();
const ISS = "https://clerk.example.test";

function baseClaims(extra = {}) {
  const now = nowSec();
  return { iss: ISS, sub: "user_2alice", sid: "sess_1", iat: now, nbf: now - 5, exp: now + 60, azp: "http://localhost:3000", ...extra };
}

const V1 = baseClaims({
  org_id: "org_2acme",
  org_role: "org:admin",
  org_slug: "acme",
  org_permissions: ["org:reports:read", "org:billing:manage"],
  fva: [3, 3],
  metadata: { plan: "pro", department: "finance", secret: "s3cr3t" },
});

const V2 = baseClaims({
  v: 2,
  o: { id: "org_2acme", slg: "acme", rol: "admin", per: "read,manage", fpm: "3,1" },
  fea: "o:reports,o:billing,u:beta",
  pla: "o:pro,u:free",
  sts: "active",
  fva: [12, -1],
  metadata: { plan: "pro" },
});

// Verifies with the real SDK; throws like Clerk would on a bad token.
async function verified(claims) {
  const token = signJwt(key, claims);
  const payload = await verifyToken(token, { jwtKey: key.pem });
  return { token, payload };
}

test("verifyToken really verifies (bad signature and expiry are rejected)", async () => {
  const other = makeRsaKey();
  await assert.rejects(verifyToken(signJwt(other, V1), { jwtKey: key.pem }));
  await assert.rejects(verifyToken(signJwt(key, { ...V1, exp: nowSec() - 60 }), { jwtKey: key.pem }));
});

test("v1 session token: org role, permissions, scope, factor age", async () => {
  const { payload } = await verified(V1);
  const r = clerkPrincipal(payload, { claims: ["metadata.plan", "metadata.department"] });
  assert.equal(r.kind, "user");
  assert.equal(r.orgId, "org_2acme");
  assert.equal(r.scope, "org_2acme");
  assert.deepEqual(r.orgRoles, ["admin"]);
  assert.deepEqual(r.principal, {
    id: "user_2alice",
    roles: ["user", "admin"],
    attr: {
      idp: "clerk",
      authenticated: true,
      tokenType: "session_token",
      sessionId: "sess_1",
      sessionStatus: null,
      orgId: "org_2acme",
      orgSlug: "acme",
      orgRole: "org:admin",
      permissions: ["org:reports:read", "org:billing:manage"],
      features: { org: [], user: [] },
      plans: { org: [], user: [] },
      firstFactorAgeMin: 3,
      secondFactorAgeMin: 3,
      impersonated: false,
      actorId: null,
      actorType: null,
      azp: "http://localhost:3000",
      iss: ISS,
      claims: { metadata: { plan: "pro", department: "finance" } },
    },
  });
});

test("v2 session token: fea/fpm decoding matches Clerk's own auth object", async () => {
  const { token, payload } = await verified(V2);
  const auth = signedInAuthObject({}, token, payload);
  assert.deepEqual(auth.orgPermissions, ["org:reports:read", "org:reports:manage", "org:billing:read"]);
  const fromClaims = clerkPrincipal(payload, { claims: ["metadata.plan"] });
  const fromAuth = clerkPrincipal(auth, { claims: ["metadata.plan"] });
  assert.deepEqual(fromClaims, fromAuth);
  assert.deepEqual(fromAuth.principal.roles, ["user", "admin"]);
  assert.deepEqual(fromAuth.principal.attr.permissions, auth.orgPermissions);
  assert.deepEqual(fromAuth.principal.attr.features, { org: ["reports", "billing"], user: ["beta"] });
  assert.deepEqual(fromAuth.principal.attr.plans, { org: ["pro"], user: ["free"] });
  assert.equal(fromAuth.principal.attr.orgRole, "org:admin");
  assert.equal(fromAuth.principal.attr.sessionStatus, "active");
  assert.equal(fromAuth.principal.attr.firstFactorAgeMin, 12);
  assert.equal(fromAuth.principal.attr.secondFactorAgeMin, -1);
  assert.deepEqual(fromAuth.principal.attr.claims, { metadata: { plan: "pro" } });
});

test("v1 claims and the auth object Clerk builds from them give the same principal", async () => {
  const { token, payload } = await verified(V1);
  const auth = signedInAuthObject({}, token, payload);
  assert.deepEqual(clerkPrincipal(auth), clerkPrincipal(payload));
});

// Deterministic pseudo-random generator so failures reproduce.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test("v2 permission decoding equals Clerk's jwtPayloadParser on 2,000 random claim sets", () => {
  const rand = rng(42);
  const pick = (n) => Math.floor(rand() * n);
  const scopes = ["o", "u", "ou", "uo", "x"];
  for (let i = 0; i < 2000; i++) {
    const nFeat = pick(6);
    const fea = Array.from({ length: nFeat }, (_, k) => `${scopes[pick(scopes.length)]}:f${k}`).join(",");
    const nPerm = pick(70); // masks wider than 53 bits exercise exact big-number handling
    const per = Array.from({ length: nPerm }, (_, k) => `p${k}`).join(",");
    const masks = Array.from({ length: pick(7) }, () => {
      const r = rand();
      if (r < 0.1) return "x1"; // not a decimal: grants nothing
      if (r < 0.2) return " 5 ";
      let digits = String(1 + pick(9));
      const len = pick(22);
      for (let d = 0; d < len; d++) digits += String(pick(10));
      return digits;
    });
    const claims = { sub: "user_x", v: 2, fea: fea || undefined, o: { id: "org_x", per: per || undefined, fpm: masks.join(",") || undefined } };
    const expected = clerkParse(claims).orgPermissions;
    assert.deepEqual(decodeV2Permissions(claims.fea, claims.o), expected, JSON.stringify(claims));
    assert.deepEqual(clerkClaimsToAuth(claims).orgPermissions, expected);
  }
});

test("a v2 token without features has no permissions (permissions hang off features)", () => {
  const r = clerkPrincipal({ sub: "user_x", v: 2, o: { id: "org_x", rol: "member", per: "read", fpm: "1" } });
  assert.deepEqual(r.principal.attr.permissions, []);
  assert.deepEqual(r.principal.roles, ["user", "member"]);
});

test("malformed fea is rejected like Clerk rejects it", () => {
  assert.throws(() => clerkPrincipal({ sub: "user_x", v: 2, fea: "reports", o: { id: "org_x" } }), IdentityError);
  assert.throws(() => clerkParse({ sub: "user_x", v: 2, fea: "reports", o: { id: "org_x", per: "a", fpm: "1" } }));
});

test("impersonation: act is visible as attributes, never as a role", async () => {
  const { token, payload } = await verified({ ...V1, act: { sub: "user_2support", iss: ISS } });
  const r = clerkPrincipal(signedInAuthObject({}, token, payload));
  assert.equal(r.principal.attr.impersonated, true);
  assert.equal(r.principal.attr.actorId, "user_2support");
  assert.equal(r.principal.attr.actorType, "impersonation");
  assert.deepEqual(r.principal.roles, ["user", "admin"]);
  const agent = clerkPrincipal({ ...payload, act: { sub: "agent_1", type: "agent" } });
  assert.equal(agent.principal.attr.actorType, "agent");
});

test("pending sessions: anonymous by default (like Clerk), a restricted role on request", async () => {
  const pendingClaims = { ...V2, sts: "pending" };
  const { token, payload } = await verified(pendingClaims);
  const jwt = decodeJwt(token);
  // Clerk's default treatPendingAsSignedOut gives a signed-out object that keeps the status.
  const signedOut = getAuthObjectFromJwt(jwt, {});
  assert.equal(signedOut.userId, null);
  const a = clerkPrincipal(signedOut);
  assert.equal(a.kind, "anonymous");
  assert.deepEqual(a.principal.roles, ["anonymous"]);
  assert.equal(a.principal.attr.sessionStatus, "pending");

  const fromClaims = clerkPrincipal(payload);
  assert.equal(fromClaims.kind, "anonymous");
  assert.equal(fromClaims.principal.attr.pendingUserId, "user_2alice");

  const signedIn = getAuthObjectFromJwt(jwt, { treatPendingAsSignedOut: false });
  const b = clerkPrincipal(signedIn, { pending: "pending-role" });
  assert.equal(b.kind, "user");
  assert.deepEqual(b.principal.roles, ["pending"]);
  assert.deepEqual(b.orgRoles, []);
  assert.equal(b.principal.attr.sessionStatus, "pending");
});

test("signed-out and invalid-token objects map to the anonymous principal", () => {
  for (const auth of [signedOutAuthObject(), invalidTokenAuthObject(), null, undefined]) {
    const r = clerkPrincipal(auth);
    assert.equal(r.kind, "anonymous");
    assert.equal(r.principal.id, "anonymous");
    assert.deepEqual(r.principal.roles, ["anonymous"]);
    assert.equal(r.principal.attr.authenticated, false);
    assert.equal(r.scope, undefined);
  }
  const custom = clerkPrincipal(signedOutAuthObject(), { anonymousId: "guest", anonymousRole: "guest" });
  assert.deepEqual(custom.principal.roles, ["guest"]);
  assert.equal(custom.principal.id, "guest");
});

test("machine tokens from Clerk's own machine auth objects", () => {
  const apiKey = authenticatedMachineObject("api_key", "ak_tok", {
    id: "ak_1", subject: "org_2acme", name: "ci", scopes: ["read:reports"], claims: { env: "prod", other: 1 },
  });
  const r1 = clerkPrincipal(apiKey, { claims: ["env"] });
  assert.equal(r1.kind, "machine");
  assert.equal(r1.principal.id, "org_2acme");
  assert.deepEqual(r1.principal.roles, ["machine", "api_key"]);
  assert.equal(r1.principal.attr.orgId, "org_2acme");
  assert.equal(r1.principal.attr.name, "ci");
  assert.deepEqual(r1.principal.attr.scopes, ["read:reports"]);
  assert.deepEqual(r1.principal.attr.claims, { env: "prod" });
  assert.equal(r1.scope, "org_2acme");

  const m2m = authenticatedMachineObject("m2m_token", "mt_tok", { id: "mt_1", subject: "mch_1", scopes: ["mch_2"], claims: null });
  const r2 = clerkPrincipal(m2m);
  assert.deepEqual(r2.principal.roles, ["machine", "m2m_token"]);
  assert.equal(r2.principal.attr.machineId, "mch_1");
  assert.equal(r2.orgId, null);

  const oauth = authenticatedMachineObject("oauth_token", "oat_tok", { id: "oat_1", subject: "user_2alice", scopes: ["profile"], clientId: "client_1" });
  const r3 = clerkPrincipal(oauth);
  assert.deepEqual(r3.principal.roles, ["machine", "oauth_token"]);
  assert.equal(r3.principal.attr.userId, "user_2alice");
  assert.equal(r3.principal.attr.clientId, "client_1");

  assert.equal(clerkPrincipal(oauth, { machineTokens: ["api_key"] }).kind, "anonymous");
  for (const t of ["api_key", "m2m_token", "oauth_token"]) {
    assert.equal(clerkPrincipal(unauthenticatedMachineObject(t)).kind, "anonymous");
  }
});

test("custom claims: only allow-listed paths are copied; role claims and role maps", async () => {
  const { payload } = await verified({ ...V1, metadata: { plan: "pro", roles: ["beta", "auditor"], secret: "x" } });
  const r = clerkPrincipal(payload, {
    claims: ["metadata.plan", "metadata.missing", "exp", "__proto__.x"],
    roleClaims: ["metadata.roles"],
    claimRolePrefix: "meta:",
    roleMap: { admin: ["org_admin", "billing"] },
  });
  assert.deepEqual(r.principal.attr.claims, { metadata: { plan: "pro" }, exp: payload.exp });
  assert.deepEqual(r.principal.roles, ["user", "meta:beta", "meta:auditor", "org_admin", "billing"]);
  assert.deepEqual(r.orgRoles, ["org_admin", "billing"]);
  const only = clerkPrincipal(payload, { roleMap: { member: "reader" }, onlyMappedRoles: true });
  assert.deepEqual(only.principal.roles, ["user"]);
});

test("organization roles hold only in the active organization", async () => {
  const { payload } = await verified(V1);
  const r = clerkPrincipal(payload);
  assert.deepEqual(forOrganization(r, "org_2acme").roles, ["user", "admin"]);
  assert.deepEqual(forOrganization(r, "org_2other").roles, ["user"]);
  assert.deepEqual(forOrganization(r, null).roles, ["user"]);
  // A personal-account session has no org roles to drop.
  const personal = clerkPrincipal({ ...payload, org_id: undefined, org_role: undefined, org_permissions: undefined });
  assert.deepEqual(personal.principal.roles, ["user"]);
  assert.deepEqual(personal.principal.attr.permissions, []);
  assert.equal(personal.scope, undefined);
});

test("scope options: custom function, disabled, invalid ids dropped, principal scope", async () => {
  const { payload } = await verified(V1);
  assert.equal(clerkPrincipal(payload, { scope: false }).scope, undefined);
  assert.equal(clerkPrincipal(payload, { scope: (_id, slug) => `tenants.${slug}` }).scope, "tenants.acme");
  assert.equal(clerkPrincipal(payload, { scope: () => "bad scope!" }).scope, undefined);
  assert.equal(clerkPrincipal({ ...payload, org_id: "org with space" }).scope, undefined);
  const withScope = clerkPrincipal(payload, { principalScope: true, policyVersion: "v2" });
  assert.equal(withScope.principal.scope, "org_2acme");
  assert.equal(withScope.principal.policyVersion, "v2");
  assert.equal(clerkPrincipal(payload).principal.scope, undefined);
});

test("inputs that are not Clerk identities are refused with IdentityError", () => {
  assert.throws(() => clerkPrincipal({ foo: 1 }), (e) => e instanceof IdentityError && e.code === "invalid_input");
  assert.throws(() => clerkPrincipal("user_1"), IdentityError);
  assert.throws(() => clerkClaimsToAuth({ sub: 5 }), (e) => e.code === "invalid_claims");
  // Hostile nesting in an allow-listed claim is cut, not recursed forever.
  let deep = {};
  const root = deep;
  for (let i = 0; i < 10000; i++) deep = deep.x = {};
  const r = clerkPrincipal({ sub: "user_x", metadata: root }, { claims: ["metadata"] });
  assert.equal(typeof r.principal.attr.claims.metadata, "object");
});

test("claims with custom keys named like auth-object fields are still read as claims", async () => {
  const { payload } = await verified({ ...V1, userId: "custom", tokenType: "x", isAuthenticated: false });
  const r = clerkPrincipal(payload);
  assert.equal(r.kind, "user");
  assert.deepEqual(r.principal.roles, ["user", "admin"]);
});

test("authenticateRequest → toAuth() → clerkPrincipal, offline with jwtKey (v1 and v2 tokens)", async () => {
  const { createClerkClient } = await import("@clerk/backend");
  // Placeholder keys of the right shape: with jwtKey nothing is fetched.
  const publishableKey = `pk_test_${Buffer.from("clerk.example.test$").toString("base64")}`;
  const clerk = createClerkClient({ secretKey: "sk_test_placeholder", publishableKey, jwtKey: key.pem });
  for (const claims of [V1, V2]) {
    const token = signJwt(key, claims);
    const request = new Request("http://localhost:3000/api/reports", {
      headers: { authorization: `Bearer ${token}` },
    });
    const state = await clerk.authenticateRequest(request, { jwtKey: key.pem, authorizedParties: ["http://localhost:3000"] });
    assert.equal(state.isSignedIn, true, `signed in (${state.reason ?? "no reason"})`);
    const { principal, scope } = clerkPrincipal(state.toAuth());
    assert.equal(principal.id, "user_2alice");
    assert.ok(principal.roles.includes("admin"), `org role mapped: ${principal.roles}`);
    assert.equal(principal.attr.orgId, "org_2acme");
    assert.ok(typeof scope === "string" || scope === undefined);
  }
  // A token for another authorized party is refused by Clerk, so no principal.
  const foreign = signJwt(key, { ...V1, azp: "https://evil.example" });
  const state = await clerk.authenticateRequest(
    new Request("http://localhost:3000/", { headers: { authorization: `Bearer ${foreign}` } }),
    { jwtKey: key.pem, authorizedParties: ["http://localhost:3000"] },
  );
  assert.equal(state.isSignedIn, false);
  assert.equal(clerkPrincipal(state.toAuth()).kind, "anonymous");
});
