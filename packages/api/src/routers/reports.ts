import { ZReportDeliveryRef, ZReportSchedule, ZReportScheduleRef, ZReportTest } from "@valuelens/validators";
import {
  deleteReportSchedule,
  getDelivery,
  listDeliveries,
  listReportSchedules,
  previewReport,
  saveReportSchedule,
  sendTestReport,
} from "../services/reports/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

export const reportsRouter = router({
  schedules: workspaceProcedure("ADMIN").query(({ ctx }) => listReportSchedules(ctx.tx, ctx.workspace.id)),
  saveSchedule: workspaceProcedure("ADMIN")
    .input(ZReportSchedule)
    .mutation(({ ctx, input }) => saveReportSchedule(ctx.tx, ctx.user.id, { ...input, workspaceId: ctx.workspace.id })),
  deleteSchedule: workspaceProcedure("ADMIN")
    .input(ZReportScheduleRef)
    .mutation(({ ctx, input }) => deleteReportSchedule(ctx.tx, ctx.user.id, ctx.workspace.id, input.scheduleId)),
  sendTest: workspaceProcedure("ADMIN")
    .input(ZReportTest)
    .mutation(({ ctx, input }) => sendTestReport(ctx.tx, ctx.workspace.id, input.scheduleId, input.recipients)),
  preview: workspaceProcedure("ADMIN")
    .input(ZReportScheduleRef)
    .query(({ ctx, input }) => previewReport(ctx.tx, ctx.workspace.id, input.scheduleId)),
  deliveries: workspaceProcedure("ADMIN").query(({ ctx }) => listDeliveries(ctx.tx, ctx.workspace.id)),
  delivery: workspaceProcedure("ADMIN")
    .input(ZReportDeliveryRef)
    .query(({ ctx, input }) => getDelivery(ctx.tx, ctx.workspace.id, input.deliveryId)),
});
