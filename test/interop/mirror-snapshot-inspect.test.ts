/**
 * `lvmlab inspect --table` over image files: the dm tables of mirrors and snapshots as activation
 * would load them, built on copy-on-write overlays so the images stay byte-identical even though
 * activation writes (a disk log's resume rewrites its header, a new snapshot store its header).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../engine/block/file.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { OverlayDevice } from "../../engine/lvm/commands/inspect-table.js";
import { Host } from "../../engine/lvm/host.js";
import { runLvm } from "../../engine/lvm/run.js";
import { cli } from "../engine/lvm/cli-run.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-inspect-table-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const paths = ["a", "b", "c"].map((n) => join(dir, `${n}.img`));

function digest(): string[] {
  return paths.map((p) =>
    createHash("sha256")
      .update(new Uint8Array(readFileSync(p)))
      .digest("hex"),
  );
}

describe("lvmlab inspect --table", () => {
  it("prints dmsetup table lines for mirrors, logs, images, origins and snapshots and never writes the images", async () => {
    for (const p of paths) {
      writeFileSync(p, "");
      truncateSync(p, 64 * 1024 * 1024);
    }
    let run = 0;
    for (const line of [
      `pvcreate ${paths.join(" ")}`,
      `vgcreate vg0 ${paths.join(" ")}`,
      "lvcreate --type mirror -m1 -an -L 8M -n mir vg0",
      "lvcreate -an -L 8M -n base vg0",
      "lvcreate -s -an -L 4M -n snap vg0/base",
    ]) {
      const devices = paths.map((p) => FileDevice.open(p, { name: p, readOnly: false }));
      try {
        const host = new Host({
          devices: devices.map((d) => [d.name, d] as const),
          seed: `inspect-${run++}`,
        });
        const result = runLvm(host, line.split(" "));
        expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
      } finally {
        for (const d of devices) d.close();
      }
    }
    const before = digest();
    const out = await cli(["inspect", "--table", ...paths]);
    expect(out.code, out.stderr).toBe(0);
    const [a, b, c] = paths;
    expect(out.stdout.split("\n").filter(Boolean)).toEqual([
      `vg0-base: 0 16384 snapshot-origin vg0-base-real`,
      `vg0-base-real: 0 16384 linear ${a} 18432`,
      `vg0-mir: 0 16384 mirror disk 2 vg0-mir_mlog 4096 2 vg0-mir_mimage_0 0 vg0-mir_mimage_1 0`,
      `vg0-mir_mimage_0: 0 16384 linear ${a} 2048`,
      `vg0-mir_mimage_1: 0 16384 linear ${b} 2048`,
      `vg0-mir_mlog: 0 8192 linear ${c} 2048`,
      `vg0-snap: 0 16384 snapshot vg0-base-real vg0-snap-cow P 8`,
      `vg0-snap-cow: 0 8192 linear ${a} 34816`,
    ]);
    expect(digest()).toEqual(before);
    // Activation did write (log and store headers); the overlays took those writes.
    const json = await cli(["inspect", "--table", "--json", ...paths]);
    expect(JSON.parse(json.stdout).writesAbsorbed).toBeGreaterThan(0);
    expect(digest()).toEqual(before);
  });
});

describe("OverlayDevice", () => {
  it("serves writes from memory, reads through to the device below, and leaves it untouched", () => {
    const lower = new MemoryDevice("lower", 1024 * 1024);
    lower.write(0, new Uint8Array(8192).fill(7));
    const overlay = new OverlayDevice(lower);
    overlay.write(4000, new Uint8Array(200).fill(9));
    const got = new Uint8Array(8192);
    overlay.read(0, got);
    expect(got[3999]).toBe(7);
    expect(got.subarray(4000, 4200).every((x) => x === 9)).toBe(true);
    expect(got[4200]).toBe(7);
    const below = new Uint8Array(8192);
    lower.read(0, below);
    expect(below.every((x) => x === 7)).toBe(true);
    expect(overlay.dirtyPages).toBe(2);
  });
});
