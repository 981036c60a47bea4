// portcullis/next and portcullis/react glue: route matching, DENY handling,
// decision headers, organization-role scoping, lazy authorizer loading, and
// UI hints rendered with react-dom/server. The authorizer here is a small
// table-driven stand-in (the real wasm is exercised in
// identity-e2e.test.mjs); it records every request so the tests can check
// exactly what would reach the engine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { createProxy, createAuthorize, permissionHints, requireAllowed, ForbiddenError, resolveRequest } from "../../js/dist/next.js";
import { PortcullisProvider, Can, useCan, canFrom } from "../../js/dist/react.js";
import { clerkPrincipal } from "../../js/dist/clerk.js";

// Allows when some role of the principal is listed for the resource kind + action,
// and the resource's orgId (if any) equals the principal's orgId.
function tableAuthorizer(table) {
  const seen = [];
  return {
    seen,
    checkResource({ principal, resource, actions }) {
      seen.push({ principal, resource, actions });
      return {
        isAllowed(action) {
          if (!actions.includes(action)) return undefined;
          const roles = table[`${resource.kind}:${action}`] ?? [];
          const orgOk = resource.attr?.orgId === undefined || resource.attr.orgId === principal.attr?.orgId;
          return orgOk && principal.roles.some((r) => roles.includes(r));
        },
      };
    },
  };
}

const TABLE = { "project:view": ["member", "admin"], "project:delete": ["admin"], "admin_page:view": ["admin"] };
const admin = clerkPrincipal({ sub: "user_a", org_id: "org_acme", org_role: "org:admin" });
const member = clerkPrincipal({ sub: "user_m", org_id: "org_acme", org_role: "org:member" });

// Mimics NextResponse.next: a pass-through response carrying request-header overrides.
function fakeNext(init) {
  const res = new Response(null, { headers: { "x-middleware-next": "1" } });
  res.forwardedRequestHeaders = init?.request?.headers;
  return res;
}

const routes = [
  { path: "/projects/:id", action: { GET: "view", DELETE: "delete" }, resource: ({ id }) => ({ kind: "project", id, attr: { orgId: "org_acme" } }) },
  { path: "/admin/*", action: "view", resource: (p) => ({ kind: "admin_page", id: p["*"] || "index" }) },
];

test("proxy: ALLOW continues with decision headers; inbound copies are stripped", async () => {
  const az = tableAuthorizer(TABLE);
  const proxy = createProxy({ authorizer: az, principal: () => member, routes, next: fakeNext });
  const res = await proxy(new Request("https://app.test/projects/p%201", { headers: { "x-portcullis-decision": "allow-forged", cookie: "a=b" } }));
  assert.equal(res.headers.get("x-middleware-next"), "1");
  assert.equal(res.headers.get("x-portcullis-decision"), "allow");
  assert.equal(res.headers.get("x-portcullis-action"), "view");
  assert.equal(res.headers.get("x-portcullis-resource"), "project:p 1");
  assert.equal(res.headers.get("x-portcullis-principal"), "user_m");
  assert.equal(res.forwardedRequestHeaders.get("x-portcullis-decision"), "allow");
  assert.equal(res.forwardedRequestHeaders.get("cookie"), "a=b");
  assert.deepEqual(az.seen[0].resource, { kind: "project", id: "p 1", attr: { orgId: "org_acme" } });
});

test("proxy: DENY gives 403 JSON by default, or a redirect, or a custom response", async () => {
  const az = tableAuthorizer(TABLE);
  const forbid = createProxy({ authorizer: az, principal: () => member, routes, next: fakeNext });
  const res = await forbid(new Request("https://app.test/projects/p1", { method: "DELETE" }));
  assert.equal(res.status, 403);
  assert.deepEqual(await res.json(), { error: "forbidden", action: "delete" });

  const redirect = createProxy({ authorizer: az, principal: () => member, routes, onDeny: { redirect: "/sign-in" } });
  const r2 = await redirect(new Request("https://app.test/admin/settings"));
  assert.equal(r2.status, 307);
  assert.equal(r2.headers.get("location"), "https://app.test/sign-in");

  const custom = createProxy({ authorizer: az, principal: () => member, routes, onDeny: (_req, d) => new Response(`no ${d.action}`, { status: 404 }) });
  const r3 = await custom(new Request("https://app.test/admin"));
  assert.equal(r3.status, 404);
  assert.equal(await r3.text(), "no view");
});

test("proxy: without next, ALLOW and unmatched return undefined (continue); unmatched can deny", async () => {
  const az = tableAuthorizer(TABLE);
  const proxy = createProxy({ authorizer: az, principal: () => admin, routes });
  assert.equal(await proxy(new Request("https://app.test/admin/x/y")), undefined);
  assert.equal(az.seen.at(-1).resource.id, "x/y");
  assert.equal(await proxy(new Request("https://app.test/about")), undefined);
  // A method the route does not map is unmatched.
  assert.equal(await proxy(new Request("https://app.test/projects/p1", { method: "PATCH" })), undefined);
  const strict = createProxy({ authorizer: az, principal: () => admin, routes, unmatched: "deny" });
  assert.equal((await strict(new Request("https://app.test/about"))).status, 403);
});

