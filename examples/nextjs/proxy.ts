// Next 16 proxy (Node.js runtime): Clerk authenticates (offline here: the
// session token comes as a Bearer header and is verified with CLERK_JWT_KEY),
// Portcullis decides. WorkOS API routes verify their own access tokens.
import { NextResponse } from "next/server";
import { clerkMiddleware, type ClerkMiddlewareAuth } from "@clerk/nextjs/server";
import { clerkPrincipal } from "portcullis/clerk";
import { createProxy } from "portcullis/next";
import { getAuthorizer, workosPrincipalFromRequest, CLERK_OPTIONS } from "./lib/authz";
import { projectResource } from "./lib/data";

const guard = createProxy<ClerkMiddlewareAuth>({
  authorizer: getAuthorizer,
  principal: async (request, auth) =>
    new URL(request.url).pathname.startsWith("/api/workos/")
      ? workosPrincipalFromRequest(request)
      : clerkPrincipal(await auth(), CLERK_OPTIONS),
  routes: [
    { path: "/projects/:id", methods: ["GET"], action: "view", resource: ({ id }) => projectResource(id) },
    { path: "/api/projects/:id", action: { GET: "view", DELETE: "delete" }, resource: ({ id }) => projectResource(id) },
    { path: "/api/workos/projects/:id", action: { GET: "view", DELETE: "delete" }, resource: ({ id }) => projectResource(id) },
  ],
  onDeny: (request, decision) =>
    request.headers.get("accept")?.includes("text/html")
      ? NextResponse.redirect(new URL(`/denied?action=${encodeURIComponent(decision.action)}`, request.url), 307)
      : NextResponse.json({ error: "forbidden", action: decision.action }, { status: 403 }),
  next: NextResponse.next,
  onError: (error) => console.error("portcullis proxy:", error),
});

// @clerk/nextjs does not read CLERK_JWT_KEY by itself: passing it makes
// session-token verification local (networkless).
export default clerkMiddleware((auth, request) => guard(request, auth), () => ({
  jwtKey: process.env.CLERK_JWT_KEY,
  debug: process.env.CLERK_MIDDLEWARE_DEBUG === "1",
}));

export const config = {
  matcher: ["/projects/:path*", "/api/:path*"],
};
