import nodemailer from "nodemailer";
import { apiEnv } from "../env.ts";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends over SMTP when SMTP_URL is set; returns false when no SMTP is configured (callers show the link). */
export async function sendMail(mail: OutgoingMail): Promise<boolean> {
  const env = apiEnv();
  if (!env.SMTP_URL) return false;
  const transport = nodemailer.createTransport(env.SMTP_URL);
  await transport.sendMail({ from: env.SMTP_FROM, ...mail });
  return true;
}
