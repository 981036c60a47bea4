// Verifies the test's tokens with the package's TokenVerifier (browser
// entry: the wasm streamed from next to the package) and renders one row per
// case: `ok ALG SUB` or `refused CODE`. Keys come inline (JWKS or PEM) or
// from the page's origin as a remote JWKS.
import { InvalidTokenError, RemoteJwks, TokenVerifier } from "portcullis";

const status = document.getElementById("status");
try {
  const fixture = await (await fetch("/fixtures/jwt-browser-cases.json")).json();
  const verifiers = new Map();
  const body = document.querySelector("#results tbody");
  for (const { label, keys, options, token } of fixture.cases) {
    const id = JSON.stringify([keys, options]);
    if (!verifiers.has(id)) {
      const source = keys === "remote" ? new RemoteJwks(new URL("/jwks.json", location.href), { cooldownMs: 0 }) : keys;
      verifiers.set(id, await TokenVerifier.create({ ...options, keys: source, now: () => fixture.nowMs }));
    }
    let outcome;
    try {
      const out = await verifiers.get(id).verify(token);
      outcome = `ok ${out.alg} ${out.claims.sub}`;
    } catch (error) {
      outcome = error instanceof InvalidTokenError ? `refused ${error.code}` : `thrown ${error.name}: ${error.message}`;
    }
    const row = document.createElement("tr");
    row.dataset.case = label;
    for (const text of [label, outcome]) row.append(Object.assign(document.createElement("td"), { textContent: text }));
    body.append(row);
  }
  status.textContent = "ready";
  status.dataset.state = "ready";
} catch (error) {
  status.textContent = `failed: ${error.name}: ${error.message}`;
  status.dataset.state = "failed";
}
