import { ZBudgetHintInput, ZCampaignBasis, ZCampaignCompareInput, ZCampaignCreate, ZCampaignRef, ZCampaignSpendSet, ZCampaignUpdate } from "@valuelens/validators";
import { budgetHint, compareCampaigns, createCampaign, getCampaign, getCampaignRoi, setCampaignSpend, updateCampaign } from "../services/campaigns/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

/** Campaigns page (issue 6): ROI by campaign and channel, comparison, budget hint, campaign editing. */
export const campaignsRouter = router({
  roi: workspaceProcedure("VIEWER")
    .input(ZCampaignBasis)
    .query(({ ctx, input }) => getCampaignRoi(ctx.tx, ctx.workspace.id, { measure: input.measure, horizon: input.horizon, fromMonth: input.fromMonth, toMonth: input.toMonth })),
  compare: workspaceProcedure("VIEWER")
    .input(ZCampaignCompareInput)
    .query(({ ctx, input }) =>
      compareCampaigns(ctx.tx, ctx.workspace.id, { measure: input.measure, horizon: input.horizon, fromMonth: input.fromMonth, toMonth: input.toMonth }, input.campaignIds),
    ),
  budget: workspaceProcedure("VIEWER")
    .input(ZBudgetHintInput)
    .query(({ ctx, input }) => {
      const { workspaceId: _w, ...rest } = input;
      return budgetHint(ctx.tx, ctx.workspace.id, rest);
    }),
  get: workspaceProcedure("VIEWER")
    .input(ZCampaignRef)
    .query(({ ctx, input }) => getCampaign(ctx.tx, ctx.workspace.id, input.campaignId)),
  create: workspaceProcedure("ADMIN")
    .input(ZCampaignCreate)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, ...rest } = input;
      return createCampaign(ctx.tx, ctx.user.id, ctx.workspace.id, rest);
    }),
  update: workspaceProcedure("ADMIN")
    .input(ZCampaignUpdate)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, ...rest } = input;
      return updateCampaign(ctx.tx, ctx.user.id, ctx.workspace.id, rest);
    }),
  setSpend: workspaceProcedure("ADMIN")
    .input(ZCampaignSpendSet)
    .mutation(({ ctx, input }) => {
      const { workspaceId: _w, ...rest } = input;
      return setCampaignSpend(ctx.tx, ctx.user.id, ctx.workspace.id, rest);
    }),
});
