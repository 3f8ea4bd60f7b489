/**
 * Property: any sequence of lvcreate (linear, striped, mirror; any policy; optional PV/PE
 * restriction), lvextend and lvremove either fails with an AllocationError and leaves the VG as it
 * was, or yields a VG that validates, never uses an extent twice, keeps used + free = total, honours
 * the policy's placement rule, and survives export/import unchanged. Bounded: a few hundred short runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AllocationError, MUTATION_ALLOC_STALE_FREE_SPACE } from "../../../engine/metadata/alloc.js";
import { exportVg } from "../../../engine/metadata/export.js";
import { lvSizeExtents, pvUsage, vgFreeExtents } from "../../../engine/metadata/extent-map.js";
import { importVg } from "../../../engine/metadata/import.js";
import { createLv, extendLv, reduceLv, removeLvTree } from "../../../engine/metadata/lv-alloc.js";
import { lvKinds } from "../../../engine/metadata/lv-kind.js";
import type { AllocPolicy, LogicalVolume, VolumeGroup } from "../../../engine/metadata/model.js";
import type { PvSelection } from "../../../engine/metadata/pv-list.js";
import { validateVg } from "../../../engine/metadata/validate.js";
import type { Mutations } from "../../../engine/sim/mutations.js";
import { NO_MUTATIONS } from "../../../engine/sim/mutations.js";
import { makeVg, testIds } from "../../fixtures/metadata/build.js";

type Op =
  | {
      kind: "create";
      extents: number;
      stripes: number;
      mirrors: number;
      log: "disk" | "core";
      policy: AllocPolicy;
      restrict: { pv: number; from: number; len: number }[] | null;
    }
  | { kind: "extend"; which: number; extents: number; policy: AllocPolicy | null }
  | { kind: "reduce"; which: number; extents: number }
  | { kind: "remove"; which: number };

const policyArb = fc.constantFrom<AllocPolicy>("inherit", "contiguous", "cling", "normal", "anywhere");

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      extents: fc.integer({ min: 1, max: 12 }),
      stripes: fc.constantFrom(1, 1, 2, 3),
      mirrors: fc.constantFrom(0, 0, 0, 2, 3),
      log: fc.constantFrom<"disk" | "core">("disk", "core"),
      policy: policyArb,
      restrict: fc.option(
        fc.array(fc.record({ pv: fc.nat(3), from: fc.nat(15), len: fc.integer({ min: 1, max: 10 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        { freq: 3 },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("extend" as const),
      which: fc.nat(20),
      extents: fc.integer({ min: 1, max: 8 }),
      policy: fc.option(policyArb),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reduce" as const),
      which: fc.nat(20),
      extents: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), which: fc.nat(20) }) },
);

function topLevel(vg: VolumeGroup): LogicalVolume[] {
  const kinds = lvKinds(vg);
  return vg.lvs.filter((lv) => (kinds.get(lv.name)?.usedBy.length ?? 0) === 0);
}

/** PV of every LE of an LV (linear/striped only: one PV per area per LE). */
function pvsAt(lv: LogicalVolume, le: number): string[] {
  const seg = lv.segments.find((s) => s.startExtent <= le && le < s.startExtent + s.extentCount);
  return seg?.type === "striped" ? seg.areas.map((a) => (a.kind === "pv" ? a.pv : `lv:${a.lv}`)) : [];
}

function pvSetOf(vg: VolumeGroup, lv: LogicalVolume): Set<string> {
  const set = new Set<string>();
  for (let le = 0; le < lvSizeExtents(lv); le++) for (const pv of pvsAt(lv, le)) set.add(pv);
  void vg;
  return set;
}

function totalPes(vg: VolumeGroup): number {
  return vg.pvs.reduce((n, pv) => n + pv.peCount, 0);
}

function usedPes(vg: VolumeGroup): number {
  let used = 0;
  for (const uses of pvUsage(vg).values()) for (const u of uses) used += u.count;
  return used;
}

function checkVg(vg: VolumeGroup): void {
  expect(validateVg(vg)).toEqual([]);
  expect(usedPes(vg) + vgFreeExtents(vg)).toBe(totalPes(vg));
  const once = exportVg(vg);
  expect(exportVg(importVg(once))).toEqual(once);
}

function restrictList(vg: VolumeGroup, restrict: { pv: number; from: number; len: number }[]): PvSelection[] {
  const out: { pv: string; ranges: { pe: number; count: number }[] }[] = [];
  for (const r of restrict) {
    const pv = vg.pvs[r.pv % vg.pvs.length];
    if (!pv) continue;
    const pe = Math.min(r.from, pv.peCount - 1);
    const count = Math.min(r.len, pv.peCount - pe);
    let entry = out.find((e) => e.pv === pv.name);
    if (!entry) {
      entry = { pv: pv.name, ranges: [] };
      out.push(entry);
    }
    if (entry.ranges.some((x) => pe < x.pe + x.count && x.pe < pe + count)) continue;
    entry.ranges.push({ pe, count });
  }
  return out;
}

function inSelection(sel: readonly PvSelection[], pv: string, pe: number): boolean {
  const entry = sel.find((s) => s.pv === pv);
  return !!entry && (entry.ranges ?? []).some((r) => r.pe <= pe && pe < r.pe + r.count);
}

let counter = 0;

