import { describe, expect, it } from "vitest";
import { delimiterLabel, formatBytes, formatDuration } from "./import-format";

describe("import display helpers", () => {
  it("formats durations, sizes and delimiters", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(125)).toBe("2 min 5 s");
    expect(formatDuration(3 * 3600 + 60)).toBe("3 h 1 min");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2 * 1024 ** 2)).toBe("2.0 MB");
    expect(delimiterLabel("\t")).toBe("tab");
    expect(delimiterLabel(null)).toBe("—");
  });
});
