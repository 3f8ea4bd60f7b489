/**
 * thin_dump's XML (thin-provisioning-tools 0.9.0 `xml_format`) of pool metadata, byte for byte:
 * runs of consecutive blocks with one time become `range_mapping`, the rest `single_mapping`.
 * Comparing it with the real `thin_dump` is how tests check the reader and the writer.
 */
import type { PoolMetadata } from "./thin-metadata.js";

/** The metadata as `thin_dump` prints it. */
export function dumpThinXml(md: PoolMetadata, options: { readonly flags?: number } = {}): string {
  const lines: string[] = [];
  lines.push(
    `<superblock uuid="" time="${md.time}" transaction="${md.transactionId}" flags="${options.flags ?? (md.needsCheck ? 1 : 0)}" version="2" data_block_size="${md.dataBlockSizeSectors}" nr_data_blocks="${md.dataBlocksTotal}">`,
  );
  for (const id of md.devices()) {
    const d = md.details(id);
    if (d === undefined) continue;
    lines.push(
      `  <device dev_id="${id}" mapped_blocks="${d.mappedBlocks}" transaction="${d.transactionId}" creation_time="${d.creationTime}" snap_time="${d.snapshottedTime}">`,
    );
    const maps = md.mappings(id);
    let i = 0;
    while (i < maps.length) {
      const first = maps[i] as { vblock: number; dataBlock: number; time: number };
      let length = 1;
      for (;;) {
        const next = maps[i + length];
        if (
          next === undefined ||
          next.vblock !== first.vblock + length ||
          next.dataBlock !== first.dataBlock + length ||
          next.time !== first.time
        ) {
          break;
        }
        length += 1;
      }
      lines.push(
        length > 1
          ? `    <range_mapping origin_begin="${first.vblock}" data_begin="${first.dataBlock}" length="${length}" time="${first.time}"/>`
          : `    <single_mapping origin_block="${first.vblock}" data_block="${first.dataBlock}" time="${first.time}"/>`,
      );
      i += length;
    }
    lines.push("  </device>");
  }
  lines.push("</superblock>");
  return `${lines.join("\n")}\n`;
}
