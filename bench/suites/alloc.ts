/**
 * Extent allocation on a long-lived VG (8 PVs, hundreds of LVs, fragmented free space): LVM2's
 * allocator (`allocateExtents`, normal policy, linear and 2-way mirrored) against a trivial
 * first-fit loop over the same free runs in the same run, so the ratio shows what LVM2's policy
 * passes (contiguous, cling, normal, area sorting) cost over the simplest correct allocator.
 */

import { do_not_optimize } from "mitata";
import { allocateExtents } from "../../engine/metadata/alloc.js";
import { pvFreeRanges, pvUsage } from "../../engine/metadata/extent-map.js";
import { nsPerOp } from "../measure.js";
import type { BenchRow, BenchSuite } from "../suite.js";
import { fragmentedVg } from "./fixtures/vg.js";

const FIXTURE_LVS = 600;
/** Extents each case asks for: 1 GiB at 4 MiB extents, more than most free holes hold. */
const REQUEST_EXTENTS = 256;

interface FreeRun {
  readonly pv: string;
  readonly pe: number;
  readonly count: number;
}

/** The baseline: take free runs in PV order until the request is met; the same free map, no policy. */
function firstFit(runs: readonly FreeRun[], extents: number): FreeRun[] {
  const taken: FreeRun[] = [];
  let needed = extents;
  for (const run of runs) {
    if (needed === 0) break;
    const count = Math.min(run.count, needed);
    taken.push({ pv: run.pv, pe: run.pe, count });
    needed -= count;
  }
  if (needed > 0)
    throw new Error(`First fit could not find ${extents} free extents; the fixture VG is too full`);
  return taken;
}

const suite: BenchSuite = {
  name: "alloc",
  description: "LVM2 extent allocation vs a first-fit loop on a fragmented VG",
  async run(options) {
    const vg = fragmentedVg(FIXTURE_LVS);
    const group = `${REQUEST_EXTENTS} extents, ${vg.lvs.length} LVs on ${vg.pvs.length} PVs`;
    // The baseline computes the free map too, so both sides start from the VG model.
    const baselineName = "first fit over free runs";
    const baseline = () => {
      const usage = pvUsage(vg);
      const runs = vg.pvs.flatMap((pv) =>
        pvFreeRanges(vg, pv.name, { usage }).map((r) => ({ pv: pv.name, ...r })),
      );
      do_not_optimize(firstFit(runs, REQUEST_EXTENTS));
    };
    const baseNs = await nsPerOp(baseline, options);
    const rows: BenchRow[] = [{ name: baselineName, group, nsPerOp: baseNs }];
    const cases: [string, () => void][] = [
      ["allocateExtents linear", () => do_not_optimize(allocateExtents(vg, { extents: REQUEST_EXTENTS }))],
      [
        "allocateExtents mirror 2 images, core log",
        () => do_not_optimize(allocateExtents(vg, { extents: REQUEST_EXTENTS, mirrors: 2, logCount: 0 })),
      ],
      [
        "allocateExtents striped 2",
        () => do_not_optimize(allocateExtents(vg, { extents: REQUEST_EXTENTS, stripes: 2 })),
      ],
    ];
    for (const [name, op] of cases) {
      const ns = await nsPerOp(op, options);
      rows.push({ name, group, nsPerOp: ns, baseline: baselineName, ratioToBaseline: baseNs / ns });
    }
    return rows;
  },
};

export default suite;
