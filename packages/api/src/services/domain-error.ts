/** A failure the user can act on. Services throw these (never TRPCError), so jobs can call services too. */
export class DomainError extends Error {
  constructor(
    public readonly code: "NOT_FOUND" | "FORBIDDEN" | "CONFLICT" | "BAD_REQUEST" | "TOO_MANY_REQUESTS" | "PRECONDITION_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
