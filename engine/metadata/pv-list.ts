/**
 * The list of PVs (and PE ranges) an allocation may use, built from command arguments such as
 * `/dev/loop1` or `/dev/loop1:10-19:30+5` the way `create_pv_list` does (`lib/metadata/pv_list.c`):
 * arguments keep their order, a PV named twice gets both ranges, overlapping ranges are an error,
 * and with `allocatableOnly` non-allocatable, missing and full PVs are skipped.
 */

import { type PeRange, pvFreeExtents } from "./extent-map.js";
import type { PhysicalVolume, VolumeGroup } from "./model.js";

/** One PV an allocation may use, restricted to `ranges` (the whole PV when absent). */
export interface PvSelection {
  readonly pv: string;
  readonly ranges?: readonly PeRange[];
}

/** Every PV of the VG, in VG order, unrestricted: what commands use when no PV is named. */
export function allPvs(vg: VolumeGroup): PvSelection[] {
  return vg.pvs.map((pv) => ({ pv: pv.name }));
}

function parseRanges(spec: string, pv: PhysicalVolume, arg: string, into: PeRange[]): void {
  const size = pv.peCount;
  const fail = (why: string): never => {
    throw new Error(
      `Physical extent parsing error in ${JSON.stringify(arg)}: ${why}; use PV:START-END or PV:START+COUNT`,
    );
  };
  let c = spec;
  while (c.length > 0) {
    if (!c.startsWith(":")) fail(`expected ":" at ${JSON.stringify(c)}`);
    c = c.slice(1);
    if (c === "" || c.startsWith(":")) fail("empty range");
    let start = 0;
    let end = size - 1;
    const startMatch = /^\d+/.exec(c);
    if (startMatch) {
      start = Number(startMatch[0]);
      c = c.slice(startMatch[0].length);
      if (c === "" || c.startsWith(":")) end = start;
    }
    if (c.startsWith("-")) {
      c = c.slice(1);
      const m = /^\d+/.exec(c);
      if (m) {
        end = Number(m[0]);
        c = c.slice(m[0].length);
      }
    } else if (c.startsWith("+")) {
      c = c.slice(1);
      const m = /^\d+/.exec(c);
      if (m) {
        const len = Number(m[0]);
        end = start + (len > 0 ? len - 1 : 0);
        c = c.slice(m[0].length);
      }
    }
    if (c !== "" && !c.startsWith(":")) fail(`unexpected ${JSON.stringify(c)}`);
    if (start > end || end > size - 1) {
      throw new Error(
        `PE range error in ${JSON.stringify(arg)}: start extent ${start} to end extent ${end} (the PV has ${size} extents); give a range within 0-${size - 1}`,
      );
    }
    addRange(into, { pe: start, count: end - start + 1 }, arg);
  }
}

function addRange(list: PeRange[], range: PeRange, arg: string): void {
  for (const r of list) {
    if (range.pe <= r.pe + r.count - 1 && r.pe <= range.pe + range.count - 1) {
      throw new Error(
        `Overlapping PE ranges specified (${range.pe}-${range.pe + range.count - 1}, ${r.pe}-${r.pe + r.count - 1}) in ${JSON.stringify(arg)}; give each extent once`,
      );
    }
  }
  list.push(range);
}

/**
 * Builds the allocatable PV list from device arguments (`/dev/x`, `/dev/x:10-19`), in argument order.
 * Devices are matched against the PVs' device hints.
 */
export function createPvList(
  vg: VolumeGroup,
  args: readonly string[],
  options: { allocatableOnly?: boolean } = {},
): PvSelection[] {
  const out: { pv: string; ranges: PeRange[] }[] = [];
  for (const arg of args) {
    const colon = arg.indexOf(":");
    const device = colon < 0 ? arg : arg.slice(0, colon);
    const pv = vg.pvs.find((p) => p.deviceHint === device || p.name === device);
    if (!pv) {
      throw new Error(
        `Physical Volume "${device}" not found in Volume Group "${vg.name}"; name one of its PVs`,
      );
    }
    if (options.allocatableOnly) {
      // LVM2 warns and skips these rather than failing the command.
      if (!pv.status.includes("ALLOCATABLE") || pv.status.includes("MISSING")) continue;
      if (pvFreeExtents(vg, pv.name) === 0) continue;
    }
    let entry = out.find((e) => e.pv === pv.name);
    if (!entry) {
      entry = { pv: pv.name, ranges: [] };
      out.push(entry);
    }
    if (colon < 0) addRange(entry.ranges, { pe: 0, count: pv.peCount }, arg);
    else parseRanges(arg.slice(colon), pv, arg, entry.ranges);
  }
  return out;
}
