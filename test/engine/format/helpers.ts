/** Shared fixtures for the format tests: real bytes from the research notes and small builders. */
import { MemoryDevice } from "../../../engine/block/memory.js";
import type { ConfigSection } from "../../../engine/format/config-tree.js";
import { cfg } from "../../../engine/format/config-tree.js";
import { withLvm2Layout } from "../../../engine/format/lvm2-layout.js";
import { formatUuid } from "../../../engine/format/uuid.js";
import { rawMetadataBytes, rawMetadataTree } from "../../../engine/format/vg-text.js";

/** Bytes from a hexdump body like "4c41 4245 …" (whitespace ignored), zero-padded to `length`. */
export function hexBytes(hex: string, length: number): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const out = new Uint8Array(length);
  for (let i = 0; i < clean.length / 2; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** §1.3: the label sector of a 64 MiB PV in a VG, as read with xxd from a real disk. */
export const REAL_LABEL_SECTOR = hexBytes(
  `4c41 4245 4c4f 4e45 0100 0000 0000 0000
   8497 19e1 2000 0000 4c56 4d32 2030 3031
   686a 754e 7a52 3877 5159 3866 436f 6d72
   5842 316a 4b65 6579 436f 6c78 664d 494d
   0000 0004 0000 0000 0000 1000 0000 0000
   0000 0000 0000 0000 0000 0000 0000 0000
   0000 0000 0000 0000 0010 0000 0000 0000
   00f0 0f00 0000 0000 0000 0000 0000 0000
   0000 0000 0000 0000 0200 0000 0100 0000`,
  512,
);

/** §1.5: the mda_header of the same disk. */
export const REAL_MDA_HEADER = hexBytes(
  `f6b5 b995 204c 564d 3220 785b 3541 2572
   304e 2a3e 0100 0000 0010 0000 0000 0000
   00f0 0f00 0000 0000 0006 0000 0000 0000
   a104 0000 0000 0000 7396 7acb 0000 0000`,
  512,
);

/** The PV id in those bytes. */
export const REAL_PV_UUID = "hjuNzR8wQY8fComrXB1jKeeyColxfMIM";

/** A deterministic id from a small integer, valid in LVM2's alphabet. */
export function testUuid(n: number): string {
  return `T${String(n).padStart(5, "0")}`.padEnd(32, "x");
}

/** A 64 MiB sparse PV image. */
export function pvDevice(name: string, sizeBytes = 64 * 1024 * 1024): MemoryDevice {
  return new MemoryDevice(name, sizeBytes);
}

/** A small but real-shaped VG section with the given PVs and seqno (and `lvs` linear LVs). */
export function vgSection(options: {
  readonly name?: string;
  readonly seqno: number;
  readonly pvUuids: readonly string[];
  readonly lvs?: number;
}): ConfigSection {
  const pvs = options.pvUuids.map((uuid, i) =>
    cfg.section(`pv${i}`, [
      cfg.set("id", formatUuid(uuid)),
      cfg.set("device", `/dev/loop${i}`),
      cfg.set("status", cfg.arr("ALLOCATABLE")),
      cfg.set("flags", cfg.arr()),
      cfg.set("dev_size", 131072),
      cfg.set("pe_start", 2048),
      cfg.set("pe_count", 15),
    ]),
  );
  const lvs = Array.from({ length: options.lvs ?? 0 }, (_, i) =>
    cfg.section(`lv${i}`, [
      cfg.set("id", formatUuid(testUuid(1000 + i))),
      cfg.set("status", cfg.arr("READ", "WRITE", "VISIBLE")),
      cfg.set("flags", cfg.arr()),
      cfg.set("segment_count", 1),
      cfg.section("segment1", [
        cfg.set("start_extent", 0),
        cfg.set("extent_count", 1),
        cfg.set("type", "striped"),
        cfg.set("stripe_count", 1),
        cfg.set("stripes", cfg.arr("pv0", i)),
      ]),
    ]),
  );
  return cfg.section(options.name ?? "vg0", [
    cfg.set("id", formatUuid(testUuid(999))),
    cfg.set("seqno", options.seqno),
    cfg.set("format", "lvm2"),
    cfg.set("status", cfg.arr("RESIZEABLE", "READ", "WRITE")),
    cfg.set("flags", cfg.arr()),
    cfg.set("extent_size", 8192),
    cfg.set("max_lv", 0),
    cfg.set("max_pv", 0),
    cfg.set("metadata_copies", 0),
    cfg.section("physical_volumes", pvs),
    ...(lvs.length > 0 ? [cfg.section("logical_volumes", lvs)] : []),
  ]);
}

/** The raw bytes (with NUL) LVM2 would write for {@link vgSection}, blank lines included. */
export function vgText(options: Parameters<typeof vgSection>[0]): Uint8Array {
  return rawMetadataBytes(
    rawMetadataTree(withLvm2Layout(vgSection(options)), {
      description: `Write from test seqno ${options.seqno}.`,
      creationHost: "vm",
      creationTimeUnix: 1795236880 + options.seqno,
    }),
  );
}

import type { BlockDevice, IoOptions, WriteOptions } from "../../../engine/block/device.js";
import type { MetadataAreaRef } from "../../../engine/format/commit.js";
import { defaultPvLayout, writeFreshPv } from "../../../engine/format/pv-layout.js";
import { SimulationHalt } from "../../../engine/sim/halt.js";

/** Fresh PVs (pvcreate'd, mdas empty) and their metadata areas in order. */
export function freshPvs(
  count: number,
  options: { readonly sizeBytes?: number; readonly metadataCopies?: 0 | 1 | 2 } = {},
): { devices: MemoryDevice[]; uuids: string[]; areas: MetadataAreaRef[] } {
  const devices: MemoryDevice[] = [];
  const uuids: string[] = [];
  const areas: MetadataAreaRef[] = [];
  for (let i = 0; i < count; i++) {
    const device = pvDevice(`pv${i}.img`, options.sizeBytes);
    const pvUuid = testUuid(i);
    const layout = defaultPvLayout(device.sizeBytes, { metadataCopies: options.metadataCopies ?? 1 });
    writeFreshPv(device, { pvUuid, layout, inVg: true });
    layout.metadataAreas.forEach((area, mdaIndex) => {
      areas.push({ device, pvUuid, mdaIndex, startBytes: area.offsetBytes });
    });
    devices.push(device);
    uuids.push(pvUuid);
  }
  return { devices, uuids, areas };
}

/** Areas re-pointed at other devices with the same names (e.g. crash-state copies). */
export function areasOn(
  areas: readonly MetadataAreaRef[],
  devices: readonly BlockDevice[],
): MetadataAreaRef[] {
  return areas.map((area) => {
    const device = devices.find((d) => d.name === area.device.name);
    if (device === undefined) throw new Error(`No device named ${area.device.name}`);
    return { ...area, device };
  });
}

/** Where a power cut lands. */
export type CutMode = "before-write" | "torn-write" | "after-event";

/** A power cut: a mode and the 1-based index of the block write or trace event. */
export interface Cut {
  readonly mode: CutMode;
  /** 1-based index of the block write or trace event to cut at. */
  readonly at: number;
}

/** Wraps a device so that the n-th write across all wrapped devices cuts the power. */
export class PowerCutDevice implements BlockDevice {
  constructor(
    private readonly inner: MemoryDevice,
    private readonly cut: Cut | undefined,
    private readonly counter: { writes: number },
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }
  get stats() {
    return this.inner.stats;
  }
  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    return this.inner.read(offsetBytes, dst, options);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    this.counter.writes += 1;
    const cut = this.cut;
    if (cut !== undefined && cut.mode !== "after-event" && cut.at === this.counter.writes) {
      if (cut.mode === "torn-write") {
        // A multi-sector write lands on a prefix of its sectors; a single sector tears mid-way.
        const keep = data.length > 512 ? Math.floor(data.length / 1024) * 512 : 256;
        const merged = new Uint8Array(Math.ceil(keep / 512) * 512);
        this.inner.read(offsetBytes, merged);
        merged.set(data.subarray(0, keep));
        this.inner.write(offsetBytes, merged, options);
      }
      throw new SimulationHalt("power-cut", `${cut.mode} #${cut.at} on ${this.name}`);
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
