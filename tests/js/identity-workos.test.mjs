// portcullis/workos against the real WorkOS Node SDK: access tokens signed
// with a local RSA key, a JWKS served on 127.0.0.1, sessions sealed and
// authenticated by @workos-inc/node itself, then mapped by workosPrincipal.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { WorkOS } from "@workos-inc/node";
import { workosPrincipal, ssoProtocol, directoryProvider, forOrganization, IdentityError } from "../../js/dist/workos.js";
import { makeRsaKey, signJwt, nowSec } from "./identity-keys.mjs";

const CLIENT_ID = "client_01TEST";
const COOKIE_PASSWORD = "a-cookie-password-of-at-least-32-characters!";
const key = makeRsaKey("wos_key_1");
let server;
let workos;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === `/sso/jwks/${CLIENT_ID}`) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [key.jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  workos = new WorkOS("sk_test_dummy", { clientId: CLIENT_ID, apiHostname: "127.0.0.1", https: false, port: server.address().port });
});
after(() => server.close());

const USER = {
  object: "user", id: "user_01ALICE", email: "alice@acme.test", emailVerified: true, profilePictureUrl: null,
  firstName: "Alice", lastName: "A", lastSignInAt: null, locale: null, createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z", externalId: "ext-1", metadata: { plan: "enterprise" },
};

function accessToken(extra = {}) {
  const now = nowSec();
  return signJwt(key, {
    iss: "https://api.workos.com", sub: USER.id, sid: "session_01S", jti: "jti1", iat: now, exp: now + 300,
    org_id: "org_01ACME", role: "admin", roles: ["admin", "billing"], permissions: ["reports:read", "users:manage"],
    entitlements: ["audit-logs"], feature_flags: ["new-dashboard"], ...extra,
  });
}

async function sealed(token, extra = {}) {
  // The SDK's own sealing (what authkit stores in the wos-session cookie).
  return workos.userManagement.sealSessionDataFromAuthenticationResponse({
    authenticationResponse: { accessToken: token, refreshToken: "rt_1", user: USER, authenticationMethod: "SSO", ...extra },
    cookiePassword: COOKIE_PASSWORD,
  });
}

test("authenticateWithSessionCookie result (real SDK, local JWKS) → principal", async () => {
  const sessionData = await sealed(accessToken());
  const auth = await workos.userManagement.authenticateWithSessionCookie({ sessionData, cookiePassword: COOKIE_PASSWORD });
  assert.equal(auth.authenticated, true);
  const r = workosPrincipal(auth);
  assert.equal(r.kind, "user");
  assert.equal(r.scope, "org_01ACME");
  assert.deepEqual(r.orgRoles, ["admin", "billing"]);
  assert.deepEqual(r.principal, {
    id: "user_01ALICE",
    roles: ["user", "admin", "billing"],
    attr: {
      idp: "workos", authenticated: true, sessionId: "session_01S", orgId: "org_01ACME", role: "admin",
      roleSlugs: ["admin", "billing"], permissions: ["reports:read", "users:manage"], entitlements: ["audit-logs"],
      featureFlags: ["new-dashboard"], impersonated: false, impersonatorEmail: null, impersonationReason: null,
      authenticationMethod: "SSO", email: "alice@acme.test", emailVerified: true, externalId: "ext-1",
      userMetadata: { plan: "enterprise" }, iss: null, claims: {},
      sso: { present: false, connectionId: null, connectionType: null, protocol: "none", idpId: null, organizationId: null, groups: [], roles: [], custom: {} },
      directory: { present: false, directoryId: null, provider: null, state: null, groups: [], groupIds: [], roles: [], custom: {} },
      membership: { present: false, status: null, directoryManaged: false, roles: [], custom: {} },
    },
  });
});

test("a token signed by another key fails in the SDK and maps to anonymous", async () => {
  const other = makeRsaKey("wos_key_1");
  const sessionData = await sealed(signJwt(other, { sub: USER.id, sid: "s", exp: nowSec() + 60 }));
  const auth = await workos.userManagement.authenticateWithSessionCookie({ sessionData, cookiePassword: COOKIE_PASSWORD });
  assert.deepEqual(auth, { authenticated: false, reason: "invalid_jwt" });
  const r = workosPrincipal(auth);
  assert.equal(r.kind, "anonymous");
  assert.deepEqual(r.principal.roles, ["anonymous"]);
  assert.equal(r.principal.attr.reason, "invalid_jwt");
});

