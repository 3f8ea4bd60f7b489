/**
 * Writing a VG the way LVM2's `vg_write` + `vg_commit` do: mark new member PVs used in their
 * label, export the model with seqno + 1 and the header block ("Write from <command line>.",
 * creation time from the virtual clock), then run the commit protocol over every metadata area of
 * every present PV. Also what `vgremove`/`vgreduce` leave on a PV that stops being a member.
 */
import { SECTOR_BYTES } from "../block/device.js";
import {
  commitVgMetadata,
  type MetadataAreaRef,
  MetadataWriteError,
  writeVgMetadata,
} from "../format/commit.js";
import { BAD_MDA_NOT_REPAIRABLE, encodeMdaHeader } from "../format/mda-header.js";
import { MetadataTooLargeError } from "../format/mda-text.js";
import {
  encodePvLabel,
  PV_EXT_USED,
  PV_HEADER_EXTENSION_VERSION,
  type PvHeader,
} from "../format/pv-header.js";
import { parseUuid } from "../format/uuid.js";
import { rawMetadataBytes, rawMetadataTree } from "../format/vg-text.js";
import { exportVg } from "../metadata/export.js";
import type { VolumeGroup } from "../metadata/model.js";
import { validateVg } from "../metadata/validate.js";
import type { MutationInfo } from "../sim/mutations.js";
import { archiveVg, backupVg } from "./archive.js";
import { type CommandContext, LvmCommandError } from "./command.js";
import { type HostScan, importScannedVg } from "./vg-read.js";

// LVM2 counts vg_write calls per VG within one command (`vg->write_count`): the second and later
// writes say "Write[N] from …".
const writeCounts = new WeakMap<CommandContext, Map<string, number>>();

function description(context: CommandContext, vg: VolumeGroup): string {
  let counts = writeCounts.get(context);
  if (counts === undefined) {
    counts = new Map();
    writeCounts.set(context, counts);
  }
  const count = (counts.get(vg.id) ?? 0) + 1;
  counts.set(vg.id, count);
  return count === 1 ? `Write from ${context.commandLine}.` : `Write[${count}] from ${context.commandLine}.`;
}

/** The raw metadata bytes (NUL-terminated) a write of `vg` puts on disk; counts as one vg_write. */
export function vgMetadataBytes(context: CommandContext, vg: VolumeGroup): Uint8Array {
  const tree = rawMetadataTree(exportVg(vg), {
    description: description(context, vg),
    creationHost: context.host.hostname,
    creationTimeUnix: context.host.nowSeconds(),
  });
  return rawMetadataBytes(tree);
}

/** Rewrites a PV's label with the PV_EXT_USED flag set or cleared (one sector write). */
function writePvUsedFlag(context: CommandContext, scan: HostScan, device: string, used: boolean): void {
  const pv = scan.labels.get(device);
  const dev = context.host.device(device);
  if (pv === undefined || dev === undefined) {
    throw new LvmCommandError(`Cannot update the label of ${device}: it is not a PV on this host`);
  }
  const flags = pv.header.extension?.flags ?? 0;
  const next = used ? flags | PV_EXT_USED : flags & ~PV_EXT_USED;
  if (next === flags && pv.header.extension !== undefined) return;
  const header: PvHeader = {
    ...pv.header,
    extension: {
      version: pv.header.extension?.version ?? PV_HEADER_EXTENSION_VERSION,
      flags: next,
      bootloaderAreas: pv.header.extension?.bootloaderAreas ?? [],
    },
  };
  dev.write(pv.labelSector * SECTOR_BYTES, encodePvLabel(header, { sector: pv.labelSector }), {
    issueNs: context.host.scheduler.nowNs,
  });
}

/** Mutation: a VG write goes to each PV's first metadata area only, as if a PV held one. */
export const MUTATION_FIRST_AREA_ONLY = "lvm.vg-write.first-mda-only";

