/**
 * A small VG made by lvmlab's own LVM2 commands, backed up with `vgcfgbackup -f`: vg_data on
 * /dev/sdb1 (two LVs) and /dev/sdd1, the layout the rehearsal tests migrate off /dev/sdb1.
 */
import { MemoryDevice } from "../../../engine/block/memory.js";
import { Host } from "../../../engine/lvm/host.js";
import { runLvm } from "../../../engine/lvm/run.js";

/** The backup text of the fixture VG. */
export function fixtureBackup(options: { readonly pvBytes?: number } = {}): string {
  const size = options.pvBytes ?? 32 * 1024 * 1024;
  const files = new Map<string, string>();
  const host = new Host({
    devices: ["/dev/sdb1", "/dev/sdd1"].map((name) => [name, new MemoryDevice(name, size)] as const),
    seed: "rehearse-fixture",
    files: { readText: (p) => files.get(p)!, writeText: (p, t) => void files.set(p, t) },
  });
  for (const line of [
    "pvcreate /dev/sdb1 /dev/sdd1",
    "vgcreate vg_data /dev/sdb1 /dev/sdd1",
    "lvcreate -an -Zn -L 8M -n lv_home vg_data /dev/sdb1",
    "lvcreate -an -Zn -L 4M -n lv_db vg_data /dev/sdd1",
    "lvextend -L +4M vg_data/lv_db /dev/sdb1",
    "vgcfgbackup -f /backup.vg vg_data",
  ]) {
    const result = runLvm(host, line.split(" "));
    if (result.exitCode !== 0) throw new Error(`${line}: ${result.stderr}`);
  }
  return files.get("/backup.vg")!;
}

/** The usual migration plan off /dev/sdb1 onto /dev/sdc1. */
export const FIXTURE_PLAN = [
  "# replace /dev/sdb1 with /dev/sdc1",
  "vgextend vg_data /dev/sdc1",
  "pvmove /dev/sdb1 /dev/sdc1",
  "vgreduce vg_data /dev/sdb1",
  "pvremove /dev/sdb1",
  "",
].join("\n");
