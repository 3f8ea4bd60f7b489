/**
 * `thin_repair` (thin-provisioning-tools 0.9.0: `thin_dump --repair` piped into `thin_restore`):
 * read whatever of a damaged pool's device-details and mapping trees still validates, skipping
 * damaged nodes and everything beneath them, and write fresh metadata from it. The space maps of
 * the input are never read: the output's are recounted from the salvaged mappings, so damage to a
 * space map loses nothing. A damaged superblock cannot be repaired (0.9.0 has no superblock
 * search), as with the real tool.
 */
import type { BlockDevice } from "../block/device.js";
import type { Mutations } from "../sim/mutations.js";
import { BLOCK_BYTES, getU64, isPersistentDataError, PersistentDataError, viewOf } from "./block.js";
import { readNode } from "./btree.js";
import { decodeSuperblock } from "./superblock.js";
import {
  metadataBlocksOf,
  PoolMetadata,
  type SalvagedDevice,
  type SalvagedPool,
  unpackBlockTime,
} from "./thin-metadata.js";
import { TransactionManager } from "./transaction.js";

export type { SalvagedDevice, SalvagedPool } from "./thin-metadata.js";

/** Most damage notes one salvage keeps (the rest are counted, not listed). */
const DAMAGE_NOTES_MAX = 64;

/**
 * Reads every device and mapping that still validates from the metadata on `device`
 * (`thin_dump --repair`). Throws a PersistentDataError when the superblock itself is damaged.
 */
export function salvagePoolMetadata(device: BlockDevice): SalvagedPool {
  if (device.sizeBytes < BLOCK_BYTES) {
    throw new PersistentDataError("EINVAL", "Metadata device/file too small.  Is this binary metadata?");
  }
  const first = new Uint8Array(BLOCK_BYTES);
  device.read(0, first);
  const sb = decodeSuperblock(first, device.name);
  const tm = new TransactionManager(device, metadataBlocksOf(device));
  const damage: string[] = [];
  let damageCount = 0;
  const note = (text: string): void => {
    damageCount += 1;
    if (damage.length < DAMAGE_NOTES_MAX) damage.push(text);
  };
  /** Visits every leaf entry below `root` that validates; a damaged node loses its subtree. */
  const walk = (
    root: number,
    valueSize: number,
    visit: (key: number, value: Uint8Array) => void,
    what: string,
  ): void => {
    const seen = new Set<number>();
    const step = (b: number, depth: number): void => {
      if (depth > 64 || seen.has(b)) {
        note(`${what}: node ${b} loops; its subtree is dropped`);
        return;
      }
      seen.add(b);
      let node: ReturnType<typeof readNode>;
      try {
        node = readNode(tm, b, valueSize);
      } catch (error) {
        if (!isPersistentDataError(error)) throw error;
        note(`${what}: ${error.message}`);
        return;
      }
      for (let i = 0; i < node.nr; i++) {
        if (node.isLeaf) visit(node.key(i), node.value(i));
        else step(node.child(i), depth + 1);
      }
    };
    step(root, 0);
  };
  const details = new Map<number, SalvagedDevice["details"]>();
  walk(
    sb.detailsRoot,
    24,
    (id, value) => {
      const view = viewOf(value);
      details.set(id, {
        mappedBlocks: getU64(view, 0),
        transactionId: getU64(view, 8),
        creationTime: view.getUint32(16, true),
        snapshottedTime: view.getUint32(20, true),
      });
    },
    "device details tree",
  );
  const subRoots = new Map<number, number>();
  walk(sb.mappingRoot, 8, (id, value) => subRoots.set(id, getU64(viewOf(value), 0)), "mapping tree");
  const devices: SalvagedDevice[] = [];
  for (const [id, root] of [...subRoots.entries()].sort((a, b) => a[0] - b[0])) {
    const d = details.get(id);
    if (d === undefined) {
      note(`mappings present for device ${id}, but it isn't present in device tree; dropped`);
      continue;
    }
    const mappings: { vblock: number; dataBlock: number; time: number }[] = [];
    walk(
      root,
      8,
      (vblock, value) => {
        const m = unpackBlockTime(value);
        if (m.dataBlock >= sb.dataSm.nrBlocks) {
          note(`device ${id}: block ${vblock} maps past the data device (${m.dataBlock}); dropped`);
          return;
        }
        mappings.push({ vblock, ...m });
      },
      `device ${id} mapping tree`,
    );
    mappings.sort((a, b) => a.vblock - b.vblock);
    devices.push({ id, details: d, mappings });
  }
  for (const id of details.keys()) {
    if (!subRoots.has(id)) note(`device ${id} has details but no mapping tree; dropped`);
  }
  if (damageCount > damage.length) damage.push(`… and ${damageCount - damage.length} more`);
  return {
    transactionId: sb.transactionId,
    time: sb.time,
    dataBlockSizeSectors: sb.dataBlockSizeSectors,
    nrDataBlocks: sb.dataSm.nrBlocks,
    devices,
    damage,
  };
}

/** What a repair salvaged and wrote. */
export interface RepairResult {
  readonly salvaged: SalvagedPool;
  readonly doneNs: number;
}

/**
 * `thin_repair -i INPUT -o OUTPUT`: salvages `input` and writes fresh, committed metadata to
 * `output` (NEEDS_CHECK clear). Throws a PersistentDataError when the input's superblock is damaged
 * or the output is too small for what was salvaged.
 */
export function repairPoolMetadata(
  input: BlockDevice,
  output: BlockDevice,
  options: { readonly mutations?: Mutations; readonly issueNs?: number } = {},
): RepairResult {
  if (input === output) throw new Error("Invariant: thin_repair needs distinct input and output devices");
  const salvaged = salvagePoolMetadata(input);
  const md = PoolMetadata.restore(output, salvaged, {
    ...(options.mutations !== undefined ? { mutations: options.mutations } : {}),
    issueNs: options.issueNs ?? 0,
  });
  return { salvaged, doneNs: md.lastCommitNs };
}
