// Adapters: one function per engine answering the shared request shape
// (principal, resource, actions) with {action: boolean}, each loaded the way
// its docs recommend, on the equivalent policies in shared/bench/policies/.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export async function portcullis({ bundlePath }) {
  const { Authorizer } = await import("portcullis");
  const authz = await Authorizer.create({ bundle: readFileSync(bundlePath, "utf8") });
  return {
    name: "portcullis (wasm, public API)",
    check: ({ principal, resource, actions }) => {
      const r = authz.checkResource({ principal, resource, actions, requestId: "bench" });
      const out = {};
      for (const a of actions) out[a] = r.actions[a] === "EFFECT_ALLOW";
      return out;
    },
    raw: (text) => authz.checkResourcesJson(text),
  };
}

export async function cedar({ shared }) {
  const cedarWasm = await import("@cedar-policy/cedar-wasm/nodejs");
  const text = readFileSync(join(shared, "bench", "policies", "cedar", "policies.cedar"), "utf8");
  const parsed = cedarWasm.preparsePolicySet("docs", { staticPolicies: text });
  if (parsed.type !== "success") throw new Error(`cedar: ${JSON.stringify(parsed.errors)}`);
  return {
    name: "@cedar-policy/cedar-wasm (pre-parsed)",
    check: ({ principal, resource, actions }) => {
      const p = { type: "User", id: principal.id };
      const entities = [
        {
          uid: p,
          attrs: { orgId: principal.attr.orgId, department: principal.attr.department, roles: principal.roles, groups: principal.attr.groups },
          parents: [],
        },
        {
          uid: { type: "Document", id: resource.id },
          attrs: {
            owner: { __entity: { type: "User", id: resource.attr.ownerId } },
            orgId: resource.attr.orgId,
            status: resource.attr.status,
            department: resource.attr.department,
          },
          parents: [],
        },
      ];
      const out = {};
      for (const a of actions) {
        const answer = cedarWasm.statefulIsAuthorized({
          principal: p,
          action: { type: "Action", id: a },
          resource: { type: "Document", id: resource.id },
          context: {},
          entities,
          preparsedPolicySetId: "docs",
        });
        if (answer.type !== "success") throw new Error(JSON.stringify(answer.errors));
        out[a] = answer.response.decision === "allow";
      }
      return out;
    },
  };
}

export async function casbin({ shared }) {
  const { newEnforcer } = await import("casbin");
  const dir = join(shared, "bench", "policies", "casbin");
  const enforcer = await newEnforcer(join(dir, "model.conf"), join(dir, "policy.csv"));
  return {
    name: "casbin (enforceSync)",
    check: ({ principal, resource, actions }) => {
      const sub = { id: principal.id, roles: principal.roles, ...principal.attr };
      const obj = { id: resource.id, ...resource.attr };
      const out = {};
      for (const a of actions) out[a] = enforcer.enforceSync(sub, obj, a);
      return out;
    },
  };
}
