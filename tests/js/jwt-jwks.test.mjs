// Remote JWKS against a real HTTP server on 127.0.0.1: caching per
// Cache-Control, an unknown kid refetching once (single-flight across
// concurrent verifications), the cooldown, key rotation, failures keeping
// stale keys, and the background refresh timer. The RemoteJwks clock is
// injected so freshness is tested without sleeping.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { after, test } from "node:test";
import * as jose from "jose";
import { InvalidTokenError, JwksFetchError, RemoteJwks, TokenVerifier, freshnessFromHeaders } from "../../js/dist/node.js";

const NOW = Math.floor(Date.now() / 1000);

async function makeKey(kid) {
  const pair = await jose.generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey: pair.privateKey, jwk: { ...(await jose.exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" } };
}
const [k1, k2, k3] = await Promise.all([makeKey("k1"), makeKey("k2"), makeKey("k3")]);

function token(key, claims = {}) {
  return new jose.SignJWT({ sub: "user_1", iat: NOW - 5, exp: NOW + 600, ...claims }).setProtectedHeader({ alg: "ES256", kid: key.kid }).sign(key.privateKey);
}

/** A JWKS endpoint whose answer the test controls. */
async function jwksServer() {
  const state = {
    keys: [k1],
    cacheControl: "public, max-age=120",
    extraHeaders: {},
    status: 200,
    body: undefined,
    delayMs: 0,
    sendDate: true,
    hits: 0,
    conditional: 0,
  };
  const server = createServer((req, res) => {
    state.hits++;
    res.sendDate = state.sendDate;
    const body = state.body ?? JSON.stringify({ keys: state.keys.map((k) => k.jwk) });
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    setTimeout(() => {
      const headers = { "content-type": "application/json", etag, ...state.extraHeaders };
      if (state.cacheControl) headers["cache-control"] = state.cacheControl;
      if (state.status !== 200) {
        res.writeHead(state.status, headers).end("{}");
      } else if (req.headers["if-none-match"] === etag) {
        state.conditional++;
        res.writeHead(304, headers).end();
      } else {
        res.writeHead(200, headers).end(body);
      }
    }, state.delayMs);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
  after(() => new Promise((resolve) => server.close(resolve)));
  return { state, url };
}

function clock(start = Date.now()) {
  const c = { t: start, now: () => c.t, advance: (ms) => (c.t += ms) };
  return c;
}

test("keys are fetched once and cached per Cache-Control max-age (304 revalidation keeps them)", async () => {
  const { state, url } = await jwksServer();
  const c = clock();
  const jwks = new RemoteJwks(url, { now: c.now, minCacheMs: 0 });
  const v = await TokenVerifier.create({ keys: jwks });
  assert.equal(state.hits, 1);
  const t1 = await token(k1);
  for (let i = 0; i < 5; i++) assert.equal((await v.verify(t1)).claims.sub, "user_1");
  assert.equal(state.hits, 1, "fresh keys are not refetched");
  c.advance(119_000);
  await v.verify(t1);
  assert.equal(state.hits, 1, "still fresh at 119 s of max-age=120");
  c.advance(2_000);
  await v.verify(t1);
  assert.equal(state.hits, 2, "stale after 120 s: one revalidation");
  assert.equal(state.conditional, 1, "the revalidation was conditional (If-None-Match) and answered 304");
  assert.equal(jwks.version, 1, "a 304 keeps the same key set");
  await v.verify(t1);
  assert.equal(state.hits, 2, "the 304 renewed freshness");
  v.close();
});

test("freshness: Age is subtracted, no-store/no-cache mean the minimum, bounds apply, no header means cacheMaxAgeMs", async () => {
  const h = (init) => new Headers(init);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "public, max-age=300" })), 300_000);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "max-age=300", age: "100" })), 200_000);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "max-age=300", age: "900" })), 0);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "no-store" })), 0);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "private, no-cache, max-age=60" })), 0);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "public" })), undefined);
  assert.equal(freshnessFromHeaders(h({})), undefined);

  const { state, url } = await jwksServer();
  const c = clock();
  // max-age=1 is raised to the 30 s default minimum.
  state.cacheControl = "max-age=1";
  const jwks = new RemoteJwks(url, { now: c.now });
  await jwks.ready();
  c.advance(29_000);
  await jwks.ready();
  assert.equal(state.hits, 1);
  c.advance(2_000);
  await jwks.ready();
  assert.equal(state.hits, 2);
  // No Cache-Control: cacheMaxAgeMs.
  state.cacheControl = undefined;
  const plain = new RemoteJwks(url, { now: c.now, cacheMaxAgeMs: 60_000 });
  await plain.ready();
  c.advance(59_000);
  await plain.ready();
  assert.equal(state.hits, 3);
  c.advance(2_000);
  await plain.ready();
  assert.equal(state.hits, 4);
  // A huge max-age is capped by maxCacheMs.
  state.cacheControl = "max-age=31536000";
  const capped = new RemoteJwks(url, { now: c.now, maxCacheMs: 3_600_000 });
  await capped.ready();
  c.advance(3_601_000);
  assert.equal(capped.fresh, false);
});

