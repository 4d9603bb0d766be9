import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZUuid } from "@valuelens/validators";
import { CustomerProfileView } from "~/components/customer-profile-view";

export const metadata: Metadata = { title: "Customer" };

export default async function CustomerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!ZUuid.safeParse(id).success) notFound();
  return <CustomerProfileView customerId={id} />;
}
