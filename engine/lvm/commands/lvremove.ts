/** `lvremove [-f] VG/LV... | VG...`: remove LVs one metadata write each, in metadata order. */

import { removeLvTree } from "../../metadata/lv-alloc.js";
import { type LvKind, lvKinds } from "../../metadata/lv-kind.js";
import { thinPoolSegment } from "../../metadata/thin.js";
import { hasOption } from "../args.js";
import { ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import { activeSet } from "../runtime.js";
import { type ForceLevel, isThinRemoval, removeThinLv, removeThinPool } from "../thin/remove.js";
import { thinResizeTarget } from "../thin/resize.js";
import { requireVg, scanHost } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { requireLv, scanWithWarnings, splitLvArg } from "./common.js";
import { afterLvRemove, beforeLvRemove } from "./lv-tables.js";

/**
 * `lv_remove_single`'s refusals, in its order, for an LV other LVs are built on or that pvmove holds.
 * A hidden LV nothing uses is removed like any other: that is how an operator clears the orphan
 * `error` LV a crash between pvmove's two finishing commits leaves (`replace_lv_with_error_segment`
 * drops PVMOVE, so neither activation nor a bare `pvmove` ever touches it again).
 */
function refuseInternalLv(vgName: string, name: string, kind: LvKind): void {
  const display = `${vgName}/${name}`;
  if (kind.mirrorImage) throw new LvmCommandError(`Can't remove logical volume ${display} used by a mirror.`);
  if (kind.mirrorLog) throw new LvmCommandError(`Can't remove logical volume ${display} used as mirror log.`);
  if (kind.locked) throw new LvmCommandError(`Can't remove locked logical volume ${display}.`);
  // raid and pool sub-LVs (LVM2: "used as RAID device" / "used by a pool"), the internal snapshotN.
  if (!kind.visible && !kind.cow && kind.usedBy.length > 0) {
    throw new LvmCommandError(`Can't remove logical volume ${name} used by another logical volume.`);
  }
}

/** The lvremove command. */
export const lvremoveCommand: LvmCommandDef = {
  name: "lvremove",
  readOnly: false,
  options: [],
  run(context, args) {
    if (args.positionals.length === 0)
      throw new LvmCommandError("Please enter one or more logical volume paths", 3);
    // -y answers the prompts yes, as -f skips them (real LVM2 removes an active LV either way).
    const yes = hasOption(args, "force") || hasOption(args, "yes");
    const forced = args.options.get("force")?.length ?? 0;
    const force: ForceLevel = forced >= 2 ? 2 : yes ? 1 : 0;
    for (const arg of args.positionals) {
      const bare = arg.replace(/^\/dev\//, "");
      const whole = !bare.includes("/");
      const vgName = whole ? bare : splitLvArg(bare).vg;
      let scan = scanWithWarnings(context);
      const names = (() => {
        const vg = requireVg(scan, vgName).vg;
        if (!whole) {
          const lv = requireLv(vg, splitLvArg(bare).lv);
          return [lv.name];
        }
        const kinds = lvKinds(vg);
        return vg.lvs.filter((lv) => kinds.get(lv.name)?.visible).map((lv) => lv.name);
      })();
      const removeOne = (name: string): void => {
        const vg = requireVg(scan, vgName).vg;
        const lv = requireLv(vg, name);
        const visible = lvKinds(vg).get(name)?.visible ?? false;
        const removed = vg.lvs.filter((l) => !removeLvTree(vg, name).lvs.includes(l));
        beforeLvRemove(context, vg, name);
        const written = writeVg(context, scan, removeLvTree(vg, name));
        afterLvRemove(context, vg, written);
        for (const gone of removed) activeSet(context).delete(gone.id);
        activeSet(context).delete(lv.id);
        // `lv_remove_single` names only visible LVs: a hidden orphan goes quietly.
        if (visible) context.out.message(`Logical volume "${name}" successfully removed.`);
        scan = scanHost(context.host);
      };
      for (const name of names) {
        const vg = requireVg(scan, vgName).vg;
        // Removing a whole VG's LVs: an origin already took its snapshots with it.
        if (whole && !vg.lvs.some((l) => l.name === name)) continue;
        const lv = requireLv(vg, name);
        const kind = lvKinds(vg).get(name);
        if (thinResizeTarget(vg, name)?.part === "data" || thinResizeTarget(vg, name)?.part === "metadata") {
          throw new LvmCommandError(`Can't remove logical volume ${vg.name}/${name} used by a pool.`);
        }
        if (isThinRemoval(vg, name)) {
          const active = activeSet(context).has(lv.id);
          const isPool = thinPoolSegment(lv) !== undefined;
          if (!isPool && active && force === 0) {
            context.out.print(
              `Do you really want to remove active logical volume ${vg.name}/${name}? [y/n]: [n]`,
            );
            throw new LvmCommandError(`Logical volume ${vg.name}/${name} not removed.`);
          }
          if (isPool) removeThinPool(context, { vg, name, force });
          else removeThinLv(context, { vg, name, force });
          scan = scanHost(context.host);
          continue;
        }
        if (kind === undefined) throw new Error(`LV ${vg.name}/${name} has no kind`);
        refuseInternalLv(vg.name, name, kind);
        const active = activeSet(context).has(lv.id);
        if (kind.origin) {
          // `lv_remove_with_dependencies`: an origin's snapshots go first, after one prompt.
          const cows = vg.lvs.flatMap((l) => {
            const seg = l.segments[0];
            return seg?.type === "snapshot" && seg.origin === name ? [seg.cowStore] : [];
          });
          if (!yes) {
            context.out.print(
              `Do you really want to remove${active ? " active" : ""} origin logical volume ${vg.name}/${name} with ${cows.length} snapshots(s)? [y/n]: [n]`,
            );
            throw new LvmCommandError(`Logical volume ${vg.name}/${name} not removed.`);
          }
          for (const cow of cows) removeOne(cow);
        } else if (active && !yes) {
          context.out.print(
            `Do you really want to remove active logical volume ${vg.name}/${name}? [y/n]: [n]`,
          );
          throw new LvmCommandError(`Logical volume ${vg.name}/${name} not removed.`);
        }
        removeOne(name);
      }
    }
    return ECMD_PROCESSED;
  },
};