test("freshness from Expires (RFC 9111): relative to Date, minus Age; max-age and no-cache/no-store take precedence", () => {
  const h = (init) => new Headers(init);
  const date = "Mon, 01 Jan 2001 00:00:00 GMT";
  const at = (s) => new Date(Date.parse(date) + s * 1000).toUTCString();
  const now = Date.parse("2030-06-01T00:00:00Z");
  // Expires − Date, whatever the local clock says (here 29 years later).
  assert.equal(freshnessFromHeaders(h({ date, expires: at(300) }), now), 300_000);
  assert.equal(freshnessFromHeaders(h({ date, expires: at(300), age: "100" }), now), 200_000);
  assert.equal(freshnessFromHeaders(h({ date, expires: at(300), age: "400" }), now), 0);
  // Cache-Control without a lifetime leaves Expires in charge.
  assert.equal(freshnessFromHeaders(h({ "cache-control": "public, must-revalidate", date, expires: at(60) }), now), 60_000);
  // No Date: Expires − now.
  assert.equal(freshnessFromHeaders(h({ expires: new Date(now + 90_000).toUTCString() }), now), 90_000);
  // The obsolete HTTP-date forms are read too (RFC 9110 §5.6.7).
  assert.equal(freshnessFromHeaders(h({ date: "Monday, 01-Jan-01 00:00:00 GMT", expires: "Mon Jan  1 00:02:00 2001" }), now), 120_000);
  // Expired or invalid (servers send "0" or "-1") means stale.
  assert.equal(freshnessFromHeaders(h({ date, expires: at(-60) }), now), 0);
  for (const expires of ["0", "-1", "soon", ""]) assert.equal(freshnessFromHeaders(h({ date, expires }), now), 0, expires);
  // max-age wins over Expires; no-store/no-cache win over both.
  assert.equal(freshnessFromHeaders(h({ "cache-control": "max-age=30", date, expires: at(3600) }), now), 30_000);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "no-store", date, expires: at(3600) }), now), 0);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "no-cache", date, expires: at(3600) }), now), 0);
  // no-cache naming fields only withholds those fields.
  assert.equal(freshnessFromHeaders(h({ "cache-control": 'no-cache="set-cookie", max-age=45' }), now), 45_000);
  // An invalid or repeated max-age: the first counts, invalid is stale.
  assert.equal(freshnessFromHeaders(h({ "cache-control": "max-age=abc", date, expires: at(3600) }), now), 0);
  assert.equal(freshnessFromHeaders(h({ "cache-control": "max-age=10, max-age=1000" }), now), 10_000);
  assert.equal(freshnessFromHeaders(h({ "cache-control": 'max-age="20"' }), now), 20_000);
  // An invalid Age is ignored.
  assert.equal(freshnessFromHeaders(h({ "cache-control": "max-age=20", age: "-5" }), now), 20_000);
});

