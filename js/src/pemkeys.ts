// EC private keys in PEM key text, turned into their public keys with
// WebCrypto before the text reaches the wasm.
//
// Why here: a PEM private key may leave out its public point (SEC1 makes it
// optional; Cerbos's ES384 test key does). Cerbos (Go's x509) derives it as
// d·G; ring, which the wasm verifies with, exposes no scalar multiplication,
// and a curve crate would add ~9 KB gzip to the runtime wasm (see
// Cargo.toml, feature `ec-derive`, which native builds use instead). Every
// runtime the package supports has WebCrypto, whose `pkcs8` import derives
// the point; exporting the key as a JWK gives x and y.
//
// Every P-256/P-384 private key block (PKCS#8 "PRIVATE KEY" or SEC1 "EC
// PRIVATE KEY") is replaced by its SPKI "PUBLIC KEY" block, so no private
// scalar is handed to the wasm. Other blocks (RSA, Ed25519, certificates,
// public keys) pass through unchanged, as does everything when WebCrypto is
// missing (e.g. a browser page outside a secure context): the wasm then
// loads the key itself or says why it cannot.

type Subtle = SubtleCrypto;

const CURVES: ReadonlyArray<[string, number[]]> = [
  // prime256v1 1.2.840.10045.3.1.7
  ["P-256", [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]],
  // secp384r1 1.3.132.0.34
  ["P-384", [0x2b, 0x81, 0x04, 0x00, 0x22]],
];
// id-ecPublicKey 1.2.840.10045.2.1
const EC_PUBLIC_KEY = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const BLOCK = /-----BEGIN ((?:EC )?PRIVATE KEY)-----([^-]*)-----END \1-----/g;

function subtle(): Subtle | undefined {
  const c = (globalThis as { crypto?: { subtle?: Subtle } }).crypto;
  return c?.subtle;
}

/** DER: `tag`, definite length, `body`. */
function der(tag: number, body: ArrayLike<number>): number[] {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...Array.from(body)];
}

/** PKCS#8 PrivateKeyInfo around a SEC1 ECPrivateKey on `curveOid`. */
function pkcs8FromSec1(sec1: Uint8Array, curveOid: number[]): Uint8Array<ArrayBuffer> {
  const algorithm = der(0x30, [...der(0x06, EC_PUBLIC_KEY), ...der(0x06, curveOid)]);
  return new Uint8Array(der(0x30, [...der(0x02, [0]), ...algorithm, ...der(0x04, sec1)]));
}

function decodeBase64(body: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(body.replace(/\s+/g, ""));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function publicPem(spki: ArrayBuffer): string {
  const binary = String.fromCharCode(...new Uint8Array(spki));
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----`;
}

/** The SPKI of an EC private key's public half, or undefined if it is not a P-256/P-384 key. */
async function ecPublicKey(s: Subtle, label: string, body: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer | undefined> {
  for (const [namedCurve, oid] of CURVES) {
    // A SEC1 key names its curve inside; wrapping it for the wrong curve
    // makes the import fail, and the next curve is tried.
    const pkcs8 = label === "EC PRIVATE KEY" ? pkcs8FromSec1(body, oid) : body;
    try {
      const key = await s.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve }, true, ["sign"]);
      const { x, y } = await s.exportKey("jwk", key);
      if (typeof x !== "string" || typeof y !== "string") return undefined;
      const pub = await s.importKey("jwk", { kty: "EC", crv: namedCurve, x, y, ext: true }, { name: "ECDSA", namedCurve }, true, ["verify"]);
      return await s.exportKey("spki", pub);
    } catch {
      // Not this curve, or not an EC key at all.
    }
  }
  return undefined;
}

/**
 * Replaces each EC private key block in PEM `text` by its public key
 * ("PUBLIC KEY", derived with WebCrypto when the block leaves the point
 * out). Text without private key blocks is returned as is.
 */
export async function publicKeysOnly(text: string): Promise<string> {
  const s = subtle();
  if (s === undefined || !text.includes("PRIVATE KEY-----")) return text;
  const replacements: string[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [whole, label = "", body = ""] = match;
    const bytes = decodeBase64(body);
    const spki = bytes === undefined ? undefined : await ecPublicKey(s, label, bytes);
    replacements.push(spki === undefined ? whole : publicPem(spki));
  }
  let i = 0;
  return text.replace(BLOCK, (whole) => replacements[i++] ?? whole);
}
