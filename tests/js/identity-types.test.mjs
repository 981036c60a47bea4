// The adapters' input types accept the real SDK types (Clerk auth objects,
// WorkOS session responses, Profile / DirectoryUserWithGroups / Directory /
// OrganizationMembership) and the real Authorizer fits portcullis/next,
// checked by compiling tests/js/types/identity-sdk-types.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { root } from "./support.mjs";

test("adapters type-check against @clerk/backend and @workos-inc/node types", () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  let output = "";
  try {
    execFileSync(process.execPath, [tsc, "-p", join(root, "tests/js/types/tsconfig.json")], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    output = `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
  assert.equal(output, "", output);
});
