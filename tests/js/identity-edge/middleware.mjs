// A Next.js edge `middleware.ts` as an app would write it with Clerk and
// Portcullis: the session token is verified with @clerk/backend's
// verifyToken (jwtKey, offline), mapped by portcullis/clerk, and the route
// guarded by portcullis/next's createProxy. `portcullis` resolves to the
// edge-light entry (host-compiled wasm module, no compiling from bytes).
import { Authorizer } from "portcullis";
import { clerkPrincipal } from "portcullis/clerk";
import { createProxy } from "portcullis/next";
import { verifyToken } from "@clerk/backend";

const PROJECTS = {
  p1: { orgId: "org_2acme", ownerId: "user_2alice", frozen: false },
  p3: { orgId: "org_2globex", ownerId: "user_2gina", frozen: false },
};

async function principal(request) {
  const header = request.headers.get("authorization") ?? "";
  if (!header.startsWith("Bearer ")) return clerkPrincipal(null);
  try {
    return clerkPrincipal(await verifyToken(header.slice(7), { jwtKey: globalThis.__CLERK_JWT_KEY__ }));
  } catch {
    return clerkPrincipal(null);
  }
}

// What NextResponse.next({request: {headers}}) produces.
function next(init) {
  const headers = new Headers({ "x-middleware-next": "1" });
  if (init?.request?.headers) {
    const names = [];
    init.request.headers.forEach((value, name) => {
      headers.set(`x-middleware-request-${name}`, value);
      names.push(name);
    });
    headers.set("x-middleware-override-headers", names.join(","));
  }
  return new Response(null, { headers });
}

const guard = createProxy({
  authorizer: () => Authorizer.create({ bundle: globalThis.__PORTCULLIS_BUNDLE__ }),
  principal,
  routes: [{ path: "/projects/:id", action: { GET: "view", DELETE: "delete" }, resource: ({ id }) => ({ kind: "project", id, attr: PROJECTS[id] ?? { orgId: null } }) }],
  onDeny: { redirect: "/sign-in" },
  next,
});

addEventListener("fetch", (event) =>
  event.respondWith(guard(event.request).then((r) => r ?? new Response("continue"))),
);
