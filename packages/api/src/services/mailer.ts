import nodemailer from "nodemailer";
import { apiEnv } from "../env.ts";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** A deterministic Message-ID lets receivers (and we) recognise a duplicate. */
  messageId?: string;
  /** Inline images (referenced from the HTML as cid:<cid>) and other attachments. */
  attachments?: { filename: string; content: Buffer; contentType: string; cid?: string; contentDisposition?: "inline" | "attachment" }[];
  /** Extra headers, e.g. List-Unsubscribe. */
  headers?: Record<string, string>;
}

/** Sends over SMTP when SMTP_URL is set; returns false when no SMTP is configured (callers show the link or keep an outbox copy). */
export async function sendMail(mail: OutgoingMail): Promise<boolean> {
  const env = apiEnv();
  if (!env.SMTP_URL) return false;
  const transport = nodemailer.createTransport(env.SMTP_URL, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  try {
    await transport.sendMail({ from: env.SMTP_FROM, ...mail });
  } finally {
    transport.close();
  }
  return true;
}
