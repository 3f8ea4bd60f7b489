/**
 * A merging snapshot as real LVM2 2.03.16 reports it. lvmlab makes the images (a snapshot, then
 * `lvconvert --merge` while the origin is inactive, so the merge waits for the next activation,
 * as after the power cut in research/realdm-observations.md where real LVM2 showed `Owi---s---`
 * and `Swi---s---`); real `lvs` over loop devices and lvmlab's `lvs` over copies of the same
 * images must print the same lines: the `O` and `S` attr letters, Origin, Snap%/Data%, the
 * merging, invalid and merge-failed fields, layout and role.
 */
import { copyFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { realLvm2Unavailable } from "../support/real-lvm2.js";
import { compare, images, scratchDir } from "./differential.js";

const unavailable = realLvm2Unavailable();
const scratch = scratchDir("lvmlab-merge-attrs-");
afterAll(() => scratch.remove());

describe.skipIf(unavailable !== undefined)("merging snapshot attrs, lvmlab against real LVM2", () => {
  it("reports a snapshot waiting to merge into its inactive origin as real lvs does", () => {
    const mine = images(scratch.dir, "mine");
    const devices = mine.map((p) => FileDevice.open(p, { name: p, readOnly: false }));
    const printed: string[] = [];
    try {
      const host = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "merge-attrs" });
      for (const line of [
        `pvcreate ${mine[0]} ${mine[1]}`,
        `vgcreate vg0 ${mine[0]} ${mine[1]}`,
        "lvcreate -an -Zn -L 8m -n o vg0",
        "lvcreate -s -L 4m -n s vg0/o",
        "vgchange -an vg0",
        "lvconvert --merge vg0/s",
      ]) {
        const run = runLvm(host, line.split(" "));
        expect(run.exitCode, `${line}\n${run.stderr}`).toBe(0);
        printed.push(run.stdout);
      }
    } finally {
      for (const d of devices) d.close();
    }
    // The merge waits for the origin's next activation (LVM2's message for an inactive origin).
    expect(printed.at(-1)).toContain("Merging of snapshot vg0/s will occur on next activation of vg0/o.");
    const real = images(scratch.dir, "real");
    for (const [i, path] of real.entries()) copyFileSync(mine[i]!, path);
    const fields =
      "lv_name,lv_attr,origin,snap_percent,data_percent,lv_merging,lv_snapshot_invalid,lv_merge_failed,lv_layout,lv_role";
    const outputs: string[] = [];
    const differences = compare(
      real,
      mine,
      [
        "lvs -a vg0",
        `lvs -a -o ${fields} vg0`,
        `lvs -a -o ${fields} --reportformat json vg0`,
        "lvs -o+lv_merging vg0/o",
      ],
      { lvmlabOutputs: outputs },
    );
    expect(differences).toEqual([]);
    // Not a vacuous match: the origin and the merging snapshot carry O and S.
    expect(outputs[0]).toMatch(/^ {2}o +vg0 +Owi/m);
    expect(outputs[1]).toMatch(/^ {2}\[?s\]? +Swi/m);
  });
});

describe.runIf(unavailable !== undefined)("merging snapshot attrs interop", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
