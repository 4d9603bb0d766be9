export * from "./schedule.ts";
export { buildReportContent, rememberAtRisk, type ReportContent } from "./content.ts";
export { renderCharts, chartFont, type InlineImage } from "./charts.ts";
export { listMySubscriptions, setMySubscription, type MySubscription } from "./subscriptions.ts";
export { renderReport, change, esc, type RenderedReport } from "./render.ts";
export {
  prepareDeliveries,
  sendDueDeliveries,
  sendPreparedInTx,
  deliverScheduledReport,
  inlineImagesForBrowser,
  scheduleSections,
  storedImages,
  MAX_ATTEMPTS,
  type DeliveryStatus,
} from "./deliver.ts";
export * from "./manage.ts";
export { findDueReports, findWorkspacesWithDeliveriesDue, MISFIRE_GRACE_MS, type DueReport } from "./due.ts";
export { unsubscribe, describeUnsubscribe, unsubscribeToken, unsubscribeLinks, UNSUBSCRIBE_TTL_MS } from "./unsubscribe.ts";
