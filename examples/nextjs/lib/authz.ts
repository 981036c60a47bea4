// One Authorizer per server process (created on first use, never at module
// load), the identity adapters, and the WorkOS token verification.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Authorizer } from "portcullis/node";
import { createAuthorize } from "portcullis/next";
import { workosPrincipal } from "portcullis/workos";
import { createRemoteJWKSet, jwtVerify } from "jose";

let authorizer: Promise<Authorizer> | undefined;

export function getAuthorizer(): Promise<Authorizer> {
  authorizer ??= (async () => {
    const path = process.env.PORTCULLIS_BUNDLE ?? ".dev/bundle.json";
    // The wasm is read here rather than by the package's Node entry: when
    // Turbopack bundles the package into server-component chunks, the
    // entry's `new URL(..., import.meta.url)` is not a URL `fs` accepts.
    const wasm = join(process.cwd(), "node_modules", "portcullis", "pkg", "portcullis_bg.wasm");
    const [bundle, bytes] = await Promise.all([
      readFile(/*turbopackIgnore: true*/ path, "utf8"),
      readFile(/*turbopackIgnore: true*/ wasm),
    ]);
    return Authorizer.create({ bundle, wasm: bytes });
  })().catch((e) => {
    authorizer = undefined;
    throw e;
  });
  return authorizer;
}

export const authorize = createAuthorize(getAuthorizer);

/** Options shared by every Clerk principal in the app. */
export const CLERK_OPTIONS = { claims: ["metadata.plan", "metadata.employment"] };

let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

/**
 * A WorkOS AuthKit access token from `Authorization: Bearer`, verified
 * against the JWKS at WORKOS_JWKS_URL (WorkOS's `/sso/jwks/<client id>`, here
 * served on 127.0.0.1) with the issuer pinned, then mapped.
 */
export async function workosPrincipalFromRequest(request: Request) {
  const header = request.headers.get("authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  const url = process.env.WORKOS_JWKS_URL;
  if (!token || !url) return workosPrincipal(null);
  jwks ??= createRemoteJWKSet(new URL(url));
  try {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: process.env.WORKOS_ISSUER ?? "https://api.workos.com",
      algorithms: ["RS256"],
    });
    return workosPrincipal(payload as Parameters<typeof workosPrincipal>[0]);
  } catch {
    return workosPrincipal(null);
  }
}
