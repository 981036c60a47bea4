// WorkOS AuthKit access token (Bearer), verified with jose against the JWKS.
import { authorize, workosPrincipalFromRequest } from "../../../../../lib/authz";
import { getProject, projectResource } from "../../../../../lib/data";

export const dynamic = "force-dynamic";

async function handle(request: Request, action: string, id: string) {
  const principal = await workosPrincipalFromRequest(request);
  const decision = await authorize(principal, projectResource(id), action);
  if (!decision.allowed) return Response.json({ error: "forbidden", action }, { status: 403 });
  return Response.json({ ok: true, action, project: getProject(id) ?? null, principal: principal.principal.id });
}

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(request, "view", (await params).id);
}

export async function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(request, "delete", (await params).id);
}
