import { authRouter } from "./routers/auth.ts";
import { overviewRouter } from "./routers/overview.ts";
import { workspaceRouter } from "./routers/workspace.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  workspace: workspaceRouter,
  overview: overviewRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
