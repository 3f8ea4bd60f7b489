/**
 * LVM2's metadata commit protocol (`vg_write`, `vg_precommit`, `vg_commit`, `vg_revert` in
 * `metadata.c`; `_vg_write_raw`, `_vg_commit_raw_rlocn` in `format-text.c`), over a list of
 * metadata areas: write the text into every area's circular buffer (headers untouched), then
 * precommit (slot 1 = new) on every area, then commit (slot 0 = new, slot 1 cleared) with ignored
 * areas first. Each header update is one 512-byte write. Every step emits a trace event after it
 * lands, so a power cut can be placed between any two steps.
 */
import type { BlockDevice } from "../block/device.js";
import { isBlockDeviceError } from "../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import type { Trace, TraceEventInfo } from "../sim/trace.js";
import { lvmCrc } from "./crc.js";
import {
  BAD_MDA,
  badFieldNames,
  EMPTY_RAW_LOCN,
  encodeMdaHeader,
  isEmptyOrIgnored,
  type MdaHeader,
  RAW_LOCN_IGNORED,
  type RawLocn,
  readMdaHeader,
} from "./mda-header.js";
import {
  MetadataTooLargeError,
  placeMetadataText,
  readMetadataText,
  type TextPlacement,
  writeMetadataText,
} from "./mda-text.js";

/** One metadata area of one PV. */
export interface MetadataAreaRef {
  readonly device: BlockDevice;
  /** 32-character PV id. */
  readonly pvUuid: string;
  /** 0 for the area at the start of the PV, 1 for the one at the end (LVM2 prints mda1/mda2). */
  readonly mdaIndex: number;
  /** Absolute byte offset of the mda header on the device. */
  readonly startBytes: number;
  /** Commit this area with RAW_LOCN_IGNORED in slot 0 (`--metadataignore y`). */
  readonly ignored?: boolean;
}

/** Trace event names emitted by the protocol, in the order they happen. */
export const METADATA_EVENTS = {
  write: "metadata.write",
  precommit: "metadata.precommit",
  commit: "metadata.commit",
  revert: "metadata.revert",
} as const;

/** The protocol's trace events, for the event catalogue (`scenarios/event-catalogue.ts`). */
export const METADATA_TRACE_EVENTS: readonly TraceEventInfo[] = [
  {
    name: METADATA_EVENTS.write,
    description:
      "Metadata text was written into one metadata area (vg_write); data.wraps: the copy wrapped to offset 512",
  },
  {
    name: METADATA_EVENTS.precommit,
    description: "One metadata area's header now points its precommitted slot at the new text",
  },
  {
    name: METADATA_EVENTS.commit,
    description:
      "One metadata area's header now points its committed slot at the new text (vg_commit); data.wraps: that copy wraps",
  },
  { name: METADATA_EVENTS.revert, description: "A failed write was reverted in one metadata area" },
];

/** Mutation: point slot 0 at the new copy before its text is written (a commit-ordering bug). */
export const MUTATION_COMMIT_BEFORE_TEXT = "format.commit.slot0-before-text";

/** Catalogue entry for {@link MUTATION_COMMIT_BEFORE_TEXT}. */
export const COMMIT_BEFORE_TEXT: MutationInfo = {
  name: MUTATION_COMMIT_BEFORE_TEXT,
  description:
    "vg_write points each mda's committed slot at the new copy before writing the text, so a power cut " +
    "between the two leaves a header naming garbage",
};

/**
 * Mutation: `vg_write` gives every metadata area after the first the new seqno over the VG text
 * that area held before (a stale per-area copy), so once the first area's commit is lost the VG
 * read back is neither the old VG nor the new one.
 */
export const LATER_AREAS_OLD_BODY: MutationInfo = {
  name: "format.commit.later-areas-old-body",
  description:
    "vg_write writes the new seqno over each later metadata area's previous text, so a cut that loses the first area's commit brings back a VG no command wrote",
};

