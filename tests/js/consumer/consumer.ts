// Type-level test: how an application's TypeScript sees the package (via the
// package's own name and `exports` types). Compiled with --noEmit only.
import {
  Authorizer,
  Effect,
  InvalidAuxDataError,
  InvalidRequestError,
  type CheckResourcesRequest,
  type DecisionLogEntry,
  type Principal,
} from "portcullis";
import type { Authorizer as EdgeAuthorizer } from "portcullis/edge";
import type { Authorizer as WorkerdAuthorizer } from "portcullis/workerd";

export async function example(bundle: string, log: (e: DecisionLogEntry) => void): Promise<boolean> {
  const authz: Authorizer = await Authorizer.create({
    bundle,
    globals: { env: "prod" },
    schemaEnforcement: "warn",
    jwt: { keySets: [{ id: "clerk", jwks: { keys: [] } }], leeway: 5 },
    onDecision: log,
    now: () => new Date(),
  });
  const principal: Principal = { id: "u1", roles: ["member"], attr: { orgId: "acme" } };
  const request: CheckResourcesRequest = {
    principal,
    resources: [{ resource: { kind: "document", id: "d1", attr: { ownerId: "u1" } }, actions: ["view"] }],
    includeMetadata: true,
  };
  const response = authz.checkResources(request);
  const effect: Effect | undefined = response.results[0]?.actions["view"];
  const viaResult: boolean | undefined = authz.checkResource({ principal, resource: { kind: "document", id: "d1" }, actions: ["view"] }).isAllowed("view");
  try {
    authz.isAllowed({ principal, resource: { kind: "document", id: "d1" }, action: "view", auxData: { jwt: { token: "t" } } });
  } catch (error) {
    if (error instanceof InvalidAuxDataError || error instanceof InvalidRequestError) return false;
  }
  await authz.reload(new URL("https://example.invalid/bundle.json"));
  return effect === Effect.ALLOW && viaResult === true;
}

export type Entries = [EdgeAuthorizer, WorkerdAuthorizer];
