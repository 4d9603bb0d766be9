import type { z } from "zod";

/**
 * Parses settings with a zod schema, or throws one message that names every missing or malformed
 * variable (shared by the web and API settings modules; read once at boot).
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "env"}: ${i.message}`);
  throw new Error(`Invalid configuration:\n${lines.join("\n")}\nSee .env.example.`);
}
