import { isCowSpace, isFillableSnapshot } from "../targets.js";
import type { Activation, FaultKind } from "./context.js";

/** Most chunks one fill may copy, so a huge origin cannot stall a run. */
const FILL_CHUNKS_MAX = 1 << 22;

/**
 * `cow-exhaustion`: a snapshot's COW store runs out of space, so the next exception past it gets
 * ENOSPC and the snapshot is invalidated (LVM loads the store as `P`, research §5.3) while origin
 * writes carry on. `fill` (default) copies still-unchanged origin chunks into the COW, starting at
 * a seeded chunk, exactly as origin writes of identical data would, until only `freeChunks` are
 * left; the origin and the snapshot's contents stay the same. `limit` caps a store that offers
 * `setCowChunkLimit` at used + `freeChunks`, and lifts the cap when the window closes.
 */
export const cowExhaustion: FaultKind<"cow-exhaustion"> = {
  kind: "cow-exhaustion",
  activate(spec, context): Activation {
    const target = context.snapshot(spec.snapshot);
    if (spec.mode === "limit") {
      if (!isCowSpace(target)) {
        throw new Error(
          `Fault ${context.label} wants mode limit, but snapshot ${spec.snapshot} has no setCowChunkLimit; use mode fill`,
        );
      }
      const usedChunks = target.cowChunksUsed();
      const limitChunks = usedChunks + spec.freeChunks;
      target.setCowChunkLimit(limitChunks);
      return {
        effect: { snapshot: spec.snapshot, mode: "limit", usedChunks, limitChunks },
        clear() {
          target.setCowChunkLimit(undefined);
          return { snapshot: spec.snapshot };
        },
      };
    }
    if (!isFillableSnapshot(target)) {
      throw new Error(
        `Fault ${context.label} wants mode fill, but snapshot ${spec.snapshot} cannot copy chunks; register the SnapshotTarget`,
      );
    }
    const { store } = target;
    const cowChunks = Math.floor(store.usage().totalSectors / store.chunkSizeSectors);
    const freeChunks = () => cowChunks - store.usage().sectorsAllocated / store.chunkSizeSectors;
    const originChunks = Math.min(Math.floor(target.sizeBytes / store.chunkBytes), FILL_CHUNKS_MAX);
    const startChunk = context.random.int(originChunks);
    let issueNs = context.firedAt.tNs;
    let copiedChunks = 0;
    for (let i = 0; i < originChunks && target.valid && freeChunks() > spec.freeChunks; i += 1) {
      const chunk = (startChunk + i) % originChunks;
      if (store.lookup(chunk) !== undefined) continue;
      const pending = target.copyChunks(chunk * store.chunkBytes, store.chunkBytes, issueNs);
      issueNs = target.commitCopies(pending, issueNs);
      copiedChunks += pending.entries.length;
    }
    return {
      effect: {
        snapshot: spec.snapshot,
        mode: "fill",
        startChunk,
        copiedChunks,
        freeChunks: freeChunks(),
        valid: target.valid,
        doneNs: issueNs,
      },
    };
  },
};
