/**
 * pvmove metadata steps against the verified LVM2 examples of research §2.5 (running, `--atomic`)
 * and the §3.3 finish "write A" state.
 */
import { describe, expect, it } from "vitest";
import type { ConfigNode } from "../../../engine/format/config-tree.js";
import { AllocationError } from "../../../engine/metadata/alloc.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { importVg } from "../../../engine/metadata/import.js";
import type { LogicalVolume, Segment, VolumeGroup } from "../../../engine/metadata/model.js";
import { createPvList } from "../../../engine/metadata/pv-list.js";
import {
  checkpointPvmove,
  finishPvmove,
  pvmoveProgress,
  setUpPvmove,
} from "../../../engine/metadata/pvmove.js";
import { validateVg } from "../../../engine/metadata/validate.js";
import { placesOf } from "../../fixtures/metadata/build.js";
import { PVMOVE_ATOMIC, PVMOVE_FINISH_A, PVMOVE_RUNNING } from "../../fixtures/metadata/examples.js";
import { rawVgSection } from "../../fixtures/metadata/raw-text.js";

const load = (text: string): VolumeGroup => importVg(rawVgSection(text));

function strip(node: ConfigNode): unknown {
  return JSON.parse(JSON.stringify(node, (k, v) => (k === "at" ? undefined : v)));
}

const linear = (start: number, count: number, pe: number): Segment => ({
  startExtent: start,
  extentCount: count,
  typeFlags: [],
  tags: [],
  type: "striped",
  stripeCount: 1,
  areas: [{ kind: "pv", pv: "pv0", pe }],
});

/** The VG before `pvmove -n lv0 /dev/loop0 /dev/loop1`: lv0 on pv0 0-1 and 3-4, unlocked, no pvmove0. */
function beforeMove(text: string): VolumeGroup {
  const vg = load(text);
  return {
    ...vg,
    lvs: vg.lvs
      .filter((lv) => !lv.name.startsWith("pvmove0"))
      .map((lv) =>
        lv.name === "lv0"
          ? { ...lv, status: ["READ", "WRITE", "VISIBLE"], segments: [linear(0, 2, 0), linear(2, 2, 3)] }
          : lv,
      ),
  };
}

const identity = {
  makeId: (name: string) =>
    ({
      pvmove0: "Pvm0ve-0000-0000-0000-0000-0000-000000",
      pvmove0_mimage_0: "Pvm0ve-0000-0000-0000-0000-0000-000001",
      pvmove0_mimage_1: "Pvm0ve-0000-0000-0000-0000-0000-000002",
    })[name] ?? `id-${name}`,
  creationTime: 1795236970,
  creationHost: "vm",
};

