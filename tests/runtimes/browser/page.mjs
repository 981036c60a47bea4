// Loads the package's browser entry (wasm streamed from next to it), then
// renders the decisions the test asks for (fixtures from /fixtures/). With
// `?sync`, the page compiles the wasm itself and creates the authorizer
// with `Authorizer.createSync` (no await) from the module and bundle text.
import { Authorizer } from "portcullis";

const status = document.getElementById("status");
try {
  const fixture = await (await fetch("/fixtures/browser-cases.json")).json();
  const authz = new URLSearchParams(location.search).has("sync")
    ? Authorizer.createSync({
        wasm: await WebAssembly.compileStreaming(fetch("/pkg/portcullis_bg.wasm")),
        bundle: await (await fetch("/fixtures/document.bundle.json")).text(),
        now: () => fixture.now,
      })
    : await Authorizer.create({
        bundle: new URL("/fixtures/document.bundle.json", location.href),
        now: () => fixture.now,
      });
  const body = document.querySelector("#decisions tbody");
  for (const { principal, resource, actions, label } of fixture.cases) {
    const result = authz.checkResource({ principal, resource, actions });
    const row = document.createElement("tr");
    row.dataset.case = label;
    for (const text of [principal.id, resource.id]) row.append(Object.assign(document.createElement("td"), { textContent: text }));
    for (const action of actions) {
      const effect = result.actions[action];
      row.append(Object.assign(document.createElement("td"), { textContent: effect, className: effect }));
    }
    body.append(row);
  }
  document.getElementById("raw").textContent = JSON.stringify(fixture.raw.map((r) => JSON.parse(authz.checkResourcesJson(JSON.stringify(r)))));
  status.textContent = `ready: bundle ${authz.bundleDigest.slice(0, 12)}, engine ${Authorizer.engineVersion}`;
  status.dataset.state = "ready";
} catch (error) {
  status.textContent = `failed: ${error.name}: ${error.message}`;
  status.dataset.state = "failed";
}
