import type { FaultKind } from "./context.js";

/**
 * `thin-metadata-exhaustion`: a live thin pool's metadata runs out — only `freeBlocks` more
 * metadata blocks can be allocated — so the next btree shadow or split fails with ENOSPC, as when
 * a burst of provisioning within one transaction eats the kernel's metadata reserve. dm-thin then
 * aborts the transaction, writes NEEDS_CHECK and keeps the pool read-only until it is repaired.
 * The cap lives in the pool object the kernel holds: a reactivation or reboot drops it.
 */
export const thinMetadataExhaustion: FaultKind<"thin-metadata-exhaustion"> = {
  kind: "thin-metadata-exhaustion",
  activate(spec, context) {
    const pool = context.thinPool(spec.pool);
    const usedBlocks = pool.metadataBlocksUsed();
    pool.setMetadataFreeBlocks(spec.freeBlocks);
    return { effect: { pool: spec.pool, usedBlocks, freeBlocks: spec.freeBlocks } };
  },
};