describe("setUpPvmove", () => {
  it("writes what LVM2 wrote for pvmove -n lv0 /dev/loop0 /dev/loop1 [R§2.5]", () => {
    const vg0 = beforeMove(PVMOVE_RUNNING);
    const { vg, pvmoveName, lvsChanged } = setUpPvmove(vg0, {
      ...identity,
      source: createPvList(vg0, ["/dev/loop0"])[0] as never,
      lvName: "lv0",
      destinations: createPvList(vg0, ["/dev/loop1"]),
    });
    expect(pvmoveName).toBe("pvmove0");
    expect(lvsChanged).toEqual(["lv0"]);
    expect(validateVg(vg)).toEqual([]);
    expect(pvmoveProgress(vg, "pvmove0")).toEqual({ copiedExtents: 0, totalExtents: 4 });
    // The research copy was taken after the first checkpoint.
    const checkpointed = checkpointPvmove(vg, "pvmove0");
    expect(pvmoveProgress(checkpointed, "pvmove0")).toEqual({ copiedExtents: 2, totalExtents: 4 });
    expect(strip(exportVg(checkpointed))).toEqual(strip(rawVgSection(PVMOVE_RUNNING)));
  });

  it("writes the --atomic layout [R§2.5 atomic variant]", () => {
    const vg0 = beforeMove(PVMOVE_ATOMIC);
    const { vg } = setUpPvmove(vg0, {
      ...identity,
      source: createPvList(vg0, ["/dev/loop0"])[0] as never,
      destinations: createPvList(vg0, ["/dev/loop1"]),
      atomic: true,
    });
    expect(validateVg(vg)).toEqual([]);
    expect(strip(exportVg(vg))).toEqual(strip(rawVgSection(PVMOVE_ATOMIC)));
  });

  it("moves only the given PE range, splitting the LV's segment at its edges [S: _align_segment_boundary_to_pe_range]", () => {
    const vg0 = beforeMove(PVMOVE_ATOMIC);
    const grown: VolumeGroup = {
      ...vg0,
      lvs: vg0.lvs.map((lv) => (lv.name === "lv0" ? { ...lv, segments: [linear(0, 6, 0)] } : lv)),
    };
    const { vg } = setUpPvmove(grown, {
      ...identity,
      source: createPvList(grown, ["/dev/loop0:2-3"])[0] as never,
      destinations: createPvList(grown, ["/dev/loop1"]),
    });
    expect(validateVg(vg)).toEqual([]);
    const lv0 = vg.lvs.find((l) => l.name === "lv0") as LogicalVolume;
    expect(lv0.segments.map((s) => [s.startExtent, s.extentCount])).toEqual([
      [0, 2],
      [2, 2],
      [4, 2],
    ]);
    expect(lv0.segments[1]).toMatchObject({ areas: [{ kind: "lv", lv: "pvmove0", le: 0 }] });
    const pvmove = vg.lvs.find((l) => l.name === "pvmove0");
    expect(pvmove?.segments).toEqual([
      {
        startExtent: 0,
        extentCount: 2,
        typeFlags: [],
        tags: [],
        type: "mirror",
        mirrorCount: 2,
        extentsMoved: 0,
        regionSizeSectors: 4096,
        areas: [
          { kind: "pv", pv: "pv0", pe: 2 },
          { kind: "pv", pv: "pv1", pe: 0 },
        ],
      },
    ]);
  });

  it("refuses when nothing is on the source [pvmove.c: No data to move]", () => {
    const vg0 = beforeMove(PVMOVE_ATOMIC);
    expect(() =>
      setUpPvmove(vg0, {
        ...identity,
        source: createPvList(vg0, ["/dev/loop1"])[0] as never,
        destinations: createPvList(vg0, ["/dev/loop0"]),
      }),
    ).toThrow(new AllocationError("No data to move for vg0."));
  });
});

describe("finishPvmove (write A)", () => {
  it("puts everything on the destination once every segment is checkpointed [R§3.3]", () => {
    let vg = load(PVMOVE_RUNNING);
    vg = checkpointPvmove(vg, "pvmove0");
    vg = { ...vg, lvs: vg.lvs.filter((lv) => lv.name !== "lv1") };
    const done = finishPvmove(vg, "pvmove0");
    expect(validateVg(done)).toEqual([]);
    expect(strip(exportVg(done))).toEqual(strip(rawVgSection(PVMOVE_FINISH_A)));
  });

  it("abort keeps checkpointed segments on the destination and the rest on the source [R§3.5]", () => {
    const vg = finishPvmove(load(PVMOVE_RUNNING), "pvmove0", { abort: true });
    expect(validateVg(vg)).toEqual([]);
    expect(placesOf(vg, "lv0")).toEqual([
      ["pv1", 0, 2],
      ["pv0", 3, 2],
    ]);
    expect(vg.lvs.find((l) => l.name === "lv0")?.status).toEqual(["READ", "WRITE", "VISIBLE"]);
    expect(vg.lvs.find((l) => l.name === "pvmove0")?.segments.map((s) => s.type)).toEqual(["error"]);
  });

  it("abort of an atomic move leaves every LV on the source [R§3.5]", () => {
    let vg = load(PVMOVE_ATOMIC);
    vg = checkpointPvmove(vg, "pvmove0");
    const aborted = finishPvmove(vg, "pvmove0", { abort: true });
    expect(validateVg(aborted)).toEqual([]);
    expect(placesOf(aborted, "lv0")).toEqual([
      ["pv0", 0, 2],
      ["pv0", 3, 2],
    ]);
    expect(aborted.lvs.map((l) => l.name)).toEqual(["lv0", "pvmove0"]);
    const finished = finishPvmove(vg, "pvmove0");
    expect(placesOf(finished, "lv0")).toEqual([["pv1", 0, 4]]);
  });
});
