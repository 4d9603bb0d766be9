import { redirect } from "next/navigation";
import { serverCaller } from "~/trpc/server";
import { sessionClaims } from "~/trpc/context";

export const dynamic = "force-dynamic";

/** Home: the first workspace's overview, or sign-in. */
export default async function Home() {
  if (!(await sessionClaims())) redirect("/sign-in");
  const caller = await serverCaller();
  const list = await caller.workspace.list().catch(() => null);
  if (!list) redirect("/sign-in");
  const first = list[0];
  if (!first) redirect("/sign-up?reason=no-workspace");
  redirect(`/w/${first.slug}/overview`);
}
