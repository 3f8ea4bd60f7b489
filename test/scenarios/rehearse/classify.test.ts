import { describe, expect, it } from "vitest";
import { emptyVerifyCounts } from "../../../scenarios/records.js";
import { type CellObservation, classifyCell } from "../../../scenarios/rehearse/classify.js";
import type { VgState } from "../../../scenarios/rehearse/vg-state.js";

const vg = (
  lvs: Record<string, string[]>,
  pvs: readonly string[] = ["/dev/sdc1", "/dev/sdd1"],
  pvmove = false,
): VgState => ({
  seqno: 1,
  pvs,
  lvs: new Map(Object.entries(lvs).map(([name, places]) => [name, { extents: places.length, places }])),
  pvmove,
});
const ok = (n = 48) => ({ ...emptyVerifyCounts(), ok: n });
const lost = (n: number) => ({ ...emptyVerifyCounts(), ok: 48 - n, lost: n });
const end = vg({ home: ["/dev/sdc1:0", "/dev/sdc1:1"], db: ["/dev/sdd1:0"] });

/** A cell in which nothing went wrong; each test changes what it observes. */
function observed(patch: Partial<CellObservation>): CellObservation {
  return {
    crashVg: end,
    crashBad: new Map([
      ["home", 0],
      ["db", 0],
    ]),
    recoveredVg: end,
    recoveredVerify: new Map([
      ["home", ok()],
      ["db", ok()],
    ]),
    finalVg: end,
    finalVerify: new Map([
      ["home", ok()],
      ["db", ok()],
    ]),
    finalVgckExit: 0,
    finalInconsistent: false,
    intendedVg: end,
    ...patch,
  };
}

describe("classifyCell", () => {
  it("calls a cell safe when the data is intact and the plan ended where it leads", () => {
    expect(classifyCell(observed({})).outcome).toBe("safe");
  });

  it("calls a recovery destructive when it removed an LV whose data was intact at the crash", () => {
    const verdict = classifyCell(
      observed({
        recoveredVg: vg({ db: ["/dev/sdd1:0"] }, ["/dev/sdd1"]),
        finalVerify: new Map([
          ["home", { ...emptyVerifyCounts(), unreadable: 48 }],
          ["db", ok()],
        ]),
      }),
    );
    expect(verdict.outcome).toBe("destructive");
    expect(verdict.removedLvs).toEqual(["home"]);
    expect(verdict.detail).toBe("removed LV home, whose data was intact");
  });

  it("does not blame the recovery for an LV whose data the crash had already lost", () => {
    const verdict = classifyCell(
      observed({
        crashBad: new Map([
          ["home", 5],
          ["db", 0],
        ]),
        recoveredVg: vg({ db: ["/dev/sdd1:0"] }, ["/dev/sdd1"]),
        finalVerify: new Map([
          ["home", { ...emptyVerifyCounts(), unreadable: 48 }],
          ["db", ok()],
        ]),
      }),
    );
    expect(verdict.outcome).toBe("data-lost");
    expect(verdict.detail).toBe("home: 48 blocks (already lost at the crash)");
  });

  it("calls a recovery destructive when blocks intact at the crash are bad after it, and counts remapped extents", () => {
    const verdict = classifyCell(
      observed({
        recoveredVg: vg({ home: ["error", "/dev/sdc1:1"], db: ["/dev/sdd1:0"] }),
        recoveredVerify: new Map([
          ["home", lost(3)],
          ["db", ok()],
        ]),
      }),
    );
    expect(verdict.outcome).toBe("destructive");
    expect(verdict.remappedExtents).toEqual({ home: 1 });
    expect(verdict.detail).toBe("lost 3 blocks of home (1 extents remapped), intact at the crash");
  });

  it("says data was lost while the plan continued when recovery left it intact", () => {
    const verdict = classifyCell(
      observed({
        finalVerify: new Map([
          ["home", ok()],
          ["db", lost(2)],
        ]),
      }),
    );
    expect(verdict).toMatchObject({ outcome: "data-lost", lostBlocks: { db: 2 } });
    expect(verdict.detail).toBe("db: 2 blocks (lost while the plan continued)");
  });

  it("needs manual repair when the plan cannot reach its end state or the metadata stays inconsistent", () => {
    const sdb1Back = vg({ home: ["/dev/sdc1:0", "/dev/sdc1:1"], db: ["/dev/sdd1:0"] }, [
      "/dev/sdb1",
      "/dev/sdc1",
      "/dev/sdd1",
    ]);
    expect(classifyCell(observed({ finalVg: sdb1Back })).detail).toBe(
      "PVs are /dev/sdb1, /dev/sdc1, /dev/sdd1, not /dev/sdc1, /dev/sdd1",
    );
    const left = classifyCell(observed({ finalVg: vg({ home: ["x", "y"], db: ["z"] }, end.pvs, true) }));
    expect(left).toMatchObject({ outcome: "manual", detail: "a pvmove is still in the metadata" });
    expect(classifyCell(observed({ finalInconsistent: true })).detail).toBe(
      "metadata inconsistent (vgck warns; vgck --updatemetadata needed)",
    );
    expect(classifyCell(observed({ finalVg: undefined })).detail).toBe("the VG cannot be read");
  });
});
