export * from "./campaign-roi.ts";
export * from "./manage-campaigns.ts";
export { campaignsCsv, CAMPAIGN_EXPORT_COLUMNS } from "./campaigns-csv.ts";
export { refreshCampaignStats } from "./refresh-campaign-stats.ts";
