/**
 * `lvcreate -T` places `_tmeta` as LVM2 2.03.16 does (the metadata is the data's log area; see
 * test/engine/metadata/thin-alloc.test.ts for the rule), and reads
 * `allocation/thin_pool_metadata_require_separate_pvs` from `--config`.
 */
import { describe, expect, it } from "vitest";
import { lvm, makeHost } from "../helpers.js";

function devices(poolOptions: string, pvs: readonly string[]): { exitCode: number; devices: string } {
  const host = makeHost([...pvs]);
  for (const line of [`pvcreate ${pvs.join(" ")}`, `vgcreate vg0 ${pvs.join(" ")}`])
    expect(lvm(host, line).exitCode).toBe(0);
  const created = lvm(host, `lvcreate -T -L 8M ${poolOptions} vg0/pool`.replace(/\s+/g, " "));
  return {
    exitCode: created.exitCode,
    devices: lvm(host, "lvs -a --noheadings -o name,devices vg0").stdout.replace(/[ \t]+/g, " "),
  };
}

describe("lvcreate -T placement", () => {
  it("puts _tmeta on the PV the data did not take", () => {
    const { exitCode, devices: out } = devices("", ["pv0", "pv1"]);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/\[pool_tdata\] pv0\(1\)/);
    expect(out).toMatch(/\[pool_tmeta\] pv1\(0\)/);
  });

  it("shares the data's only PV, unless thin_pool_metadata_require_separate_pvs=1", () => {
    expect(devices("", ["pv0"]).devices).toMatch(/\[pool_tmeta\] pv0\(3\)/);
    const separate = "--config allocation/thin_pool_metadata_require_separate_pvs=1";
    expect(devices(separate, ["pv0"]).exitCode).toBe(5);
    expect(devices(separate, ["pv0", "pv1"]).devices).toMatch(/\[pool_tmeta\] pv1\(0\)/);
  });
});
