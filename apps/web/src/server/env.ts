import { z } from "zod";
import { parseEnv } from "@valuelens/validators";

const ZServerEnv = z.object({
  PORT: z.coerce.number({ error: "PORT must be a TCP port number (1-65535)" }).int("PORT must be a TCP port number (1-65535)").min(1, "PORT must be a TCP port number (1-65535)").max(65535, "PORT must be a TCP port number (1-65535)").default(3000),
  /** Seconds in-flight requests may take to finish after SIGTERM/SIGINT before the server closes them. */
  WEB_SHUTDOWN_GRACE_SECONDS: z.coerce.number({ error: "WEB_SHUTDOWN_GRACE_SECONDS must be a number of seconds (0-120)" }).min(0).max(120).default(8),
});
export type TServerEnv = z.infer<typeof ZServerEnv>;

/** Settings of the production web server (src/server/main.ts), validated once at start-up. */
export function serverEnv(): TServerEnv {
  return parseEnv(ZServerEnv, process.env);
}
