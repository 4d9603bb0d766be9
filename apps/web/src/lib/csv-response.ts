import "server-only";
import { logError } from "@valuelens/api";
import { DomainError } from "@valuelens/api/services";

/**
 * Streams CSV chunks from a service's async generator as a download. The generator authorises
 * before its first chunk, so a refusal still becomes a proper JSON error status, not a broken file.
 * A UTF-8 BOM goes first so spreadsheets read accents correctly.
 */
export async function csvDownload(gen: AsyncGenerator<string>, filename: string, event: string): Promise<Response> {
  let first: IteratorResult<string>;
  try {
    first = await gen.next();
  } catch (e) {
    if (e instanceof DomainError) {
      const status = e.code === "FORBIDDEN" ? 403 : e.code === "BAD_REQUEST" ? 400 : 404;
      return Response.json({ error: { message: e.message } }, { status });
    }
    throw e;
  }
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      if (!first.done) c.enqueue(enc.encode("\uFEFF" + first.value));
    },
    async pull(c) {
      try {
        const n = await gen.next();
        if (n.done) c.close();
        else c.enqueue(enc.encode(n.value));
      } catch (e) {
        logError(event, { error: e });
        c.error(e);
      }
    },
    async cancel() {
      await gen.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}
