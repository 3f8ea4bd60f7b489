/**
 * `pvck --dump headers|metadata|metadata_all|metadata_area` against Debian's real LVM2 2.03.16 on
 * loop devices: the same images (made by real LVM2, made by lvmlab, then damaged) dumped by both
 * must print the same lines, write the same `-f` files and exit the same way.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { Host, type HostFiles } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { realLvm2Unavailable, withLoopDevices } from "../support/real-lvm2.js";
import { images, realNoise, scratchDir } from "./differential.js";

const unavailable = realLvm2Unavailable();
const scratch = scratchDir("lvmlab-pvck-dump-");
afterAll(() => scratch.remove());

const hostFiles: HostFiles = {
  readText: (path) => readFileSync(path, "utf8"),
  writeText: (path, text) => writeFileSync(path, text),
  createBytes: (path, bytes) => writeFileSync(path, bytes, { flag: "wx" }),
};

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** lvmlab over the image files, each named as the loop device real LVM2 sees it under. */
function lvmlab(paths: readonly string[], names: readonly string[], argv: readonly string[]): Run {
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]!, readOnly: true }));
  try {
    const host = new Host({ devices: devices.map((d) => [d.name, d] as const), files: hostFiles });
    const result = runLvm(host, [...argv, "--driverloaded", "n"]);
    return { status: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  } finally {
    for (const d of devices) d.close();
  }
}

const stderrLines = (text: string): string[] => text.split("\n").filter((l) => l !== "" && !realNoise(l));

/** Every dump of the first device on both sides; returns how many dumps were compared. */
function compareDumps(paths: readonly string[], tag: string, extra: readonly string[][] = []): number {
  let compared = 0;
  withLoopDevices(paths, (set) => {
    const device = set.devices[0]!;
    const dumps: string[][] = [
      ["--dump", "headers"],
      ["--dump", "metadata"],
      ["--dump", "metadata_all"],
      ["--dump", "metadata_area"],
      ["--dump", "metadata", "--settings", "mda_num=2"],
      ["--dump", "metadata_all", "--pvmetadatacopies", "2"],
      ...extra,
    ];
    for (const [i, dump] of dumps.entries()) {
      const real = set.lvm("pvck", [...dump, device]);
      const mine = lvmlab(paths, set.devices, ["pvck", ...dump, device]);
      const what = `pvck ${dump.join(" ")} (${tag})`;
      expect(mine.stdout, what).toBe(real.stdout);
      expect(stderrLines(mine.stderr), what).toEqual(stderrLines(real.stderr));
      expect(mine.status, what).toBe(real.status);
      compared++;
      // The same dump into a file: the file's bytes must match too.
      if (dump[1] === "headers") continue;
      const realFile = join(scratch.dir, `${tag}-${i}-real.out`);
      const mineFile = join(scratch.dir, `${tag}-${i}-mine.out`);
      const realToFile = set.lvm("pvck", [...dump, "-f", realFile, device]);
      const mineToFile = lvmlab(paths, set.devices, ["pvck", ...dump, "-f", mineFile, device]);
      expect(mineToFile.stdout, `${what} -f`).toBe(realToFile.stdout);
      expect(mineToFile.status, `${what} -f`).toBe(realToFile.status);
      expect(existsSync(mineFile), `${what} -f`).toBe(existsSync(realFile));
      if (existsSync(realFile)) {
        expect(readFileSync(mineFile).toString("hex"), `${what} -f bytes`).toBe(
          readFileSync(realFile).toString("hex"),
        );
        // fopen("wx"): a second dump into the same file fails the same way.
        const again = lvmlab(paths, set.devices, ["pvck", ...dump, "-f", mineFile, device]);
        const realAgain = set.lvm("pvck", [...dump, "-f", realFile, device]);
        expect(stderrLines(again.stderr.replaceAll(mineFile, realFile)), `${what} -f twice`).toEqual(
          stderrLines(realAgain.stderr),
        );
        expect(again.status, `${what} -f twice`).toBe(realAgain.status);
      }
    }
  });
  return compared;
}

/** Flips one byte of an image file. */
function flipByte(path: string, offsetBytes: number): void {
  const fd = openSync(path, "r+");
  try {
    const byte = new Uint8Array(1);
    readSync(fd, byte, 0, 1, offsetBytes);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(fd, byte, 0, 1, offsetBytes);
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(unavailable !== undefined)("pvck --dump, lvmlab against real LVM2", () => {
  it("dumps a VG real LVM2 made (two metadata areas, two commits) exactly as real pvck", () => {
    const paths = images(scratch.dir, "real-made");
    withLoopDevices(paths, (set) => {
      const [a, b] = set.devices as [string, string];
      for (const argv of [
        ["pvcreate", "--pvmetadatacopies", "2", a, b],
        ["vgcreate", "vg0", a, b],
        ["lvcreate", "-an", "-Zn", "-l", "2", "-n", "lv0", "vg0"],
        ["lvcreate", "-an", "-Zn", "-l", "1", "-n", "lv1", "vg0"],
      ]) {
        const run = set.lvm(argv[0]!, argv.slice(1));
        expect(run.status, run.stderr).toBe(0);
      }
    });
    expect(compareDumps(paths, "real-made", [["--dump", "metadata_all", "--settings", "seqno=2"]])).toBe(7);
  });

  it("dumps a VG lvmlab made exactly as real pvck does", () => {
    const paths = images(scratch.dir, "lvmlab-made");
    const devices = paths.map((p) => FileDevice.open(p, { name: p, readOnly: false }));
    try {
      const host = new Host({ devices: devices.map((d) => [d.name, d] as const), seed: "pvck-dump" });
      for (const line of [
        `pvcreate --pvmetadatacopies 2 ${paths[0]} ${paths[1]}`,
        `vgcreate vg0 ${paths[0]} ${paths[1]}`,
        "lvcreate -an -Zn -l 3 -n lv0 vg0",
      ]) {
        const run = runLvm(host, line.split(" "));
        expect(run.exitCode, run.stderr).toBe(0);
      }
    } finally {
      for (const d of devices) d.close();
    }
    expect(compareDumps(paths, "lvmlab-made")).toBe(6);
  });

  it("prints the same CHECK lines for a damaged label, mda header and metadata text", () => {
    const paths = images(scratch.dir, "damaged");
    withLoopDevices(paths, (set) => {
      const [a, b] = set.devices as [string, string];
      for (const argv of [
        ["pvcreate", "--pvmetadatacopies", "2", a, b],
        ["vgcreate", "vg0", a, b],
      ]) {
        expect(set.lvm(argv[0]!, argv.slice(1)).status).toBe(0);
      }
    });
    flipByte(paths[0]!, 512 + 100); // label sector: its crc no longer matches
    flipByte(paths[0]!, 4096 + 300); // mda1 header: checksum
    flipByte(paths[0]!, 4096 + 512 + 20); // the first metadata copy's text
    const noted: string[] = [];
    withLoopDevices(paths, (set) => {
      const real = set.lvm("pvck", ["--dump", "headers", set.devices[0]!]);
      noted.push(real.stdout);
    });
    expect(noted[0]).toContain("CHECK: label_header.crc expected");
    expect(noted[0]).toContain("CHECK: mda_header_1.checksum expected");
    expect(compareDumps(paths, "damaged")).toBe(6);
  });
});

describe.runIf(unavailable !== undefined)("pvck --dump interop", () => {
  it("says why it is skipped", (ctx) => {
    ctx.skip(true, unavailable);
  });
});