/** The area's committed text with its seqno line set to `seqno` (what the mutation writes). */
function oldBodyWithSeqno(area: MetadataAreaRef, header: MdaHeader, seqno: number): Uint8Array | undefined {
  if (isEmptyOrIgnored(header.committed)) return undefined;
  const read = readMetadataText(
    area.device,
    { startBytes: area.startBytes, sizeBytes: header.sizeBytes },
    header.committed,
  );
  if (!read.ok) return undefined;
  const body = new TextDecoder()
    .decode(read.text)
    .replace(/\0$/, "")
    .replace(/\nseqno = \d+\n/, `\nseqno = ${seqno}\n`);
  const bytes = new TextEncoder().encode(`${body}\0`);
  return bytes;
}

/** Options shared by every step. */
export interface CommitOptions {
  readonly vgName: string;
  readonly seqno: number;
  readonly trace?: Trace;
  readonly issueNs?: number;
  /**
   * bad_fields bits to tolerate when re-reading headers, as `vgck --updatemetadata` does for
   * CHECKSUM/VERSION/TEXT/MISMATCH so it can rewrite them. Normal writes tolerate none.
   */
  readonly ignoreBadFields?: number;
  /** Deliberate bugs to build in; empty in normal runs. */
  readonly mutations?: Mutations;
}

/** Where one area stands in the protocol. */
export type AreaState = "written" | "precommitted" | "committed" | "reverted" | "failed";

/** Per-area bookkeeping of an in-flight write. */
export interface AreaWrite {
  readonly area: MetadataAreaRef;
  readonly placement?: TextPlacement;
  /** The new slot value. */
  readonly locn?: RawLocn;
  state: AreaState;
  /** Why the area failed (an EIO on the device), if it did. */
  failure?: string;
}

/** An in-flight VG write: what `vg_write` leaves in memory for precommit/commit/revert. */
export interface VgMetadataWrite {
  readonly vgName: string;
  readonly seqno: number;
  readonly sizeBytes: number;
  readonly checksum: number;
  readonly areas: readonly AreaWrite[];
}

/** A write that cannot proceed: text too large, an unusable header, or every area failed. */
export class MetadataWriteError extends Error {
  override readonly name = "MetadataWriteError";
}

const MAX_AREAS = 4096;

function mdaLabel(area: MetadataAreaRef): string {
  return `${area.device.name} mda${area.mdaIndex + 1}`;
}

function readHeader(area: MetadataAreaRef, options: CommitOptions): MdaHeader {
  const parsed = readMdaHeader(area.device, area.startBytes, { issueNs: options.issueNs ?? 0 });
  const bad = parsed.badFields & ~(options.ignoreBadFields ?? 0);
  if (bad !== 0) {
    throw new MetadataWriteError(
      `Cannot write VG ${options.vgName} metadata to ${mdaLabel(area)} at ${area.startBytes}: ` +
        `bad mda header (${badFieldNames(bad).join("|")}); ${parsed.warnings.join(" ")} ` +
        ((bad & (BAD_MDA.MAGIC | BAD_MDA.START)) !== 0
          ? "Repair the header with pvck --repair -f BACKUP"
          : "Repair it with vgck --updatemetadata"),
    );
  }
  return parsed.header;
}

function writeHeader(
  area: MetadataAreaRef,
  header: MdaHeader,
  slots: { committed: RawLocn; precommitted: RawLocn },
  options: CommitOptions,
): void {
  // _raw_write_mda_header rewrites magic, version and start; size is kept from the header read.
  const bytes = encodeMdaHeader({ startBytes: area.startBytes, sizeBytes: header.sizeBytes }, slots);
  area.device.write(area.startBytes, bytes, { issueNs: options.issueNs ?? 0 });
}

function emit(
  options: CommitOptions,
  name: string,
  area: MetadataAreaRef,
  extra: Readonly<Record<string, number | boolean>> = {},
): void {
  options.trace?.emit(name, {
    vg: options.vgName,
    seqno: options.seqno,
    device: area.device.name,
    mda: area.mdaIndex,
    pvUuid: area.pvUuid,
    ...extra,
  });
}

