/**
 * The deliberately broken engines `lvmlab mutants` runs the library against. Each entry is a
 * mutation the engine honours (declared next to the code it breaks); the list names the ones the
 * suite must catch. Harness mutations (oracle, fault triggers) are proven by their own unit tests.
 */
import { FUA_STAYS_VOLATILE } from "../engine/block/cache.js";
import { DM_MUTATIONS } from "../engine/dm/mod.js";
import { RAID1_MUTATIONS } from "../engine/dm/raid/raid1.js";
import { COMMIT_BEFORE_TEXT } from "../engine/format/commit.js";
import { SCAN_PREFERS_LOWER_SEQNO } from "../engine/format/scan.js";
import { PVMOVE_MUTATIONS } from "../engine/lvm/pvmove/poll.js";
import { SNAPSHOT_MERGE_FINISH_EARLY } from "../engine/lvm/snapshot/merge.js";
import { SAME_SEQNO } from "../engine/lvm/vg-write.js";
import { ALLOC_STALE_FREE_SPACE } from "../engine/metadata/alloc.js";
import type { MutationInfo } from "../engine/sim/mutations.js";

/** The engine mutants the nightly library must catch. */
export const MUTANT_CATALOGUE: readonly MutationInfo[] = [
  ...PVMOVE_MUTATIONS,
  ...DM_MUTATIONS,
  ...RAID1_MUTATIONS,
  COMMIT_BEFORE_TEXT,
  SCAN_PREFERS_LOWER_SEQNO,
  FUA_STAYS_VOLATILE,
  SAME_SEQNO,
  ALLOC_STALE_FREE_SPACE,
  SNAPSHOT_MERGE_FINISH_EARLY,
];
