// Starts the example offline: compiles ../../policies (unless
// PORTCULLIS_BUNDLE is set), serves the WorkOS JWKS on 127.0.0.1, runs
// `next build` (unless `build: false`) and `next start` on 127.0.0.1.
// Shared by the e2e test and the demo.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { ensureDevIdentities, appEnv, WORKOS_CLIENT_ID } from "./dev-identities.mjs";

export const app = fileURLToPath(new URL("..", import.meta.url));
export const root = resolve(app, "../..");
const nextBin = join(app, "node_modules/next/dist/bin/next");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function bundlePath() {
  if (process.env.PORTCULLIS_BUNDLE) return resolve(process.env.PORTCULLIS_BUNDLE);
  const out = join(app, ".dev/bundle.json");
  const cli = join(root, "target/debug/portcullis");
  if (!existsSync(cli)) execFileSync("cargo", ["build", "--quiet", "--features", "cli", "--bin", "portcullis"], { cwd: root, stdio: "inherit" });
  mkdirSync(join(app, ".dev"), { recursive: true });
  execFileSync(cli, ["compile", join(root, "policies"), "-o", out], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}

/** Starts everything; resolves to `{base, keys, stop}`. */
export async function serve({ build = true, port } = {}) {
  for (const f of ["pkg/portcullis_bg.wasm", "js/dist/node.js", "js/dist/next.js"]) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` at the repository root first`);
  }
  const keys = ensureDevIdentities();
  const bundle = bundlePath();
  const jwks = createServer((req, res) => {
    if (req.url === `/sso/jwks/${WORKOS_CLIENT_ID}`) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [keys.workos.jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise((ok) => jwks.listen(0, "127.0.0.1", ok));
  const env = {
    ...process.env,
    ...appEnv(keys, `http://127.0.0.1:${jwks.address().port}/sso/jwks/${WORKOS_CLIENT_ID}`),
    PORTCULLIS_BUNDLE: bundle,
  };
  if (build || !existsSync(join(app, ".next"))) {
    execFileSync(process.execPath, [nextBin, "build"], { cwd: app, env, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  }
  const listen = port ?? (await freePort());
  const base = `http://127.0.0.1:${listen}`;
  const server = spawn(process.execPath, [nextBin, "start", "-H", "127.0.0.1", "-p", String(listen)], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
    }
    jwks.close();
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fetch(`${base}/`);
      break;
    } catch {
      if (Date.now() > deadline || server.exitCode !== null) {
        await stop();
        throw new Error(`next start did not come up:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { base, keys, stop, log: () => log };
}