/**
 * `vg_write`: writes `text` (the raw export, ending in its NUL) into every area after its committed
 * copy, then precommits every area (slot 1 = new). An area whose device fails with EIO is marked
 * failed and skipped, as LVM2 does; any other failure reverts the areas done so far and throws.
 */
export function writeVgMetadata(
  areas: readonly MetadataAreaRef[],
  text: Uint8Array,
  options: CommitOptions,
): VgMetadataWrite {
  if (areas.length === 0) throw new MetadataWriteError(`VG ${options.vgName} has no metadata areas to write`);
  if (areas.length > MAX_AREAS)
    throw new MetadataWriteError(
      `VG ${options.vgName} has ${areas.length} metadata areas, limit ${MAX_AREAS}`,
    );
  if (text.length === 0 || text[text.length - 1] !== 0) {
    throw new MetadataWriteError(
      `Metadata text for VG ${options.vgName} must end with the NUL LVM2 counts in its size`,
    );
  }
  if (!Number.isInteger(options.seqno) || options.seqno < 1 || options.seqno > 0xffffffff) {
    throw new MetadataWriteError(`VG ${options.vgName} seqno ${options.seqno} is outside 1..2^32-1`);
  }
  const write: VgMetadataWrite = {
    vgName: options.vgName,
    seqno: options.seqno,
    sizeBytes: text.length,
    checksum: lvmCrc(text),
    areas: areas.map((area) => ({ area, state: "failed" as AreaState })),
  };
  try {
    for (const entry of write.areas) {
      const { area } = entry;
      const outcome = tolerateEio(entry, () => {
        const header = readHeader(area, options);
        const stale =
          entry !== write.areas[0] && (options.mutations ?? NO_MUTATIONS).has(LATER_AREAS_OLD_BODY.name)
            ? oldBodyWithSeqno(area, header, options.seqno)
            : undefined;
        const areaText = stale ?? text;
        const placement = placeMetadataText(header.sizeBytes, header.committed, {
          sizeBytes: areaText.length,
          vgName: options.vgName,
          seqno: options.seqno,
          device: area.device.name,
        });
        if ((options.mutations ?? NO_MUTATIONS).has(MUTATION_COMMIT_BEFORE_TEXT)) {
          const early = {
            offsetBytes: placement.offsetBytes,
            sizeBytes: text.length,
            checksum: write.checksum,
            flags: 0,
          };
          writeHeader(area, header, { committed: early, precommitted: EMPTY_RAW_LOCN }, options);
        }
        writeMetadataText(area.device, area.startBytes, placement, areaText, {
          issueNs: options.issueNs ?? 0,
        });
        return {
          placement,
          sizeBytes: areaText.length,
          checksum: stale === undefined ? write.checksum : lvmCrc(stale),
        };
      });
      if (outcome === undefined) continue;
      Object.assign(entry, {
        placement: outcome.placement,
        locn: {
          offsetBytes: outcome.placement.offsetBytes,
          sizeBytes: outcome.sizeBytes,
          checksum: outcome.checksum,
          flags: 0,
        },
      });
      entry.state = "written";
      // The checksum of the text the command meant to write, so a watcher can tell which VG a
      // later scan brings back (`expect.metadataOldOrNew`).
      // `wraps`: the copy runs past the end of the area and continues at offset 512, so a scenario
      // can cut where the ring wraps (`where: { wraps: true }`).
      emit(options, METADATA_EVENTS.write, area, {
        checksum: write.checksum,
        wraps: outcome.placement.wrapBytes > 0,
      });
    }
    requireSome(write, "written", "write");
    for (const entry of write.areas) {
      if (entry.state !== "written") continue;
      const locn = entry.locn!;
      const ok = tolerateEio(entry, () => {
        const header = readHeader(entry.area, options);
        // _vg_commit_raw_rlocn: an ignored or empty slot 0 is zeroed, then slot 0 takes the
        // area's ignore flag, at precommit as at commit.
        const base = isEmptyOrIgnored(header.committed) ? EMPTY_RAW_LOCN : header.committed;
        const committed = { ...base, flags: entry.area.ignored === true ? RAW_LOCN_IGNORED : 0 };
        writeHeader(entry.area, header, { committed, precommitted: locn }, options);
        return true;
      });
      if (ok === undefined) continue;
      entry.state = "precommitted";
      emit(options, METADATA_EVENTS.precommit, entry.area);
    }
    requireSome(write, "precommitted", "precommit");
  } catch (error) {
    // vg_write reverts the areas done so far; a power cut (SimulationHalt) just unwinds.
    if (error instanceof MetadataWriteError || error instanceof MetadataTooLargeError)
      revertVgMetadata(write, options);
    throw error;
  }
  return write;
}

