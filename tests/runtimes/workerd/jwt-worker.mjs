// A Worker verifying identity tokens with the package's TokenVerifier (the
// workerd entry: wasm imported as a module). Keys come inline or from a
// remote JWKS that the test serves on 127.0.0.1.
import { InvalidTokenError, RemoteJwks, TokenVerifier } from "portcullis";

const verifiers = new Map();

async function verifier(keys, options, jwksOptions) {
  const id = JSON.stringify([keys, options, jwksOptions]);
  if (!verifiers.has(id)) {
    const source = typeof keys === "string" && keys.startsWith("http") ? new RemoteJwks(keys, jwksOptions) : keys;
    verifiers.set(id, await TokenVerifier.create({ ...options, keys: source }));
  }
  return verifiers.get(id);
}

export default {
  async fetch(request) {
    if (request.method !== "POST") return new Response("ok");
    // Body: {keys, options, jwksOptions, token, now} -> {ok, claims, alg} | {ok: false, code}
    const { keys, options, jwksOptions, token, now } = await request.json();
    const v = await verifier(keys, options ?? {}, jwksOptions ?? {});
    try {
      const out = await v.verify(token, now);
      return Response.json({ ok: true, claims: out.claims, alg: out.alg, fetches: v.remoteJwks?.fetchCount ?? 0 });
    } catch (error) {
      if (error instanceof InvalidTokenError) return Response.json({ ok: false, code: error.code, fetches: v.remoteJwks?.fetchCount ?? 0 });
      return Response.json({ ok: false, code: "thrown", message: String(error) }, { status: 500 });
    }
  },
};
