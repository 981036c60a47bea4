// Edge middleware verifying identity tokens with the package's TokenVerifier
// (the edge-light entry: the wasm is a host-compiled module injected as
// Next.js does). Keys come inline (JWKS or PEM) or from a remote JWKS the
// test serves on 127.0.0.1.
import { InvalidTokenError, RemoteJwks, TokenVerifier } from "portcullis";

const verifiers = new Map();

async function verifier(keys, options) {
  const id = JSON.stringify([keys, options]);
  if (!verifiers.has(id)) {
    const source = typeof keys === "string" && keys.startsWith("http") ? new RemoteJwks(keys, { cooldownMs: 0 }) : keys;
    verifiers.set(id, await TokenVerifier.create({ ...options, keys: source }));
  }
  return verifiers.get(id);
}

async function handle(request) {
  if (request.method !== "POST") return new Response("ok");
  // Body: {keys, options, token, now} -> {ok, alg, claims, fetches} | {ok: false, code}
  const { keys, options, token, now } = await request.json();
  let v;
  try {
    v = await verifier(keys, options ?? {});
  } catch (error) {
    return Response.json({ ok: false, code: "create_failed", message: `${error.name}: ${error.message}` });
  }
  const fetches = () => v.remoteJwks?.fetchCount ?? 0;
  try {
    const out = await v.verify(token, now);
    return Response.json({ ok: true, alg: out.alg, claims: out.claims, fetches: fetches() });
  } catch (error) {
    if (error instanceof InvalidTokenError) return Response.json({ ok: false, code: error.code, fetches: fetches() });
    return Response.json({ ok: false, code: "thrown", message: String(error) }, { status: 500 });
  }
}

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));