// LVM2 marks an mda MDA_FAILED on EIO and carries on with the others; anything else propagates
// (including SimulationHalt, which must never be swallowed).
function tolerateEio<T>(entry: AreaWrite, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!isBlockDeviceError(error)) throw error;
    entry.state = "failed";
    entry.failure = error.message;
    return undefined;
  }
}

function requireSome(write: VgMetadataWrite, state: AreaState, step: string): void {
  if (write.areas.some((a) => a.state === state)) return;
  const reasons = write.areas.map((a) => `${mdaLabel(a.area)}: ${a.failure ?? "not written"}`).join("; ");
  throw new MetadataWriteError(
    `Failed to ${step} VG ${write.vgName} metadata to any metadata area (${reasons})`,
  );
}

/**
 * `vg_commit`: ignored areas first, then the rest, each header rewritten with slot 0 = new and
 * slot 1 cleared. Succeeds when at least one area committed; returns how many did.
 */
export function commitVgMetadata(
  write: VgMetadataWrite,
  options: Omit<CommitOptions, "vgName" | "seqno"> = {},
): number {
  const stepOptions: CommitOptions = { ...options, vgName: write.vgName, seqno: write.seqno };
  const ordered = [
    ...write.areas.filter((a) => a.area.ignored === true),
    ...write.areas.filter((a) => a.area.ignored !== true),
  ];
  let committed = 0;
  for (const entry of ordered) {
    if (entry.state !== "precommitted") continue;
    const locn = entry.locn!;
    const ok = tolerateEio(entry, () => {
      const header = readHeader(entry.area, stepOptions);
      const flags = entry.area.ignored === true ? RAW_LOCN_IGNORED : 0;
      writeHeader(
        entry.area,
        header,
        { committed: { ...locn, flags }, precommitted: EMPTY_RAW_LOCN },
        stepOptions,
      );
      return true;
    });
    if (ok === undefined) continue;
    entry.state = "committed";
    committed++;
    emit(stepOptions, METADATA_EVENTS.commit, entry.area, { wraps: (entry.placement?.wrapBytes ?? 0) > 0 });
  }
  if (committed === 0) {
    throw new MetadataWriteError(
      `Failed to commit VG ${write.vgName} seqno ${write.seqno} to any metadata area`,
    );
  }
  return committed;
}

/** `vg_revert`: clears slot 1 on every area written or precommitted; slot 0 is left alone. */
export function revertVgMetadata(
  write: VgMetadataWrite,
  options: Omit<CommitOptions, "vgName" | "seqno"> = {},
): void {
  const stepOptions: CommitOptions = { ...options, vgName: write.vgName, seqno: write.seqno };
  for (const entry of write.areas) {
    if (entry.state !== "written" && entry.state !== "precommitted") continue;
    const ok = tolerateEio(entry, () => {
      let header: MdaHeader;
      try {
        header = readHeader(entry.area, stepOptions);
      } catch (error) {
        // A header that went bad meanwhile is left for repair rather than overwritten blindly.
        if (error instanceof MetadataWriteError) return undefined;
        throw error;
      }
      writeHeader(
        entry.area,
        header,
        { committed: header.committed, precommitted: EMPTY_RAW_LOCN },
        stepOptions,
      );
      return true;
    });
    if (ok === undefined) continue;
    entry.state = "reverted";
    emit(stepOptions, METADATA_EVENTS.revert, entry.area);
  }
}
