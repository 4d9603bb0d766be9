import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyTooLarge, readBody } from "./body";

// A real HTTP server whose handler reads the body with a 1,000-byte limit and answers what it got.
let server: http.Server;
let url = "";
beforeAll(async () => {
  server = http.createServer((req, res) => {
    readBody(req, 1000).then(
      (b) => res.end(`ok ${b.length} ${Buffer.from(b).toString("utf8").slice(0, 20)}`),
      (e: unknown) => {
        res.statusCode = e instanceof BodyTooLarge ? 413 : 500;
        res.setHeader("connection", "close");
        res.end(e instanceof BodyTooLarge ? "too large" : "error");
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("readBody", () => {
  it("returns a body up to the limit whole, in order", async () => {
    const body = `{"a":"${"x".repeat(992)}"}`; // exactly 1,000 bytes
    const res = await fetch(url, { method: "POST", body });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`ok 1000 ${body.slice(0, 20)}`);
  });

  it("refuses a declared Content-Length over the limit", async () => {
    const res = await fetch(url, { method: "POST", body: "y".repeat(1001) });
    expect(res.status).toBe(413);
  });

  it("refuses a streamed body once it passes the limit, whatever it declared", async () => {
    // Chunked (no Content-Length): only counting the bytes can catch it.
    const chunks = [new Uint8Array(600), new Uint8Array(600), new Uint8Array(600)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const res = await fetch(url, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
  });
});
