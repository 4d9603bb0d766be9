import { ZSegmentsInput, ZUpdateTierSettings } from "@valuelens/validators";
import { getRfmOverview, getTierOverview, updateTierSettings } from "../services/segments/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

/**
 * Segments page (issue 5).
 * RFM & value tiers: read from the per-recompute snapshots (everyone in the workspace); tier
 * thresholds are set by admins and owners. Rule segments add their procedures below (or as a
 * nested router, e.g. `rules: rulesRouter`).
 */
export const segmentsRouter = router({
  // --- RFM & value tiers ---
  /** RFM map (5×5 recency × frequency) and named RFM segments, with the change since the previous recompute. */
  rfmOverview: workspaceProcedure("VIEWER")
    .input(ZSegmentsInput)
    .query(({ ctx }) => getRfmOverview(ctx.tx, ctx.workspace)),
  /** Value tiers of the latest recompute and the configured thresholds. */
  tiers: workspaceProcedure("VIEWER")
    .input(ZSegmentsInput)
    .query(({ ctx }) => getTierOverview(ctx.tx, ctx.workspace)),
  /** Set (or reset with null) the value-tier thresholds; audited; queues a recompute. */
  updateTierSettings: workspaceProcedure("ADMIN")
    .input(ZUpdateTierSettings)
    .mutation(({ ctx, input }) => updateTierSettings(ctx.tx, ctx.workspace.id, input.settings, ctx.user.id)),

  // --- rule segments ---
});
