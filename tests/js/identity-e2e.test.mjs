// End to end: principals produced by portcullis/clerk and portcullis/workos
// (the same fixtures the policy suites embed) checked by the real Authorizer
// (runtime wasm, bundle compiled by the native CLI from policies/), through
// the plain API and through portcullis/next's authorize(). The expected
// effects are those of the suites in policies/tests/, which pass in Cerbos
// 0.55.0 (python3 ../shared/oracle/oracle.py compile policies).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Authorizer } from "../../js/dist/node.js";
import { createAuthorize } from "../../js/dist/next.js";
import { clerkPrincipal, forOrganization } from "../../js/dist/clerk.js";
import { documentBundlePath, NOW_MS } from "./support.mjs";
import { fixturePrincipals } from "./identity-fixtures.mjs";

const R = {
  acme_project: { kind: "project", id: "p1", attr: { orgId: "org_2acme", ownerId: "user_2alice", frozen: false } },
  acme_project_scoped: { kind: "project", id: "p1", scope: "org_2acme", attr: { orgId: "org_2acme", ownerId: "user_2alice", frozen: false } },
  acme_frozen_scoped: { kind: "project", id: "p2", scope: "org_2acme", attr: { orgId: "org_2acme", ownerId: "user_2bob", frozen: true } },
  bob_project: { kind: "project", id: "p3", attr: { orgId: "org_2acme", ownerId: "user_2bob", frozen: false } },
  globex_project: { kind: "project", id: "p4", attr: { orgId: "org_2globex", ownerId: "user_2gina", frozen: false } },
  globex_unknown_scope: { kind: "project", id: "p4", scope: "org_2globex", attr: { orgId: "org_2globex", ownerId: "user_2gina", frozen: false } },
  workos_project: { kind: "project", id: "p5", attr: { orgId: "org_01ACME", ownerId: "user_01PETE", frozen: false } },
  sso_enforced: { kind: "admin_console", id: "settings", attr: { orgId: "org_01ACME", ssoRequired: true } },
  sso_optional: { kind: "admin_console", id: "settings", attr: { orgId: "org_01ACME", ssoRequired: false } },
  clerk_sso_enforced: { kind: "admin_console", id: "settings", attr: { orgId: "org_2acme", ssoRequired: true } },
  small_invoice: { kind: "invoice", id: "inv1", attr: { orgId: "org_01ACME", amount: 2500 } },
  large_invoice: { kind: "invoice", id: "inv2", attr: { orgId: "org_01ACME", amount: 50000 } },
  clerk_report: { kind: "analytics_report", id: "r1", attr: { orgId: "org_2acme" } },
  workos_report: { kind: "analytics_report", id: "r2", attr: { orgId: "org_01ACME" } },
  acme_billing: { kind: "billing_account", id: "acct", attr: { orgId: "org_2acme" } },
  workos_billing: { kind: "billing_account", id: "acct", attr: { orgId: "org_01ACME" } },
};

