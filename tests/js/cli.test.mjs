// The npm CLI (js/dist/cli.js, `npx portcullis`) without Rust: `check` on the
// runtime wasm answers exactly like the native CLI; `compile` runs on the
// compiler wasm when one is built.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { NOW, documentBundlePath, fixtures, nativeAnswers, normalize, parityRequests, root } from "./support.mjs";

const cliPath = join(root, "js", "dist", "cli.js");

test("npx portcullis check answers like the native CLI", () => {
  const requests = parityRequests();
  const file = join(fixtures, "cli-requests.json");
  writeFileSync(file, JSON.stringify(requests));
  const out = execFileSync(process.execPath, [cliPath, "check", "--bundle", documentBundlePath(), "--requests", file, "--now", NOW], { encoding: "utf8" });
  const native = nativeAnswers(documentBundlePath(), requests);
  assert.deepEqual(JSON.parse(out).map(normalize), native.map(normalize));
});

test("npx portcullis check reads requests from standard input and reports usage errors", () => {
  const requests = parityRequests().slice(0, 2);
  const out = execFileSync(process.execPath, [cliPath, "check", "--bundle", documentBundlePath(), "--requests", "-", "--now", NOW], {
    input: JSON.stringify(requests),
    encoding: "utf8",
  });
  assert.equal(JSON.parse(out).length, 2);
  const bad = spawnSync(process.execPath, [cliPath, "check", "--requests", "-"], { encoding: "utf8", input: "[]" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /give exactly one of --bundle or --policies/);
  const notArray = spawnSync(process.execPath, [cliPath, "check", "--bundle", documentBundlePath(), "--requests", "-"], { encoding: "utf8", input: "{}" });
  assert.equal(notArray.status, 2);
});

test("npx portcullis compile builds the same bundle as the native compiler", (t) => {
  if (!existsSync(join(root, "pkg-compiler", "portcullis_bg.wasm"))) {
    return t.skip("no compiler wasm (pkg-compiler/): the Rust side has no compilePolicies export yet");
  }
  const out = join(fixtures, "cli-compiled.bundle.json");
  execFileSync(process.execPath, [cliPath, "compile", join(root, "policies"), "-o", out]);
  assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), JSON.parse(readFileSync(documentBundlePath(), "utf8")), "the native compiler's bundle");

  // A broken store fails with exit code 3 and a file:line diagnostic, as the native CLI does.
  const broken = join(fixtures, "policies-broken");
  rmSync(broken, { recursive: true, force: true });
  mkdirSync(broken, { recursive: true });
  writeFileSync(
    join(broken, "bad.yaml"),
    'apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: document\n  version: default\n  rules:\n    - actions: ["view"]\n      effect: EFFECT_ALLOW\n      roles: [member]\n      condition:\n        match:\n          expr: R.attr.status ==\n',
  );
  const failed = spawnSync(process.execPath, [cliPath, "compile", broken, "-o", join(fixtures, "never.json")], { encoding: "utf8" });
  const native = spawnSync(process.env.PORTCULLIS_CLI ?? join(root, "target", "debug", "portcullis"), ["compile", broken, "-o", join(fixtures, "never.json")], { encoding: "utf8" });
  assert.equal(failed.status, 3, failed.stderr);
  assert.equal(native.status, 3);
  assert.match(failed.stderr, /bad\.yaml:11/);
  assert.equal(failed.stderr.trim(), native.stderr.trim(), "the same diagnostics as the native compiler");
});
