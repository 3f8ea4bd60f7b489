/**
 * What activation commands do in the kernel for mirrors and snapshots: build the LV's dm tables
 * through the activation module, start the background work the kernel starts on its own (mirror
 * resync, a pending snapshot merge), and on deactivation suspend mirrors (which writes their logs),
 * stop that work and remove the devices. LVs stacked on a pvmove LV are left to the pvmove code.
 */
import { lvKinds, otherSegmentLvNames } from "../../metadata/lv-kind.js";
import { findLv, type LogicalVolume, type VolumeGroup } from "../../metadata/model.js";
import { raid1View } from "../../metadata/raid.js";
import { isThinSegment } from "../../metadata/thin.js";
import { activateLv, deviceMapperOf } from "../activation/activate.js";
import { dmName } from "../activation/dm-name.js";
import type { CommandContext } from "../command.js";
import { liveMirrorsOf, reloadWithResync, startLvResync, stopLvResync } from "../mirror/kernel.js";
import { initMirrorLog } from "../mirror/log-init.js";
import { startRaidLvSync, stopRaidLv } from "../raid/kernel.js";
import { wipeRaidMetas } from "../raid/wipe.js";
import { wipeCowStart } from "../snapshot/create.js";
import {
  liveMergeTarget,
  mergeRunning,
  mergingSnapshotOf,
  startMerge,
  stopMerge,
} from "../snapshot/merge.js";
import { livePool, liveThin } from "../thin/status.js";

/** The LV and every LV beneath it (images, logs, layered areas), at most one visit each. */
function stackOf(vg: VolumeGroup, lvName: string): LogicalVolume[] {
  const out: LogicalVolume[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || seen.size > vg.lvs.length) return;
    seen.add(name);
    const lv = findLv(vg, name);
    if (lv === undefined) return;
    out.push(lv);
    for (const seg of lv.segments) {
      if (seg.type === "striped" || seg.type === "mirror") {
        for (const area of seg.areas) if (area.kind === "lv") visit(area.lv);
        if (seg.type === "mirror" && seg.mirrorLog !== undefined) visit(seg.mirrorLog);
      }
      // A pool stacks on its _tdata and _tmeta (a thin LV only uses the pool: it is not beneath it).
      if (seg.type === "other" && seg.segType === "thin-pool")
        for (const sub of otherSegmentLvNames(seg)) visit(sub);
      for (const leg of raid1View(seg)?.legs ?? []) {
        visit(leg.image);
        visit(leg.meta);
      }
    }
  };
  visit(lvName);
  return out;
}

/** True when lvmlab can build tables for the LV: modelled segment types, no pvmove underneath. */
function hasModelledTables(vg: VolumeGroup, lvName: string): boolean {
  const kinds = lvKinds(vg);
  const names = [lvName];
  const cowOf = vg.lvs
    .map((lv) => lv.segments[0])
    .find((s) => s?.type === "snapshot" && s.cowStore === lvName);
  if (cowOf?.type === "snapshot") names.push(cowOf.origin);
  return names.every((name) =>
    stackOf(vg, name).every(
      (lv) =>
        !kinds.get(lv.name)?.pvmove &&
        !kinds.get(lv.name)?.locked &&
        lv.segments.every((s) => s.type !== "other" || isThinSegment(s) || s.segType === "raid1"),
    ),
  );
}

/**
 * Builds the tables of `lvName` (a no-op with `--driverloaded n` or unmodelled types), starts
 * mirror resync and a pending merge into it. A snapshot's origin is reloaded so its
 * snapshot-origin table knows every snapshot.
 */
export function activateTables(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  if (context.driverLoaded === false || !hasModelledTables(vg, lvName)) return;
  const host = context.host;
  const dm = deviceMapperOf(host);
  const kinds = lvKinds(vg);
  const lv = findLv(vg, lvName);
  if (lv === undefined) return;
  const snapSeg = vg.lvs
    .map((l) => l.segments[0])
    .find((s) => s?.type === "snapshot" && s.cowStore === lvName);
  const originName =
    snapSeg?.type === "snapshot" ? snapSeg.origin : kinds.get(lvName)?.origin ? lvName : undefined;
  if (snapSeg?.type === "snapshot" && dm.device(dmName(vg.name, snapSeg.origin)) !== undefined) {
    // The origin is live without this snapshot's table: reload it (lv_update_and_reload).
    if (dm.device(dmName(vg.name, lvName)) === undefined) reloadOrigin(context, vg, snapSeg.origin);
  }
  activateLv(host, vg, lvName, { startResync: false });
  startLvResync(host, lv.id, liveMirrorsOf(host, vg.name, lvName));
  startRaidLvSync(host, vg, lvName);
  if (originName !== undefined) {
    const origin = findLv(vg, originName);
    if (origin !== undefined && dm.lv(origin.id) === undefined)
      activateLv(host, vg, originName, { startResync: false });
    if (
      mergingSnapshotOf(vg, originName) !== undefined &&
      liveMergeTarget(host, vg.name, originName) !== undefined &&
      !mergeRunning(host, vg.name, originName)
    ) {
      startMerge(context, vg, originName);
    }
  }
}

/** Reloads a live origin's tables from `vg` after a snapshot came or went. */
function reloadOrigin(context: CommandContext, vg: VolumeGroup, originName: string): void {
  const dm = deviceMapperOf(context.host);
  if (!lvKinds(vg).get(originName)?.origin) dm.remove(dmName(vg.name, originName, "real"));
  reloadWithResync(context.host, vg, originName);
}

