export * from "./auth.ts";
export * from "./workspace.ts";
export * from "./overview.ts";
export * from "./import.ts";
export * from "./csv-cell.ts";
export * from "./env.ts";
export * from "./predictions.ts";
export * from "./retention.ts";
