import { describe, expect, it } from "vitest";
import { DEFAULT_UNITS, formatSize, parseUnits } from "../../../engine/lvm/units.js";

// Expected strings are what real LVM2 2.03.16 printed for these sizes (vgs/lvs --units X).
const MIB = 2048;
describe("formatSize", () => {
  it("prints fixed units as LVM2 does", () => {
    expect(formatSize(180 * MIB, parseUnits("s"))).toBe("368640S");
    expect(formatSize(180 * MIB, parseUnits("k"))).toBe("184320.00k");
    expect(formatSize(180 * MIB, parseUnits("K"))).toBe("188743.68K");
    expect(formatSize(16 * MIB, parseUnits("g"))).toBe("0.02g");
    expect(formatSize(24 * MIB, parseUnits("G"))).toBe("0.03G");
    expect(formatSize(16 * MIB, parseUnits("b", { nosuffix: true }))).toBe("16777216");
    expect(formatSize(0, parseUnits("b", { nosuffix: true }))).toBe("0");
  });

  it("prints human-readable sizes with LVM2's zero and rounding rules", () => {
    expect(formatSize(60 * MIB, DEFAULT_UNITS)).toBe("60.00m");
    expect(formatSize(0, DEFAULT_UNITS)).toBe("0 ");
    expect(formatSize(64 * MIB, DEFAULT_UNITS, "short")).toBe("64.00 MiB");
    expect(formatSize(128, DEFAULT_UNITS, "short")).toBe("64.00 KiB");
    // 2043 MiB is 1.995 GiB: two decimals round it up, so "r" marks it with "<".
    expect(formatSize(2043 * MIB, DEFAULT_UNITS)).toBe("<2.00g");
    expect(formatSize(2043 * MIB, parseUnits("h"))).toBe("2.00g");
  });

  it("refuses units LVM2 does not know", () => {
    expect(() => parseUnits("x")).toThrow(/Invalid units/);
  });
});
