/**
 * A small machine for pvmove crash exploration: three PVs (MemoryDevice media behind VolatileCache
 * disks), a 3-segment LV `lv0` on pv0 with gaps between its segments, filled with stamped data,
 * and a seeded writer with flushes whose expected content is modeled per sector. A run can be
 * halted (a power cut) at the Nth trace event or the Nth block write after the move starts;
 * recovery reboots a fresh Host over what persisted and resumes or aborts the move.
 */

import { VolatileCache } from "../../../../engine/block/cache.js";
import type { CrashPolicy } from "../../../../engine/block/crash-state.js";
import {
  type BlockDevice,
  emptyIoStats,
  type IoOptions,
  type WriteOptions,
} from "../../../../engine/block/device.js";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import { activateLv, deviceMapperOf } from "../../../../engine/lvm/activation/activate.js";
import { Host } from "../../../../engine/lvm/host.js";
import { CommandOutput } from "../../../../engine/lvm/output.js";
import { configurePvmove } from "../../../../engine/lvm/pvmove/kernel.js";
import { runLvm } from "../../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../../engine/lvm/vg-read.js";
import { writeVg } from "../../../../engine/lvm/vg-write.js";
import { pvUsage } from "../../../../engine/metadata/extent-map.js";
import type { LogicalVolume, VolumeGroup } from "../../../../engine/metadata/model.js";
import { isSimulationHalt, SimulationHalt } from "../../../../engine/sim/halt.js";
import type { Mutations } from "../../../../engine/sim/mutations.js";
import { Rng } from "../../../../engine/sim/rng.js";
import { Trace } from "../../../../engine/sim/trace.js";

const MiB = 1024 * 1024;
const SECTOR = 512;
const BLOCK = 4096;
const MAGIC = 0x70766d76; // "pvmv"
const PV_NAMES = ["pv0", "pv1", "pv2"] as const;
/** lv0 is 3 segments of 3 extents of 256 KiB: each segment is two mirror regions (512 + 256 KiB). */
export const LV_EXTENTS = 9;
const EXTENT_BYTES = 256 * 1024;
const LV_BYTES = LV_EXTENTS * EXTENT_BYTES;
const SYNC_BYTES_PER_SECOND = 4 * MiB;
const WRITES = 30;
const FLUSH_EVERY = 4;
const WRITE_GAP_NS = 120_000_000;
const BOUND_EVENTS = 2_000_000;

/** Where to cut the power in a run (indices count from 1, from the `pvmove` command on). */
export type CutPoint =
  | { readonly kind: "event"; readonly index: number }
  | { readonly kind: "write"; readonly index: number };

/** Counts block writes and cuts the power before the Nth one reaches the disk. */
class CuttableDisk implements BlockDevice {
  readonly stats = emptyIoStats();
  constructor(
    readonly inner: VolatileCache,
    readonly counter: { writes: number; cutAt: number | undefined; armed: boolean },
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    return this.inner.read(offsetBytes, dst, options);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    if (this.counter.armed) {
      this.counter.writes += 1;
      if (this.counter.writes === this.counter.cutAt) {
        throw new SimulationHalt("power-cut", `block write #${this.counter.writes} to ${this.name}`);
      }
    }
    return this.inner.write(offsetBytes, data, options);
  }
  flush(options?: IoOptions): number {
    return this.inner.flush(options);
  }
  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number {
    return this.inner.discard(offsetBytes, lengthBytes, options);
  }
}

/** One 512-byte sector of lv0 stamped with its block, sector and write generation. */
function stampSector(into: Uint8Array, at: number, sector: number, gen: number): void {
  const view = new DataView(into.buffer, into.byteOffset + at, SECTOR);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, sector, true);
  view.setUint32(8, gen, true);
  view.setUint32(12, (Math.imul(sector, 2654435761) ^ Math.imul(gen + 1, 40503)) >>> 0, true);
  for (let i = 16; i < SECTOR; i += 4) view.setUint32(i, (sector * 31 + gen * 7 + i) >>> 0, true);
}