/** dm names an LV may own: its top device and its `-real`/`-cow`/`-tpool` layers. */
function namesOf(vgName: string, lvName: string): string[] {
  return [
    dmName(vgName, lvName),
    dmName(vgName, lvName, "real"),
    dmName(vgName, lvName, "cow"),
    dmName(vgName, lvName, "tpool"),
  ];
}

/**
 * Removes the tables of `lvName` and everything beneath it; an origin takes its snapshots with it,
 * as LVM2 deactivates them together. Mirrors are suspended first so their logs are written.
 */
export function deactivateTables(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  if (context.driverLoaded === false) return;
  const host = context.host;
  const dm = deviceMapperOf(host);
  const kinds = lvKinds(vg);
  const tops = [lvName];
  if (kinds.get(lvName)?.origin) {
    for (const l of vg.lvs) {
      const seg = l.segments[0];
      if (seg?.type === "snapshot" && seg.origin === lvName) tops.push(seg.cowStore);
    }
    stopMerge(host, vg.name, lvName);
  }
  for (const top of tops) {
    for (const lv of stackOf(vg, top)) {
      for (const mirror of liveMirrorsOf(host, vg.name, lv.name))
        mirror.suspend({ issueNs: host.scheduler.nowNs });
      // A thin device closes; a pool's postsuspend commits its metadata.
      liveThin(host, vg.name, lv.name)?.close();
      livePool(host, vg.name, lv.name)?.close(host.scheduler.nowNs);
      stopLvResync(host, lv.id);
      stopRaidLv(host, vg, lv.name, { clean: true });
      for (const name of namesOf(vg.name, lv.name)) dm.remove(name);
      dm.dropLv(lv.id);
      host.activeLvs.delete(lv.id);
    }
  }
}

/** After an LV left the metadata (lvremove, lvconvert): drop its devices and background work. */
export function forgetTables(context: CommandContext, vg: VolumeGroup, lvNames: readonly string[]): void {
  const host = context.host;
  const dm = deviceMapperOf(host);
  for (const name of lvNames) {
    const lv = findLv(vg, name);
    if (lv !== undefined) {
      stopLvResync(host, lv.id);
      stopRaidLv(host, vg, name, { clean: false });
      dm.dropLv(lv.id);
      host.activeLvs.delete(lv.id);
    }
    for (const dmDevice of namesOf(vg.name, name)) dm.remove(dmDevice);
  }
}

/**
 * What lvcreate does before committing a new mirror or snapshot: initialise the mirror's disk log
 * (0x00, or 0xFF with `--nosync`) and wipe the start of a new COW store, so that no committed
 * metadata ever points at a stale log or exception store. The extents are still free on disk, so
 * a crash before the commit loses nothing.
 */
export function initCreatedLv(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  options: { readonly nosync: boolean },
): void {
  const lv = findLv(vg, lvName);
  if (lv === undefined) return;
  const mirror = lv.segments[0]?.type === "mirror" ? lv.segments[0] : undefined;
  if (mirror?.type === "mirror" && options.nosync) {
    context.out.warn("New mirror won't be synchronised. Don't read what you didn't write!");
  }
  if (mirror?.type === "mirror" && mirror.mirrorLog !== undefined) {
    initMirrorLog(context.host, vg, mirror.mirrorLog, { inSync: options.nosync });
  }
  if (lvKinds(vg).get(lvName)?.cow) wipeCowStart(context.host, vg, lvName);
  wipeRaidMetas(context.host, vg, lvName);
}

/** What lvcreate does after the commit when activating: mark the sub-LVs active and build the tables. */
export function prepareCreatedLv(
  context: CommandContext,
  vg: VolumeGroup,
  lvName: string,
  options: { readonly activate: boolean; readonly nosync: boolean },
): void {
  const lv = findLv(vg, lvName);
  if (lv === undefined) return;
  if (!options.activate || context.driverLoaded === false) return;
  for (const sub of stackOf(vg, lvName)) context.host.activeLvs.add(sub.id);
  activateTables(context, vg, lvName);
}

/**
 * Before lvremove writes: a live LV being removed loses its tables (its mirrors suspended, its
 * resync or merge stopped); a snapshot's origin is reloaded after the write by {@link afterLvRemove}.
 */
export function beforeLvRemove(context: CommandContext, vg: VolumeGroup, lvName: string): void {
  if (context.driverLoaded === false) return;
  const kind = lvKinds(vg).get(lvName);
  if (kind?.cow) {
    const lv = findLv(vg, lvName);
    if (lv !== undefined) {
      stopLvResync(context.host, lv.id);
      forgetTables(context, vg, [lvName]);
    }
    return;
  }
  deactivateTables(context, vg, lvName);
}

/**
 * After lvremove wrote `after`: devices of every LV that left go, and an origin that lost a
 * snapshot is reloaded (a plain table again when it has none left).
 */
export function afterLvRemove(context: CommandContext, before: VolumeGroup, after: VolumeGroup): void {
  if (context.driverLoaded === false) return;
  const gone = before.lvs.filter((l) => findLv(after, l.name)?.id !== l.id);
  forgetTables(
    context,
    before,
    gone.map((l) => l.name),
  );
  const dm = deviceMapperOf(context.host);
  const origins = new Set<string>();
  for (const lv of gone) {
    const seg = lv.segments[0];
    if (seg?.type === "snapshot") origins.add(seg.origin);
  }
  for (const origin of origins) {
    const lv = findLv(after, origin);
    if (lv !== undefined && dm.lv(lv.id) !== undefined) reloadOrigin(context, after, origin);
  }
}