test("RemoteJwks honours Expires from a real server (skewed Date, no Date, Age, no-cache)", async () => {
  const { state, url } = await jwksServer();
  const c = clock(Date.parse("2030-06-01T00:00:00Z"));
  // The server's clock says 2001; Expires is 300 s after its Date.
  state.cacheControl = undefined;
  state.extraHeaders = { date: "Mon, 01 Jan 2001 00:00:00 GMT", expires: "Mon, 01 Jan 2001 00:05:00 GMT" };
  const skewed = new RemoteJwks(url, { now: c.now, minCacheMs: 0 });
  const v = await TokenVerifier.create({ keys: skewed, now: () => NOW * 1000 });
  const t1 = await token(k1);
  c.advance(299_000);
  assert.equal((await v.verify(t1)).claims.sub, "user_1");
  assert.equal(state.hits, 1, "fresh for Expires − Date = 300 s");
  c.advance(2_000);
  await v.verify(t1);
  assert.deepEqual([state.hits, state.conditional], [2, 1], "stale after 300 s: revalidated (304)");
  // The 304 carried the same Expires/Date: fresh for another 300 s.
  c.advance(299_000);
  await v.verify(t1);
  assert.equal(state.hits, 2);
  v.close();

  // Age is subtracted: 300 s lifetime, 240 s old.
  state.extraHeaders = { ...state.extraHeaders, age: "240" };
  const aged = new RemoteJwks(url, { now: c.now, minCacheMs: 0 });
  await aged.ready();
  c.advance(59_000);
  assert.equal(aged.fresh, true);
  c.advance(2_000);
  assert.equal(aged.fresh, false);

  // No Date header: Expires is read against the injected clock.
  state.sendDate = false;
  state.extraHeaders = { expires: new Date(c.now() + 120_000).toUTCString() };
  const noDate = new RemoteJwks(url, { now: c.now, minCacheMs: 0 });
  await noDate.ready();
  c.advance(119_000);
  assert.equal(noDate.fresh, true);
  c.advance(2_000);
  assert.equal(noDate.fresh, false);
  state.sendDate = true;

  // An expired Expires and no-cache both mean the minimum (here 10 s), then a refetch.
  for (const headers of [{ expires: "0" }, { "cache-control": "no-cache", expires: new Date(c.now() + 3_600_000).toUTCString() }]) {
    state.extraHeaders = headers;
    const before = state.hits;
    const minimal = new RemoteJwks(url, { now: c.now, minCacheMs: 10_000 });
    await minimal.ready();
    c.advance(9_000);
    await minimal.ready();
    assert.equal(state.hits, before + 1, JSON.stringify(headers));
    c.advance(2_000);
    await minimal.ready();
    assert.equal(state.hits, before + 2, JSON.stringify(headers));
  }
  // Expires beyond maxCacheMs is capped.
  state.extraHeaders = { date: "Mon, 01 Jan 2001 00:00:00 GMT", expires: "Mon, 01 Jan 2002 00:00:00 GMT" };
  const capped = new RemoteJwks(url, { now: c.now, maxCacheMs: 3_600_000 });
  await capped.ready();
  c.advance(3_599_000);
  assert.equal(capped.fresh, true);
  c.advance(2_000);
  assert.equal(capped.fresh, false);
  state.extraHeaders = {};
});

test("an unknown kid triggers exactly one refetch, shared by concurrent verifications", async () => {
  const { state, url } = await jwksServer();
  const c = clock();
  const jwks = new RemoteJwks(url, { now: c.now });
  const v = await TokenVerifier.create({ keys: jwks });
  assert.equal(state.hits, 1);
  // The IdP starts signing with k2 and publishes it; our copy is still fresh
  // (max-age=120) and the initial fetch is older than the 30 s cooldown.
  state.keys = [k1, k2];
  c.advance(30_000);
  state.delayMs = 50;
  const t2 = await token(k2);
  const results = await Promise.all(Array.from({ length: 25 }, () => v.verify(t2)));
  assert.ok(results.every((r) => r.kid === "k2"));
  assert.equal(state.hits, 2, "25 concurrent verifications made one request");
  assert.equal(jwks.version, 2);
  // k1 tokens keep working after the rebuild.
  assert.equal((await v.verify(await token(k1))).kid, "k1");
  assert.equal(state.hits, 2);
  v.close();
});

