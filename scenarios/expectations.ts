/**
 * The checks a scenario's `expect` asks for, run after recovery. Each returns one line per
 * violation, naming the LV, PV or class that broke it, so a failing case says why at a glance.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { BlockDevice } from "../engine/block/device.js";
import { isBlockDeviceError } from "../engine/block/errors.js";
import { readPagesFrom } from "../engine/block/mod.js";
import type { ScanResult } from "../engine/format/mod.js";
import { deviceMapperOf } from "../engine/lvm/activation/activate.js";
import { dmName } from "../engine/lvm/activation/dm-name.js";
import { segType } from "../engine/lvm/report/fields.js";
import { findVg, scanHost } from "../engine/lvm/vg-read.js";
import { pvFreeExtents } from "../engine/metadata/extent-map.js";
import type { Machine } from "./machine.js";
import { checkRaidLegs, checkRaidMismatches } from "./raid-expectations.js";
import type { VerifyCounts } from "./records.js";
import type { Expectations } from "./schema.js";
import { checkThinPools } from "./thin-expectations.js";

/**
 * What the checks need of a running case (the executor's case state provides it); declared here
 * so this module does not import the executor that calls it.
 */
export interface ExpectationContext {
  readonly machine: Pick<Machine, "host">;
  /** The active device of vg/lv, activating it when needed. */
  device(path: string): BlockDevice;
  readonly lvmLog: readonly string[];
}

/** What the checks look at. */
export interface ExpectationInput {
  readonly state: ExpectationContext;
  readonly verify: VerifyCounts;
  readonly crashed: boolean;
  /** The case runs at an explored crash point (the scenario's own faults were replaced). */
  readonly explored?: boolean;
}

const DAMAGE = ["lost", "stale", "torn", "misdirected", "corrupt", "unreadable"] as const;
const CHUNK_BYTES = 1 << 20;

function deviceDigest(device: BlockDevice): string {
  const hash = createHash("sha256");
  const buffer = new Uint8Array(CHUNK_BYTES);
  for (let offset = 0; offset < device.sizeBytes; offset += CHUNK_BYTES) {
    const view = buffer.subarray(0, Math.min(CHUNK_BYTES, device.sizeBytes - offset));
    device.read(offset, view);
    hash.update(view);
  }
  return hash.digest("hex");
}

/**
 * Every metadata area of every present member PV must hold the VG's chosen copy (or be ignored):
 * `vg.inconsistent` only sees areas the scan could attach to the VG, so an area a write skipped
 * (still empty, or an older copy on the second area of a PV) would otherwise pass unnoticed.
 */
function staleMetadataAreas(result: ScanResult): string[] {
  const failures: string[] = [];
  for (const vg of result.vgs) {
    const members = new Set(vg.summary.pvs.map((pv) => pv.pvUuid));
    for (const pv of result.pvs) {
      if (!members.has(pv.header.pvUuid)) continue;
      for (const mda of pv.mdas) {
        if (mda.state === "ignored" || (mda.state === "good" && mda.seqno === vg.seqno)) continue;
        const held = mda.state === "good" ? `seqno ${mda.seqno}` : mda.state;
        failures.push(
          `VG ${vg.vgName}: ${mda.device} mda${mda.mdaIndex + 1} holds ${held}, not the VG's seqno ${vg.seqno}, after recovery`,
        );
      }
    }
  }
  return failures;
}

const PAGE_BYTES = 4096;
// Legs up to this size are compared as pages (held in memory); larger ones by digest.
const LEG_PAGES_MAX_BYTES = 256 << 20;

/**
 * A leg's contents for comparison: its pages, read in the same 1 MiB requests a digest reads (so
 * the same I/O reaches the disks), or its digest when it is too large to hold. Pages a resync
 * copied are the same objects on both legs, so comparing legs mostly compares references.
 */
function legContents(device: BlockDevice): string | Uint8Array[] {
  if (device.sizeBytes % PAGE_BYTES !== 0 || device.sizeBytes > LEG_PAGES_MAX_BYTES)
    return deviceDigest(device);
  const pages: Uint8Array[] = [];
  for (let offset = 0; offset < device.sizeBytes; offset += CHUNK_BYTES) {
    for (const page of readPagesFrom(device, offset, Math.min(CHUNK_BYTES, device.sizeBytes - offset)).pages)
      pages.push(page);
  }
  return pages;
}

function sameContents(a: string | Uint8Array[], b: string | Uint8Array[]): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && !Buffer.from(x.buffer, x.byteOffset, x.length).equals(y)) return false;
  }
  return true;
}

