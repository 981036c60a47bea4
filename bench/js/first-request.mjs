// First request to a fresh Cloudflare Worker isolate in real workerd: a
// worker that creates its authorizer inside the first request
// (`await Authorizer.create`) against one that creates it at startup
// (`Authorizer.createSync`, warmed up, in global scope), and a worker with
// the same request handling but a fixed answer (the floor). Each sample
// starts one workerd per worker on 127.0.0.1 (see below), waits until it
// accepts connections and has loaded the worker (`SETTLE_MS`), then times,
// from the client, the first and the second decision request. The second
// request is the baseline: loopback HTTP plus a check with every function
// compiled. Usage: node bench/js/first-request.mjs [samples]
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { request as httpRequest, Agent } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";

import { benchBundlePath, fixtures, root, sharedRoot } from "../../tests/js/support.mjs";
import { bundleForWorkerd, freePort } from "../../tests/runtimes/support.mjs";

const samples = Number(process.argv[2] ?? 7);
// workerd accepts connections before it has loaded the worker (its global
// scope runs after), so each sample waits this long before its first request.
// On Cloudflare a worker's startup overlaps the TLS handshake.
const settleMs = Number(process.env.SETTLE_MS ?? 1500);
const shared = sharedRoot();
if (!shared) process.exit(0);
const bench = await import(new URL(`file://${shared}/bench/fixtures.mjs`).href);
const dir = join(fixtures, "bench-first-request");
mkdirSync(dir, { recursive: true });

const route = `
export default {
  async fetch(request) {
    const { principal, resource, actions } = await request.json();
    const authz = await authorizer();
    return Response.json(authz.checkResource({ principal, resource, actions }).actions);
  },
};
`;
writeFileSync(
  join(dir, "in-request.mjs"),
  `import { Authorizer } from "portcullis";\nimport bundle from "./bundle.json";\nlet authz;\nconst authorizer = async () => (authz ??= await Authorizer.create({ bundle }));\n${route}`,
);
writeFileSync(
  join(dir, "at-startup.mjs"),
  `import { Authorizer } from "portcullis";\nimport bundle from "./bundle.json";\nconst authz = Authorizer.createSync({ bundle });\nconst authorizer = async () => authz;\n${route}`,
);
// esbuild resolves "portcullis" from the entry's directory upwards: the
// fixtures directory lives inside the repository, whose package it is.
// The floor: the same request handling with a fixed answer, no Portcullis.
writeFileSync(
  join(dir, "no-authorizer.mjs"),
  `import bundle from "./bundle.json";\nconst answer = ${JSON.stringify(JSON.stringify({ view: "EFFECT_ALLOW", edit: "EFFECT_DENY", delete: "EFFECT_DENY", publish: "EFFECT_ALLOW" }))};\nconst authorizer = async () => ({ checkResource: () => ({ actions: JSON.parse(answer), digest: bundle.digest }) });\n${route}`,
);
await bundleForWorkerd(join(dir, "no-authorizer.mjs"), dir, "no-authorizer.js");
await bundleForWorkerd(join(dir, "in-request.mjs"), dir, "in-request.js");
await bundleForWorkerd(join(dir, "at-startup.mjs"), dir, "at-startup.js");
copyFileSync(benchBundlePath(), join(dir, "bundle.json"));

const workers = ["no-authorizer", "in-request", "at-startup"];
const body = JSON.stringify(bench.benchCase);
const agent = new Agent({ keepAlive: true });

function post(port) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/", agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => (res.statusCode === 200 ? resolve({ ms: performance.now() - started, text }) : reject(new Error(`HTTP ${res.statusCode}: ${text}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function accepting(port, deadline) {
  while (performance.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`port ${port} never accepted a connection`);
}

// Warm the client's own HTTP stack on a throwaway server first.
{
  const { createServer } = await import("node:http");
  const server = createServer((q, s) => q.resume().on("end", () => s.end("{}")));
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  await post(server.address().port);
  await new Promise((ok) => server.close(ok));
}

/** Starts workerd serving `worker` alone; resolves with its port once it accepts connections. */
async function serve(worker) {
  const port = await freePort();
  const config = join(dir, `${worker}.capnp`);
  writeFileSync(
    config,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = (modules = [(name = "worker.js", esModule = embed "${worker}.js"), (name = "portcullis_bg.wasm", wasm = embed "portcullis_bg.wasm"), (name = "bundle.json", json = embed "bundle.json")], compatibilityDate = "2025-05-01"))],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
`,
  );
  const child = spawn(join(root, "node_modules", ".bin", "workerd"), ["serve", config], { stdio: ["ignore", "ignore", "inherit"] });
  await accepting(port, performance.now() + 30_000);
  await new Promise((r) => setTimeout(r, settleMs));
  return { port, child };
}

// One workerd process per worker and sample: V8 shares a wasm module's
// compiled functions between the isolates of a process (its module cache
// is keyed by the bytes), so a warmed worker would warm its neighbour.
const results = Object.fromEntries(workers.map((w) => [w, { first: [], second: [] }]));
let answer;
for (let i = 0; i < samples; i++) {
  for (const w of i % 2 === 0 ? workers : [...workers].reverse()) {
    const { port, child } = await serve(w);
    try {
      const first = await post(port);
      const second = await post(port);
      answer ??= first.text;
      if (first.text !== answer || second.text !== answer) throw new Error(`${w} answered ${first.text} / ${second.text}, expected ${answer}`);
      results[w].first.push(first.ms);
      results[w].second.push(second.ms);
    } finally {
      child.kill("SIGTERM");
      await new Promise((ok) => child.once("exit", ok));
    }
  }
}
agent.destroy();

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`first request to a fresh workerd isolate (${samples} samples, client-side ms, decisions ${answer})`);
console.log("worker | first request median | min | second request median | first − second");
for (const w of workers) {
  const r = results[w];
  console.log(`${w} | ${median(r.first).toFixed(2)} | ${Math.min(...r.first).toFixed(2)} | ${median(r.second).toFixed(2)} | ${(median(r.first) - median(r.second)).toFixed(2)}`);
}
