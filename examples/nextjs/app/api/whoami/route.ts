// The principal the app derives from the caller's Clerk session (debugging aid).
import { auth } from "@clerk/nextjs/server";
import { clerkPrincipal } from "portcullis/clerk";
import { CLERK_OPTIONS } from "../../../lib/authz";

export const dynamic = "force-dynamic";

export async function GET() {
  return Response.json(clerkPrincipal(await auth(), CLERK_OPTIONS));
}