test("the cooldown limits refetches caused by unknown kids", async () => {
  const { state, url } = await jwksServer();
  const c = clock();
  const jwks = new RemoteJwks(url, { now: c.now, cooldownMs: 10_000 });
  const v = await TokenVerifier.create({ keys: jwks });
  const forged = await token(k3); // never published
  c.advance(10_000);
  await assert.rejects(v.verify(forged), (e) => e instanceof InvalidTokenError && e.code === "kid_not_found");
  assert.equal(state.hits, 2, "first unknown kid after the cooldown: one refetch");
  for (let i = 0; i < 20; i++) {
    await assert.rejects(v.verify(forged), (e) => e.code === "kid_not_found");
    c.advance(100);
  }
  assert.equal(state.hits, 2, "within the cooldown: no refetch however many unknown kids arrive");
  c.advance(10_000);
  await assert.rejects(v.verify(forged), (e) => e.code === "kid_not_found");
  assert.equal(state.hits, 3, "after the cooldown: one more");
  // A key published meanwhile is found by that next allowed refetch.
  state.keys = [k1, k3];
  await assert.rejects(v.verify(forged), (e) => e.code === "kid_not_found");
  assert.equal(state.hits, 3);
  c.advance(10_001);
  assert.equal((await v.verify(forged)).kid, "k3");
  assert.equal(state.hits, 4);
  v.close();
});

test("key rotation: a removed key stops verifying once the set is refetched, even for a cached token", async () => {
  const { state, url } = await jwksServer();
  const c = clock();
  state.cacheControl = "max-age=60";
  const jwks = new RemoteJwks(url, { now: c.now });
  const v = await TokenVerifier.create({ keys: jwks });
  const t1 = await token(k1);
  assert.equal((await v.verify(t1)).kid, "k1"); // now in the wasm's verified-token cache
  state.keys = [k2];
  c.advance(61_000);
  await assert.rejects(v.verify(t1), (e) => e.code === "kid_not_found");
  assert.equal((await v.verify(await token(k2))).kid, "k2");
  assert.equal(state.hits, 2, "the stale refetch brought k2; the unknown k1 kid was within the cooldown");
  v.close();
});

test("verifiers sharing a RemoteJwks all see a rotation fetched by one of them", async () => {
  const { state, url } = await jwksServer();
  const c = clock();
  const jwks = new RemoteJwks(url, { now: c.now });
  const a = await TokenVerifier.create({ keys: jwks });
  const b = await TokenVerifier.create({ keys: jwks, requireSub: true });
  assert.equal(state.hits, 1);
  state.keys = [k1, k2];
  c.advance(30_000);
  const t2 = await token(k2);
  assert.equal((await a.verify(t2)).kid, "k2");
  assert.equal(b.verifySync(t2).kid, "k2", "b rebuilt from the shared set without fetching");
  assert.equal(state.hits, 2);
  a.close();
  b.close();
});

test("fetch failures: creation fails with no keys; later failures keep the stale keys and report them", async () => {
  const { state, url } = await jwksServer();
  state.status = 503;
  await assert.rejects(TokenVerifier.create({ keys: new RemoteJwks(url) }), JwksFetchError);
  state.status = 200;
  state.body = "<html>not json</html>";
  await assert.rejects(new RemoteJwks(url).ready(), /did not answer JSON/);
  state.body = JSON.stringify({ notKeys: [] });
  await assert.rejects(new RemoteJwks(url).ready(), /JWK set/);
  state.body = undefined;

  const c = clock();
  const errors = [];
  const jwks = new RemoteJwks(url, { now: c.now, onError: (e) => errors.push(e) });
  const v = await TokenVerifier.create({ keys: jwks });
  const t1 = await token(k1);
  const hits = state.hits;
  state.status = 500;
  c.advance(121_000);
  assert.equal((await v.verify(t1)).kid, "k1", "stale keys stay in use");
  assert.equal(state.hits, hits + 1);
  assert.ok(errors.length === 1 && errors[0] instanceof JwksFetchError && /HTTP 500/.test(errors[0].message));
  // Within the cooldown after a failure, no new request.
  await v.verify(t1);
  assert.equal(state.hits, hits + 1);
  state.status = 200;
  c.advance(30_000);
  await v.verify(t1);
  assert.equal(state.hits, hits + 2);
  assert.equal(jwks.fresh, true);
  v.close();
});

