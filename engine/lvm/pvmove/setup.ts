/**
 * Starting a move (`_pvmove_setup_single`, `_set_up_pvmove_lv` in `tools/pvmove.c`): find a move
 * already running from the source PV (then only resume it), otherwise build the pvmove LV with
 * engine/metadata's `setUpPvmove`, commit it (the first metadata write, before any data moves),
 * and load the tables: the moved LVs now map through `pvmoveN`, whose first segment copies.
 */
import { AllocationError } from "../../metadata/alloc.js";
import { pvFreeExtents } from "../../metadata/extent-map.js";
import type { AllocPolicy, LogicalVolume, PhysicalVolume, VolumeGroup } from "../../metadata/model.js";
import { createPvList, type PvSelection } from "../../metadata/pv-list.js";
import { setUpPvmove } from "../../metadata/pvmove.js";
import type { TraceEventInfo } from "../../sim/trace.js";
import { activateLv, deviceMapperOf, reloadLv } from "../activation/activate.js";
import { type CommandContext, LvmCommandError } from "../command.js";
import { newUuid } from "../ids.js";
import type { HostScan } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { type MoveRef, pvmoveActivateOptions, startPvmoveCopy } from "./kernel.js";

/** Trace event: pvmove committed its pvmove LV and loaded the copy tables. */
export const PVMOVE_START_EVENT: TraceEventInfo = {
  name: "pvmove.start",
  description: "pvmove committed its pvmove LV and loaded the copy tables",
};

/** One pvmove LV, as the poller identifies it (`struct poll_operation_id`). */
export interface PvmoveId extends MoveRef {
  /** The LV uuid, so a later LV of the same name is not mistaken for it. */
  readonly lvId: string;
  /** The source PV's device name: what progress lines and messages show. */
  readonly displayName: string;
}

/** What `pvmove SOURCE[:PE ranges] [DEST…]` asks for. */
export interface PvmoveRequest {
  /** `SOURCE` with optional PE ranges (`/dev/x:0-9`). */
  readonly source: string;
  /** Destination PVs, possibly with PE ranges; all allocatable PVs of the VG when empty. */
  readonly destinations: readonly string[];
  /** `-n LV`. */
  readonly lvName?: string;
  /** `--alloc`. */
  readonly policy?: AllocPolicy;
  readonly atomic?: boolean;
}

/** What {@link startPvmove} did: a new move, or the move already running from that PV. */
export interface PvmoveStart {
  readonly id: PvmoveId;
  readonly resumed: boolean;
  /** The VG as committed (for a new move) or as read (for a resumed one). */
  readonly vg: VolumeGroup;
}

/** The device part of a PV argument (`/dev/x:0-9` → `/dev/x`). */
export function pvArgDevice(arg: string): string {
  const colon = arg.indexOf(":");
  return colon < 0 ? arg : arg.slice(0, colon);
}

/**
 * LVM2's `find_pvmove_lv`: the first PVMOVE LV whose segments' first area (the source) is on `pv`,
 * looking through `_mimage_0` for an `--atomic` move. A PV that is only a destination does not count.
 */
export function findMoveFromSource(vg: VolumeGroup, pvName: string): LogicalVolume | undefined {
  for (const lv of vg.lvs) {
    if (!lv.status.includes("PVMOVE")) continue;
    for (const seg of lv.segments) {
      if (seg.type !== "mirror" && seg.type !== "striped") continue;
      let first = seg.areas[0];
      if (first?.kind === "lv") {
        const image = vg.lvs.find((l) => l.name === (first as { lv: string }).lv);
        const inner = image?.segments[0];
        first = inner?.type === "striped" || inner?.type === "mirror" ? inner.areas[0] : undefined;
      }
      if (first?.kind === "pv" && first.pv === pvName) return lv;
    }
  }
  return undefined;
}

/** The source PV's device name of a pvmove LV (`get_pvmove_pvname_from_lv_mirr`), or undefined. */
export function moveSourceDevice(vg: VolumeGroup, pvmove: LogicalVolume): string | undefined {
  const seg = pvmove.segments[0];
  if (seg?.type !== "mirror" && seg?.type !== "striped") return undefined;
  let first = seg.areas[0];
  if (first?.kind === "lv") {
    const image = vg.lvs.find((l) => l.name === (first as { lv: string }).lv);
    const inner = image?.segments[0];
    first = inner?.type === "striped" || inner?.type === "mirror" ? inner.areas[0] : undefined;
  }
  if (first?.kind !== "pv") return undefined;
  const pv = vg.pvs.find((p) => p.name === (first as { pv: string }).pv);
  if (pv === undefined) return undefined;
  return pv.status.includes("MISSING") ? "[unknown]" : pv.deviceHint;
}

/** The LVs whose segments map through `pvmoveName` (`lvs_using_lv`). */
export function lvsUsing(vg: VolumeGroup, pvmoveName: string): LogicalVolume[] {
  return vg.lvs.filter((lv) =>
    lv.segments.some(
      (s) =>
        (s.type === "striped" || s.type === "mirror") &&
        s.areas.some((a) => a.kind === "lv" && a.lv === pvmoveName),
    ),
  );
}

