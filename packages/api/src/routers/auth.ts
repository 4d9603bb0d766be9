import { acceptInvitation, bumpSessionVersion, describeInvitation, registerUser } from "@valuelens/auth";
import { ZAcceptInvite, ZSignUp } from "@valuelens/validators";
import { log } from "../log.ts";
import { protectedProcedure, publicProcedure, router } from "../trpc.ts";

export const authRouter = router({
  signUp: publicProcedure.input(ZSignUp).mutation(async ({ ctx, input }) => {
    const res = await registerUser(input, ctx.ip);
    log("auth.sign_up", { userId: res.user.id, workspaceId: res.workspaceId, viaInvite: Boolean(input.inviteToken) });
    return { userId: res.user.id, workspaceId: res.workspaceId };
  }),
  describeInvite: publicProcedure.input(ZAcceptInvite).query(({ input }) => describeInvitation(input.token)),
  acceptInvite: protectedProcedure.input(ZAcceptInvite).mutation(async ({ ctx, input }) => {
    const res = await acceptInvitation(input.token, ctx.user);
    log("auth.invite_accepted", { userId: ctx.user.id, workspaceId: res.workspaceId });
    return res;
  }),
  me: protectedProcedure.query(({ ctx }) => ({ id: ctx.user.id, email: ctx.user.email, name: ctx.user.name })),
  signOutEverywhere: protectedProcedure.mutation(async ({ ctx }) => {
    await bumpSessionVersion(ctx.user.id);
    log("auth.sign_out_everywhere", { userId: ctx.user.id });
    return { ok: true };
  }),
});
