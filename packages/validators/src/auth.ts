import { z } from "zod";

export const ROLES = ["OWNER", "ADMIN", "MEMBER", "VIEWER"] as const;
export const ZRole = z.enum(ROLES);
export type TRole = z.infer<typeof ZRole>;

/** Higher rank = more rights. OWNER ⊃ ADMIN ⊃ MEMBER ⊃ VIEWER. */
export const ROLE_RANK: Record<TRole, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };
export function roleAtLeast(role: TRole, min: TRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[min];
}

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "Email is too long")
  .email("Enter a valid email address");

/** OWASP ASVS 6.2: at least 12 characters, up to 128, any characters allowed (no composition rules). */
export const ZPassword = z
  .string()
  .min(12, "Password must be at least 12 characters")
  .max(128, "Password must be at most 128 characters");

export const ZWorkspaceName = z.string().trim().min(2, "Workspace name must be at least 2 characters").max(80, "Workspace name is too long");

export const ZSignUp = z
  .object({
    name: z.string().trim().min(1, "Enter your name").max(100),
    email: ZEmail,
    password: ZPassword,
    workspaceName: ZWorkspaceName.optional(),
    /** When signing up from an invitation link, join that workspace instead of creating one. */
    inviteToken: z.string().min(20).max(200).optional(),
  })
  .refine((v) => v.inviteToken !== undefined || v.workspaceName !== undefined, {
    path: ["workspaceName"],
    message: "Name your workspace",
  });
export type TSignUp = z.infer<typeof ZSignUp>;

export const ZSignIn = z.object({
  email: ZEmail,
  password: z.string().min(1, "Enter your password").max(128),
});
export type TSignIn = z.infer<typeof ZSignIn>;
