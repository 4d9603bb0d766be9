export * from "./auth.ts";
export * from "./workspace.ts";
export * from "./overview.ts";
