import { describe, expect, it } from "vitest";
import { BOOT_GRID_NS, bootInstantNs, MIN_BOOT_NS } from "../../scenarios/machine.js";

describe("bootInstantNs", () => {
  it("ends a boot at least MIN_BOOT_NS after the cut, on the grid", () => {
    for (const cutNs of [0, 1, 999_999_999, 1_000_000_000, 1_234_567_890, 75_054_553_697]) {
      const bootNs = bootInstantNs(cutNs);
      expect(bootNs - cutNs).toBeGreaterThanOrEqual(MIN_BOOT_NS);
      expect(bootNs - cutNs).toBeLessThan(MIN_BOOT_NS + BOOT_GRID_NS);
      expect(bootNs % BOOT_GRID_NS).toBe(0);
    }
  });

  it("gives every cut within one grid step the same boot, so their recoveries can match", () => {
    expect(bootInstantNs(1_000_000_001)).toBe(bootInstantNs(1_999_999_999));
    expect(bootInstantNs(1_999_999_999)).not.toBe(bootInstantNs(2_000_000_001));
  });
});
