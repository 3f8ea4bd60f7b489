/**
 * Mirror disk log initialisation as LVM2's `_init_mirror_log` does it (`lib/metadata/mirror.c`):
 * the whole `<lv>_mlog` LV is wiped with 0x00 (every region dirty, so the first activation resyncs
 * everything) or 0xFF with `--nosync` (every region clean), then the 16-byte header
 * `{magic, version 2, nr_regions = ~0}` goes at byte 0 so dm-log trusts the bits on resume.
 */
import { SECTOR_BYTES } from "../../block/device.js";
import { MIRROR_LOG_MAGIC, MIRROR_LOG_VERSION } from "../../dm/mirror/region-log.js";
import { findLv, findPv, type VolumeGroup } from "../../metadata/model.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import type { Host } from "../host.js";

/** Trace event: a mirror's disk log was initialised (all clean or all out of sync). */
export const MIRROR_LOG_INIT_EVENT: TraceEventInfo = {
  name: "mirror.log.init",
  description: "A mirror's disk log was initialised (all clean or all out of sync)",
};

/** Mutation: lvconvert adding legs keeps the old disk log, so the new legs are never resynced. */
export const MUTATION_MIRROR_SKIP_LOG_RESET = "lvm.mirror.skip-log-reset";

/** Largest log LV lvmlab wipes; a real log is one extent, so anything bigger is a model bug. */
const MIRROR_LOG_WIPE_BYTES_MAX = 64 * 1024 * 1024;

/** Options of {@link initMirrorLog}. */
export interface InitMirrorLogOptions {
  /** `--nosync`: every region starts clean (wipe with 0xFF). */
  readonly inSync: boolean;
}

/** Where one extent range of a linear LV lives on a host device. */
interface LogPiece {
  readonly device: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

function logPieces(host: Host, vg: VolumeGroup, logName: string): LogPiece[] {
  const log = findLv(vg, logName);
  if (log === undefined) throw new Error(`Mirror log ${vg.name}/${logName} is not in the metadata`);
  const extentBytes = vg.extentSizeSectors * SECTOR_BYTES;
  const pieces: LogPiece[] = [];
  for (const seg of log.segments) {
    if (seg.type !== "striped" || seg.stripeCount !== 1 || seg.areas[0]?.kind !== "pv") {
      throw new Error(`Mirror log ${vg.name}/${logName} must be linear on a PV to be initialised`);
    }
    const area = seg.areas[0];
    const pv = findPv(vg, area.pv);
    if (pv === undefined || pv.status.includes("MISSING") || host.device(pv.deviceHint) === undefined) {
      throw new Error(`Cannot initialise mirror log ${vg.name}/${logName}: its PV ${area.pv} is missing`);
    }
    pieces.push({
      device: pv.deviceHint,
      offsetBytes: (pv.peStartSectors + area.pe * vg.extentSizeSectors) * SECTOR_BYTES,
      lengthBytes: seg.extentCount * extentBytes,
    });
  }
  return pieces;
}

/**
 * Wipes and stamps the disk log `logName` of `vg` on the host's devices (flushed); returns the
 * virtual time the last write completed.
 */
export function initMirrorLog(
  host: Host,
  vg: VolumeGroup,
  logName: string,
  options: InitMirrorLogOptions,
): number {
  const pieces = logPieces(host, vg, logName);
  const totalBytes = pieces.reduce((sum, p) => sum + p.lengthBytes, 0);
  if (totalBytes > MIRROR_LOG_WIPE_BYTES_MAX || totalBytes === 0) {
    throw new Error(
      `Mirror log ${vg.name}/${logName} is ${totalBytes} bytes; expected 1..${MIRROR_LOG_WIPE_BYTES_MAX}`,
    );
  }
  let nowNs = host.scheduler.nowNs;
  const fill = options.inSync ? 0xff : 0x00;
  const chunk = new Uint8Array(Math.min(1024 * 1024, totalBytes)).fill(fill);
  for (const piece of pieces) {
    const device = host.device(piece.device)!;
    for (let at = 0; at < piece.lengthBytes; at += chunk.byteLength) {
      const len = Math.min(chunk.byteLength, piece.lengthBytes - at);
      nowNs = device.write(piece.offsetBytes + at, chunk.subarray(0, len), { issueNs: nowNs });
    }
  }
  // The header goes in one 512-byte write over the wiped first sector, as `_write_log_header` does.
  const first = pieces[0]!;
  const header = new Uint8Array(SECTOR_BYTES).fill(fill);
  const view = new DataView(header.buffer);
  view.setUint32(0, MIRROR_LOG_MAGIC, true);
  view.setUint32(4, MIRROR_LOG_VERSION, true);
  view.setBigUint64(8, 0xffff_ffff_ffff_ffffn, true);
  const device = host.device(first.device)!;
  nowNs = device.write(first.offsetBytes, header, { issueNs: nowNs });
  for (const name of new Set(pieces.map((p) => p.device))) {
    nowNs = Math.max(nowNs, host.device(name)!.flush({ issueNs: nowNs }));
  }
  host.trace.emit(MIRROR_LOG_INIT_EVENT.name, { vg: vg.name, log: logName, inSync: options.inSync });
  return nowNs;
}
