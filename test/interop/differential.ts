/**
 * Differential runs against real LVM2: each command runs on real LVM2 over loop devices and on
 * lvmlab over separate image files named like those loop devices; printed lines (sorted, distinct,
 * uuids blanked) and exit codes must agree.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { lvmNoise, withLoopDevices } from "../support/real-lvm2.js";

// Lines real LVM2 prints only because this kernel has no device-mapper.
export function realNoise(line: string): boolean {
  return lvmNoise(line) || /device-mapper|mapper\/control|libdevmapper|Failed to check for active/.test(line);
}

/** A scratch directory for image files; call `remove` when done. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Four fresh sparse 64 MiB images in `dir`. */
export function images(dir: string, tag: string): string[] {
  return ["a", "b", "c", "d"].map((n) => {
    const path = join(dir, `${tag}-${n}.img`);
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 * 1024);
    return path;
  });
}

/**
 * Sorted distinct lines with PV/VG/LV uuids blanked: ids are random on both sides, and LVM2
 * repeats some warnings once per internal lookup.
 */
export function normalise(lines: readonly string[]): string[] {
  const uuid = /[A-Za-z0-9!#]{6}(-[A-Za-z0-9!#]{4}){5}-[A-Za-z0-9!#]{6}/g;
  return [...new Set(lines.filter((l) => l !== "").map((l) => l.replace(uuid, "<uuid>")))].sort();
}

/** Runs `sequence` on real LVM2 over `real` and on lvmlab over `mine` (named like the loop devices). */
export function compare(
  real: readonly string[],
  mine: readonly string[],
  sequence: readonly string[],
  options: { deviceNames?: readonly string[]; lvmlabOutputs?: string[]; ignore?: RegExp } = {},
): string[] {
  const differences: string[] = [];
  withLoopDevices(real, (set) => {
    const names = options.deviceNames ?? set.devices;
    for (const line of sequence) {
      const argv = line.replace(/DEV(\d)/g, (_, n: string) => names[Number(n)]!).split(" ");
      const realRun = set.lvm(argv[0]!, argv.slice(1));
      const devices = mine.map((p, i) => FileDevice.open(p, { name: set.devices[i]! }));
      let mineRun: ReturnType<typeof runLvm>;
      try {
        const host = new Host({
          devices: devices.map((d) => [d.name, d] as const),
          seed: line.replaceAll("/", "_"),
        });
        mineRun = runLvm(host, [...argv, "--driverloaded", "n"]);
      } finally {
        for (const d of devices) d.close();
      }
      const realLines = normalise(
        `${realRun.stdout}${realRun.stderr}`
          .split("\n")
          .filter((l) => !realNoise(l) && !(options.ignore?.test(l) ?? false)),
      );
      // The same noise filter on both sides: lvmlab prints LVM2's zeroing warnings too.
      const mineLines = normalise(
        `${mineRun.stdout}${mineRun.stderr}`
          .split("\n")
          .filter((l) => !realNoise(l) && !(options.ignore?.test(l) ?? false)),
      );
      options.lvmlabOutputs?.push(`${mineRun.stdout}${mineRun.stderr}`);
      if (realRun.status !== mineRun.exitCode || JSON.stringify(realLines) !== JSON.stringify(mineLines)) {
        differences.push(
          `$ ${line}\nreal [${realRun.status}]\n${realLines.join("\n")}\nlvmlab [${mineRun.exitCode}]\n${mineLines.join("\n")}`,
        );
      }
    }
    return names;
  });
  return differences;
}
