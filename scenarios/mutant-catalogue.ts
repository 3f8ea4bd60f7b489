/**
 * The deliberately broken engines `lvmlab mutants` runs the library against. Each entry is a
 * mutation the engine honours (declared next to the code it breaks); the list names the ones the
 * nightly library must catch. The harness mutations here (the oracle reporting lost as stale or
 * flushing all but one block, a write trigger counting other devices) reach the oracle and the
 * injector through the executor, so the nightly must catch them too; other harness mutations
 * (a trigger one late, lenient oracles) are proven by their own unit tests.
 */
import { FUA_KEEPS_OLDER_CACHED, FUA_STAYS_VOLATILE } from "../engine/block/cache.js";
import { SUBSET_KEEPS_ALL, TORN_NEVER_TEARS } from "../engine/block/crash-state.js";
import { DM_MUTATIONS } from "../engine/dm/mod.js";
import { RAID1_MUTATIONS } from "../engine/dm/raid/raid1.js";
import { THIN_MUTATIONS } from "../engine/dm/thin/mod.js";
import { COMMIT_BEFORE_TEXT, LATER_AREAS_OLD_BODY } from "../engine/format/commit.js";
import { SCAN_FIRST_MDA_ONLY, WRAP_READ_FROM_AREA_START } from "../engine/format/mod.js";
import { SCAN_PREFERS_LOWER_SEQNO } from "../engine/format/scan.js";
import { RAID1_CONVERT_MUTATIONS, THIN_LVCREATE_IGNORES_POOL_STATE } from "../engine/lvm/mod.js";
import { PVMOVE_ABORT_KEEPS_RUNNING_SEGMENT } from "../engine/lvm/pvmove/abort.js";
import { PVMOVE_FINISH_SKIP_FLUSH } from "../engine/lvm/pvmove/finish.js";
import { PVMOVE_MUTATIONS } from "../engine/lvm/pvmove/poll.js";
import { PVMOVE_RESUME_IGNORES_MOVED } from "../engine/lvm/pvmove/resume.js";
import { SNAPSHOT_MERGE_FINISH_EARLY } from "../engine/lvm/snapshot/merge.js";
import { FIRST_AREA_ONLY, SAME_SEQNO } from "../engine/lvm/vg-write.js";
import { ALLOC_STALE_FREE_SPACE } from "../engine/metadata/alloc.js";
import { DETAILS_NOT_DIRTIED_ON_INSERT } from "../engine/persistent-data/mod.js";
import type { MutationInfo } from "../engine/sim/mutations.js";
import { LATENT_NEVER_HEALS, TRIGGER_COUNTS_OTHER_DEVICES } from "../faults/mod.js";
import { ORACLE_FLUSH_SKIPS_BLOCK, ORACLE_LOST_AS_STALE } from "../workloads/oracle.js";

/** The engine mutants the nightly library must catch. */
export const MUTANT_CATALOGUE: readonly MutationInfo[] = [
  ...PVMOVE_MUTATIONS,
  PVMOVE_FINISH_SKIP_FLUSH,
  PVMOVE_RESUME_IGNORES_MOVED,
  PVMOVE_ABORT_KEEPS_RUNNING_SEGMENT,
  ...DM_MUTATIONS,
  ...THIN_MUTATIONS,
  THIN_LVCREATE_IGNORES_POOL_STATE,
  ...RAID1_MUTATIONS,
  ...RAID1_CONVERT_MUTATIONS,
  COMMIT_BEFORE_TEXT,
  SCAN_PREFERS_LOWER_SEQNO,
  WRAP_READ_FROM_AREA_START,
  SCAN_FIRST_MDA_ONLY,
  FUA_STAYS_VOLATILE,
  TORN_NEVER_TEARS,
  SUBSET_KEEPS_ALL,
  SAME_SEQNO,
  ALLOC_STALE_FREE_SPACE,
  SNAPSHOT_MERGE_FINISH_EARLY,
  ORACLE_LOST_AS_STALE,
  LATER_AREAS_OLD_BODY,
  DETAILS_NOT_DIRTIED_ON_INSERT,
  TRIGGER_COUNTS_OTHER_DEVICES,
  ORACLE_FLUSH_SKIPS_BLOCK,
  FUA_KEEPS_OLDER_CACHED,
  FIRST_AREA_ONLY,
  LATENT_NEVER_HEALS,
];