function readStamp(buf: Uint8Array, at: number, sector: number): number | string {
  const view = new DataView(buf.buffer, buf.byteOffset + at, SECTOR);
  if (view.getUint32(0, true) !== MAGIC)
    return `no stamp (first word 0x${view.getUint32(0, true).toString(16)})`;
  if (view.getUint32(4, true) !== sector) return `stamp of sector ${view.getUint32(4, true)} (misdirected)`;
  const gen = view.getUint32(8, true);
  if (view.getUint32(12, true) !== (Math.imul(sector, 2654435761) ^ Math.imul(gen + 1, 40503)) >>> 0) {
    return `bad check word for gen ${gen}`;
  }
  for (let i = 16; i < SECTOR; i += 4) {
    if (view.getUint32(i, true) !== (sector * 31 + gen * 7 + i) >>> 0)
      return `torn inside sector (gen ${gen})`;
  }
  return gen;
}

/** Per-sector write history: generations in order and which of them a completed flush made durable. */
export class SectorModel {
  /** For each sector: generations written after the last durable one (index 0 is the durable one). */
  readonly #history = new Map<number, number[]>();
  readonly #acked: number[] = [];

  /** Records a write of `gen` to every sector of block `block` (before it is issued). */
  issue(block: number, gen: number): void {
    for (let s = 0; s < BLOCK / SECTOR; s++) {
      const sector = block * (BLOCK / SECTOR) + s;
      const list = this.#history.get(sector) ?? [0];
      list.push(gen);
      this.#history.set(sector, list);
    }
  }

  /** Records that the write of `block` was acknowledged. */
  ack(block: number): void {
    this.#acked.push(block);
  }

  /** A completed flush: every acknowledged write is durable, older generations no longer allowed. */
  flushed(): void {
    for (const block of this.#acked) {
      for (let s = 0; s < BLOCK / SECTOR; s++) {
        const sector = block * (BLOCK / SECTOR) + s;
        const list = this.#history.get(sector);
        // The newest acknowledged write wins; anything issued after it stays allowed.
        if (list !== undefined && list.length > 1) this.#history.set(sector, list.slice(-1));
      }
    }
    this.#acked.length = 0;
  }

  /** Generations a sector may hold after a crash. */
  allowed(sector: number): readonly number[] {
    return this.#history.get(sector) ?? [0];
  }

  /** The newest generation of a sector (what a run without a crash ends with). */
  latest(sector: number): number {
    const list = this.#history.get(sector);
    return list === undefined ? 0 : list[list.length - 1]!;
  }
}

/** The prepared media: VG and lv0 made and filled, everything flushed. Clone per run. */
export function prepareMedia(): MemoryDevice[] {
  const media = PV_NAMES.map((n) => new MemoryDevice(n, 16 * MiB));
  const disks = media.map((m) => new VolatileCache(m));
  const host = new Host({ devices: disks.map((d) => [d.name, d] as const), seed: "pvmove-crash" });
  const lines = [
    "pvcreate pv0 pv1 pv2",
    "vgcreate -s 256k vg0 pv0 pv1 pv2",
    // Extensions interleaved with other LVs give lv0 three segments that cannot merge; the gap LVs
    // go again so that pv0 holds lv0 alone.
    "lvcreate -an -Zn -l 3 -n lv0 vg0 pv0",
    "lvcreate -an -Zn -l 1 -n gap1 vg0 pv0",
    "lvextend -l +3 vg0/lv0 pv0",
    "lvcreate -an -Zn -l 1 -n gap2 vg0 pv0",
    "lvextend -l +3 vg0/lv0 pv0",
    "lvremove -f vg0/gap1",
    "lvremove -f vg0/gap2",
  ];
  for (const line of lines) {
    const result = runLvm(host, line.split(" "));
    if (result.exitCode !== 0) throw new Error(`${line} failed: ${result.stderr}`);
  }
  const vg = findVg(scanHost(host), "vg0")!.vg;
  const lv0 = vg.lvs.find((lv) => lv.name === "lv0")!;
  if (lv0.segments.length !== 3) throw new Error(`lv0 has ${lv0.segments.length} segments, expected 3`);
  const device = activateLv(host, vg, "lv0").device;
  const chunk = new Uint8Array(EXTENT_BYTES);
  for (let offset = 0; offset < LV_BYTES; offset += EXTENT_BYTES) {
    for (let at = 0; at < EXTENT_BYTES; at += SECTOR) stampSector(chunk, at, (offset + at) / SECTOR, 0);
    device.write(offset, chunk);
  }
  device.flush();
  for (const d of disks) d.flush();
  return media;
}

