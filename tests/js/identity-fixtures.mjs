// The principals of the identity example policies' test suites, produced by
// the real adapters from Clerk / WorkOS inputs. The suites in
// policies/tests/ embed them between "# begin principals" / "# end principals"
// markers; `node tests/js/identity-fixtures.mjs --write` regenerates those
// blocks and identity-policies.test.mjs fails when they are out of date.
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clerkPrincipal } from "../../js/dist/clerk.js";
import { workosPrincipal } from "../../js/dist/workos.js";

const CLERK_OPTS = { claims: ["metadata.plan", "metadata.employment"] };

// Clerk v2 session-token payloads (already verified; time claims are irrelevant here).
const clerkV2 = (extra = {}) => ({
  iss: "https://clerk.acme.test",
  sub: "user_2alice",
  sid: "sess_2alice",
  azp: "https://app.acme.test",
  v: 2,
  sts: "active",
  o: { id: "org_2acme", slg: "acme", rol: "admin", per: "read,manage", fpm: "3,1" },
  fea: "o:reports,o:billing",
  pla: "o:pro",
  fva: [2, 2],
  metadata: { plan: "pro", employment: "employee" },
  ...extra,
});

// A Clerk v1 payload.
const clerkV1 = (extra = {}) => ({
  iss: "https://clerk.acme.test",
  sub: "user_2bob",
  sid: "sess_2bob",
  org_id: "org_2acme",
  org_role: "org:member",
  org_slug: "acme",
  org_permissions: ["org:reports:read"],
  fva: [30, -1],
  metadata: { plan: "free", employment: "employee" },
  ...extra,
});

const WORKOS_USER = (id, email) => ({
  object: "user", id, email, emailVerified: true, profilePictureUrl: null, firstName: null, lastName: null,
  lastSignInAt: null, locale: null, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z",
  externalId: null, metadata: {},
});

const workosSession = (user, extra = {}) => ({
  authenticated: true, accessToken: "<not used>", authenticationMethod: "Password", sessionId: `session_${user.id}`,
  organizationId: "org_01ACME", role: "member", roles: ["member"], permissions: [], entitlements: [], featureFlags: [],
  user, ...extra,
});

const oktaProfile = {
  id: "prof_01", idpId: "00uokta1", organizationId: "org_01ACME", connectionId: "conn_01OKTA", connectionType: "OktaSAML",
  email: "dana@acme.test", groups: ["Admins"], customAttributes: {},
};

const group = (id, name) => ({ id, idpId: `idp_${id}`, directoryId: "directory_01", organizationId: "org_01ACME", name, createdAt: "", updatedAt: "", rawAttributes: {} });
const dirUser = (state, groups) => ({ object: "directory_user", id: "directory_user_01", directoryId: "directory_01", organizationId: "org_01ACME", idpId: "x", state, customAttributes: {}, rawAttributes: {}, firstName: null, lastName: null, email: null, createdAt: "", updatedAt: "", groups });
const membership = (status) => ({ object: "organization_membership", id: "om_01", organizationId: "org_01ACME", organizationName: "Acme", userId: "u", status, role: { slug: "member" }, directoryManaged: true, customAttributes: {}, createdAt: "", updatedAt: "" });
const WORKOS_GROUP_ROLES = { groupRoles: { "Finance Approvers": "finance" } };

