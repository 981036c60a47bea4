// Loads a compiled bundle through the npm package's Node entry and prints
// the decisions for a few users of one organization.
import { readFileSync } from "node:fs";
import { Authorizer } from "../js/dist/node.js";

const bundlePath = process.argv[2];
if (!bundlePath) {
  console.error("usage: node examples/node-demo.mjs <bundle.json>");
  process.exit(2);
}

const authz = await Authorizer.create({ bundle: readFileSync(bundlePath, "utf8") });

const users = [
  { id: "alice", roles: ["member"], attr: { orgId: "acme" } },
  { id: "bob", roles: ["member"], attr: { orgId: "acme" } },
  { id: "carol", roles: ["admin"], attr: { orgId: "acme" } },
  { id: "mallory", roles: ["admin"], attr: { orgId: "evil" } },
];
const documents = [
  { kind: "document", id: "draft-by-alice", attr: { ownerId: "alice", orgId: "acme", status: "draft", locked: false } },
  { kind: "document", id: "locked-by-alice", attr: { ownerId: "alice", orgId: "acme", status: "published", locked: true } },
];
const actions = ["view", "edit", "delete"];

for (const principal of users) {
  const response = authz.checkResources({
    requestId: `demo-${principal.id}`,
    principal,
    resources: documents.map((resource) => ({ resource, actions })),
  });
  for (const result of response.results) {
    const cells = actions.map((a) => `${a}=${result.actions[a] === "EFFECT_ALLOW" ? "ALLOW" : "deny "}`);
    console.log(`${principal.id.padEnd(8)} ${principal.roles.join(",").padEnd(7)} ${result.resource.id.padEnd(16)} ${cells.join("  ")}`);
  }
}
