/** Domain errors of the auth package; the API maps them to tRPC errors in one place. */
export class AuthError extends Error {
  constructor(
    public readonly code: "EMAIL_TAKEN" | "RATE_LIMITED" | "INVALID_INVITE" | "INVITE_EMAIL_MISMATCH",
    message: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}
