// Development identities without any account: RSA keys generated here, a
// Clerk instance configured offline (CLERK_JWT_KEY = the public key; the
// secret key is a placeholder Clerk only checks for shape), Clerk v2 session
// tokens and WorkOS AuthKit access tokens minted for a few users, and the
// WorkOS JWKS document to serve on 127.0.0.1.
//
//   node scripts/dev-identities.mjs        # writes .dev/ (keys, env.json, jwks.json)
//   node scripts/dev-identities.mjs token alice
import { generateKeyPairSync, sign, createPrivateKey } from "node:crypto";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../.dev/", import.meta.url));
const b64url = (b) => Buffer.from(b).toString("base64url");

export const CLERK_ISSUER = "https://clerk.portcullis.example";
export const WORKOS_ISSUER = "https://api.workos.com";
export const WORKOS_CLIENT_ID = "client_01PORTCULLISDEMO";

/** Users of the demo, as their IdP would describe them. */
export const USERS = {
  alice: { idp: "clerk", claims: { sub: "user_2alice", o: { id: "org_2acme", slg: "acme", rol: "admin", per: "read,manage", fpm: "3" }, fea: "o:reports", pla: "o:pro", fva: [2, 2], metadata: { plan: "pro", employment: "employee" } } },
  bob: { idp: "clerk", claims: { sub: "user_2bob", o: { id: "org_2acme", slg: "acme", rol: "member" }, fva: [30, -1], metadata: { plan: "free", employment: "employee" } } },
  support: { idp: "clerk", claims: { sub: "user_2alice", act: { sub: "user_2support" }, o: { id: "org_2acme", slg: "acme", rol: "admin" }, fva: [0, -1] } },
  gina: { idp: "clerk", claims: { sub: "user_2gina", o: { id: "org_2globex", slg: "globex", rol: "admin" }, fva: [1, 1] } },
  pete: { idp: "workos", claims: { sub: "user_01PETE", org_id: "org_01ACME", role: "admin", roles: ["admin"], permissions: ["projects:delete"] } },
  wendy: { idp: "workos", claims: { sub: "user_01WENDY", org_id: "org_01ACME", role: "member", roles: ["member"] } },
};

function rsa(kid) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  return {
    kid,
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" },
  };
}

/** Creates .dev/ once (keys are reused so a built app keeps working). */
export function ensureDevIdentities() {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}keys.json`;
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ clerk: rsa("ins_portcullis_demo"), workos: rsa("sso_oidc_key_pair_demo") }, null, 2));
  }
  const keys = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(`${dir}jwks.json`, JSON.stringify({ keys: [keys.workos.jwk] }));
  return keys;
}

/** Environment for `next build` / `next start`. */
export function appEnv(keys, jwksUrl) {
  return {
    CLERK_JWT_KEY: keys.clerk.publicPem,
    CLERK_SECRET_KEY: "sk_test_portcullisofflinedemo000000000000",
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_test_${Buffer.from("clerk.portcullis.example$").toString("base64")}`,
    WORKOS_JWKS_URL: jwksUrl ?? `http://127.0.0.1:0/sso/jwks/${WORKOS_CLIENT_ID}`,
    WORKOS_ISSUER,
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

function jwt(key, payload) {
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const sig = sign("RSA-SHA256", Buffer.from(`${header}.${body}`), createPrivateKey(key.privatePem));
  return `${header}.${body}.${b64url(sig)}`;
}

/** A fresh token (valid one hour) for a demo user. */
export function mintToken(keys, name) {
  const user = USERS[name];
  if (!user) throw new Error(`unknown demo user ${name}`);
  const now = Math.floor(Date.now() / 1000);
  if (user.idp === "clerk") {
    return jwt(keys.clerk, { iss: CLERK_ISSUER, sid: `sess_${name}`, iat: now, nbf: now - 5, exp: now + 3600, v: 2, sts: "active", ...user.claims });
  }
  return jwt(keys.workos, { iss: WORKOS_ISSUER, sid: `session_${name}`, jti: `jti_${name}`, iat: now, exp: now + 3600, ...user.claims });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const keys = ensureDevIdentities();
  if (process.argv[2] === "token") console.log(mintToken(keys, process.argv[3]));
  else console.log(`wrote ${dir}`);
}
