import { z } from "zod";
import { parseEnv } from "@valuelens/validators";

const ZWebEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  AUTH_SECRET: z
    .string({ error: "AUTH_SECRET is required (at least 32 random characters; `openssl rand -base64 32`)." })
    .min(32, "AUTH_SECRET must be at least 32 characters"),
  APP_URL: z.string().url("APP_URL must be the public URL of the app, e.g. http://localhost:3000").default("http://localhost:3000"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});
export type TWebEnv = z.infer<typeof ZWebEnv>;

let cached: TWebEnv | undefined;

/** Web settings, validated on first use (not at build time); a bad value names the variable. */
export function webEnv(): TWebEnv {
  if (cached) return cached;
  cached = parseEnv(ZWebEnv, process.env);
  return cached;
}
