import type { FaultKind } from "./context.js";

/**
 * `cow-exhaustion`: a snapshot's COW store runs out of space. The store's usable size is capped
 * at what it already uses plus `freeChunks`, so the next exception(s) past that get ENOSPC and
 * the snapshot is invalidated (LVM loads the store as `P`, see research §5.3) while origin
 * writes carry on. With a window the cap is lifted again (an lvextend that came too late).
 */
export const cowExhaustion: FaultKind<"cow-exhaustion"> = {
  kind: "cow-exhaustion",
  activate(spec, context) {
    const cow = context.snapshot(spec.snapshot);
    const usedChunks = cow.cowChunksUsed();
    const limitChunks = usedChunks + spec.freeChunks;
    cow.setCowChunkLimit(limitChunks);
    return {
      effect: { snapshot: spec.snapshot, usedChunks, limitChunks },
      clear() {
        cow.setCowChunkLimit(undefined);
        return { snapshot: spec.snapshot };
      },
    };
  },
};
