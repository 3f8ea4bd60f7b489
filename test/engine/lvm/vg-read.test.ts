import { describe, expect, it } from "vitest";
import { findVg, scanHost } from "../../../engine/lvm/vg-read.js";
import { lvm, makeHost } from "./helpers.js";

describe("vg-read", () => {
  it("imports and validates unchanged metadata once across commands, and changed metadata again", () => {
    const host = makeHost(["a", "b"]);
    expect(lvm(host, "pvcreate a b").exitCode).toBe(0);
    expect(lvm(host, "vgcreate vg0 a b").exitCode).toBe(0);
    expect(lvm(host, "lvcreate -L 8M -n lv0 vg0").exitCode).toBe(0);
    const first = findVg(scanHost(host), "vg0")!;
    const again = findVg(scanHost(host), "vg0")!;
    // The model is immutable: a second scan of the same bytes hands out the same imported LVs.
    expect(again.vg.lvs).toBe(first.vg.lvs);
    expect(again.vg).toEqual(first.vg);
    // Device hints are the handle's own, tied to this scan's devices.
    expect(again.vg.pvs.map((pv) => pv.deviceHint)).toEqual(first.vg.pvs.map((pv) => pv.deviceHint));
    expect(lvm(host, "lvcreate -L 4M -n lv1 vg0").exitCode).toBe(0);
    const changed = findVg(scanHost(host), "vg0")!;
    expect(changed.vg.lvs).not.toBe(first.vg.lvs);
    expect(changed.vg.lvs.map((lv) => lv.name)).toEqual(["lv0", "lv1"]);
  });
});
