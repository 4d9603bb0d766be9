import type { PrismaClient } from "@valuelens/db";

/** Failed sign-ins allowed in the window before the account or IP must wait (OWASP ASVS 6.3.1). */
export const SIGN_IN_LIMITS = { perAccount: 10, perIp: 50, windowMinutes: 15 } as const;
export const SIGN_UP_LIMITS = { perIp: 20, windowMinutes: 60 } as const;

export async function countRecent(prisma: PrismaClient, key: string, windowMinutes: number): Promise<number> {
  const since = new Date(Date.now() - windowMinutes * 60_000);
  return prisma.signInAttempt.count({ where: { key, createdAt: { gte: since } } });
}

export async function recordAttempt(prisma: PrismaClient, keys: string[]): Promise<void> {
  await prisma.signInAttempt.createMany({ data: keys.map((key) => ({ key })) });
  // Keep the table small: drop attempts older than a day now and then.
  if (Math.random() < 0.01) {
    await prisma.signInAttempt.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - 86_400_000) } } });
  }
}

export async function clearAttempts(prisma: PrismaClient, key: string): Promise<void> {
  await prisma.signInAttempt.deleteMany({ where: { key } });
}