/** Runs every check the scenario asks for; returns the violations. */
export function checkExpectations(expect: Expectations, input: ExpectationInput): string[] {
  const failures: string[] = [];
  const { state, verify } = input;
  const host = state.machine.host;
  for (const kind of DAMAGE) {
    // damageAbsent outranks tolerates: own-cut expectations may forbid what every point tolerates.
    const absent = expect.damageAbsent.includes(kind);
    const allowed =
      !absent &&
      (expect.detects.includes(kind) || expect.tolerates.includes(kind) || expect.damageSeen.includes(kind));
    if (verify[kind] > 0 && (absent || (expect.noAcknowledgedDataLost && !allowed))) {
      failures.push(`${verify[kind]} ${kind} block(s) after recovery: acknowledged data was not preserved`);
    }
  }
  for (const kind of expect.detects) {
    if (verify[kind] === 0)
      failures.push(`expected the oracle to detect ${kind} blocks, found none (damage went unnoticed)`);
  }
  if (input.explored !== true) {
    for (const kind of expect.damageSeen) {
      if (verify[kind] === 0)
        failures.push(
          `expected the fault to leave ${kind} blocks, found none (the fault did nothing visible)`,
        );
    }
  }
  const scan = scanHost(host);
  if (expect.metadataConsistent) {
    for (const vg of scan.result.vgs) {
      if (vg.inconsistent)
        failures.push(`VG ${vg.vgName}: metadata copies disagree after recovery (seqno ${vg.seqno})`);
    }
    const warnings = scan.result.warnings.filter((w) => !/Couldn't find device|is missing PV/.test(w));
    if (warnings.length > 0) failures.push(`metadata warnings after recovery: ${warnings[0]}`);
    failures.push(...staleMetadataAreas(scan.result));
  }
  const vgs = new Map(scan.result.vgs.map((v) => [v.vgName, findVg(scan, v.vgName)!]));
  const lvOf = (path: string) => {
    const [vgName, lvName] = path.split("/") as [string, string];
    const handle = vgs.get(vgName);
    return { handle, lv: handle?.vg.lvs.find((l) => l.name === lvName), vgName, lvName };
  };
  for (const path of expect.mirrorLegsIdentical) {
    const { handle, lv, vgName, lvName } = lvOf(path);
    if (handle === undefined || lv === undefined) {
      failures.push(`mirror ${path} does not exist after recovery`);
      continue;
    }
    state.device(path);
    const seg = lv.segments[0];
    if (seg?.type !== "mirror") {
      failures.push(`${path} is not a mirror after recovery (segment type ${seg?.type ?? "none"})`);
      continue;
    }
    const contents = seg.areas.map((area) => {
      const name = area.kind === "lv" ? dmName(vgName, area.lv) : `${vgName}/${lvName}`;
      const device = deviceMapperOf(host).device(name);
      return device === undefined ? `(no device ${name})` : legContents(device);
    });
    if (contents.length === 0 || contents.some((legs) => !sameContents(legs, contents[0]!)))
      failures.push(`mirror ${path}: legs differ after resync`);
  }
  for (const path of expect.raidLegsIdentical) failures.push(...checkRaidLegs(host, path, "identical"));
  for (const [path, want] of Object.entries(expect.raidMismatches)) {
    failures.push(...checkRaidMismatches(host, path, want));
  }
  for (const path of expect.raidDivergenceOnlyInDirtyRegions) {
    failures.push(...checkRaidLegs(host, path, "dirty-only"));
  }
  for (const path of expect.snapshotInvalid) {
    try {
      const device = state.device(path);
      device.read(0, new Uint8Array(512));
      failures.push(`snapshot ${path} still reads after recovery; expected it invalidated`);
    } catch (error) {
      if (!isBlockDeviceError(error, "EIO")) failures.push(`snapshot ${path}: ${(error as Error).message}`);
    }
  }
  if (expect.noPvmoveLeft) {
    for (const [, handle] of vgs) {
      for (const lv of handle.vg.lvs) {
        if (lv.status.includes("PVMOVE") || /^pvmove\d+$/.test(lv.name)) {
          failures.push(`${handle.vg.name}/${lv.name} is left over after recovery`);
        }
        if (lv.status.includes("LOCKED"))
          failures.push(`${handle.vg.name}/${lv.name} is still LOCKED after recovery`);
      }
    }
  }
  for (const device of expect.pvsEmpty) {
    for (const [, handle] of vgs) {
      const pv = handle.vg.pvs.find((p) => p.deviceHint === device);
      if (pv === undefined) continue;
      const used = pv.peCount - pvFreeExtents(handle.vg, pv.name);
      if (used > 0) failures.push(`PV ${device} still holds ${used} allocated extent(s) after recovery`);
    }
  }
  for (const [path, expected] of Object.entries(expect.segtypes)) {
    const { lv } = lvOf(path);
    const found = lv?.segments.map(segType);
    if (found === undefined) failures.push(`${path} does not exist after recovery`);
    else if (found.join(",") !== expected.join(",")) {
      failures.push(`${path} has segment types ${found.join(",")}, expected ${expected.join(",")}`);
    }
  }
  for (const [path, extents] of Object.entries(expect.lvExtents)) {
    const { lv } = lvOf(path);
    const found = lv?.segments.reduce((sum, seg) => sum + seg.extentCount, 0);
    if (found !== extents)
      failures.push(`${path} has ${found ?? "no"} extents after recovery, expected ${extents}`);
  }
  failures.push(...checkThinPools(expect, host));
  const log = state.lvmLog.join("\n");
  for (const text of expect.messages) {
    if (!log.includes(text)) failures.push(`expected the commands to print "${text}"`);
  }
  return failures;
}
