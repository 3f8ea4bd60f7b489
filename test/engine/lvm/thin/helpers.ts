/** Thin test helpers: write through a thin LV, damage a pool's metadata block on its PV. */

import { activateLv } from "../../../../engine/lvm/activation/activate.js";
import type { Host } from "../../../../engine/lvm/host.js";
import { lvStartOnDisk } from "../../../../engine/lvm/lv-start.js";
import { thinMetadataOnDisk } from "../../../../engine/lvm/thin/status.js";
import { requireVg, scanHost } from "../../../../engine/lvm/vg-read.js";
import { findLv } from "../../../../engine/metadata/model.js";
import { lvm, makeHost } from "../helpers.js";

/**
 * A host over pv0 and pv1 with vg0, an 8 MiB pool `vg0/pool` (`poolOptions` added to its
 * lvcreate) and the thin LVs `thins` (name and size in MiB), every command checked to succeed.
 */
export function thinHost(
  poolOptions = "",
  thins: readonly (readonly [string, number])[] = [["thin1", 16]],
): Host {
  const host = makeHost(["pv0", "pv1"]);
  const lines = [
    "pvcreate pv0 pv1",
    "vgcreate vg0 pv0 pv1",
    `lvcreate -T -L 8M ${poolOptions} vg0/pool`.replace(/\s+/g, " "),
    ...thins.map(([name, mib]) => `lvcreate -V ${mib}M -T vg0/pool -n ${name}`),
  ];
  for (const line of lines) {
    const result = lvm(host, line);
    if (result.exitCode !== 0) throw new Error(`${line} failed: ${result.stderr}`);
  }
  return host;
}

/** Writes `blocks` 64 KiB blocks of `fill` from the start of vg0/`lv`, then flushes; returns the completion time. */
export function writeThin(host: Host, lv: string, blocks: number, fill = 7): number {
  const vg = requireVg(scanHost(host), "vg0").vg;
  const device = activateLv(host, vg, lv).device;
  const data = new Uint8Array(65536).fill(fill);
  let t = host.scheduler.nowNs;
  for (let i = 0; i < blocks; i++) t = device.write(i * 65536, data, { issueNs: t });
  return device.flush({ issueNs: t });
}

/** The bytes of vg0/`pool`'s metadata LV, read straight from its PV. */
export function poolMetadataImage(host: Host, pool: string): Uint8Array {
  const where = thinMetadataOnDisk(host, "vg0", pool);
  if (where === undefined) throw new Error(`vg0/${pool} has no metadata on one PV`);
  const bytes = new Uint8Array(where.sizeBytes);
  host.device(where.device)!.read(where.offsetBytes, bytes);
  return bytes;
}

/** The bytes of vg0/`lv` (one linear area), read straight from its PV. */
export function lvImage(host: Host, lv: string): Uint8Array {
  const vg = requireVg(scanHost(host), "vg0").vg;
  const start = lvStartOnDisk(host, vg, lv);
  const seg = findLv(vg, lv)?.segments[0];
  if (start === undefined || seg === undefined) throw new Error(`vg0/${lv} is not on one PV area`);
  const bytes = new Uint8Array(seg.extentCount * vg.extentSizeSectors * 512);
  start.device.read(start.offsetBytes, bytes);
  return bytes;
}

/** Flips byte `at` of metadata block `blocknr` of vg0/`pool` on its PV ("metadata-index": the metadata space map's index block). */
export function damagePoolMetadata(
  host: Host,
  pool: string,
  blocknr: number | "metadata-index",
  at = 100,
): void {
  const where = thinMetadataOnDisk(host, "vg0", pool);
  if (where === undefined) throw new Error(`vg0/${pool} has no metadata on one PV`);
  const device = host.device(where.device)!;
  let b = blocknr;
  if (b === "metadata-index") {
    const sb = new Uint8Array(4096);
    device.read(where.offsetBytes, sb);
    b = Number(new DataView(sb.buffer).getBigUint64(192 + 16, true));
  }
  const block = new Uint8Array(4096);
  device.read(where.offsetBytes + b * 4096, block);
  block[at] = (block[at] as number) ^ 0xff;
  device.write(where.offsetBytes + b * 4096, block);
}
