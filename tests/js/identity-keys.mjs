// Test-only token minting: a locally generated RSA key signs JWTs that the
// real IdP SDKs then verify offline. Nothing here talks to the network.
import { generateKeyPairSync, sign } from "node:crypto";

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** A fresh 2048-bit RSA key (what Clerk issues), with its SPKI PEM and JWK. */
export function makeRsaKey(kid = "ins_test_key") {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  return { kid, pem, jwk, privateKey };
}

/** Signs `payload` as an RS256 JWT with `key`. */
export function signJwt(key, payload, header = {}) {
  const h = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.kid, ...header }));
  const p = b64url(JSON.stringify(payload));
  const sig = sign("RSA-SHA256", Buffer.from(`${h}.${p}`), key.privateKey);
  return `${h}.${p}.${b64url(sig)}`;
}

/** Current time in JWT seconds. */
export const nowSec = () => Math.floor(Date.now() / 1000);
