// Route handler: authorizes again (never trust that a proxy ran).
import { auth } from "@clerk/nextjs/server";
import { clerkPrincipal } from "portcullis/clerk";
import { authorize, CLERK_OPTIONS } from "../../../../lib/authz";
import { getProject, projectResource } from "../../../../lib/data";

export const dynamic = "force-dynamic";

async function handle(action: string, id: string) {
  const principal = clerkPrincipal(await auth(), CLERK_OPTIONS);
  const decision = await authorize(principal, projectResource(id), action);
  if (!decision.allowed) return Response.json({ error: "forbidden", action }, { status: 403 });
  return Response.json({ ok: true, action, project: getProject(id) ?? null, principal: principal.principal.id });
}

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle("view", (await params).id);
}

export async function DELETE(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle("delete", (await params).id);
}
