/** `pvdisplay [-m]`, `vgdisplay` and `lvdisplay` in LVM2's layout (`lib/display/display.c`). Read-only. */

import { lvSizeExtents, pvFreeExtents, pvUsage, vgFreeExtents } from "../../metadata/extent-map.js";
import { raid1View } from "../../metadata/raid.js";
import { hasOption } from "../args.js";
import { ECMD_FAILED, ECMD_PROCESSED, type LvmCommandDef } from "../command.js";
import { pvInfos, pvSegments, vgInfo } from "../report/rows.js";
import { runtimeOf } from "../runtime.js";
import { DEFAULT_UNITS, formatSize } from "../units.js";
import { findVg, vgNames } from "../vg-read.js";
import { scanWithWarnings } from "./common.js";

const size = (sectors: number): string => formatSize(sectors, DEFAULT_UNITS, "short");
const row = (label: string, value: string | number): string => `  ${label.padEnd(22)}${value}`;

function localTime(unix: number): string {
  const d = new Date(unix * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The pvdisplay command. */
export const pvdisplayCommand: LvmCommandDef = {
  name: "pvdisplay",
  readOnly: true,
  options: [{ long: "maps", short: "m", value: false }],
  run(context, args) {
    const scan = scanWithWarnings(context);
    const vgs = vgNames(scan).flatMap((n) => {
      const h = findVg(scan, n);
      return h ? [vgInfo(scan, h)] : [];
    });
    let infos = pvInfos(scan, vgs);
    if (args.positionals.length > 0) infos = infos.filter((i) => args.positionals.includes(i.device));
    for (const info of infos) {
      const out = context.out;
      const vg = info.vg?.vg;
      const pv = info.pv;
      out.print(
        pv && vg
          ? "  --- Physical volume ---"
          : `  "${info.device}" is a new physical volume of "${size(info.devSizeSectors)}"`,
      );
      if (!pv || !vg) {
        out.print("  --- NEW Physical volume ---");
        out.print(row("PV Name", info.device));
        out.print(row("VG Name", ""));
        out.print(row("PV Size", size(info.devSizeSectors)));
        out.print(row("Allocatable", "NO"));
        out.print(row("PE Size", "0   "));
        out.print(row("Total PE", 0));
        out.print(row("Free PE", 0));
        out.print(row("Allocated PE", 0));
        out.print(row("PV UUID", info.uuid));
        out.print("   ");
        continue;
      }
      const usable = pv.peCount * vg.extentSizeSectors;
      const free = pvFreeExtents(vg, pv.name);
      out.print(row("PV Name", info.device));
      out.print(row("VG Name", vg.name));
      out.print(
        row("PV Size", `${size(info.devSizeSectors)} / not usable ${size(info.devSizeSectors - usable)}`),
      );
      out.print(
        row(
          "Allocatable",
          pv.status.includes("ALLOCATABLE") ? (free === 0 ? "yes (but full)" : "yes ") : "NO  ",
        ),
      );
      out.print(row("PE Size", size(vg.extentSizeSectors)));
      out.print(row("Total PE", pv.peCount));
      out.print(row("Free PE", free));
      out.print(row("Allocated PE", pv.peCount - free));
      out.print(row("PV UUID", pv.id));
      out.print("   ");
      if (hasOption(args, "maps")) {
        out.print("  --- Physical Segments ---");
        const uses = pvUsage(vg).get(pv.name) ?? [];
        for (const seg of pvSegments(info)) {
          out.print(`  Physical extent ${seg.pe} to ${seg.pe + seg.count - 1}:`);
          const use = uses.find((u) => u.pe === seg.pe);
          if (!use) {
            out.print("    FREE");
            continue;
          }
          const lv = vg.lvs.find((l) => l.name === use.lv)!;
          const s = lv.segments[use.segment]!;
          out.print(`    Logical volume\t/dev/${vg.name}/${lv.name}`);
          out.print(`    Logical extents\t${s.startExtent} to ${s.startExtent + s.extentCount - 1}`);
        }
        out.print("   ");
      }
    }
    return ECMD_PROCESSED;
  },
};

/** The vgdisplay command. */
export const vgdisplayCommand: LvmCommandDef = {
  name: "vgdisplay",
  readOnly: true,
  options: [],
  run(context, args) {
    const scan = scanWithWarnings(context);
    const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
    for (const name of names) {
      const handle = findVg(scan, name);
      if (!handle) {
        context.out.error(`Volume group "${name}" not found`);
        continue;
      }
      const info = vgInfo(scan, handle);
      const vg = handle.vg;
      const total = vg.pvs.reduce((s, pv) => s + pv.peCount, 0);
      const free = vgFreeExtents(vg);
      const visible = vg.lvs.filter((lv) => info.kinds.get(lv.name)?.visible);
      const o = context.out;
      o.print("  --- Volume group ---");
      o.print(row("VG Name", vg.name));
      o.print(row("System ID", vg.systemId ?? ""));
      o.print(row("Format", "lvm2"));
      o.print(row("Metadata Areas", info.mdaCount));
      o.print(row("Metadata Sequence No", vg.seqno));
      o.print(row("VG Access", vg.status.includes("WRITE") ? "read/write" : "read"));
      o.print(
        row(
          "VG Status",
          `${vg.status.includes("EXPORTED") ? "exported/" : ""}${vg.status.includes("RESIZEABLE") ? "resizable" : ""}`,
        ),
      );
      o.print(row("MAX LV", vg.maxLv));
      o.print(row("Cur LV", visible.length));
      o.print(row("Open LV", 0));
      o.print(row("Max PV", vg.maxPv));
      o.print(row("Cur PV", vg.pvs.length));
      o.print(row("Act PV", vg.pvs.length - handle.missing.length));
      o.print(row("VG Size", size(total * vg.extentSizeSectors)));
      o.print(row("PE Size", size(vg.extentSizeSectors)));
      o.print(row("Total PE", total));
      o.print(row("Alloc PE / Size", `${total - free} / ${size((total - free) * vg.extentSizeSectors)}`));
      o.print(row("Free  PE / Size", `${free} / ${size(free * vg.extentSizeSectors)}`));
      o.print(row("VG UUID", vg.id));
      o.print("   ");
    }
    return ECMD_PROCESSED;
  },
};

/** The lvdisplay command. */
export const lvdisplayCommand: LvmCommandDef = {
  name: "lvdisplay",
  readOnly: true,
  options: [{ long: "all", short: "a", value: false }],
  run(context, args) {
    const scan = scanWithWarnings(context);
    const runtime = runtimeOf(context);
    const targets = args.positionals.map((p) => p.replace(/^\/dev\//, ""));
    const names = targets.length > 0 ? [...new Set(targets.map((t) => t.split("/")[0]!))] : vgNames(scan);
    let failed = false;
    for (const target of targets) {
      const [vgName, lvName] = target.split("/");
      if (lvName === undefined) continue;
      const handle = findVg(scan, vgName!);
      if (handle && !handle.vg.lvs.some((lv) => lv.name === lvName)) {
        context.out.error(`Failed to find logical volume "${target}"`);
        failed = true;
      }
    }
    for (const name of names) {
      const handle = findVg(scan, name);
      if (!handle) {
        context.out.error(`Volume group "${name}" not found`);
        continue;
      }
      const info = vgInfo(scan, handle);
      const vg = handle.vg;
      for (const lv of vg.lvs) {
        const visible = info.kinds.get(lv.name)?.visible;
        if (!visible && !hasOption(args, "all")) continue;
        if (info.kinds.get(lv.name)?.snapshot) continue;
        if (targets.some((t) => t.includes("/")) && !targets.includes(`${vg.name}/${lv.name}`)) continue;
        const o = context.out;
        const r = (label: string, value: string | number): string => `  ${label.padEnd(23)}${value}`;
        o.print("  --- Logical volume ---");
        if (visible) {
          o.print(r("LV Path", `/dev/${vg.name}/${lv.name}`));
          o.print(r("LV Name", lv.name));
        } else {
          o.print(r("Internal LV Name", lv.name));
        }
        o.print(r("VG Name", vg.name));
        o.print(r("LV UUID", lv.id));
        o.print(r("LV Write Access", lv.status.includes("WRITE") ? "read/write" : "read only"));
        if (lv.creationTime !== undefined) {
          o.print(r("LV Creation host, time", `${lv.creationHost ?? ""}, ${localTime(lv.creationTime)}`));
        }
        const kind = info.kinds.get(lv.name);
        const state = (l: typeof lv): string => (runtime.isActive(vg, l) ? "active" : "INACTIVE");
        const snapshots = vg.lvs.flatMap((l) => {
          const first = l.segments[0];
          return first?.type === "snapshot" && first.origin === lv.name ? [first] : [];
        });
        if (kind?.origin) {
          o.print(r("LV snapshot status", "source of"));
          for (const snap of snapshots) {
            const cow = vg.lvs.find((l) => l.name === snap.cowStore);
            o.print(`${" ".repeat(25)}${snap.cowStore} [${cow ? state(cow) : "INACTIVE"}]`);
          }
        }
        const snapSeg = vg.lvs
          .map((l) => l.segments[0])
          .find((seg) => seg?.type === "snapshot" && seg.cowStore === lv.name);
        const origin =
          snapSeg?.type === "snapshot" ? vg.lvs.find((l) => l.name === snapSeg.origin) : undefined;
        if (snapSeg?.type === "snapshot") {
          o.print(r("LV snapshot status", `${state(lv)} destination for ${snapSeg.origin}`));
        }
        const active = runtime.isActive(vg, lv);
        if (active !== undefined) o.print(r("LV Status", active ? "available" : "NOT available"));
        if (active) o.print(r("# open", 0));
        const shown = origin ?? lv;
        o.print(r("LV Size", size(lvSizeExtents(shown) * vg.extentSizeSectors)));
        o.print(r("Current LE", lvSizeExtents(shown)));
        if (snapSeg?.type === "snapshot") {
          o.print(r("COW-table size", size(lvSizeExtents(lv) * vg.extentSizeSectors)));
          o.print(r("COW-table LE", lvSizeExtents(lv)));
          o.print(r("Snapshot chunk size", size(snapSeg.chunkSizeSectors)));
        }
        const mirror = lv.segments[0];
        if (mirror?.type === "mirror") o.print(r("Mirrored volumes", mirror.mirrorCount));
        // lv_is_mirrored() is true for raid1 too; it prints the image count.
        const raid = raid1View(mirror);
        if (raid !== undefined) o.print(r("Mirrored volumes", raid.deviceCount));
        o.print(r("Segments", lv.segments.length));
        o.print(r("Allocation", lv.allocationPolicy));
        o.print(r("Read ahead sectors", lv.readAheadSectors === undefined ? "auto" : lv.readAheadSectors));
        o.print("   ");
      }
    }
    return failed ? ECMD_FAILED : ECMD_PROCESSED;
  },
};
