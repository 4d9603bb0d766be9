export * from "./schedule.ts";
export { buildReportContent, type ReportContent } from "./content.ts";
export { renderReport, change, esc, type RenderedReport } from "./render.ts";
export { prepareDeliveries, sendDueDeliveries, deliverScheduledReport, MAX_ATTEMPTS, type DeliveryStatus } from "./deliver.ts";
