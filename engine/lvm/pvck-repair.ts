/**
 * `pvck --repairtype metadata -f FILE` (tools/pvck.c `_update_mda`): each metadata area of a PV
 * whose label and pv_header are intact gets the file's VG as raw metadata text right after a
 * fresh mda_header (magic, version, start, size, one committed raw_locn at offset 512). The file
 * may be a backup file (`vgcfgbackup`, /etc/lvm/backup) or raw metadata; like LVM2, the text is
 * written first and the header after it.
 */
import type { BlockDevice } from "../block/device.js";
import { parseConfig } from "../format/config-parse.js";
import type { ConfigValue } from "../format/config-tree.js";
import { lvmCrc } from "../format/crc.js";
import { encodeMdaHeader, MDA_HEADER_BYTES } from "../format/mda-header.js";
import type { ScannedPv } from "../format/scan.js";
import { rawMetadataBytes, rawMetadataTree } from "../format/vg-text.js";
import { exportVg } from "../metadata/export.js";
import { findVgSection, importVg } from "../metadata/import.js";
import { type CommandContext, LvmCommandError } from "./command.js";

/** What {@link repairMdaFromFile} repairs. */
export interface MdaRepairTarget {
  readonly device: BlockDevice;
  readonly pv: ScannedPv;
  /** The metadata file's text. */
  readonly text: string;
  readonly fileName: string;
}

/** Writes the file's metadata into every mda of the PV; returns LVM2's "Writing …" lines. */
export function repairMdaFromFile(context: CommandContext, target: MdaRepairTarget): string[] {
  let bytes: Uint8Array;
  try {
    const file = parseConfig(target.text, { fileName: target.fileName });
    const vg = importVg(findVgSection(file));
    // Like _backup_file_to_raw_metadata: the VG in the raw on-disk form (no comments, no
    // indentation), followed by the file's description and creation fields.
    const field = (key: string): ConfigValue | undefined => {
      const item = file.items.find((n) => n.kind === "assign" && n.key === key);
      return item?.kind === "assign" ? item.value : undefined;
    };
    const description = field("description");
    const host = field("creation_host");
    const time = field("creation_time");
    bytes = rawMetadataBytes(
      rawMetadataTree(exportVg(vg), {
        description: description?.kind === "string" ? description.value : "",
        creationHost: host?.kind === "string" ? host.value : context.host.hostname,
        creationTimeUnix: time?.kind === "int" ? time.value : context.host.nowSeconds(),
      }),
    );
  } catch (error) {
    throw new LvmCommandError(`Failed to read metadata file ${target.fileName}: ${(error as Error).message}`);
  }
  const crc = lvmCrc(bytes);
  const lines: string[] = [];
  const issueNs = context.host.scheduler.nowNs;
  target.pv.header.metadataAreas.forEach((area, index) => {
    const max = area.sizeBytes - MDA_HEADER_BYTES;
    if (bytes.length > max) {
      throw new LvmCommandError(
        `Metadata text ${bytes.length} too large for mda_size ${area.sizeBytes} max ${Math.floor((area.sizeBytes - 512) / 2) - 512}`,
      );
    }
    const textOffset = area.offsetBytes + MDA_HEADER_BYTES;
    lines.push(
      `Writing metadata at ${textOffset} length ${bytes.length} crc 0x${crc.toString(16).padStart(8, "0")} mda${index + 1}`,
      `Writing mda_header at ${area.offsetBytes} mda${index + 1}`,
    );
    // dev_write_bytes writes whole sectors, keeping what the last one held past the text.
    const padded = new Uint8Array(Math.ceil(bytes.length / 512) * 512);
    target.device.read(textOffset, padded);
    padded.set(bytes);
    target.device.write(textOffset, padded, { issueNs });
    const header = encodeMdaHeader(
      { startBytes: area.offsetBytes, sizeBytes: area.sizeBytes },
      { committed: { offsetBytes: MDA_HEADER_BYTES, sizeBytes: bytes.length, checksum: crc, flags: 0 } },
    );
    target.device.write(area.offsetBytes, header, { issueNs });
  });
  target.device.flush();
  return lines;
}