/** What one run (up to the cut, or to the end) did. */
export interface RunResult {
  readonly halted: SimulationHalt | undefined;
  readonly model: SectorModel;
  /** Trace events and block writes seen after arming. */
  readonly events: number;
  readonly writes: number;
  /** Whether every workload write and its final flush completed. */
  readonly workloadDone: boolean;
  readonly media: MemoryDevice[];
  readonly disks: VolatileCache[];
}

/** Options of a run. */
export interface RunOptions {
  readonly cut?: CutPoint;
  readonly mutations?: Mutations;
}

/** Runs `pvmove -b` of pv0 to pv1 under the seeded writer on fresh clones of `base`. */
export function runMove(base: readonly MemoryDevice[], options: RunOptions = {}): RunResult {
  const media = base.map((m) => m.clone());
  const disks = media.map((m) => new VolatileCache(m));
  const counter = {
    writes: 0,
    cutAt: options.cut?.kind === "write" ? options.cut.index : undefined,
    armed: false,
  };
  const trace = new Trace();
  let events = 0;
  trace.subscribe((event) => {
    if (!counter.armed) return;
    events += 1;
    if (options.cut?.kind === "event" && events === options.cut.index) {
      throw new SimulationHalt("power-cut", `${event.name}#${event.occurrence}`);
    }
  });
  const host = new Host({
    devices: disks.map((d) => [d.name, new CuttableDisk(d, counter)] as const),
    seed: "pvmove-crash-run",
    trace,
    ...(options.mutations ? { mutations: options.mutations } : {}),
  });
  configurePvmove(host, { syncSpeedBytesPerSecond: SYNC_BYTES_PER_SECOND, pollingIntervalSeconds: 1 });
  const model = new SectorModel();
  let workloadDone = false;
  let halted: SimulationHalt | undefined;
  try {
    counter.armed = true;
    const result = runLvm(host, ["pvmove", "-b", "-i", "1", "pv0", "pv1"]);
    if (result.exitCode !== 0) throw new Error(`pvmove failed: ${result.stderr}`);
    const vg = findVg(scanHost(host), "vg0")!.vg;
    const lv0 = vg.lvs.find((lv) => lv.name === "lv0")!;
    const device = deviceMapperOf(host).lv(lv0.id)?.device;
    if (device === undefined) throw new Error("lv0 is not active after pvmove started");
    const rng = Rng.fromSeed("pvmove-writer");
    const buf = new Uint8Array(BLOCK);
    const blocks = LV_BYTES / BLOCK;
    for (let i = 0; i < WRITES; i++) {
      const gen = i + 1;
      host.scheduler.after((i + 1) * WRITE_GAP_NS, (nowNs) => {
        const block = Math.floor(rng.next() * blocks);
        for (let s = 0; s < BLOCK / SECTOR; s++) stampSector(buf, s * SECTOR, block * 8 + s, gen);
        model.issue(block, gen);
        device.write(block * BLOCK, buf, { issueNs: nowNs });
        model.ack(block);
        if (gen % FLUSH_EVERY === 0 || gen === WRITES) {
          device.flush({ issueNs: nowNs });
          model.flushed();
          if (gen === WRITES) workloadDone = true;
        }
      });
    }
    const ran = host.scheduler.run();
    if (ran >= BOUND_EVENTS) throw new Error(`run took ${ran} events`);
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    halted = error;
  }
  counter.armed = false;
  return { halted, model, events, writes: counter.writes, workloadDone, media, disks };
}

/** How recovery goes after the cut. */
export type Recovery = "resume" | "abort";

/** What recovery ended with. */
export interface Recovered {
  readonly vg: VolumeGroup;
  readonly lv0: LogicalVolume;
  /** lv0's LE → `pv:pe` before recovery ran (from the committed metadata after the reboot). */
  readonly expectedAfterAbort: ReadonlyMap<number, string>;
  readonly orphanRemoved: boolean;
  /** The move had not reached the disks (no pvmove LV after the reboot) and was run again. */
  readonly rerun: boolean;
  readonly data: Uint8Array;
  readonly log: string[];
}

