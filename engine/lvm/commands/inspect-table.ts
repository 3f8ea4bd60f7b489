/**
 * `lvmlab inspect --table`: the `dmsetup table` text of every LV of the images, as activation would
 * load it. Activation writes (a disk log's resume rewrites its header, a new snapshot store writes
 * its header), so the tables are built on a machine whose disks are copy-on-write overlays of the
 * real ones: the images are only ever read.
 */
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "../../block/device.js";
import { emptyIoStats } from "../../block/device.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { isSimulationHalt } from "../../sim/halt.js";
import { activateLv, dmsetupTable } from "../activation/activate.js";
import { Host } from "../host.js";
import { findVg, scanHost, vgNames } from "../vg-read.js";

/** Overlay page size: writes copy whole pages up from the device below. */
const PAGE_BYTES = 4096;
/** Most overlay pages one inspection may dirty (64 MiB); activation writes a few KiB per LV. */
export const OVERLAY_PAGES_MAX = 16_384;

/** A read-only device with an in-memory copy-on-write layer on top: writes never reach `lower`. */
export class OverlayDevice implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  readonly #pages = new Map<number, Uint8Array>();

  constructor(readonly lower: BlockDevice) {}

  get name(): string {
    return this.lower.name;
  }

  get sizeBytes(): number {
    return this.lower.sizeBytes;
  }

  /** Pages written so far. */
  get dirtyPages(): number {
    return this.#pages.size;
  }

  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    const done = this.lower.read(offsetBytes, dst, options);
    if (this.#pages.size === 0) return done;
    const first = Math.floor(offsetBytes / PAGE_BYTES);
    const last = Math.floor((offsetBytes + dst.byteLength - 1) / PAGE_BYTES);
    for (let page = first; page <= last; page++) {
      const data = this.#pages.get(page);
      if (data === undefined) continue;
      const from = Math.max(offsetBytes, page * PAGE_BYTES);
      const to = Math.min(offsetBytes + dst.byteLength, (page + 1) * PAGE_BYTES);
      dst.set(data.subarray(from - page * PAGE_BYTES, to - page * PAGE_BYTES), from - offsetBytes);
    }
    this.stats.readOps += 1;
    this.stats.readBytes += dst.byteLength;
    return done;
  }

  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    const first = Math.floor(offsetBytes / PAGE_BYTES);
    const last = Math.floor((offsetBytes + data.byteLength - 1) / PAGE_BYTES);
    for (let page = first; page <= last; page++) {
      let copy = this.#pages.get(page);
      if (copy === undefined) {
        if (this.#pages.size >= OVERLAY_PAGES_MAX) {
          throw new Error(
            `Overlay over ${this.name} is full (${OVERLAY_PAGES_MAX} pages); inspect --table writes more than activation should`,
          );
        }
        copy = new Uint8Array(PAGE_BYTES);
        this.lower.read(
          page * PAGE_BYTES,
          copy.subarray(0, Math.min(PAGE_BYTES, this.sizeBytes - page * PAGE_BYTES)),
        );
        this.#pages.set(page, copy);
      }
      const from = Math.max(offsetBytes, page * PAGE_BYTES);
      const to = Math.min(offsetBytes + data.byteLength, (page + 1) * PAGE_BYTES);
      copy.set(data.subarray(from - offsetBytes, to - offsetBytes), from - page * PAGE_BYTES);
    }
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    return options?.issueNs ?? 0;
  }

  flush(options?: IoOptions): number {
    this.stats.flushOps += 1;
    return options?.issueNs ?? 0;
  }

  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number {
    // Discarded data reads as zeros from here on, in the overlay only.
    return this.write(offsetBytes, new Uint8Array(lengthBytes), options);
  }
}

/** What {@link inspectTables} found. */
export interface InspectTables {
  /** `dmsetup table` lines (`name: start length target args`) of every device built. */
  readonly text: string;
  /** LVs whose tables could not be built, with the reason. */
  readonly problems: readonly string[];
  /** Writes activation made that the overlays absorbed (they never reached the images). */
  readonly writesAbsorbed: number;
}

/**
 * Activates every visible LV of every VG on the host's devices, on overlays, with no background
 * work started, and returns the tables. The host's own devices are never written.
 */
export function inspectTables(host: Host): InspectTables {
  const overlays = [...host.devices].map(([name, device]) => [name, new OverlayDevice(device)] as const);
  const overlay = new Host({ devices: overlays, seed: "inspect-table" });
  const scan = scanHost(overlay);
  const problems: string[] = [];
  for (const name of vgNames(scan)) {
    const handle = findVg(scan, name);
    if (handle === undefined) continue;
    const kinds = lvKinds(handle.vg);
    for (const lv of handle.vg.lvs) {
      const kind = kinds.get(lv.name);
      if (!kind?.visible && !kind?.pvmove) continue;
      try {
        activateLv(overlay, handle.vg, lv.name, { startResync: false });
      } catch (error) {
        if (isSimulationHalt(error)) throw error;
        problems.push(`${name}/${lv.name}: ${(error as Error).message}`);
      }
    }
  }
  const writesAbsorbed = overlays.reduce((sum, [, device]) => sum + device.stats.writeOps, 0);
  return { text: dmsetupTable(overlay), problems, writesAbsorbed };
}
