import type { Metadata } from "next";
import { CampaignsView } from "~/components/campaigns/campaigns-view";

export const metadata: Metadata = { title: "Campaigns" };

/** Campaign ROI (issue 6): every member can read; editing is for admins and owners (enforced by the procedures). */
export default function CampaignsPage() {
  return <CampaignsView />;
}
