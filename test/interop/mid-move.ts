/**
 * Images real LVM2 leaves mid-pvmove: the research §2.5 metadata (a move of lv0 with its first
 * segment recorded as moved) restored by Debian's real `vgcfgrestore` on loop devices, plus a
 * pattern where the segment not yet moved still lies on the source (lv0 LE 2-3, PE 3-4).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { PVMOVE_RUNNING } from "../fixtures/metadata/examples.js";
import { withLoopDevices } from "../support/real-lvm2.js";

const MiB = 1024 * 1024;
const EXTENT_BYTES = 4 * MiB;
const PE_START_BYTES = MiB;
const PV_UUIDS = ["hjuNzR-8wQY-8fCo-mrXB-1jKe-eyCo-lxfMIM", "0QOrc9-hTaD-Rq10-cINi-j3AG-j84v-9uaUiQ"];

/** A deterministic byte pattern. */
export function pattern(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 131 + seed * 17 + (i >> 12)) & 0xff;
  return out;
}

/**
 * Makes the two images a VG real LVM2 restored mid-move and writes the not-yet-moved data on the
 * source; returns that data and where it must end up on the destination (byte offset).
 */
export function restoreMidMove(
  paths: readonly [string, string],
  options: { readonly dir: string; readonly seed: number },
): { readonly data: Uint8Array; readonly destinationOffsetBytes: number } {
  withLoopDevices(paths, (set) => {
    set.devices.forEach((device, i) => {
      const run = set.lvm("pvcreate", ["--norestorefile", "-u", PV_UUIDS[i]!, device]);
      expect(run.status, run.stderr).toBe(0);
    });
    const file = join(options.dir, "during.vg");
    const text = PVMOVE_RUNNING.replace('"/dev/loop0"', `"${set.devices[0]}"`).replace(
      '"/dev/loop1"',
      `"${set.devices[1]}"`,
    );
    writeFileSync(file, `${text}\ncontents = "Text Format Volume Group"\nversion = 1\n`);
    const restored = set.lvm("vgcfgrestore", ["-f", file, "vg0"]);
    expect(restored.status, restored.stderr).toBe(0);
  });
  const data = pattern(options.seed, 2 * EXTENT_BYTES);
  const source = FileDevice.open(paths[0], { name: paths[0], readOnly: false });
  source.write(PE_START_BYTES + 3 * EXTENT_BYTES, data);
  source.flush();
  source.close();
  return { data, destinationOffsetBytes: PE_START_BYTES + 2 * EXTENT_BYTES };
}
