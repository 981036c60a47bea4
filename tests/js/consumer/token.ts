// Type-level test of the token API as an application sees it.
import { InvalidTokenError, RemoteJwks, TokenVerifier, type TokenVerifierOptions, type VerifiedToken } from "portcullis";
import type { TokenVerifier as WorkerdTokenVerifier } from "portcullis/workerd";
import type { TokenVerifier as EdgeTokenVerifier } from "portcullis/edge";

export async function tokens(pem: string, token: string): Promise<string | undefined> {
  const options: TokenVerifierOptions = { keys: pem, preset: "clerk", authorizedParties: ["https://app.example"], leewaySeconds: 5 };
  const clerk: TokenVerifier = await TokenVerifier.create(options);
  const workos = await TokenVerifier.create({
    keys: new RemoteJwks("https://api.workos.com/sso/jwks/client_1", { cooldownMs: 30_000, refreshIntervalMs: 0 }),
    preset: "workos",
  });
  try {
    const verified: VerifiedToken = await clerk.verify(token, new Date());
    const sub = verified.claims["sub"];
    workos.verifySync(token, Date.now());
    return typeof sub === "string" ? sub : undefined;
  } catch (e) {
    if (e instanceof InvalidTokenError) return e.code;
    throw e;
  } finally {
    clerk.close();
    workos.remoteJwks?.close();
  }
}

export type Entries = [WorkerdTokenVerifier, EdgeTokenVerifier];
