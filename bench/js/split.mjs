// Where a checkResource call's time goes: the engine (raw JSON in/out) vs the
// typed wrapper, each as the fastest of many 1,000-call batches (robust to a
// busy machine). Usage: node bench/js/split.mjs
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { Authorizer } from "portcullis";
import { benchBundlePath, sharedRoot } from "../../tests/js/support.mjs";

const shared = sharedRoot();
if (!shared) process.exit(0);
const { benchCase } = await import(pathToFileURL(join(shared, "bench", "fixtures.mjs")).href);
const authz = await Authorizer.create({ bundle: readFileSync(benchBundlePath(), "utf8") });
const req = { principal: benchCase.principal, resource: benchCase.resource, actions: benchCase.actions, requestId: "b" };
const rawText = JSON.stringify({ requestId: "b", principal: benchCase.principal, resources: [{ resource: benchCase.resource, actions: benchCase.actions }] });
const answerText = authz.checkResourcesJson(rawText);

function fastest(fn, batches = Number(process.env.BATCHES ?? 200), size = 1000) {
  for (let i = 0; i < 5000; i++) fn();
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    for (let i = 0; i < size; i++) fn();
    best = Math.min(best, (performance.now() - t) / size);
  }
  return best * 1000;
}

const rows = {
  "checkResource (public API)": fastest(() => authz.checkResource(req)),
  "isAllowed (public API, 1 action)": fastest(() => authz.isAllowed({ principal: req.principal, resource: req.resource, action: "view", requestId: "b" })),
  "checkResourcesJson (engine + string boundary)": fastest(() => authz.checkResourcesJson(rawText)),
  "JS: JSON.stringify(request) + JSON.parse(answer)": fastest(() => (JSON.stringify(JSON.parse(rawText)), JSON.parse(answerText))),
};
for (const [name, us] of Object.entries(rows)) console.log(`${name}: ${us.toFixed(2)} µs`);
