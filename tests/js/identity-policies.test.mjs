// The example policies' test suites embed principals produced by the
// adapters (see identity-fixtures.mjs). This keeps them honest: if an adapter
// changes a principal's shape, the suites must be regenerated and re-run in
// Cerbos (python3 ../shared/oracle/oracle.py compile policies).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { generatedSuites, renderSuite, suitesDir, fixturePrincipals } from "./identity-fixtures.mjs";

test("identity example suites exist and embed current adapter output", () => {
  const suites = generatedSuites();
  assert.deepEqual(suites.sort(), [
    "admin_console_test.yaml",
    "analytics_report_test.yaml",
    "billing_account_test.yaml",
    "invoice_test.yaml",
    "project_test.yaml",
  ]);
  for (const f of suites) {
    const text = readFileSync(suitesDir + f, "utf8");
    assert.equal(renderSuite(text), text, `${f} is stale: run node tests/js/identity-fixtures.mjs --write`);
  }
});

test("every fixture principal is a valid Cerbos principal", () => {
  for (const [name, p] of Object.entries(fixturePrincipals())) {
    assert.equal(typeof p.id, "string", name);
    assert.ok(p.id.length > 0, name);
    assert.ok(p.roles.length >= 1, name);
    assert.equal(new Set(p.roles).size, p.roles.length, `${name}: duplicate roles`);
    assert.doesNotThrow(() => JSON.stringify(p));
  }
});
