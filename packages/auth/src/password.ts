import argon2 from "argon2";

// OWASP Password Storage Cheat Sheet: Argon2id, m = 19 MiB, t = 2, p = 1 (≈ 37 ms here).
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// A fixed hash to verify against when the account does not exist, so timing does not reveal
// which emails have accounts.
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= argon2.hash("not-a-real-password-for-timing-equalisation", OPTIONS);
  return dummy;
}
