import { describe, expect, it } from "vitest";
import { previewSample } from "./preview.ts";

describe("previewSample (runs in the browser)", () => {
  it("detects encoding and delimiter, proposes a mapping and applies a saved one", () => {
    const bytes = new TextEncoder().encode("\uFEFFName;Email;Created at;Total;Id\n#1001;a@x.com;2024-01-02 10:00:00 +0100;12.50;555\n");
    const p = previewSample(bytes, "ORDERS");
    expect(p.encoding.label).toBe("UTF-8 (with BOM)");
    expect(p.delimiter).toBe(";");
    expect(p.headers).toEqual(["Name", "Email", "Created at", "Total", "Id"]);
    expect(p.mapping).toEqual(["ignore", "customer_email", "ordered_at", "amount", "external_id"]);
    expect(p.rows[0]).toEqual(["#1001", "a@x.com", "2024-01-02 10:00:00 +0100", "12.50", "555"]);
    const saved = previewSample(bytes, "ORDERS", { saved: { name: "external_id", id: "ignore" } });
    expect(saved.mapping).toEqual(["external_id", "customer_email", "ordered_at", "amount", "ignore"]);
  });
});
