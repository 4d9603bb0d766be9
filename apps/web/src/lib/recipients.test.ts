import { expect, it } from "vitest";
import { parseRecipients } from "./recipients";

it("splits recipients on commas, semicolons and whitespace, de-duplicated", () => {
  expect(parseRecipients(" Ana@Example.com, ben@example.com;\nana@example.com  ")).toEqual(["ana@example.com", "ben@example.com"]);
  expect(parseRecipients("")).toEqual([]);
});