function lvPlacement(vg: VolumeGroup, lv: LogicalVolume): Map<number, string> {
  const out = new Map<number, string>();
  const resolve = (name: string, le: number, depth: number): string => {
    const target = vg.lvs.find((l) => l.name === name);
    const seg = target?.segments.find((s) => s.startExtent <= le && le < s.startExtent + s.extentCount);
    if (target === undefined || seg === undefined || depth > 4) return `?${name}:${le}`;
    if (seg.type !== "striped" && seg.type !== "mirror") return `${seg.type}`;
    const pick = (() => {
      if (seg.type !== "mirror") return seg.areas[0]!;
      // A pvmove segment: moved keeps the destination, anything else the source (the abort rule).
      return (seg.extentsMoved ?? 0) >= seg.extentCount ? seg.areas[1]! : seg.areas[0]!;
    })();
    const offset = le - seg.startExtent;
    return pick.kind === "pv"
      ? `${pick.pv}:${pick.pe + offset}`
      : resolve(pick.lv, pick.le + offset, depth + 1);
  };
  for (let le = 0; le < LV_EXTENTS; le++) out.set(le, resolve(lv.name, le, 0));
  return out;
}

/** Placement of lv0 extents as `pv:pe`, following layers the way an abort would resolve them. */
export function placementOf(vg: VolumeGroup, lvName: string): Map<number, string> {
  const lv = vg.lvs.find((l) => l.name === lvName);
  if (lv === undefined) throw new Error(`${lvName} not in ${vg.name}`);
  return lvPlacement(vg, lv);
}

/** Recovery could not start: no readable copy of the VG metadata survived the cut. */
export class MetadataLost extends Error {
  override readonly name = "MetadataLost";
}

/** The policy for one disk: seeded policies get a per-disk seed so the disks do not tear alike. */
function policyFor(policy: CrashPolicy, disk: string): CrashPolicy {
  if (policy.kind === "subset" || policy.kind === "torn")
    return { kind: policy.kind, seed: `${policy.seed}-${disk}` };
  return policy;
}

/** Cuts the power on every disk (`policy`), reboots a fresh Host over the media and recovers. */
export function recover(run: RunResult, how: Recovery, policy: CrashPolicy): Recovered {
  for (const disk of run.disks) disk.powerCut(policyFor(policy, disk.name));
  const disks = run.media.map((m) => new VolatileCache(m));
  const host = new Host({ devices: disks.map((d) => [d.name, d] as const), seed: "pvmove-crash-reboot" });
  configurePvmove(host, { syncSpeedBytesPerSecond: SYNC_BYTES_PER_SECOND, pollingIntervalSeconds: 1 });
  const log: string[] = [];
  const lvm = (line: string): void => {
    const result = runLvm(host, line.split(" "));
    log.push(`$ ${line} [${result.exitCode}]`, result.stdout.trimEnd(), result.stderr.trimEnd());
    if (result.exitCode !== 0) throw new Error(`${line} failed:\n${log.join("\n")}`);
  };
  const before = findVg(scanHost(host), "vg0")?.vg;
  if (before === undefined) throw new MetadataLost("No readable vg0 metadata after the cut");
  const expectedAfterAbort = placementOf(before, "lv0");
  const hadMove = before.lvs.some((lv) => lv.status.includes("PVMOVE"));
  let rerun = false;
  if (how === "resume") {
    lvm("vgchange -ay vg0");
    host.scheduler.run();
    const after = findVg(scanHost(host), "vg0")!.vg;
    if (!hadMove && (pvUsage(after).get("pv0") ?? []).length > 0) {
      // The setup commit never reached a disk: the operator starts the move again.
      lvm("pvmove -i 0 pv0 pv1");
      rerun = true;
    }
  } else {
    lvm("vgchange -ay --poll n vg0");
    lvm("pvmove --abort");
  }
  host.scheduler.run();
  let vg = findVg(scanHost(host), "vg0")!.vg;
  // A cut between finish writes A and B leaves LVM2's orphan: a hidden, unused `error` LV. The
  // operator removes it (lvremove); lvmlab's lvremove refuses hidden LVs, so write the same change.
  let orphanRemoved = false;
  const orphan = vg.lvs.find((lv) => lv.name.startsWith("pvmove"));
  if (
    orphan !== undefined &&
    !orphan.status.includes("PVMOVE") &&
    orphan.segments.every((s) => s.type === "error") &&
    !vg.lvs.some((lv) =>
      lv.segments.some(
        (s) => s.type === "striped" && s.areas.some((a) => a.kind === "lv" && a.lv === orphan.name),
      ),
    )
  ) {
    const out = new CommandOutput();
    vg = writeVg({ host, out, commandLine: `lvremove vg0/${orphan.name}` }, scanHost(host), {
      ...vg,
      lvs: vg.lvs.filter((lv) => lv !== orphan),
    });
    orphanRemoved = true;
  }
  vg = findVg(scanHost(host), "vg0")!.vg;
  const lv0 = vg.lvs.find((lv) => lv.name === "lv0")!;
  const dm = deviceMapperOf(host);
  const device = dm.lv(lv0.id)?.device ?? activateLv(host, vg, "lv0").device;
  const data = new Uint8Array(LV_BYTES);
  device.read(0, data);
  return { vg, lv0, expectedAfterAbort, orphanRemoved, rerun, data, log };
}

