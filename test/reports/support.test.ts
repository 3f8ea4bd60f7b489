import { describe, expect, it } from "vitest";
import { ciSupported, iosNeededFor, metricSupported } from "../../reports/support.js";

describe("what a sample supports", () => {
  it("needs 5 samples for an interval", () => {
    expect(ciSupported(2)).toBe(false);
    expect(ciSupported(4)).toBe(false);
    expect(ciSupported(5)).toBe(true);
  });

  it("needs 10 I/Os beyond a percentile", () => {
    expect(iosNeededFor(0.99)).toBe(1000);
    expect(iosNeededFor(0.999)).toBe(10000);
    expect(metricSupported("latNs.p999", 24)).toBe(false);
    expect(metricSupported("latNs.p999", 4096)).toBe(false);
    expect(metricSupported("latNs.p99", 4096)).toBe(true);
    expect(metricSupported("latNs.p50", 24)).toBe(true);
    expect(metricSupported("iops", 1)).toBe(true);
    // Older records without an I/O count are printed as before.
    expect(metricSupported("latNs.p999", undefined)).toBe(true);
  });
});
