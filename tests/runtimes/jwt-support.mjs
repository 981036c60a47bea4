// Signing material for the runtime TokenVerifier tests: one jose key pair
// per algorithm (JWK with kid and alg) and a token signer.
import * as jose from "jose";

export const ALGS = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"];

/** Key pairs by algorithm and `sign(alg, claims)` producing a JWT valid around `now` (Unix s). */
export async function signingKeys(now) {
  const keys = {};
  for (const alg of ALGS) {
    const pair = await jose.generateKeyPair(alg, { extractable: true });
    keys[alg] = { ...pair, jwk: { ...(await jose.exportJWK(pair.publicKey)), kid: `k-${alg}`, alg } };
  }
  const sign = (alg, claims = {}) =>
    new jose.SignJWT({ sub: "user_1", iat: now, exp: now + 600, ...claims }).setProtectedHeader({ alg, kid: `k-${alg}`, typ: "JWT" }).sign(keys[alg].privateKey);
  return { keys, sign };
}

function der(tag, body) {
  const n = body.length;
  return Buffer.concat([Buffer.from(n < 0x80 ? [tag, n] : [tag, 0x81, n]), Buffer.from(body)]);
}

/**
 * An EC private key as PEM "PRIVATE KEY" (PKCS#8) whose SEC1 body holds only
 * the scalar and the curve, not the public point (as Cerbos's ES384 test key).
 */
export async function sec1WithoutPublicPem(privateKey) {
  const jwk = await jose.exportJWK(privateKey);
  const curve = { "P-256": [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], "P-384": [0x2b, 0x81, 0x04, 0x00, 0x22] }[jwk.crv];
  const sec1 = der(0x30, Buffer.concat([der(0x02, [1]), der(0x04, Buffer.from(jwk.d, "base64url"))]));
  const algorithm = der(0x30, Buffer.concat([der(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), der(0x06, curve)]));
  const pkcs8 = der(0x30, Buffer.concat([der(0x02, [0]), algorithm, der(0x04, sec1)]));
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END PRIVATE KEY-----\n`;
}
