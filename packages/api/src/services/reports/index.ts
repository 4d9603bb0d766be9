export * from "./schedule.ts";
export { buildReportContent, type ReportContent } from "./content.ts";
export { renderReport, change, esc, type RenderedReport } from "./render.ts";
export { prepareDeliveries, sendDueDeliveries, sendPreparedInTx, deliverScheduledReport, MAX_ATTEMPTS, type DeliveryStatus } from "./deliver.ts";
export * from "./manage.ts";
export { findDueReports, findWorkspacesWithDeliveriesDue, MISFIRE_GRACE_MS, type DueReport } from "./due.ts";
export { unsubscribe, describeUnsubscribe, unsubscribeToken, unsubscribeUrl } from "./unsubscribe.ts";