// [principal, resource, {action: allowed}] — the suites' expectations.
const CASES = [
  ["clerk_acme_admin", "acme_project", { view: true, edit: true, delete: true, transfer: true }],
  ["clerk_acme_admin", "globex_project", { view: false, edit: false, delete: false, transfer: false }],
  ["clerk_acme_member", "acme_project", { view: true, edit: false, delete: false, transfer: false }],
  ["clerk_acme_member", "bob_project", { view: true, edit: true, delete: false }],
  ["clerk_globex_admin", "globex_project", { view: true, edit: true, delete: true, transfer: true }],
  ["clerk_globex_admin", "globex_unknown_scope", { view: false, edit: false }],
  ["clerk_acme_admin_impersonated", "acme_project", { view: true, edit: true, delete: false, transfer: false }],
  ["workos_acme_admin_impersonated", "workos_project", { view: true, edit: true, delete: false, transfer: false }],
  ["workos_acme_admin_password", "workos_project", { view: true, edit: true, delete: true, transfer: true }],
  ["clerk_acme_admin", "acme_project_scoped", { view: true, edit: true, delete: true }],
  ["clerk_acme_admin", "acme_frozen_scoped", { view: true, edit: false, delete: false }],
  ["clerk_acme_member", "acme_project_scoped", { view: true, edit: true, delete: false }],
  ["clerk_acme_contractor", "acme_project_scoped", { view: true, edit: false, delete: false }],
  ["clerk_acme_api_key", "acme_project", { view: true, edit: false }],
  ["clerk_acme_api_key", "globex_project", { view: false }],
  ["anonymous", "acme_project", { view: false }],
  ["clerk_pending", "acme_project", { view: false }],
  ["workos_acme_admin_saml", "sso_enforced", { view_settings: true, update_settings: true, manage_members: true, rotate_keys: true }],
  ["workos_acme_admin_password", "sso_enforced", { view_settings: true, update_settings: false, manage_members: false, rotate_keys: false }],
  ["workos_acme_admin_impersonated", "sso_enforced", { update_settings: true, manage_members: false, rotate_keys: false }],
  ["workos_acme_admin_password", "sso_optional", { update_settings: true, rotate_keys: true }],
  ["clerk_acme_admin", "clerk_sso_enforced", { view_settings: true, update_settings: false }],
  ["workos_acme_finance", "small_invoice", { view: true, approve: true }],
  ["workos_acme_finance", "large_invoice", { view: true, approve: false }],
  ["workos_acme_finance_approver", "large_invoice", { view: true, approve: true }],
  ["workos_acme_auditor", "small_invoice", { view: true, approve: false }],
  ["workos_acme_finance_suspended", "small_invoice", { view: false, approve: false }],
  ["clerk_acme_admin", "clerk_report", { view: true, export: true, schedule: true }],
  ["clerk_acme_member", "clerk_report", { view: true, export: false, schedule: false }],
  ["clerk_acme_enterprise_member", "clerk_report", { view: true, export: true, schedule: false }],
  ["workos_acme_finance", "workos_report", { view: true, export: true, schedule: true }],
  ["workos_acme_auditor", "workos_report", { view: true, export: false, schedule: false }],
  ["clerk_acme_admin", "acme_billing", { view: true, update_payment_method: true, close: true }],
  ["clerk_acme_admin_stale", "acme_billing", { view: true, update_payment_method: false, close: false }],
  ["clerk_acme_admin_no_mfa", "acme_billing", { view: true, update_payment_method: true, close: true }],
  ["clerk_acme_admin_impersonated", "acme_billing", { view: true, update_payment_method: true, close: false }],
  ["workos_acme_admin_saml", "workos_billing", { view: true, update_payment_method: false, close: false }],
];

let authz;
before(async () => {
  authz = await Authorizer.create({ bundle: readFileSync(documentBundlePath(), "utf8"), now: () => NOW_MS });
});
after(() => authz?.close());

test(`adapter principals get the suites' decisions from the wasm (${CASES.length} principal/resource pairs)`, () => {
  const principals = fixturePrincipals();
  let checked = 0;
  for (const [p, r, expected] of CASES) {
    const result = authz.checkResource({ principal: principals[p], resource: R[r], actions: Object.keys(expected) });
    for (const [action, allowed] of Object.entries(expected)) {
      assert.equal(result.isAllowed(action), allowed, `${p} ${action} ${r}`);
      checked += 1;
    }
  }
  assert.ok(checked > 100);
});

test("authorize() and forOrganization: a cross-tenant resource never sees the token's org role", async () => {
  // A policy slip (a rule without the orgId check) is simulated by a
  // resource claiming to be Globex's while the policy compares ownerId only:
  // `members-view` still needs the org match, so the role drop is observable
  // through the principal actually sent.
  const acmeAdmin = clerkPrincipal({ sub: "user_2alice", org_id: "org_2acme", org_role: "org:admin" });
  const authorize = createAuthorize(authz);
  const own = await authorize(acmeAdmin, R.acme_project, "delete");
  assert.equal(own.allowed, true);
  const other = await authorize(acmeAdmin, R.globex_project, "view");
  assert.equal(other.allowed, false);
  assert.deepEqual(forOrganization(acmeAdmin, "org_2globex").roles, ["user"]);
});
