// JWT verification: Portcullis (ring in the wasm, through the TokenVerifier
// wrapper) side by side with the npm `jose` package (Node's WebCrypto) in
// the same process, for RS256, ES256 and EdDSA; plus the wasm's
// verified-token cache (the same token verified again).
// Usage: npm run build && node bench/js/jwt.bench.mjs   (BENCH_MS=2000 per task;
// PORTCULLIS_WASM=path/to/portcullis_bg.wasm times another build of the same glue)
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Bench } from "tinybench";
import * as jose from "jose";
import { TokenVerifier } from "../../js/dist/node.js";

const NOW = Math.floor(Date.now() / 1000);
const claims = { sub: "user_2abc", iss: "https://issuer.example", azp: "https://app.example", sid: "sess_1", iat: NOW, nbf: NOW, exp: NOW + 3600, org: { id: "org_1", rol: "admin" } };
const ALGS = ["RS256", "ES256", "EdDSA"];

// The first create instantiates the wasm for the process; later ones reuse it.
const wasm = process.env.PORTCULLIS_WASM ? await readFile(process.env.PORTCULLIS_WASM) : undefined;
const setups = [];
for (const alg of ALGS) {
  const pair = await jose.generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true });
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: `k-${alg}`, alg };
  const token = await new jose.SignJWT(claims).setProtectedHeader({ alg, kid: jwk.kid, typ: "JWT" }).sign(pair.privateKey);
  const joseKey = await jose.importJWK(jwk, alg);
  const keys = { keys: [jwk] };
  // cacheSize 0: every call runs the full verification in the wasm.
  const uncached = await TokenVerifier.create({ keys, cacheSize: 0, wasm });
  const cached = await TokenVerifier.create({ keys });
  // Both must accept the token before anything is timed.
  const a = uncached.verifySync(token).claims;
  const b = (await jose.jwtVerify(token, joseKey)).payload;
  assert.deepStrictEqual(a, b, `${alg}: claims differ`);
  cached.verifySync(token);
  setups.push({ alg, token, joseKey, uncached, cached });
}

const bench = new Bench({ time: Number(process.env.BENCH_MS ?? 2000), warmupTime: 300 });
for (const s of setups) {
  bench.add(`${s.alg} portcullis verifySync (wasm, no cache)`, () => {
    s.uncached.verifySync(s.token);
  });
  bench.add(`${s.alg} portcullis verify (async, no cache)`, async () => {
    await s.uncached.verify(s.token);
  });
  bench.add(`${s.alg} jose jwtVerify (WebCrypto)`, async () => {
    await jose.jwtVerify(s.token, s.joseKey);
  });
  bench.add(`${s.alg} portcullis verifySync, cache hit (same token again)`, () => {
    s.cached.verifySync(s.token);
  });
}
await bench.run();

const rows = new Map();
for (const t of bench.tasks) {
  const r = t.result;
  const lat = r.latency ?? r;
  rows.set(t.name, { perSecond: r.throughput?.mean ?? r.hz, p50: (lat.p50 ?? lat.median) * 1000 });
}
console.log(`node ${process.version}, ${process.arch}; ${bench.opts?.time ?? process.env.BENCH_MS ?? 2000} ms per task`);
console.log("task | ops/s | p50 µs | ratio vs jose");
for (const s of setups) {
  const jose = rows.get(`${s.alg} jose jwtVerify (WebCrypto)`).perSecond;
  for (const [name, r] of rows) {
    if (!name.startsWith(`${s.alg} `)) continue;
    console.log(`${name} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(2)} | ${(r.perSecond / jose).toFixed(2)}x`);
  }
}
for (const s of setups) {
  s.uncached.close();
  s.cached.close();
}