/** Catalogue entry for {@link MUTATION_FIRST_AREA_ONLY}. */
export const FIRST_AREA_ONLY: MutationInfo = {
  name: MUTATION_FIRST_AREA_ONLY,
  description:
    "vg_write writes each PV's first metadata area only, so the second area of a PV made with --pvmetadatacopies 2 keeps an old VG (or none) and is no copy to fall back on",
};

/**
 * Every metadata area of the VG's present PVs, in PV order, without the ones the scan found bad
 * (LVM2 keeps those off `metadata_areas_in_use`); with `repairBits`, bad areas whose problems are
 * all repairable are written too, as `vgck --updatemetadata` does.
 */
function vgMetadataAreas(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vg: VolumeGroup; readonly repair?: boolean },
): MetadataAreaRef[] {
  const { vg } = options;
  const firstOnly = context.host.mutations.has(MUTATION_FIRST_AREA_ONLY);
  const areas: MetadataAreaRef[] = [];
  for (const pv of vg.pvs) {
    if (pv.status.includes("MISSING")) continue;
    const label = scan.labels.get(pv.deviceHint);
    const device = context.host.device(pv.deviceHint);
    if (label === undefined || device === undefined) continue;
    label.header.metadataAreas.forEach((area, mdaIndex) => {
      if (firstOnly && mdaIndex > 0) return;
      const status = label.mdas[mdaIndex];
      if (status?.state === "bad") {
        if (!options.repair || (status.badFields & BAD_MDA_NOT_REPAIRABLE) !== 0) return;
      }
      areas.push({ device, pvUuid: label.header.pvUuid, mdaIndex, startBytes: area.offsetBytes });
    });
  }
  return areas;
}

/** Mutation: write the new metadata without raising seqno (LVM2 relies on seqno to pick a copy). */
export const MUTATION_SAME_SEQNO = "lvm.vg-write.same-seqno";

/** Catalogue entry for {@link MUTATION_SAME_SEQNO}. */
export const SAME_SEQNO: MutationInfo = {
  name: MUTATION_SAME_SEQNO,
  description:
    "vg_write keeps the old seqno, so after a power cut between two mdas' commits the scan cannot tell " +
    "the new copy from the old one and may roll back a committed change",
};

/** Options for {@link writeVg}. */
export interface WriteVgOptions {
  /** Bad header fields to tolerate (vgck --updatemetadata rewrites over them). */
  readonly ignoreBadFields?: number;
  /** Ids (32 characters) of VGs whose PVs this write takes over, as vgmerge does. */
  readonly mergedVgIds?: ReadonlySet<string>;
}

/**
 * `lvmcache_has_old_metadata`: a member PV whose mdas hold this VG (or a VG merged into it) at a
 * lower seqno, or whose two mdas disagree, gets LVM2's "updating old metadata" warning per mda.
 */
function warnOldMetadata(
  context: CommandContext,
  scan: HostScan,
  vg: VolumeGroup,
  options: WriteVgOptions,
): void {
  const vgId = vg.id.replaceAll("-", "");
  for (const pv of vg.pvs) {
    if (pv.status.includes("MISSING")) continue;
    const label = scan.labels.get(pv.deviceHint);
    if (label === undefined) continue;
    const copies = label.mdas.filter((m) => m.seqno !== undefined);
    if (copies.length === 0) continue;
    const mine = copies.every((m) => m.vgId === vgId || options.mergedVgIds?.has(m.vgId ?? "") === true);
    if (!mine) continue;
    const mismatch = new Set(copies.map((m) => m.seqno)).size > 1;
    const older = copies.some((m) => (m.seqno ?? 0) < vg.seqno);
    if (!mismatch && !older) continue;
    for (const _ of label.header.metadataAreas) {
      context.out.warn(`updating old metadata to ${vg.seqno + 1} on ${pv.deviceHint} for VG ${vg.name}.`);
    }
  }
}

/**
 * Validates and writes `vg` with seqno `vg.seqno + 1` to every metadata area of its present PVs,
 * setting PV_EXT_USED on members first. Returns the VG as written. Nothing is written when the
 * model fails validation or the text does not fit.
 */
