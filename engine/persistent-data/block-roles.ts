/**
 * Which metadata blocks of a pool hold what, read from the committed superblock: the superblock,
 * the two space maps (index/bitmaps/ref-count trees), the device details tree and the mapping
 * trees (top level and every device's subtree). A fault uses it to damage one structure on purpose.
 */
import type { BlockDevice } from "../block/device.js";
import { BLOCK_BYTES, getU64, viewOf } from "./block.js";
import { btreeWalk, plainValues } from "./btree.js";
import { RefCounts } from "./ref-counts.js";
import { readDataSm, readMetadataSm } from "./space-map.js";
import { decodeSuperblock } from "./superblock.js";
import { TransactionManager } from "./transaction.js";

/** The structures of pool metadata a block can belong to. */
export type MetadataStructure = "superblock" | "space-map" | "details" | "mapping";

/** The blocks of each structure of the committed metadata on `device`, ascending and distinct. */
export function metadataBlockRoles(device: BlockDevice): Record<MetadataStructure, number[]> {
  const first = new Uint8Array(BLOCK_BYTES);
  device.read(0, first);
  const sb = decodeSuperblock(first, device.name);
  const tm = new TransactionManager(device, sb.metadataSm.nrBlocks);
  const spaceMap = [
    ...readMetadataSm(tm, sb.metadataSm),
    ...readDataSm(tm, sb.dataSm, new RefCounts("data", sb.dataSm.nrBlocks)),
  ];
  const details: number[] = [];
  btreeWalk(
    tm,
    sb.detailsRoot,
    plainValues(24),
    () => {},
    (b) => details.push(b),
  );
  const mapping: number[] = [];
  const subRoots: number[] = [];
  btreeWalk(
    tm,
    sb.mappingRoot,
    plainValues(8),
    (_id, value) => subRoots.push(getU64(viewOf(value), 0)),
    (b) => mapping.push(b),
  );
  for (const root of new Set(subRoots)) {
    btreeWalk(
      tm,
      root,
      plainValues(8),
      () => {},
      (b) => mapping.push(b),
    );
  }
  const sorted = (blocks: number[]) => [...new Set(blocks)].sort((a, b) => a - b);
  return {
    superblock: [0],
    "space-map": sorted(spaceMap),
    details: sorted(details),
    mapping: sorted(mapping),
  };
}
