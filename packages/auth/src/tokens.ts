import { createHash, randomBytes } from "node:crypto";

/** A random secret for links and keys (256 bits, URL-safe). */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Tokens are stored only as SHA-256: high-entropy secrets need no slow hash, just no plaintext at rest. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