function apply(vg: VolumeGroup, op: Op, mutations: Mutations): VolumeGroup {
  if (op.kind === "create") {
    const name = `lv${counter++}`;
    const pvs = op.restrict ? restrictList(vg, op.restrict) : undefined;
    const mirrored = op.mirrors > 1;
    const out = createLv(vg, {
      ...testIds,
      name,
      extents: op.extents * (mirrored ? 1 : op.stripes),
      stripes: mirrored ? 1 : op.stripes,
      mirrors: op.mirrors,
      mirrorLog: op.log,
      policy: op.policy,
      ...(pvs ? { pvs } : {}),
      mutations,
    }).vg;
    const lv = out.lvs.find((l) => l.name === name) as LogicalVolume;
    const expectedSize = op.extents * (mirrored ? 1 : op.stripes);
    expect(lvSizeExtents(lv)).toBe(expectedSize);
    // Extents used grew by exactly what was asked (plus the 1-extent log of a disk-log mirror).
    const grown = usedPes(out) - usedPes(vg);
    expect(grown).toBe(mirrored ? op.extents * op.mirrors + (op.log === "disk" ? 1 : 0) : expectedSize);
    const images = mirrored ? out.lvs.filter((l) => l.name.startsWith(`${name}_mimage_`)) : [lv];
    const effective = op.policy === "inherit" ? vg.allocationPolicy : op.policy;
    if (effective !== "anywhere") {
      // Normal, cling and contiguous never put two parallel areas on one PV.
      for (let le = 0; le < op.extents; le++) {
        const parallel = mirrored ? images.flatMap((im) => pvsAt(im, le)) : pvsAt(lv, le);
        expect(new Set(parallel).size).toBe(parallel.length);
      }
    }
    if (pvs) {
      for (const l of out.lvs) {
        if (l.name !== name && !l.name.startsWith(`${name}_`)) continue;
        for (const seg of l.segments) {
          if (seg.type !== "striped") continue;
          for (const a of seg.areas) {
            if (a.kind !== "pv") continue;
            for (let i = 0; i < seg.extentCount / seg.stripeCount; i++) {
              expect(inSelection(pvs, a.pv, a.pe + i)).toBe(true);
            }
          }
        }
      }
    }
    return out;
  }
  const tops = topLevel(vg).filter((lv) => lv.segments[0]?.type !== "snapshot");
  const target = tops[op.which % Math.max(tops.length, 1)];
  if (!target) return vg;
  if (op.kind === "remove") return removeLvTree(vg, target.name);
  if (op.kind === "reduce") {
    const last = target.segments[target.segments.length - 1];
    const multiple = last?.type === "striped" ? last.stripeCount : 1;
    const cut = op.extents * multiple;
    const out = reduceLv(vg, target.name, { extents: cut });
    const shrunk = out.lvs.find((l) => l.name === target.name) as LogicalVolume;
    expect(lvSizeExtents(shrunk)).toBe(lvSizeExtents(target) - cut);
    // The extents freed are exactly the cut times the parallel areas (stripes are already in `cut`).
    const copies = last?.type === "mirror" ? last.mirrorCount : 1;
    expect(usedPes(vg) - usedPes(out)).toBe(cut * copies);
    return out;
  }
  const stripes = target.segments[target.segments.length - 1];
  const perArea = stripes?.type === "striped" ? stripes.stripeCount : 1;
  const out = extendLv(vg, target.name, {
    extents: op.extents * perArea,
    ...(op.policy ? { policy: op.policy } : {}),
    mutations,
  });
  const grownLv = out.lvs.find((l) => l.name === target.name) as LogicalVolume;
  expect(lvSizeExtents(grownLv)).toBe(lvSizeExtents(target) + op.extents * perArea);
  const policy = op.policy ?? target.allocationPolicy;
  const effective = policy === "inherit" ? vg.allocationPolicy : policy;
  if (stripes?.type === "striped" && effective === "contiguous") {
    // Contiguous: the new extents continue the last segment, so it merges and no segment is added.
    expect(grownLv.segments.length).toBe(target.segments.length);
  }
  if (stripes?.type === "striped" && effective === "cling") {
    const before = pvSetOf(vg, target);
    for (const pv of pvSetOf(out, grownLv)) expect(before.has(pv)).toBe(true);
  }
  return out;
}

function runOps(pvSizes: number[], ops: Op[], mutations: Mutations): void {
  let vg = makeVg(pvSizes);
  counter = 0;
  for (const op of ops) {
    try {
      vg = apply(vg, op, mutations);
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      continue;
    }
    checkVg(vg);
  }
}

const scenario = (mutations: Mutations) =>
  fc.property(
    fc.array(fc.integer({ min: 3, max: 20 }), { minLength: 1, maxLength: 4 }),
    fc.array(opArb, { minLength: 1, maxLength: 12 }),
    (pvSizes, ops) => runOps(pvSizes, ops, mutations),
  );

describe("random create/extend/remove sequences", () => {
  it("always validate and never double-allocate", () => {
    fc.assert(scenario(NO_MUTATIONS), { numRuns: 200, seed: 20261121 });
  });

  it("catch the stale-free-space mutant (the suite can fail)", () => {
    const result = fc.check(scenario(new Set([MUTATION_ALLOC_STALE_FREE_SPACE])), {
      numRuns: 200,
      seed: 20261121,
    });
    expect(result.failed).toBe(true);
  });
});
