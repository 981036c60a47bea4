// Expressions at the runtime's nesting limit load and evaluate inside the
// wasm (bounded stack), and deeper ones are refused by the compiler with a
// located error instead of failing at load time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Authorizer } from "../../js/dist/node.js";
import { cli, fixtures } from "./support.mjs";

/** Nesting limit of src/cel/program.rs (MAX_EXPR_DEPTH). */
const MAX_EXPR_DEPTH = 128;

function policyWithChain(dir, terms) {
  mkdirSync(dir, { recursive: true });
  const expr = `${Array(terms).fill("R.attr.a").join(" + ")} == "${"x".repeat(terms)}"`;
  writeFileSync(
    join(dir, "deep.yaml"),
    `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: deep
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: ${expr}
`,
  );
}

test("an expression at the nesting limit loads and evaluates in the wasm", async () => {
  const dir = join(fixtures, "deep-ok");
  // A chain of n terms is a tree n + 2 levels high (== over the + chain).
  policyWithChain(dir, MAX_EXPR_DEPTH - 3);
  const bundle = cli(["compile", dir, "-o", "-", "--skip-tests"]);
  const authz = await Authorizer.create({ bundle });
  const check = (a) =>
    authz.checkResource({
      principal: { id: "u", roles: ["user"] },
      resource: { kind: "deep", id: "1", attr: { a } },
      actions: ["view"],
    });
  assert.equal(check("x").isAllowed("view"), true);
  assert.equal(check("y").isAllowed("view"), false);
});

test("a deeper expression is a compile error that names the file and the limit", () => {
  const dir = join(fixtures, "deep-too-deep");
  policyWithChain(dir, MAX_EXPR_DEPTH + 10);
  let stderr = "";
  try {
    cli(["compile", dir, "-o", "-", "--skip-tests"], { stdio: ["ignore", "pipe", "pipe"] });
    assert.fail("compile should fail");
  } catch (e) {
    stderr = String(e.stderr);
    assert.equal(e.status, 3);
  }
  assert.match(stderr, /deep\.yaml:11:\d+: error/);
  assert.match(stderr, new RegExp(`evaluates at most ${MAX_EXPR_DEPTH}`));
});
