export { seedDemoWorkspace, writeDemoData, DEMO_PASSWORD, DEMO_USERS, DEMO_WORKSPACE_SLUG } from "./write-demo.ts";
export * from "./demo-data.ts";