test("an unusable refreshed key set leaves the old one in place; an unreachable server is a JwksFetchError", async () => {
  const { state, url } = await jwksServer();
  const c = clock();
  const jwks = new RemoteJwks(url, { now: c.now });
  await jwks.ready();
  const v = await TokenVerifier.create({ keys: jwks });
  // The IdP publishes a document the engine cannot use: it is refused and
  // the old set stays.
  state.body = "{\"keys\": [{\"kty\": \"RSA\"}]}";
  const keyErrors = [];
  const w = await TokenVerifier.create({ keys: jwks, onKeysError: (e) => keyErrors.push(e) });
  c.advance(121_000);
  assert.equal((await w.verify(await token(k1))).kid, "k1", "an unusable new key set leaves the old one in place");
  assert.equal(keyErrors.length, 1);
  assert.match(String(keyErrors[0].message), /keys:/);
  v.close();
  w.close();

  const dead = `http://127.0.0.1:1/jwks.json`;
  const broken = new RemoteJwks(dead, { timeoutMs: 2_000 });
  await assert.rejects(broken.ready(), JwksFetchError);
});

test("URL and https:// string keys make a RemoteJwks; the refresh timer refetches in the background", async () => {
  const { state, url } = await jwksServer();
  const v = await TokenVerifier.create({ keys: new URL(url) });
  assert.ok(v.remoteJwks instanceof RemoteJwks);
  assert.equal(v.remoteJwks.url.href, url);
  assert.equal((await v.verify(await token(k1))).kid, "k1");
  v.close();
  const w = await TokenVerifier.create({ keys: url });
  assert.ok(w.remoteJwks instanceof RemoteJwks);
  w.close();

  const before = state.hits;
  const jwks = new RemoteJwks(url, { refreshIntervalMs: 40 });
  await new Promise((resolve) => setTimeout(resolve, 230));
  jwks.close();
  // A request started just before close() may still arrive: let it land.
  await new Promise((resolve) => setTimeout(resolve, 80));
  const during = state.hits - before;
  assert.ok(during >= 3, `background refreshes: ${during}`);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(state.hits - before, during, "close() stops the timer");
  assert.throws(() => new RemoteJwks("ftp://example.com/jwks"), TypeError);
  assert.throws(() => new RemoteJwks(url, { cooldownMs: -1 }), TypeError);
});

test("requests ask an HTTP cache under fetch to revalidate; a fetch without the cache option is retried without it, once", async () => {
  const { state, url } = await jwksServer();
  const seen = [];
  const jwks = new RemoteJwks(url, { cooldownMs: 0, fetch: (input, init) => (seen.push(init.cache), fetch(input, init)) });
  await jwks.ready();
  assert.equal(await jwks.refreshForUnknownKid(), false);
  assert.deepEqual(seen, ["no-cache", "no-cache"]);
  // workerd's fetch throws on `cache`: the request goes again without it, and later ones never try it.
  const tries = [];
  const strict = new RemoteJwks(url, {
    cooldownMs: 0,
    fetch: async (input, init) => {
      tries.push(init.cache ?? "none");
      if (init.cache !== undefined) throw new TypeError("Unsupported cache mode: no-cache");
      return fetch(input, init);
    },
  });
  await strict.ready();
  await strict.refresh();
  assert.deepEqual(tries, ["no-cache", "none", "none"]);
  assert.equal(state.hits, 4);
  // Other failures are not retried.
  let calls = 0;
  const broken = new RemoteJwks(url, { fetch: async () => (calls++, Promise.reject(new TypeError("fetch failed"))) });
  await assert.rejects(broken.ready(), JwksFetchError);
  assert.equal(calls, 1);
});
