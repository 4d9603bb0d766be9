export { DomainError } from "./domain-error.ts";
export * from "./workspaces.ts";
export * from "./members.ts";
export * from "./overview.ts";
export { sendMail, type OutgoingMail } from "./mailer.ts";
export { checkHealth, type Health } from "./health.ts";
export { validateDbEnv, shutdownDb } from "./db-lifecycle.ts";
export * from "./import/index.ts";
export { onWorkspaceDataChanged } from "./data-changed.ts";
export * from "./retention.ts";
export { customersCsv } from "./predictions/index.ts";
export { handleApiRequest, apiV1Route, type ApiRouteName } from "./ingest/index.ts"; // ingestion api (issue 4)
export { campaignsCsv } from "./campaigns/index.ts"; // campaign roi (issue 6)
export { ruleSegmentCsv, listSegmentMembers, type SegmentMembersPage } from "./segment-rules/index.ts"; // rule segments (issue 5)