test("loadSealedSession().authenticate() carries the impersonator into attributes", async () => {
  const sessionData = await sealed(accessToken(), { impersonator: { email: "support@workos.test", reason: "ticket 42" }, authenticationMethod: "Impersonation" });
  const auth = await workos.userManagement.loadSealedSession({ sessionData, cookiePassword: COOKIE_PASSWORD }).authenticate();
  const r = workosPrincipal(auth);
  assert.equal(r.principal.attr.impersonated, true);
  assert.equal(r.principal.attr.impersonatorEmail, "support@workos.test");
  assert.equal(r.principal.attr.impersonationReason, "ticket 42");
  assert.deepEqual(r.principal.roles, ["user", "admin", "billing"]);
});

test("verified access-token claims (act = impersonation) → same core principal", async () => {
  const token = accessToken({ act: { sub: "admin@foocorp.com" }, tier: "gold" });
  assert.equal(await workos.userManagement.isValidJwt(token), true);
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
  const r = workosPrincipal(claims, { claims: ["tier"] });
  assert.equal(r.principal.id, "user_01ALICE");
  assert.deepEqual(r.principal.roles, ["user", "admin", "billing"]);
  assert.equal(r.principal.attr.impersonated, true);
  assert.equal(r.principal.attr.impersonatorEmail, "admin@foocorp.com");
  assert.equal(r.principal.attr.iss, "https://api.workos.com");
  assert.deepEqual(r.principal.attr.claims, { tier: "gold" });
  assert.equal(r.principal.attr.email, null);
});

test("withAuth() shapes: UserInfo with a single role, NoUserInfo", () => {
  const info = { user: USER, sessionId: "session_01S", organizationId: "org_01ACME", role: "member", permissions: [], accessToken: "x" };
  const r = workosPrincipal(info);
  assert.deepEqual(r.principal.roles, ["user", "member"]);
  assert.deepEqual(r.principal.attr.roleSlugs, ["member"]);
  const none = workosPrincipal({ user: null });
  assert.equal(none.kind, "anonymous");
  assert.equal(workosPrincipal(undefined).kind, "anonymous");
  // No active organization: no organization roles or permissions.
  const personal = workosPrincipal({ user: USER, sessionId: "s", role: "member", permissions: ["x:y"] });
  assert.deepEqual(personal.principal.roles, ["user"]);
  assert.deepEqual(personal.principal.attr.permissions, []);
  assert.equal(personal.scope, undefined);
});

const PROFILE = {
  id: "prof_1", idpId: "00u1okta", organizationId: "org_01ACME", connectionId: "conn_1", connectionType: "OktaSAML",
  email: "alice@acme.test", groups: ["Engineering", "Admins"], customAttributes: { department: "eng", costCenter: "cc1" },
  role: { slug: "admin" },
};

test("SSO profile enrichment: protocol, groups, allow-listed custom attributes, group roles", () => {
  const r = workosPrincipal(
    { user: USER, sessionId: "s", organizationId: "org_01ACME", role: "member" },
    { profile: PROFILE, customAttributes: ["department"], groupRoles: { Admins: "sso_admin" } },
  );
  assert.deepEqual(r.principal.attr.sso, {
    present: true, connectionId: "conn_1", connectionType: "OktaSAML", protocol: "saml", idpId: "00u1okta",
    organizationId: "org_01ACME", groups: ["Engineering", "Admins"], roles: ["admin"], custom: { department: "eng" },
  });
  assert.deepEqual(r.principal.roles, ["user", "member", "sso_admin"]);
  // Groups of an SSO profile from another organization grant nothing here.
  const other = workosPrincipal(
    { user: USER, sessionId: "s", organizationId: "org_01OTHER", role: "member" },
    { profile: PROFILE, groupRoles: { Admins: "sso_admin" } },
  );
  assert.deepEqual(other.principal.roles, ["user", "member"]);
});

test("SSO protocols of every ConnectionType family", () => {
  assert.equal(ssoProtocol("OktaSAML"), "saml");
  assert.equal(ssoProtocol("ADFSSAML"), "saml");
  assert.equal(ssoProtocol("GenericOIDC"), "oidc");
  assert.equal(ssoProtocol("AdpOidc"), "oidc");
  assert.equal(ssoProtocol("LoginGovOidc"), "oidc");
  assert.equal(ssoProtocol("GoogleOAuth"), "oauth");
  assert.equal(ssoProtocol("MagicLink"), "magic_link");
  assert.equal(ssoProtocol(undefined), "none");
  assert.equal(directoryProvider("okta scim v2.0"), "okta");
  assert.equal(directoryProvider("azure scim v2.0"), "azure_ad");
  assert.equal(directoryProvider("gsuite directory"), "google_workspace");
  assert.equal(directoryProvider("generic scim v2.0"), "generic");
});

const group = (id, name, organizationId = "org_01ACME") => ({
  id, idpId: `idp_${id}`, directoryId: "directory_1", organizationId, name, createdAt: "", updatedAt: "", rawAttributes: {},
});

