import type { IncomingMessage } from "node:http";

/**
 * Largest tRPC request body accepted (bytes). Every procedure's input is a small JSON object (the largest,
 * a rule segment or an import mapping, is a few KiB); files go through /api/import. Checked while reading,
 * so a huge body is refused before it is held in memory (next start streamed it to the handler).
 */
export const MAX_TRPC_BODY_BYTES = 1024 * 1024;

/** The body went over the limit (the rest of it is drained, not kept). */
export class BodyTooLarge extends Error {}

/** The whole request body, or BodyTooLarge as soon as it (or its Content-Length) exceeds `limit`. */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        over = true;
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (over) return;
      const out = new Uint8Array(new ArrayBuffer(size));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      resolve(out);
    });
    req.on("error", reject);
  });
}
