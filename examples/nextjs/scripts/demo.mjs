// The no-account demo: starts the app on 127.0.0.1 and shows, per demo user,
// what Portcullis decides for a few requests. `--keep` leaves it running
// and prints ready-to-paste curl commands.
import { serve } from "./serve.mjs";
import { mintToken, USERS } from "./dev-identities.mjs";

const keep = process.argv.includes("--keep");
const { base, keys, stop } = await serve({ build: !process.argv.includes("--no-build"), port: keep ? 3000 : undefined });

const requests = [
  ["GET", "/api/projects/p1"],
  ["DELETE", "/api/projects/p1"],
  ["GET", "/api/projects/p3"],
  ["GET", "/api/workos/projects/w1"],
  ["DELETE", "/api/workos/projects/w1"],
];
console.log(`\napp on ${base}\n`);
console.log(["user".padEnd(18), ...requests.map(([m, p]) => `${m} ${p}`.padEnd(30))].join(""));
for (const user of Object.keys(USERS)) {
  const token = mintToken(keys, user);
  const cells = [];
  for (const [method, path] of requests) {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
    cells.push(`${res.status === 200 ? "ALLOW" : "deny"} (${res.status})`.padEnd(30));
  }
  const who = `${user} (${USERS[user].idp})`;
  console.log([who.padEnd(18), ...cells].join(""));
}

if (keep) {
  console.log(`\nTry it (tokens are valid for an hour):`);
  for (const user of ["alice", "bob", "support"]) {
    console.log(`  curl -H "Authorization: Bearer ${mintToken(keys, user)}" ${base}/api/projects/p1`);
  }
  console.log(`  open ${base}/projects/p1 with an Authorization header, or run: node scripts/dev-identities.mjs token alice`);
  console.log("\nCtrl-C stops the server.");
  process.on("SIGINT", () => stop().then(() => process.exit(0)));
} else {
  await stop();
}