/** `_get_allocatable_pvs`: named PVs (or all), minus the source unless `--alloc anywhere`, minus full ones. */
function allocatablePvs(vg: VolumeGroup, source: PhysicalVolume, request: PvmoveRequest): PvSelection[] {
  let list: PvSelection[];
  try {
    list =
      request.destinations.length > 0
        ? createPvList(vg, request.destinations, { allocatableOnly: true })
        : vg.pvs
            .filter((pv) => pv.status.includes("ALLOCATABLE") && !pv.status.includes("MISSING"))
            .map((pv) => ({ pv: pv.name }));
  } catch (error) {
    throw new LvmCommandError((error as Error).message, 3);
  }
  list = list.filter(
    (s) => (request.policy === "anywhere" || s.pv !== source.name) && pvFreeExtents(vg, s.pv) > 0,
  );
  if (list.length === 0) throw new LvmCommandError("No extents available for allocation.");
  return list;
}

/** Loads the tables a move needs: the moved LVs map through the pvmove LV, which starts copying. */
function loadMoveTables(context: CommandContext, vg: VolumeGroup, pvmoveName: string): void {
  const host = context.host;
  const dm = deviceMapperOf(host);
  const options = pvmoveActivateOptions(host);
  for (const lv of lvsUsing(vg, pvmoveName)) {
    // An active LV swaps its table in place (suspend, load, resume); others come up with the move.
    if (dm.lv(lv.id) !== undefined) reloadLv(host, vg, lv.name, options);
    else activateLv(host, vg, lv.name, options);
  }
  activateLv(host, vg, pvmoveName, options);
  startPvmoveCopy(host, { vgName: vg.name, lvName: pvmoveName });
}

/**
 * Sets up `pvmove` on `vg`, or finds the move already running from the source PV. A new move is
 * committed before any data moves; with `--driverloaded n` nothing is activated.
 */
export function startPvmove(
  context: CommandContext,
  scan: HostScan,
  options: { readonly vg: VolumeGroup; readonly request: PvmoveRequest },
): PvmoveStart {
  const { vg, request } = options;
  const device = pvArgDevice(request.source);
  const source = vg.pvs.find((pv) => pv.deviceHint === device || pv.name === device);
  if (source === undefined) throw new LvmCommandError(`Failed to find physical volume "${device}".`, 3);
  // `-n` is checked before anything else, as `_pvmove_setup_single` does.
  if (request.lvName !== undefined && !vg.lvs.some((lv) => lv.name === request.lvName)) {
    throw new LvmCommandError(`Logical volume ${request.lvName} not found.`);
  }
  const running = findMoveFromSource(vg, source.name);
  if (running !== undefined) {
    context.out.message(`Detected pvmove in progress for ${device}.`);
    if (request.destinations.length > 0 || request.lvName !== undefined) {
      context.out.warn("Ignoring remaining command line arguments.");
    }
    if (context.driverLoaded !== false) loadMoveTables(context, vg, running.name);
    const id = { vgName: vg.name, lvName: running.name, lvId: running.id, displayName: device };
    return { id, resumed: true, vg };
  }
  let sourceSelection: PvSelection;
  try {
    sourceSelection = createPvList(vg, [request.source])[0] as PvSelection;
  } catch (error) {
    throw new LvmCommandError((error as Error).message, 3);
  }
  const destinations = allocatablePvs(vg, source, request);
  for (const lv of vg.lvs) {
    if (!lv.status.includes("LOCKED") || (request.lvName !== undefined && lv.name !== request.lvName))
      continue;
    const onSource = lv.segments.some(
      (s) =>
        (s.type === "striped" || s.type === "mirror") &&
        s.areas.some((a) => a.kind === "pv" && a.pv === source.name),
    );
    if (onSource) context.out.message(`Skipping locked LV ${vg.name}/${lv.name}.`);
  }
  let planned: VolumeGroup;
  let pvmoveName: string;
  try {
    const setup = setUpPvmove(vg, {
      makeId: () => newUuid(context.host),
      creationTime: context.host.nowSeconds(),
      creationHost: context.host.hostname,
      source: sourceSelection,
      destinations,
      ...(request.lvName !== undefined ? { lvName: request.lvName } : {}),
      ...(request.policy !== undefined ? { policy: request.policy } : {}),
      ...(request.atomic ? { atomic: true } : {}),
    });
    planned = setup.vg;
    pvmoveName = setup.pvmoveName;
  } catch (error) {
    if (error instanceof AllocationError) throw new LvmCommandError(error.message);
    throw error;
  }
  const written = writeVg(context, scan, planned);
  const pvmove = written.lvs.find((lv) => lv.name === pvmoveName);
  if (pvmove === undefined) throw new Error(`pvmove setup lost ${pvmoveName} between planning and commit`);
  if (context.driverLoaded !== false) loadMoveTables(context, written, pvmoveName);
  context.host.trace.emit(PVMOVE_START_EVENT.name, {
    vg: vg.name,
    lv: pvmoveName,
    source: device,
    seqno: written.seqno,
    segments: pvmove.segments.length,
  });
  return {
    id: { vgName: vg.name, lvName: pvmoveName, lvId: pvmove.id, displayName: device },
    resumed: false,
    vg: written,
  };
}
