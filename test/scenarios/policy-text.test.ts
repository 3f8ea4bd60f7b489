import { describe, expect, it } from "vitest";
import { parsePolicyList, parsePolicyText, policyText } from "../../scenarios/policy-text.js";

describe("crash policies as text", () => {
  it("round-trips every kind", () => {
    for (const text of ["drop-all", "keep-all", "subset", "torn", "prefix:3"]) {
      expect(policyText(parsePolicyText(text))).toBe(text);
    }
    expect(parsePolicyText("prefix:0")).toEqual({ kind: "prefix", count: 0 });
  });

  it("refuses unknown names, empty entries and duplicates", () => {
    expect(() => parsePolicyText("tron")).toThrow(/Unknown crash policy "tron"; expected one of drop-all/);
    expect(() => parsePolicyText("prefix")).toThrow(/Unknown crash policy/);
    expect(() => parsePolicyList("torn,,subset")).toThrow(/at least one/);
    expect(() => parsePolicyList("torn,torn")).toThrow(/lists "torn" twice/);
    expect(parsePolicyList("drop-all, subset,torn")).toEqual(["drop-all", "subset", "torn"]);
  });
});
