import { describe, expect, it } from "vitest";
import {
  lowWaterBlocks,
  noteThinAutoextend,
  THIN_AUTOEXTEND_DEFAULTS,
  thinAutoextend,
} from "../../../../engine/lvm/thin/autoextend-settings.js";
import { makeHost } from "../helpers.js";

describe("thin autoextend settings", () => {
  it("keep LVM2's defaults until a --config sets them, then keep what it set", () => {
    const host = makeHost(["pv0"]);
    expect(thinAutoextend(host)).toEqual(THIN_AUTOEXTEND_DEFAULTS);
    noteThinAutoextend(host, "activation/thin_pool_autoextend_threshold=70");
    noteThinAutoextend(host, "activation { thin_pool_autoextend_percent = 50 }");
    noteThinAutoextend(host, "global/units=m");
    expect(thinAutoextend(host)).toEqual({ thresholdPercent: 70, percent: 50 });
  });

  it("set the table's low-water mark as _thin_pool_add_target_line does", () => {
    expect(lowWaterBlocks(128, 100)).toBe(0);
    expect(lowWaterBlocks(128, 70)).toBe(38);
    expect(lowWaterBlocks(128, 10)).toBe(64); // raised to 50%
  });
});