/** name → principal, every one produced by an adapter. */
export function fixturePrincipals() {
  const p = (r) => r.principal;
  return {
    anonymous: p(clerkPrincipal(null)),
    clerk_acme_admin: p(clerkPrincipal(clerkV2(), CLERK_OPTS)),
    clerk_acme_admin_impersonated: p(clerkPrincipal(clerkV2({ act: { sub: "user_2support" } }), CLERK_OPTS)),
    clerk_acme_admin_stale: p(clerkPrincipal(clerkV2({ fva: [120, 95] }), CLERK_OPTS)),
    clerk_acme_admin_no_mfa: p(clerkPrincipal(clerkV2({ fva: [5, -1] }), CLERK_OPTS)),
    clerk_acme_member: p(clerkPrincipal(clerkV1(), CLERK_OPTS)),
    clerk_acme_contractor: p(clerkPrincipal(clerkV1({ sub: "user_2carl", metadata: { plan: "free", employment: "contractor" } }), CLERK_OPTS)),
    clerk_acme_enterprise_member: p(clerkPrincipal(clerkV1({ sub: "user_2erin", metadata: { plan: "enterprise", employment: "employee" } }), CLERK_OPTS)),
    clerk_globex_admin: p(clerkPrincipal(clerkV2({ sub: "user_2gina", o: { id: "org_2globex", slg: "globex", rol: "admin" } }), CLERK_OPTS)),
    clerk_pending: p(clerkPrincipal(clerkV2({ sts: "pending", o: undefined }), { ...CLERK_OPTS, pending: "pending-role" })),
    clerk_acme_api_key: p(clerkPrincipal({ tokenType: "api_key", isAuthenticated: true, id: "ak_01", subject: "org_2acme", name: "ci", scopes: ["projects:read"], claims: null, userId: null, orgId: "org_2acme" })),
    workos_acme_admin_saml: p(workosPrincipal(workosSession(WORKOS_USER("user_01DANA", "dana@acme.test"), { role: "admin", roles: ["admin"], authenticationMethod: "SSO" }), { profile: oktaProfile, membership: membership("active") })),
    workos_acme_admin_password: p(workosPrincipal(workosSession(WORKOS_USER("user_01PETE", "pete@acme.test"), { role: "admin", roles: ["admin"] }))),
    workos_acme_admin_impersonated: p(workosPrincipal(workosSession(WORKOS_USER("user_01DANA", "dana@acme.test"), { role: "admin", roles: ["admin"], authenticationMethod: "Impersonation", impersonator: { email: "support@vendor.test", reason: "ticket 7" } }), { profile: oktaProfile })),
    workos_acme_finance: p(workosPrincipal(workosSession(WORKOS_USER("user_01FRAN", "fran@acme.test"), { entitlements: ["advanced-analytics"], featureFlags: ["scheduled-reports"] }), { ...WORKOS_GROUP_ROLES, directoryUser: dirUser("active", [group("directory_group_01", "Finance")]), directory: { id: "directory_01", type: "okta scim v2.0", state: "active" }, membership: membership("active") })),
    workos_acme_finance_approver: p(workosPrincipal(workosSession(WORKOS_USER("user_01FAYE", "faye@acme.test")), { ...WORKOS_GROUP_ROLES, directoryGroups: [group("directory_group_02", "Finance Approvers")], directory: { id: "directory_01", type: "gsuite directory", state: "active" } })),
    workos_acme_finance_suspended: p(workosPrincipal(workosSession(WORKOS_USER("user_01FRED", "fred@acme.test")), { ...WORKOS_GROUP_ROLES, directoryUser: dirUser("inactive", [group("directory_group_01", "Finance"), group("directory_group_02", "Finance Approvers")]), membership: membership("inactive") })),
    workos_acme_auditor: p(workosPrincipal(workosSession(WORKOS_USER("user_01AUDE", "aude@acme.test")), { directoryUser: dirUser("active", [group("directory_group_03", "Auditors")]), directory: { id: "directory_01", type: "azure scim v2.0", state: "active" } })),
  };
}

const BLOCK = /^( *)# begin principals: ([^\n]*)\n[\s\S]*?^ *# end principals$/gm;

/** The suite text with its generated principal blocks refreshed. */
export function renderSuite(text, principals = fixturePrincipals()) {
  return text.replace(BLOCK, (_all, indent, names) => {
    const lines = [`${indent}# begin principals: ${names.trim()}`];
    for (const name of names.trim().split(/\s+/)) {
      const principal = principals[name];
      if (!principal) throw new Error(`unknown fixture principal ${name}`);
      // Block mapping down to attribute level, compact JSON (valid YAML flow) below.
      lines.push(`${indent}${name}:`);
      for (const [k, v] of Object.entries(principal)) {
        if (k === "attr") {
          lines.push(`${indent}  attr:`);
          for (const [ak, av] of Object.entries(v)) lines.push(`${indent}    ${JSON.stringify(ak)}: ${JSON.stringify(av)}`);
        } else {
          lines.push(`${indent}  ${k}: ${JSON.stringify(v)}`);
        }
      }
    }
    lines.push(`${indent}# end principals`);
    return lines.join("\n");
  });
}

export const suitesDir = fileURLToPath(new URL("../../policies/tests/", import.meta.url));

/** Test-suite files that contain generated principal blocks. */
export function generatedSuites() {
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith("_test.yaml"))
    .filter((f) => readFileSync(suitesDir + f, "utf8").includes("# begin principals:"));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--write")) {
  for (const f of generatedSuites()) {
    const before = readFileSync(suitesDir + f, "utf8");
    const after = renderSuite(before);
    if (after !== before) {
      writeFileSync(suitesDir + f, after);
      console.log(`updated ${f}`);
    }
  }
}
