import { describe, expect, it } from "vitest";
import { formatSizeForJob, parseSizeBytes, parseTimeNs } from "../../workloads/units.js";

describe("fio units", () => {
  it.each([
    ["4096", 1024, 4096],
    ["4k", 1024, 4096],
    ["4kb", 1024, 4096],
    ["4KB", 1024, 4096],
    ["1m", 1024, 1048576],
    ["1mi", 1024, 1_000_000],
    ["1000ki", 1024, 1_000_000],
    ["1t", 1024, 2 ** 40],
    ["0x1000", 1024, 4096],
    ["1m", 1000, 1_000_000],
    ["1mi", 1000, 1048576],
    ["4KiB", 1000, 4096],
  ] as const)("%s under kb_base=%i is %i bytes", (text, kbBase, bytes) => {
    expect(parseSizeBytes(text, { kbBase })).toBe(bytes);
  });

  it.each(["", "4q", "k", "-1", "1.5.5k"])("%j is not a size", (text) => {
    expect(parseSizeBytes(text)).toBeUndefined();
  });

  it("reads times with fio's suffixes, seconds by default", () => {
    expect(parseTimeNs("10")).toBe(10e9);
    expect(parseTimeNs("500ms")).toBe(500e6);
    expect(parseTimeNs("2m")).toBe(120e9);
    expect(parseTimeNs("1h")).toBe(3600e9);
    expect(parseTimeNs("250us")).toBe(250e3);
    expect(parseTimeNs("soon")).toBeUndefined();
  });

  it("prints sizes with the largest exact binary unit", () => {
    expect(formatSizeForJob(4096)).toBe("4k");
    expect(formatSizeForJob(1 << 20)).toBe("1m");
    expect(formatSizeForJob(1536)).toBe("1536");
    expect(formatSizeForJob(0)).toBe("0");
  });
});
