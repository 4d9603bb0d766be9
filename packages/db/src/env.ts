import { z } from "zod";

const ZDbEnv = z.object({
  DATABASE_URL: z
    .string({ error: "DATABASE_URL is required: the PostgreSQL URL the app connects with (a non-owner role)." })
    .url("DATABASE_URL must be a postgres:// URL")
    .refine((u) => /^postgres(ql)?:\/\//.test(u), "DATABASE_URL must start with postgres:// or postgresql://"),
  DATABASE_OWNER_URL: z
    .string()
    .url("DATABASE_OWNER_URL must be a postgres:// URL")
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
});
export type TDbEnv = z.infer<typeof ZDbEnv>;

let cached: TDbEnv | undefined;

/** Database settings, validated once; throws a message naming each bad variable. */
export function dbEnv(): TDbEnv {
  if (cached) return cached;
  const parsed = ZDbEnv.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "env"}: ${i.message}`);
    throw new Error(`Invalid database configuration:\n${lines.join("\n")}\nSee .env.example.`);
  }
  cached = parsed.data;
  return cached;
}
