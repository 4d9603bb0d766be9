import { ZMySubscription, ZReportDeliveryRef, ZReportSchedule, ZReportScheduleRef, ZReportTest, ZUnsubscribeToken } from "@valuelens/validators";
import {
  deleteReportSchedule,
  describeUnsubscribe,
  unsubscribe,
  getDelivery,
  listDeliveries,
  listMySubscriptions,
  setMySubscription,
  listReportSchedules,
  previewReport,
  saveReportSchedule,
  sendTestReport,
} from "../services/reports/index.ts";
import { publicProcedure, router, workspaceProcedure } from "../trpc.ts";

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
  // The signed link in each email is the credential: no sign-in needed to stop receiving a report.
  describeUnsubscribe: publicProcedure.input(ZUnsubscribeToken).query(({ ctx, input }) => describeUnsubscribe(ctx.prisma, input.token)),
  unsubscribe: publicProcedure.input(ZUnsubscribeToken).mutation(({ ctx, input }) => unsubscribe(ctx.prisma, input.token)),
  // Any member manages their own address only (admins set each schedule's recipients above).
  mySubscriptions: workspaceProcedure("VIEWER").query(({ ctx }) => listMySubscriptions(ctx.tx, ctx.workspace.id, ctx.user.email)),
  setMySubscription: workspaceProcedure("VIEWER")
    .input(ZMySubscription)
    .mutation(({ ctx, input }) => setMySubscription(ctx.tx, ctx.user, ctx.workspace.id, input.scheduleId, input.subscribed)),
  deliveries: workspaceProcedure("ADMIN").query(({ ctx }) => listDeliveries(ctx.tx, ctx.workspace.id)),
  delivery: workspaceProcedure("ADMIN")
    .input(ZReportDeliveryRef)
    .query(({ ctx, input }) => getDelivery(ctx.tx, ctx.workspace.id, input.deliveryId)),
});
