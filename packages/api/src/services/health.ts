import { getDb } from "@valuelens/db";

export interface Health {
  status: "ok" | "degraded";
  database: { ok: boolean; latencyMs: number; error?: string };
}

/** Checks that the database answers a trivial query within 2 s. */
export async function checkHealth(): Promise<Health> {
  const started = performance.now();
  try {
    const { prisma } = getDb();
    await Promise.race([
      prisma.$queryRaw`SELECT 1`,
      new Promise((_, reject) => setTimeout(() => reject(new Error("database did not answer within 2 s")), 2_000).unref()),
    ]);
    return { status: "ok", database: { ok: true, latencyMs: Math.round(performance.now() - started) } };
  } catch (e) {
    return {
      status: "degraded",
      database: { ok: false, latencyMs: Math.round(performance.now() - started), error: e instanceof Error ? e.message : String(e) },
    };
  }
}
