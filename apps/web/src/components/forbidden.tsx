import Link from "next/link";

export function Forbidden({ need, have, slug }: { need: string; have: string; slug: string }) {
  return (
    <section className="mx-auto max-w-lg py-16 text-center" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title" className="text-2xl font-semibold">
        You do not have access to this page
      </h1>
      <p className="mt-3 text-slate-700">
        It needs the <strong>{need.toLowerCase()}</strong> role; you are <strong>{have.toLowerCase()}</strong> in this workspace. Ask an owner or admin to change your role.
      </p>
      <Link href={`/w/${slug}/overview`} className="mt-6 inline-block rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">
        Back to the overview
      </Link>
    </section>
  );
}