test("Directory Sync groups (Okta, Azure AD, Google Workspace) become attributes and mapped roles", () => {
  for (const [type, provider] of [["okta scim v2.0", "okta"], ["azure scim v2.0", "azure_ad"], ["gsuite directory", "google_workspace"]]) {
    const directoryUser = {
      object: "directory_user", id: "directory_user_1", directoryId: "directory_1", organizationId: "org_01ACME", idpId: "x",
      state: "active", customAttributes: { title: "CFO", manager: "bob" }, rawAttributes: {}, firstName: null, lastName: null, email: null,
      createdAt: "", updatedAt: "", groups: [group("g1", "Finance"), group("g2", "All Staff"), group("g9", "Finance", "org_01OTHER")],
    };
    const r = workosPrincipal(
      { user: USER, sessionId: "s", organizationId: "org_01ACME", role: "member" },
      { directoryUser, directoryGroups: [group("g1", "Finance"), group("g3", "Auditors")], directory: { id: "directory_1", type, state: "active" },
        groupRoles: { Finance: ["finance"], Auditors: "auditor" }, customAttributes: ["title"] },
    );
    assert.deepEqual(r.principal.attr.directory, {
      present: true, directoryId: "directory_1", provider, state: "active", groups: ["Finance", "All Staff", "Auditors"],
      groupIds: ["g1", "g2", "g3"], roles: [], custom: { title: "CFO" },
    });
    assert.deepEqual(r.principal.roles, ["user", "member", "finance", "auditor"]);
    assert.deepEqual(forOrganization(r, "org_01OTHER").roles, ["user"]);
  }
});

test("an inactive directory user keeps groups as attributes but gets no group roles", () => {
  const r = workosPrincipal(
    { user: USER, sessionId: "s", organizationId: "org_01ACME", role: "member" },
    { directoryUser: { state: "inactive", directoryId: "d", groups: [group("g1", "Finance")] }, groupRoles: { Finance: "finance" } },
  );
  assert.equal(r.principal.attr.directory.state, "inactive");
  assert.deepEqual(r.principal.roles, ["user", "member"]);
});

test("organization membership: status, directory-managed, inactive drops org roles", () => {
  const membership = {
    object: "organization_membership", id: "om_1", organizationId: "org_01ACME", organizationName: "Acme", userId: USER.id,
    status: "active", role: { slug: "admin" }, directoryManaged: true, customAttributes: { seat: "A1" }, createdAt: "", updatedAt: "",
  };
  const session = { user: USER, sessionId: "s", organizationId: "org_01ACME", role: "admin" };
  const r = workosPrincipal(session, { membership, customAttributes: ["seat"] });
  assert.deepEqual(r.principal.attr.membership, { present: true, status: "active", directoryManaged: true, roles: ["admin"], custom: { seat: "A1" } });
  assert.deepEqual(r.principal.roles, ["user", "admin"]);

  const inactive = workosPrincipal(session, { membership: { ...membership, status: "inactive" } });
  assert.deepEqual(inactive.principal.roles, ["user"]);
  assert.equal(inactive.principal.attr.membership.status, "inactive");
  assert.deepEqual(workosPrincipal(session, { membership: { ...membership, status: "pending" }, inactiveMembership: "keep" }).principal.roles, ["user", "admin"]);

  // A membership in another organization is ignored.
  const elsewhere = workosPrincipal(session, { membership: { ...membership, organizationId: "org_01OTHER", status: "inactive" } });
  assert.equal(elsewhere.principal.attr.membership.present, false);
  assert.deepEqual(elsewhere.principal.roles, ["user", "admin"]);

  // Claims without a role fall back to the active membership's roles.
  const noRole = workosPrincipal({ sub: USER.id, sid: "s", org_id: "org_01ACME" }, { membership: { ...membership, roles: [{ slug: "viewer" }, { slug: "editor" }] } });
  assert.deepEqual(noRole.principal.roles, ["user", "viewer", "editor"]);
});

test("role map and refusal of inputs that are not WorkOS identities", () => {
  const r = workosPrincipal({ user: USER, sessionId: "s", organizationId: "org_01ACME", roles: ["admin", "viewer"] }, { roleMap: { admin: "org_admin" }, onlyMappedRoles: true });
  assert.deepEqual(r.principal.roles, ["user", "org_admin"]);
  assert.throws(() => workosPrincipal({ foo: 1 }), (e) => e instanceof IdentityError && e.code === "invalid_input");
  assert.throws(() => workosPrincipal(42), IdentityError);
  assert.equal(workosPrincipal({ user: { id: "" } }).kind, "anonymous");
});

test("claims with a custom `user` claim are still read as claims", () => {
  const r = workosPrincipal({ sub: "user_01X", sid: "s", org_id: "org_01ACME", role: "admin", user: "custom" });
  assert.equal(r.principal.id, "user_01X");
  assert.deepEqual(r.principal.roles, ["user", "admin"]);
});
