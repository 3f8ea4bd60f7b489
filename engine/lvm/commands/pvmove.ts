/**
 * `pvmove [--abort] [-b] [-i sec] [-n LV] [--alloc P] [--atomic] [SOURCE[:PE ranges] [DEST…]]`
 * (`tools/pvmove.c` `pvmove`): with a source PV, set up a move (or resume the one running from that
 * PV) and poll it; with none, poll every interrupted move of the active VGs, skipping inactive ones
 * as LVM2 does. In the foreground the command runs the machine's scheduler until its moves end,
 * printing `-i` progress lines; with `-b` it returns at once and the caller runs the scheduler.
 */
import { findLv } from "../../metadata/model.js";
import { deviceMapperOf } from "../activation/activate.js";
import { hasOption, optionValue, type ParsedArgs } from "../args.js";
import {
  type CommandContext,
  ECMD_FAILED,
  ECMD_PROCESSED,
  type LvmCommandDef,
  LvmCommandError,
} from "../command.js";
import { DEFAULT_POLLING_INTERVAL_SECONDS, pvmoveSettings } from "../pvmove/kernel.js";
import type { PvmovePoller } from "../pvmove/poll.js";
import { startPoller } from "../pvmove/pollers.js";
import {
  findMoveFromSource,
  moveSourceDevice,
  type PvmoveId,
  pvArgDevice,
  startPvmove,
} from "../pvmove/setup.js";
import { findVg, requireVg, vgNames } from "../vg-read.js";
import { scanWithWarnings } from "./common.js";
import { allocOption } from "./vgcreate.js";

/** Bound on scheduler events a foreground pvmove may run while it waits for its moves. */
const MAX_FOREGROUND_EVENTS = 50_000_000;

function intervalSeconds(context: CommandContext, args: ParsedArgs): number {
  const text = optionValue(args, "interval");
  if (text === undefined)
    return pvmoveSettings(context.host).pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS;
  if (text.startsWith("-")) throw new LvmCommandError("Argument to --interval cannot be negative.", 3);
  const value = Number(text.replace(/^\+/, ""));
  if (!Number.isInteger(value) || value > 0xffffffff) {
    throw new LvmCommandError(`Invalid argument for --interval: ${text}`, 3);
  }
  return value;
}

/** Runs the scheduler until every poller has ended; returns LVM2's exit code for them. */
function waitForPollers(context: CommandContext, pollers: readonly PvmovePoller[]): number {
  const scheduler = context.host.scheduler;
  for (let events = 0; pollers.some((p) => p.outcome === undefined); events++) {
    if (events >= MAX_FOREGROUND_EVENTS) {
      throw new Error(`pvmove ran ${MAX_FOREGROUND_EVENTS} scheduler events without its moves ending`);
    }
    if (!scheduler.step()) {
      throw new Error("pvmove is waiting for a move but nothing is scheduled; the poller lost its timer");
    }
  }
  return pollers.some((p) => p.outcome === "failed") ? ECMD_FAILED : ECMD_PROCESSED;
}

/** The pvmove command. */
export const pvmoveCommand: LvmCommandDef = {
  name: "pvmove",
  readOnly: false,
  options: [
    { long: "abort", value: false },
    { long: "background", short: "b", value: false },
    { long: "interval", short: "i", value: true },
    { long: "name", short: "n", value: true },
    { long: "alloc", value: true },
    { long: "atomic", value: false },
    { long: "autobackup", short: "A", value: true },
    { long: "noudevsync", value: false },
  ],
  run(context, args) {
    const interval = intervalSeconds(context, args);
    const background = hasOption(args, "background");
    const aborting = hasOption(args, "abort");
    const policy = allocOption(optionValue(args, "alloc"), true);
    const scan = scanWithWarnings(context);
    const pollers: PvmovePoller[] = [];
    const poll = (id: PvmoveId): void => {
      // Without device-mapper (`--driverloaded n`) `_pvmove_target_present` passes (activation is
      // off), the setup is committed, and `wait_for_single_lv` finds the LV inactive and stops.
      if (context.driverLoaded === false) {
        if (!background) context.out.message(`${id.displayName}: Interrupted: No longer active.`);
        return;
      }
      pollers.push(
        startPoller(context, id, {
          commandLine: context.commandLine,
          intervalSeconds: aborting ? 0 : interval,
          aborting,
          ...(background ? {} : { out: context.out }),
        }),
      );
    };
    const [sourceArg, ...destinations] = args.positionals;
    if (sourceArg !== undefined) {
      const device = pvArgDevice(sourceArg);
      const vgName = scan.vgOfDevice.get(device);
      if (vgName === undefined) {
        throw new LvmCommandError(`Failed to find physical volume "${device}".`, aborting ? ECMD_FAILED : 3);
      }
      const vg = requireVg(scan, vgName).vg;
      if (aborting) {
        const pv = vg.pvs.find((p) => p.deviceHint === device);
        const move = pv === undefined ? undefined : findMoveFromSource(vg, pv.name);
        if (move === undefined) {
          context.out.message(`${device}: No pvmove in progress - already finished or aborted.`);
          return ECMD_PROCESSED;
        }
        poll({ vgName, lvName: move.name, lvId: move.id, displayName: device });
      } else {
        const lvName = optionValue(args, "name");
        const start = startPvmove(context, scan, {
          vg,
          request: {
            source: sourceArg,
            destinations,
            ...(lvName !== undefined
              ? { lvName: lvName.includes("/") ? lvName.split("/").pop()! : lvName }
              : {}),
            ...(policy !== undefined ? { policy } : {}),
            ...(hasOption(args, "atomic") ? { atomic: true } : {}),
          },
        });
        poll(start.id);
      }
    } else {
      const dm = deviceMapperOf(context.host);
      for (const name of vgNames(scan)) {
        const handle = findVg(scan, name);
        if (handle === undefined) continue;
        for (const lv of handle.vg.lvs) {
          if (!lv.status.includes("PVMOVE")) continue;
          const display = moveSourceDevice(handle.vg, lv);
          if (display === undefined) {
            if (!aborting) continue;
            throw new LvmCommandError(
              `Device name for LV ${name}/${lv.name} not found in metadata. (unfinished pvmove mirror removal?)`,
            );
          }
          if (dm.lv(lv.id) === undefined || findLv(handle.vg, lv.name) === undefined) {
            context.out.message(`${display}: Skipping inactive LV. Try lvchange or vgchange.`);
            continue;
          }
          poll({ vgName: name, lvName: lv.name, lvId: lv.id, displayName: display });
        }
      }
    }
    if (background) return ECMD_PROCESSED;
    return waitForPollers(context, pollers);
  },
};
