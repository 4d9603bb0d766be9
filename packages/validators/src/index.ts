export * from "./auth.ts";
export * from "./workspace.ts";
export * from "./overview.ts";
export * from "./import.ts";
export * from "./csv-cell.ts";
export * from "./env.ts";
export * from "./predictions.ts";
export * from "./retention.ts";
export * from "./reports.ts";
export * from "./money.ts";
export * from "./api-keys.ts"; // ingestion api (issue 4)
export * from "./segments.ts";
export * from "./segment-rules.ts"; // rule segments (issue 5)
export * from "./segment-rule-eval.ts"; // rule segments (issue 5)
export * from "./campaigns.ts"; // campaign roi (issue 6)
