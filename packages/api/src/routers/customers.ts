import { ZCustomerGetInput, ZCustomerListInput, ZWorkspaceInput } from "@valuelens/validators";
import { customerFilterOptions, getCustomerProfile, listCustomers } from "../services/predictions/index.ts";
import { router, workspaceProcedure } from "../trpc.ts";

export const customersRouter = router({
  list: workspaceProcedure("VIEWER")
    .input(ZCustomerListInput)
    .query(({ ctx, input }) => listCustomers(ctx.tx, ctx.workspace.id, input)),
  get: workspaceProcedure("VIEWER")
    .input(ZCustomerGetInput)
    .query(({ ctx, input }) => getCustomerProfile(ctx.tx, ctx.workspace, input.customerId)),
  filterOptions: workspaceProcedure("VIEWER")
    .input(ZWorkspaceInput)
    .query(({ ctx }) => customerFilterOptions(ctx.tx, ctx.workspace.id)),
});
