// The app's own data: which organization owns what. Policies compare these
// attributes with the principal's (R.attr.orgId == P.attr.orgId, ...).
export interface Project {
  id: string;
  name: string;
  orgId: string;
  ownerId: string;
  frozen: boolean;
}

const PROJECTS: Record<string, Project> = {
  p1: { id: "p1", name: "Acme roadmap", orgId: "org_2acme", ownerId: "user_2alice", frozen: false },
  p2: { id: "p2", name: "Acme archive", orgId: "org_2acme", ownerId: "user_2bob", frozen: true },
  p3: { id: "p3", name: "Globex launch", orgId: "org_2globex", ownerId: "user_2gina", frozen: false },
  w1: { id: "w1", name: "Acme (WorkOS) budget", orgId: "org_01ACME", ownerId: "user_01PETE", frozen: false },
};

export function getProject(id: string): Project | undefined {
  return Object.prototype.hasOwnProperty.call(PROJECTS, id) ? PROJECTS[id] : undefined;
}

/** The Cerbos resource for a project (an unknown id still gets a resource, which policies deny). */
export function projectResource(id: string) {
  const p = getProject(id);
  return {
    kind: "project",
    id,
    attr: p ? { orgId: p.orgId, ownerId: p.ownerId, frozen: p.frozen } : { orgId: null, ownerId: null, frozen: true },
  };
}
