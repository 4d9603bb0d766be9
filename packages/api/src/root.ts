import { apiKeysRouter } from "./routers/api-keys.ts"; // ingestion api (issue 4)
import { authRouter } from "./routers/auth.ts";
import { campaignsRouter } from "./routers/campaigns.ts"; // campaign roi (issue 6)
import { importRouter } from "./routers/import.ts";
import { customersRouter } from "./routers/customers.ts";
import { modelRouter } from "./routers/model.ts";
import { overviewRouter } from "./routers/overview.ts";
import { reportsRouter } from "./routers/reports.ts";
import { retentionRouter } from "./routers/retention.ts";
import { segmentRulesRouter } from "./routers/segment-rules.ts"; // rule segments (issue 5)
import { segmentsRouter } from "./routers/segments.ts";
import { workspaceRouter } from "./routers/workspace.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  workspace: workspaceRouter,
  overview: overviewRouter,
  import: importRouter,
  customers: customersRouter,
  model: modelRouter,
  retention: retentionRouter,
  reports: reportsRouter,
  segmentRules: segmentRulesRouter, // rule segments (issue 5)
  segments: segmentsRouter, // segments (issue 5)
  apiKeys: apiKeysRouter, // ingestion api (issue 4)
  campaigns: campaignsRouter, // campaign roi (issue 6)
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
