/**
 * `lvmlab machine power-cut --policy P --seed N`: each disk of the machine keeps a volatile write
 * cache across `lvmlab lvm` invocations (lvmlab-machine.wcache), and the cut lets the scenario
 * runner's crash policies decide what of it persisted.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../engine/lvm/cli-run.js";

const root = mkdtempSync(join(tmpdir(), "lvmlab-power-cut-"));
const startCwd = process.cwd();
afterAll(() => {
  process.chdir(startCwd);
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh folder with two empty 32 MiB images, made the working folder (as an operator would). */
function freshMachineDir(): void {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const name of ["a.img", "b.img"]) {
    writeFileSync(join(dir, name), "");
    truncateSync(join(dir, name), 32 * 1024 * 1024);
  }
  process.chdir(dir);
}
beforeEach(freshMachineDir);

const lvm = (...argv: string[]) => cli(["lvm", ...argv]);
const lvNames = async (): Promise<string[]> =>
  (await lvm("lvs", "--noheadings", "-o", "lv_name")).stdout.trim().split(/\s+/).filter(Boolean);
const hash = (file: string): string =>
  createHash("sha256")
    .update(new Uint8Array(readFileSync(file)))
    .digest("hex");

async function machineWithLv0(): Promise<void> {
  expect((await lvm("--devices", "a.img,b.img", "vgcreate", "vg0", "a.img", "b.img")).code).toBe(0);
  expect((await lvm("lvcreate", "-an", "-Zn", "-l", "2", "-n", "lv0", "vg0")).code).toBe(0);
  // A reboot syncs the disks: everything so far is durable.
  expect((await cli(["machine", "reboot"])).code).toBe(0);
  expect(existsSync("lvmlab-machine.wcache")).toBe(false);
}

describe("lvmlab machine power-cut --policy", () => {
  it("drop-all loses the lvcreate LVM2 never flushed; keep-all keeps it", async () => {
    await machineWithLv0();
    expect((await lvm("lvcreate", "-an", "-Zn", "-l", "1", "-n", "lv1", "vg0")).code).toBe(0);
    expect(existsSync("lvmlab-machine.wcache")).toBe(true);
    // Written through: the images (and any reader of the running machine) already show lv1.
    expect(await lvNames()).toEqual(["lv0", "lv1"]);
    const cut = await cli(["machine", "power-cut", "--policy", "drop-all"]);
    expect(cut.code).toBe(0);
    expect(cut.stdout).toMatch(/^a\.img: drop-all kept 0 of [1-9]\d* unflushed writes$/m);
    expect(existsSync("lvmlab-machine.wcache")).toBe(false);
    expect(await lvNames()).toEqual(["lv0"]);
    expect((await lvm("lvcreate", "-an", "-Zn", "-l", "1", "-n", "lv2", "vg0")).code).toBe(0);
    expect((await cli(["machine", "power-cut"])).stdout).toMatch(
      /keep-all kept (\d+) of \1 unflushed writes/,
    );
    expect(await lvNames()).toEqual(["lv0", "lv2"]);
  });

  it("subset cuts leave the old or the new VG, the same for the same seed", async () => {
    const outcomes = new Map<string, string>();
    for (const [i, policy] of ["subset", "subset"].entries()) {
      if (i > 0) freshMachineDir();
      await machineWithLv0();
      expect((await lvm("lvcreate", "-an", "-Zn", "-l", "1", "-n", "lv1", "vg0")).code).toBe(0);
      const cut = await cli(["machine", "power-cut", "--policy", policy, "--seed", "5"]);
      expect(cut.stdout).toMatch(
        new RegExp(`^b\\.img: ${policy} \\(seed \\d+\\) kept \\d+ of \\d+ unflushed writes`, "m"),
      );
      // The operator's repair, then the VG is one of the two LVM2 may legitimately come back as.
      await lvm("vgck", "--updatemetadata", "vg0");
      const names = (await lvNames()).join(",");
      expect(["lv0", "lv0,lv1"]).toContain(names);
      outcomes.set(`${policy}#${i}`, `${names}:${hash("a.img")}:${hash("b.img")}`);
    }
    // Determinism: the same policy and seed on the same history give the same bytes.
    expect(outcomes.get("subset#0")?.split(":").slice(1)).toEqual(
      outcomes.get("subset#1")?.split(":").slice(1),
    );
  });

  it("refuses a bad policy, seed or cache file with exit 2", async () => {
    await machineWithLv0();
    expect((await cli(["machine", "power-cut", "--policy", "sometimes"])).code).toBe(2);
    expect((await cli(["machine", "power-cut", "--seed", "-1"])).code).toBe(2);
    writeFileSync("lvmlab-machine.wcache", "garbage");
    const bad = await lvm("lvs");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/lvmlab-machine\.wcache: truncated at byte 0 \(header\); remove the file/);
  });
});
