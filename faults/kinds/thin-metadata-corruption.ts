import type { BlockDevice, IoOptions } from "../../engine/block/device.js";
import { emptyIoStats } from "../../engine/block/device.js";
import { metadataBlockRoles } from "../../engine/persistent-data/mod.js";
import { sampleDistinct } from "../random.js";
import { listForRecord } from "../record.js";
import { flipAtRest } from "./bit-rot.js";
import type { FaultKind } from "./context.js";

/** Bytes of a pool metadata block. */
const METADATA_BLOCK_BYTES = 4096;

/**
 * `thin-metadata-corruption`: silent damage to one structure of a thin pool's on-disk metadata —
 * `bits` seeded bits flip, at rest, in one seeded block of the `structure` the committed superblock
 * points to (superblock, space maps, device details tree or mapping trees), so the kernel's open or
 * `thin_check` finds a bad checksum: "Check of pool … failed … Manual repair required!". Fire it
 * while the pool is inactive (the kernel would keep using its cached blocks otherwise).
 */
export const thinMetadataCorruption: FaultKind<"thin-metadata-corruption"> = {
  kind: "thin-metadata-corruption",
  activate(spec, context) {
    const where = context.thinMetadata(spec.pool);
    const pv = context.device(where.device);
    const issueNs = context.firedAt.tNs;
    const slice = readOnlySlice(pv.inner, where.offsetBytes, where.sizeBytes, issueNs);
    const blocks = metadataBlockRoles(slice)[spec.structure];
    if (blocks.length === 0) {
      throw new Error(`Fault ${context.label}: thin pool ${spec.pool} has no ${spec.structure} blocks`);
    }
    const block = blocks[context.random.int(blocks.length)] as number;
    const base = where.offsetBytes * 8 + block * METADATA_BLOCK_BYTES * 8;
    const bitPositions = sampleDistinct(context.random, spec.bits, METADATA_BLOCK_BYTES * 8).map(
      (b) => b + base,
    );
    flipAtRest(pv.inner, bitPositions, issueNs);
    return {
      effect: {
        pool: spec.pool,
        structure: spec.structure,
        device: where.device,
        block,
        candidates: blocks.length,
        ...listForRecord("bitPositions", bitPositions),
      },
    };
  },
};

/** A read-only window of `sizeBytes` at `offsetBytes` of `device`, read at `issueNs`. */
function readOnlySlice(
  device: BlockDevice,
  offsetBytes: number,
  sizeBytes: number,
  issueNs: number,
): BlockDevice {
  const refuse = (): never => {
    throw new Error("Invariant: the metadata locator's view is read-only");
  };
  return {
    name: `${device.name}+${offsetBytes}`,
    sizeBytes,
    stats: emptyIoStats(),
    read(at: number, dst: Uint8Array, _options?: IoOptions): number {
      if (at + dst.byteLength > sizeBytes) throw new RangeError(`Read past the metadata LV at ${at}`);
      return device.read(offsetBytes + at, dst, { issueNs });
    },
    write: refuse,
    flush: refuse,
    discard: refuse,
  };
}
