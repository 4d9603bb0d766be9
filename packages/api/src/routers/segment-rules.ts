import {
  ZRulePreviewInput,
  ZRuleSegmentCompare,
  ZRuleSegmentCreate,
  ZRuleSegmentHistory,
  ZRuleSegmentRef,
  ZRuleSegmentUpdate,
  ZWorkspaceInput,
  roleAtLeast,
} from "@valuelens/validators";
import {
  compareRuleSegments,
  createRuleSegment,
  deleteRuleSegment,
  getRuleSegment,
  listRuleSegments,
  prepareRulePreview,
  previewRule,
  ruleFieldOptions,
  ruleSegmentHistory,
  ruleSegmentStats,
  updateRuleSegment,
} from "../services/segment-rules/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

/**
 * Rule segments (issue 5). Everyone in the workspace can list, open, compare and use saved segments;
 * only ADMIN and OWNER can preview ad-hoc rules (the builder) and create, update or delete segments.
 */
export const segmentRulesRouter = router({
  fieldOptions: workspaceProcedure("VIEWER")
    .input(ZWorkspaceInput)
    .query(async ({ ctx }) => {
      // The rule editor opens with this call: for those who may preview, start loading a large workspace's
      // preview columns now, so the first previews as they type are already answered from memory.
      if (roleAtLeast(ctx.role, "ADMIN")) await prepareRulePreview(ctx.tx, ctx.workspace.id, ctx.prisma);
      return ruleFieldOptions(ctx.tx, ctx.workspace.id);
    }),
  preview: workspaceProcedure("ADMIN")
    .input(ZRulePreviewInput)
    .query(({ ctx, input }) => previewRule(ctx.tx, ctx.workspace.id, input.rule, { allowEstimate: !input.exact, prisma: ctx.prisma })),
  list: workspaceProcedure("VIEWER")
    .input(ZWorkspaceInput)
    .query(({ ctx }) => listRuleSegments(ctx.tx, ctx.workspace.id)),
  get: workspaceProcedure("VIEWER")
    .input(ZRuleSegmentRef)
    .query(({ ctx, input }) => getRuleSegment(ctx.tx, ctx.workspace.id, input.segmentId)),
  stats: workspaceProcedure("VIEWER")
    .input(ZRuleSegmentRef)
    .query(({ ctx, input }) => ruleSegmentStats(ctx.tx, ctx.workspace.id, input.segmentId)),
  history: workspaceProcedure("VIEWER")
    .input(ZRuleSegmentHistory)
    .query(({ ctx, input }) => ruleSegmentHistory(ctx.tx, ctx.workspace.id, input.segmentId, input.limit)),
  compare: workspaceProcedure("VIEWER")
    .input(ZRuleSegmentCompare)
    .query(({ ctx, input }) => compareRuleSegments(ctx.tx, ctx.workspace.id, input.segmentIds)),
  create: workspaceProcedure("ADMIN")
    .input(ZRuleSegmentCreate)
    .mutation(({ ctx, input }) => createRuleSegment(ctx.tx, { id: ctx.user.id, role: ctx.role }, ctx.workspace.id, input)),
  update: workspaceProcedure("ADMIN")
    .input(ZRuleSegmentUpdate)
    .mutation(({ ctx, input }) => updateRuleSegment(ctx.tx, { id: ctx.user.id, role: ctx.role }, ctx.workspace.id, input)),
  delete: workspaceProcedure("ADMIN")
    .input(ZRuleSegmentRef)
    .mutation(({ ctx, input }) => deleteRuleSegment(ctx.tx, { id: ctx.user.id, role: ctx.role }, ctx.workspace.id, input.segmentId)),
});