/** Problems with a recovered machine; empty when it is right. */
export function checkRecovered(
  run: RunResult,
  recovered: Recovered,
  how: Recovery,
  reference?: Uint8Array,
): string[] {
  const problems: string[] = [];
  const { vg, lv0, data } = recovered;
  if (vg.lvs.length !== 1 || vg.lvs[0]?.name !== "lv0") {
    problems.push(`LVs left: ${vg.lvs.map((lv) => lv.name).join(", ")}`);
  }
  if (lv0.status.includes("LOCKED")) problems.push("lv0 is still LOCKED");
  if (lv0.segments.some((s) => s.type !== "striped" || s.areas.some((a) => a.kind !== "pv"))) {
    problems.push("lv0 does not map straight onto PVs");
  }
  const usage = pvUsage(vg);
  let allocated = 0;
  for (const [pv, uses] of usage) {
    let end = -1;
    for (const use of uses) {
      if (use.pe <= end) problems.push(`${pv} extent ${use.pe} is allocated twice`);
      end = Math.max(end, use.pe + use.count - 1);
      allocated += use.count;
    }
  }
  if (allocated !== LV_EXTENTS)
    problems.push(`${allocated} extents allocated, expected ${LV_EXTENTS} (leak)`);
  const placement = placementOf(vg, "lv0");
  if (how === "resume") {
    const onSource = (usage.get("pv0") ?? []).length;
    if (onSource > 0) problems.push(`pv0 still holds ${onSource} allocations after resume`);
  } else {
    for (const [le, where] of recovered.expectedAfterAbort) {
      if (placement.get(le) !== where)
        problems.push(`after abort lv0 LE ${le} is on ${placement.get(le)}, expected ${where}`);
    }
  }
  let bad = 0;
  for (let sector = 0; sector < LV_BYTES / SECTOR; sector++) {
    const found = readStamp(data, sector * SECTOR, sector);
    const allowed = run.model.allowed(sector);
    const okNow = typeof found === "number" && allowed.includes(found);
    const matchesReference =
      reference === undefined || !run.workloadDone || compareSector(data, reference, sector);
    if (!okNow || !matchesReference) {
      bad += 1;
      if (bad <= 3) {
        problems.push(
          `lv0 sector ${sector}: found ${typeof found === "number" ? `gen ${found}` : found}, allowed ${allowed.join("/")}${matchesReference ? "" : " (differs from the uncut run)"}`,
        );
      }
    }
  }
  if (bad > 3) problems.push(`… ${bad} bad sectors in all`);
  return problems;
}

function compareSector(a: Uint8Array, b: Uint8Array, sector: number): boolean {
  const at = sector * SECTOR;
  for (let i = 0; i < SECTOR; i++) if (a[at + i] !== b[at + i]) return false;
  return true;
}
