// Server component: the proxy already allowed "view"; the page re-checks it
// (defence in depth) and computes UI hints for the toolbar.
import { auth } from "@clerk/nextjs/server";
import { notFound } from "next/navigation";
import { clerkPrincipal } from "portcullis/clerk";
import { permissionHints } from "portcullis/next";
import { PortcullisProvider } from "portcullis/react";
import { authorize, getAuthorizer, CLERK_OPTIONS } from "../../../lib/authz";
import { getProject, projectResource } from "../../../lib/data";
import { Toolbar } from "./toolbar";

export const dynamic = "force-dynamic";

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const project = getProject(id);
  if (!project) notFound();
  const principal = clerkPrincipal(await auth(), CLERK_OPTIONS);
  const resource = projectResource(id);
  const view = await authorize(principal, resource, "view");
  if (!view.allowed) notFound();
  const hints = await permissionHints(getAuthorizer, principal, [{ resource, actions: ["view", "edit", "delete", "transfer"] }]);
  return (
    <main>
      <h1 id="project-name">{project.name}</h1>
      <p id="principal">{principal.principal.id} ({principal.principal.roles.join(", ")})</p>
      <PortcullisProvider hints={hints}>
        <Toolbar projectId={id} />
      </PortcullisProvider>
    </main>
  );
}
