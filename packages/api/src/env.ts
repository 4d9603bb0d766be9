import { z } from "zod";
import { parseEnv } from "@valuelens/validators";

const ZApiEnv = z.object({
  APP_URL: z.string().url("APP_URL must be the public URL of the app, e.g. http://localhost:3000").default("http://localhost:3000"),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "SMTP_URL must look like smtp://user:pass@host:587")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  SMTP_FROM: z.string().min(3).default("ValueLens <no-reply@valuelens.local>"),
  /** Signs links in emails (unsubscribe). The same secret as the web sessions. */
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  /** Ingestion API (issue 4): requests per minute per API key, shared by all web processes (PostgreSQL). */
  INGEST_RATE_LIMIT_PER_MINUTE: z.coerce.number().int("INGEST_RATE_LIMIT_PER_MINUTE must be a whole number").min(1).max(1_000_000).default(600),
  /** Ingestion API: largest accepted request body in bytes (larger → 413). */
  INGEST_MAX_BODY_BYTES: z.coerce.number().int("INGEST_MAX_BODY_BYTES must be a whole number").min(1024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
});
export type TApiEnv = z.infer<typeof ZApiEnv>;

let cached: TApiEnv | undefined;
export function apiEnv(): TApiEnv {
  if (cached) return cached;
  cached = parseEnv(ZApiEnv, process.env);
  return cached;
}