test("proxy: failures deny, are reported, and a failed lazy load is retried", async () => {
  let calls = 0;
  const errors = [];
  const proxy = createProxy({
    authorizer: async () => {
      calls += 1;
      if (calls === 1) throw new Error("wasm not ready");
      return tableAuthorizer(TABLE);
    },
    principal: () => admin,
    routes,
    onError: (e) => errors.push(e.message),
  });
  assert.equal((await proxy(new Request("https://app.test/admin"))).status, 403);
  assert.deepEqual(errors, ["wasm not ready"]);
  assert.equal(await proxy(new Request("https://app.test/admin")), undefined);
  assert.equal(await proxy(new Request("https://app.test/admin")), undefined);
  assert.equal(calls, 2, "the authorizer is loaded once after success");
  const badPrincipal = createProxy({ authorizer: tableAuthorizer(TABLE), principal: () => { throw new Error("no session"); }, routes });
  assert.equal((await badPrincipal(new Request("https://app.test/admin"))).status, 403);
  // Malformed percent-encoding never matches a route (and never throws).
  assert.equal(await createProxy({ authorizer: tableAuthorizer(TABLE), principal: () => admin, routes, unmatched: "allow" })(new Request("https://app.test/projects/%E0%A4%A")), undefined);
});

test("authorize(): organization roles are dropped for another organization's resource", async () => {
  const az = tableAuthorizer({ "project:delete": ["admin", "user"] });
  const authorize = createAuthorize(az);
  const own = await authorize(admin, { kind: "project", id: "1", attr: { orgId: "org_acme" } }, "delete");
  assert.deepEqual(own, { allowed: true, action: "delete", resource: { kind: "project", id: "1" }, principalId: "user_a" });
  await authorize(admin, { kind: "project", id: "2", attr: { orgId: "org_other" } }, "delete");
  assert.deepEqual(az.seen.at(-1).principal.roles, ["user"]);
  // A plain principal is passed through untouched.
  await authorize(admin.principal, { kind: "project", id: "2", attr: { orgId: "org_other" } }, "delete");
  assert.deepEqual(az.seen.at(-1).principal.roles, ["user", "admin"]);
  assert.throws(() => requireAllowed({ allowed: false, action: "delete", resource: { kind: "project", id: "2" }, principalId: "u" }), ForbiddenError);
});

test("resolveRequest: scopeResources puts the organization scope on own resources only", () => {
  const { resource } = resolveRequest(admin, { kind: "project", id: "1", attr: { orgId: "org_acme" } }, { scopeResources: true });
  assert.equal(resource.scope, "org_acme");
  const other = resolveRequest(admin, { kind: "project", id: "1", attr: { orgId: "org_x" } }, { scopeResources: true });
  assert.equal(other.resource.scope, undefined);
  const noOrgAttr = resolveRequest(admin, { kind: "project", id: "1" }, { scopeResources: true });
  assert.deepEqual(noOrgAttr.principal.roles, ["user", "admin"]);
  assert.equal(noOrgAttr.resource.scope, undefined);
  const disabled = resolveRequest(admin, { kind: "project", id: "1", attr: { orgId: "org_x" } }, { resourceOrgAttr: false });
  assert.deepEqual(disabled.principal.roles, ["user", "admin"]);
});

test("permissionHints + <Can>/useCan render only what the hints allow (UI hints)", async () => {
  const az = tableAuthorizer(TABLE);
  const hints = await permissionHints(az, member, [
    { resource: { kind: "project", id: "p1", attr: { orgId: "org_acme" } }, actions: ["view", "delete"] },
  ]);
  assert.deepEqual(hints, { "project:p1": { view: true, delete: false } });
  function Buttons() {
    const canView = useCan("view", "project:p1");
    return createElement("div", null,
      canView ? createElement("button", null, "Open") : null,
      createElement(Can, { action: "delete", resource: { kind: "project", id: "p1" }, fallback: createElement("span", null, "read-only") }, createElement("button", null, "Delete")),
      createElement(Can, { action: "view", resource: "project:unknown" }, createElement("button", null, "Ghost")),
    );
  }
  const html = renderToStaticMarkup(createElement(PortcullisProvider, { hints }, createElement(Buttons)));
  assert.equal(html, "<div><button>Open</button><span>read-only</span></div>");
  // Outside a provider nothing is offered.
  assert.equal(renderToStaticMarkup(createElement(Buttons)), "<div><span>read-only</span></div>");
});

test("browser authorizer fallback for resources without hints; errors mean no", () => {
  const az = tableAuthorizer(TABLE);
  const ctx = { hints: { "project:p1": { delete: true } }, authorizer: az, principal: member.principal };
  assert.equal(canFrom(ctx, "delete", { kind: "project", id: "p1" }), true, "hints win");
  assert.equal(canFrom(ctx, "view", { kind: "project", id: "p2", attr: { orgId: "org_acme" } }), true);
  assert.equal(canFrom(ctx, "delete", { kind: "project", id: "p2", attr: { orgId: "org_acme" } }), false);
  const broken = { hints: {}, authorizer: { checkResource() { throw new Error("closed"); } }, principal: member.principal };
  assert.equal(canFrom(broken, "view", { kind: "project", id: "p2" }), false);
  assert.equal(canFrom(null, "view", "project:p1"), false);
});

test("proxy: the second argument reaches the principal function (clerkMiddleware's auth)", async () => {
  const az = tableAuthorizer(TABLE);
  const proxy = createProxy({
    authorizer: az,
    principal: async (_req, auth) => clerkPrincipal(await auth()),
    routes,
  });
  const fakeAuth = async () => ({ tokenType: "session_token", isAuthenticated: true, userId: "user_a", orgId: "org_acme", orgRole: "org:admin", sessionClaims: {} });
  assert.equal(await proxy(new Request("https://app.test/projects/p1", { method: "DELETE" }), fakeAuth), undefined);
  assert.deepEqual(az.seen.at(-1).principal.roles, ["user", "admin"]);
  const signedOut = async () => ({ tokenType: "session_token", isAuthenticated: false, userId: null });
  assert.equal((await proxy(new Request("https://app.test/projects/p1"), signedOut)).status, 403);
});
