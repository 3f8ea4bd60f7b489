/**
 * Report options checked against Debian's real LVM2 2.03.16 on loop devices (metadata only):
 * `--nameprefixes` (with and without `--unquoted`), `-o help`, binary fields, percentages
 * aligned left and `--units h --nosuffix` (which, as real LVM2 shows, still prints the suffix).
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { fieldHelpLines } from "../../engine/lvm/report/field-help.js";
import { runLvm } from "../../engine/lvm/run.js";
import { realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";

const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-report-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(unavailable !== undefined)("report options against real LVM2", () => {
  it("prints --nameprefixes, --unquoted, --units h --nosuffix and -o help as LVM2 does", () => {
    const path = join(dir, "a.img");
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 * 1024);
    withLoopDevices([path], (set) => {
      const loop = set.devices[0]!;
      expect(set.lvm("pvcreate", [loop]).status).toBe(0);
      expect(set.lvm("vgcreate", ["vg0", loop]).status).toBe(0);
      expect(set.lvm("lvcreate", ["-an", "-Zn", "-L", "8M", "-n", "lv0", "vg0"]).status).toBe(0);
      const device = FileDevice.open(path, { name: loop, readOnly: true });
      try {
        const host = new Host({ devices: [[loop, device]] });
        for (const [command, args] of [
          ["lvs", ["--nameprefixes"]],
          ["lvs", ["--nameprefixes", "--noheadings", "-o", "lv_name,lv_size"]],
          ["pvs", ["--nameprefixes", "--unquoted", "--noheadings"]],
          ["pvs", ["--units", "h", "--nosuffix"]],
          ["pvs", ["-o", "pv_name,pv_in_use"]],
        ] as const) {
          const real = set.lvm(command, [...args]);
          const mine = runLvm(host, [command, ...args, "--driverloaded", "n"]);
          expect(mine.stdout, `${command} ${args.join(" ")}`).toBe(real.stdout);
        }
        // -o help: every field lvmlab knows, described and laid out as LVM2 does, on stderr.
        const realHelp = set.lvm("lvs", ["-o", "help"]);
        expect(realHelp.status).toBe(0);
        const realLines = new Set(realHelp.stderr.split("\n"));
        const mine = runLvm(host, ["lvs", "-o", "help", "--driverloaded", "n"]);
        expect(mine.exitCode).toBe(0);
        expect(mine.stdout).toBe("");
        const mineLines = mine.stderr.split("\n").filter((l) => l !== "");
        expect(mineLines.length).toBe(fieldHelpLines().length);
        for (const line of mineLines) expect(realLines.has(line), line).toBe(true);
      } finally {
        device.close();
      }
    });
  });
});

describe.runIf(unavailable !== undefined)("report options against real LVM2", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
