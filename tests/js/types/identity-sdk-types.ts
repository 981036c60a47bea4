// Compile-time check: the identity adapters accept the real SDKs' types
// without casts. identity-types.test.mjs runs `tsc --noEmit` on this file.
import type { AuthObject, InvalidTokenAuthObject, MachineAuthObject } from "@clerk/backend";
import type { AuthenticatedMachineObject, SignedInAuthObject, SignedOutAuthObject } from "@clerk/backend/internal";
import type { JwtPayload } from "@clerk/shared/types";
import type {
  AuthenticateWithSessionCookieFailedResponse,
  AuthenticateWithSessionCookieSuccessResponse,
  Directory,
  DirectoryGroup,
  DirectoryUserWithGroups,
  OrganizationMembership,
  Profile,
} from "@workos-inc/node";
import { clerkPrincipal, type ClerkSessionClaims } from "../../../js/src/clerk.js";
import { workosPrincipal } from "../../../js/src/workos.js";
import { createAuthorize } from "../../../js/src/next.js";
import type { Authorizer } from "../../../js/src/node.js";

declare const signedIn: SignedInAuthObject;
declare const signedOut: SignedOutAuthObject;
declare const anyAuth: AuthObject;
declare const payload: JwtPayload;
declare const invalid: InvalidTokenAuthObject;
declare const apiKey: AuthenticatedMachineObject<"api_key">;
declare const machine: MachineAuthObject<"m2m_token">;

clerkPrincipal(signedIn);
clerkPrincipal(signedOut);
clerkPrincipal(anyAuth);
clerkPrincipal(invalid);
clerkPrincipal(apiKey);
clerkPrincipal(machine);
clerkPrincipal(payload as ClerkSessionClaims);

declare const ok: AuthenticateWithSessionCookieSuccessResponse;
declare const failed: AuthenticateWithSessionCookieFailedResponse;
declare const profile: Profile<Record<string, unknown>>;
declare const dirUser: DirectoryUserWithGroups;
declare const groups: DirectoryGroup[];
declare const directory: Directory;
declare const membership: OrganizationMembership;

workosPrincipal(ok, { profile, directoryUser: dirUser, directoryGroups: groups, directory, membership });
workosPrincipal(failed);

// The real Authorizer fits portcullis/next's structural type.
declare const authz: Authorizer;
createAuthorize(authz);
createAuthorize(async () => authz);
