/**
 * `lvconvert --merge VG/SNAP` and what follows it (`_lvconvert_merge_old_snapshot`, lvpoll's
 * `_finish_lvconvert_merge`): the metadata says `merging_store`; while the origin is active its
 * table is `snapshot-merge` and the kernel copies exceptions back step by step on the scheduler;
 * when none are left the snapshot LV is removed and the origin gets a plain table again. A crash
 * leaves `merging_store` in the metadata, so the next activation picks the merge up where the
 * exception store says it stopped.
 */
import { SnapshotMergeTarget } from "../../dm/snapshot/merge.js";
import { removeLvTree } from "../../metadata/lv-alloc.js";
import { lvKinds } from "../../metadata/lv-kind.js";
import { findLv, type SnapshotSegment, type VolumeGroup } from "../../metadata/model.js";
import type { MutationInfo } from "../../sim/mutations.js";
import type { ScheduledEvent } from "../../sim/scheduler.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import { deviceMapperOf } from "../activation/activate.js";
import { DmDevice } from "../activation/dm-device.js";
import { dmName } from "../activation/dm-name.js";
import type { CommandContext } from "../command.js";
import type { Host } from "../host.js";
import { reloadWithResync } from "../mirror/kernel.js";
import { requireVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";

/** Trace event: a snapshot merge finished and the snapshot LV was removed. */
export const SNAPSHOT_MERGE_FINISHED_EVENT: TraceEventInfo = {
  name: "snapshot.merge.finished",
  description: "A snapshot merge finished and the snapshot LV was removed",
};

/** Mutation: the merge is declared finished (snapshot removed) after its first step. */
export const MUTATION_SNAPSHOT_MERGE_FINISH_EARLY = "lvm.snapshot.merge-finish-early";
/** Catalogue entry for {@link MUTATION_SNAPSHOT_MERGE_FINISH_EARLY}. */
export const SNAPSHOT_MERGE_FINISH_EARLY: MutationInfo = {
  name: MUTATION_SNAPSHOT_MERGE_FINISH_EARLY,
  description:
    "lvpoll removes the merging snapshot after the first merge step instead of when no exception is left: " +
    "the chunks not merged yet are lost from the origin",
};

/** The merging snapshot segment of origin `originName`, if any. */
export function mergingSnapshotOf(vg: VolumeGroup, originName: string): SnapshotSegment | undefined {
  for (const lv of vg.lvs) {
    const seg = lv.segments[0];
    if (seg?.type === "snapshot" && seg.origin === originName && seg.merging) return seg;
  }
  return undefined;
}

/** The live snapshot-merge target of origin `originName`, when its table is loaded. */
export function liveMergeTarget(
  host: Host,
  vgName: string,
  originName: string,
): SnapshotMergeTarget | undefined {
  const device = deviceMapperOf(host).device(dmName(vgName, originName));
  const table = device instanceof DmDevice ? device.live : device;
  return table instanceof SnapshotMergeTarget ? table : undefined;
}

interface MergeDriver {
  event: ScheduledEvent | undefined;
  steps: number;
  finished: boolean;
}

const drivers = new WeakMap<Host, Map<string, MergeDriver>>();

function driversOf(host: Host): Map<string, MergeDriver> {
  let map = drivers.get(host);
  if (map === undefined) {
    map = new Map();
    drivers.set(host, map);
  }
  return map;
}

/** True while a merge into origin `vgName/originName` is being driven on this host. */
export function mergeRunning(host: Host, vgName: string, originName: string): boolean {
  const driver = driversOf(host).get(`${vgName}/${originName}`);
  return driver !== undefined && !driver.finished;
}

/** Stops driving the merge into `vgName/originName` (deactivation); the metadata keeps it pending. */
export function stopMerge(host: Host, vgName: string, originName: string): void {
  const key = `${vgName}/${originName}`;
  const driver = driversOf(host).get(key);
  if (driver?.event !== undefined) host.scheduler.cancel(driver.event);
  driversOf(host).delete(key);
}

/** Options of {@link startMerge}. */
export interface StartMergeOptions {
  /** Called after the snapshot LV was removed (the merge is complete). */
  readonly onDone?: (nowNs: number) => void;
}

/**
 * Drives the live snapshot-merge of `originName` one run of chunks per scheduler step, then removes
 * the merged snapshot from the metadata (written through `context`) and reloads the origin. Throws
 * when the origin's table is not snapshot-merge.
 */
export function startMerge(
  context: CommandContext,
  vg: VolumeGroup,
  originName: string,
  options: StartMergeOptions = {},
): void {
  const host = context.host;
  const target = liveMergeTarget(host, vg.name, originName);
  const seg = mergingSnapshotOf(vg, originName);
  if (target === undefined || seg === undefined) {
    throw new Error(`Cannot merge into ${vg.name}/${originName}: no snapshot-merge table is loaded for it`);
  }
  stopMerge(host, vg.name, originName);
  const key = `${vg.name}/${originName}`;
  // Each step merges at least one chunk, so this bound is never reached by a working merge.
  const maxSteps = target.store.exceptionCount + 2;
  const driver: MergeDriver = { event: undefined, steps: 0, finished: false };
  driversOf(host).set(key, driver);
  const run = (nowNs: number): void => {
    driver.event = undefined;
    if (driver.steps >= maxSteps) {
      throw new Error(`Merge into ${key} did not finish in ${maxSteps} steps; an exception never clears`);
    }
    const step = target.mergeStep({ issueNs: nowNs });
    // A stalled merge (sync gate closed) merged nothing; only real steps count against the bound.
    if (step.mergedChunks > 0 || step.done) driver.steps += 1;
    const early = host.mutations.has(MUTATION_SNAPSHOT_MERGE_FINISH_EARLY);
    if (!step.done && !early) {
      driver.event = host.scheduler.at(
        Math.max(step.doneNs, host.scheduler.nowNs),
        run,
        `snapshot.merge ${key}`,
      );
      return;
    }
    driver.finished = true;
    driversOf(host).delete(key);
    // lvpoll's last progress line comes before the finishing messages.
    // lvpoll polls the origin (the snapshot became part of it), so the line names the origin.
    context.out.message(`${vg.name}/${originName}: Merged: 100.00%`);
    const doneNs = finishMerge(context, vg.name, originName);
    options.onDone?.(doneNs);
  };
  driver.event = host.scheduler.at(host.scheduler.nowNs, run, `snapshot.merge ${key}`);
}

/**
 * The end of a merge: the snapshot (COW LV and `snapshotN`) leaves the metadata, its devices go,
 * and the origin's table is reloaded without the merge. Returns the virtual time.
 */
function finishMerge(context: CommandContext, vgName: string, originName: string): number {
  const host = context.host;
  const scan = scanHost(host);
  const vg = requireVg(scan, vgName, { allowMissing: true }).vg;
  const seg = mergingSnapshotOf(vg, originName);
  if (seg === undefined) return host.scheduler.nowNs;
  const cow = findLv(vg, seg.cowStore);
  const next = writeVg(context, scan, removeLvTree(vg, seg.cowStore));
  const dm = deviceMapperOf(host);
  dm.remove(dmName(vg.name, seg.cowStore));
  dm.remove(dmName(vg.name, seg.cowStore, "cow"));
  if (cow !== undefined) {
    dm.dropLv(cow.id);
    host.activeLvs.delete(cow.id);
  }
  if (!lvKinds(next).get(originName)?.origin) dm.remove(dmName(vg.name, originName, "real"));
  reloadWithResync(host, next, originName);
  context.out.message(`Merge of snapshot into logical volume ${originName} has finished.`);
  context.out.message(`Logical volume "${seg.cowStore}" successfully removed.`);
  host.trace.emit(SNAPSHOT_MERGE_FINISHED_EVENT.name, {
    vg: vgName,
    origin: originName,
    snapshot: seg.cowStore,
  });
  return host.scheduler.nowNs;
}

const openLvs = new WeakMap<Host, Set<string>>();

/**
 * Records that LV `lvId` is held open (mounted, in use) on this host, or no longer is. lvmlab has no
 * openers of its own; scenarios mark LVs open to reproduce "Delaying merge since origin is open".
 */
export function setLvOpen(host: Host, lvId: string, open: boolean): void {
  let set = openLvs.get(host);
  if (set === undefined) {
    set = new Set();
    openLvs.set(host, set);
  }
  if (open) set.add(lvId);
  else set.delete(lvId);
}

/** Whether LV `lvId` is marked open on this host. */
export function isLvOpen(host: Host, lvId: string): boolean {
  return openLvs.get(host)?.has(lvId) ?? false;
}
