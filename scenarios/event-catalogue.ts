/**
 * The trace events a scenario may name: in a fault's `at.event` or `window.untilEvent`, in
 * `explore.from`/`explore.to`, and in a swarm's drawn crash point. Each entry is declared beside
 * the engine code that emits it (as mutations are), and collected here, so a misspelled event is
 * refused when the scenario loads instead of never firing. The runner also checks that every event
 * the engine emits is listed here, so the catalogue cannot fall behind the engine.
 */
import {
  BLOCK_DISCARD_EVENT,
  BLOCK_FLUSH_EVENT,
  BLOCK_POWERCUT_EVENT,
  BLOCK_WRITE_EVENT,
} from "../engine/block/cache.js";
import {
  MIRROR_LEG_DEFAULT_EVENT,
  MIRROR_LEG_FAIL_EVENT,
  MIRROR_RESYNC_STEP_EVENT,
} from "../engine/dm/mirror/mirror.js";
import {
  MIRROR_LOG_FAIL_EVENT,
  MIRROR_LOG_FLUSH_EVENT,
  MIRROR_REGION_CLEAR_EVENT,
  MIRROR_REGION_MARK_EVENT,
} from "../engine/dm/mirror/region-log.js";
import { RAID1_TRACE_EVENTS } from "../engine/dm/raid/raid1.js";
import { SNAPSHOT_EXCEPTION_COMMIT_EVENT } from "../engine/dm/snapshot/exception-store.js";
import { SNAPSHOT_MERGE_STEP_EVENT } from "../engine/dm/snapshot/merge.js";
import { SNAPSHOT_COW_COPY_EVENT, SNAPSHOT_INVALIDATE_EVENT } from "../engine/dm/snapshot/snapshot.js";
import { THIN_TRACE_EVENTS } from "../engine/dm/thin/mod.js";
import { METADATA_TRACE_EVENTS } from "../engine/format/commit.js";
import { MIRROR_LOG_INIT_EVENT } from "../engine/lvm/mirror/log-init.js";
import { PVMOVE_ABORT_EVENT, PVMOVE_FINISH_EVENT } from "../engine/lvm/pvmove/finish.js";
import { PVMOVE_SEGMENT_SYNCED_EVENT } from "../engine/lvm/pvmove/kernel.js";
import { PVMOVE_CHECKPOINT_EVENT } from "../engine/lvm/pvmove/poll.js";
import { PVMOVE_START_EVENT } from "../engine/lvm/pvmove/setup.js";
import { SNAPSHOT_MERGE_FINISHED_EVENT } from "../engine/lvm/snapshot/merge.js";
import { THIN_AUTOEXTEND_EVENT } from "../engine/lvm/thin/mod.js";
import type { TraceEventInfo } from "../engine/sim/trace.js";

/** Every trace event the engine emits, by subsystem. */
export const TRACE_EVENT_CATALOGUE: readonly TraceEventInfo[] = [
  ...METADATA_TRACE_EVENTS,
  PVMOVE_START_EVENT,
  PVMOVE_SEGMENT_SYNCED_EVENT,
  PVMOVE_CHECKPOINT_EVENT,
  PVMOVE_FINISH_EVENT,
  PVMOVE_ABORT_EVENT,
  MIRROR_LOG_INIT_EVENT,
  MIRROR_REGION_MARK_EVENT,
  MIRROR_REGION_CLEAR_EVENT,
  MIRROR_LOG_FLUSH_EVENT,
  MIRROR_LOG_FAIL_EVENT,
  MIRROR_RESYNC_STEP_EVENT,
  MIRROR_LEG_FAIL_EVENT,
  MIRROR_LEG_DEFAULT_EVENT,
  SNAPSHOT_COW_COPY_EVENT,
  SNAPSHOT_EXCEPTION_COMMIT_EVENT,
  SNAPSHOT_INVALIDATE_EVENT,
  SNAPSHOT_MERGE_STEP_EVENT,
  SNAPSHOT_MERGE_FINISHED_EVENT,
  BLOCK_WRITE_EVENT,
  BLOCK_FLUSH_EVENT,
  BLOCK_DISCARD_EVENT,
  BLOCK_POWERCUT_EVENT,
  ...RAID1_TRACE_EVENTS,
  ...THIN_TRACE_EVENTS,
  THIN_AUTOEXTEND_EVENT,
];

const NAMES: ReadonlySet<string> = new Set(TRACE_EVENT_CATALOGUE.map((e) => e.name));

/** True when the engine emits an event of this name. */
export function isKnownTraceEvent(name: string): boolean {
  return NAMES.has(name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Why a name is refused, with the closest known name when one is near: `Unknown trace event …`. */
export function unknownTraceEventMessage(name: string): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of NAMES) {
    const distance = editDistance(name, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  const hint =
    best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4))
      ? `; did you mean "${best}"?`
      : "";
  return `Unknown trace event "${name}"${hint} (lvmlab list --events lists them)`;
}
