import { describe, expect, it } from "vitest";
import { createPainter, shouldUseColor } from "../../reports/color.js";
import {
  formatChange,
  formatCount,
  formatMetric,
  formatNs,
  formatPercentOf,
  formatRatio,
  formatSpread,
} from "../../reports/format.js";

describe("number formatting", () => {
  it("uses three significant figures and SI suffixes", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(480)).toBe("480");
    expect(formatCount(12.345)).toBe("12.3");
    expect(formatCount(41_000)).toBe("41.0k");
    expect(formatCount(1_234_567)).toBe("1.23M");
    expect(formatCount(2.5e9)).toBe("2.50G");
  });

  it("picks a time unit", () => {
    expect(formatNs(812)).toBe("812 ns");
    expect(formatNs(780_000)).toBe("780 µs");
    expect(formatNs(2_496_000)).toBe("2.50 ms");
    expect(formatNs(1.5e9)).toBe("1.50 s");
  });

  it("formats changes, ratios and shares", () => {
    expect(formatChange(0.8)).toBe("-20.0%");
    expect(formatChange(1.25)).toBe("+25.0%");
    expect(formatChange(1.0000001)).toBe("+0.0%");
    expect(formatChange(Number.POSITIVE_INFINITY)).toBe("+∞%");
    expect(formatRatio(0.978)).toBe("0.98×");
    expect(formatPercentOf(0.5)).toBe("50%");
    expect(formatPercentOf(0.012)).toBe("1.2%");
    expect(formatSpread(100, 98, 103)).toBe("±3.0%");
    expect(formatMetric(164.2, "MB/s")).toBe("164 MB/s");
    expect(formatMetric(3127, "ns/op")).toBe("3.13 µs/op");
  });
});

describe("colour", () => {
  it("colours only a TTY, and never with NO_COLOR set to a non-empty value", () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({}, {})).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    // no-color.org: an empty NO_COLOR does not disable colour.
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
  });

  it("paints with ANSI only when enabled", () => {
    expect(createPainter(true)("red", "x")).toBe("\u001b[31mx\u001b[39m");
    expect(createPainter(false)("red", "x")).toBe("x");
  });
});
