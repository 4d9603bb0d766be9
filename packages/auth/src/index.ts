export { hashPassword, verifyPassword } from "./password.ts";
export { newToken, hashToken } from "./tokens.ts";
export { AuthError } from "./errors.ts";
export {
  authenticate,
  loadSessionUser,
  bumpSessionVersion,
  registerUser,
  acceptInvitation,
  describeInvitation,
  createWorkspaceInTx,
  type SessionUser,
} from "./users.ts";
export { SIGN_IN_LIMITS, SIGN_UP_LIMITS } from "./rate-limit.ts";