export function writeVg(
  context: CommandContext,
  scan: HostScan,
  vg: VolumeGroup,
  options: WriteVgOptions = {},
): VolumeGroup {
  const sameSeqno = context.host.mutations.has(MUTATION_SAME_SEQNO);
  const next: VolumeGroup = { ...vg, seqno: vg.seqno + (sameSeqno && vg.seqno > 0 ? 0 : 1) };
  // A seqno never goes backwards: the scan would roll the VG back to an older copy. (The mutation
  // breaks exactly this, so the crash suite, not this check, must be what catches it.)
  const onDisk = scan.result.vgs.find((v) => v.vgId === next.id.replaceAll("-", ""));
  if (!sameSeqno && onDisk !== undefined && next.seqno <= onDisk.seqno) {
    throw new Error(
      `Internal error: writing VG ${next.name} with seqno ${next.seqno}, not above seqno ${onDisk.seqno} on ${onDisk.source.device}`,
    );
  }
  const issues = validateVg(next);
  if (issues.length > 0) {
    const text = issues
      .slice(0, 3)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ");
    throw new LvmCommandError(`Internal error: refusing to write invalid VG ${vg.name} metadata: ${text}`);
  }
  // After this command's first write of the VG every mda holds its newest copy.
  const firstWrite = (writeCounts.get(context)?.get(vg.id) ?? 0) === 0;
  const bytes = vgMetadataBytes(context, next);
  const areas = vgMetadataAreas(context, scan, { vg: next, repair: options.ignoreBadFields !== undefined });
  if (areas.length === 0) {
    throw new LvmCommandError(
      `Cannot write VG ${vg.name}: none of its PVs has a metadata area on this host; give the devices with --devices`,
    );
  }
  for (const pv of next.pvs) {
    if (pv.status.includes("MISSING")) continue;
    if (!scan.labels.has(pv.deviceHint)) {
      throw new LvmCommandError(
        `Cannot write VG ${vg.name}: PV ${parseUuid(pv.id)} has no label on ${pv.deviceHint}`,
      );
    }
  }
  const commit = {
    vgName: next.name,
    seqno: next.seqno,
    trace: context.host.trace,
    mutations: context.host.mutations,
    issueNs: context.host.scheduler.nowNs,
    ...(options.ignoreBadFields !== undefined ? { ignoreBadFields: options.ignoreBadFields } : {}),
  };
  if (firstWrite) warnOldMetadata(context, scan, vg, options);
  // archive(): the committed metadata this command replaces, once per command and VG.
  if (firstWrite && onDisk !== undefined && context.host.archiving) {
    archiveVg(context, importScannedVg(scan, onDisk).vg);
  }
  try {
    for (const pv of next.pvs) {
      if (!pv.status.includes("MISSING")) writePvUsedFlag(context, scan, pv.deviceHint, true);
    }
    const write = writeVgMetadata(areas, bytes, commit);
    commitVgMetadata(write, commit);
  } catch (error) {
    if (error instanceof MetadataWriteError || error instanceof MetadataTooLargeError) {
      throw new LvmCommandError(`Failed to write VG ${vg.name}: ${error.message}`);
    }
    throw error;
  }
  backupVg(context, next);
  return next;
}

/**
 * What a PV looks like after it leaves its VG (`pv_write_orphan`): every mda header emptied (no
 * committed copy) and PV_EXT_USED cleared.
 */
export function writeOrphanPv(context: CommandContext, scan: HostScan, device: string): void {
  const pv = scan.labels.get(device);
  const dev = context.host.device(device);
  if (pv === undefined || dev === undefined) return;
  for (const area of pv.header.metadataAreas) {
    dev.write(
      area.offsetBytes,
      encodeMdaHeader({ startBytes: area.offsetBytes, sizeBytes: area.sizeBytes }),
      {
        issueNs: context.host.scheduler.nowNs,
      },
    );
  }
  writePvUsedFlag(context, scan, device, false);
}
