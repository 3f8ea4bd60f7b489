import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commitVgMetadata, writeVgMetadata } from "../../../engine/format/commit.js";
import { DEFAULT_MDA_START_BYTES } from "../../../engine/format/pv-layout.js";
import { inspectDevices } from "../../../engine/lvm/inspect.js";
import { findVg, scanHost } from "../../../engine/lvm/vg-read.js";
import { cli } from "./cli-run.js";
import { lvm, makeHost } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-bad-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string, sizeBytes = 64 * 1024 * 1024): string {
  const path = join(dir, name);
  writeFileSync(path, "");
  truncateSync(path, sizeBytes);
  return path;
}

describe("corrupt or hostile images", () => {
  it("metadata that parses but names a PV the VG lacks is refused with its device, mda and path", () => {
    const host = makeHost(["a"]);
    expect(lvm(host, "vgcreate vg0 a").exitCode).toBe(0);
    expect(lvm(host, "lvcreate -an -l 1 -n lv0 vg0").exitCode).toBe(0);
    const scanned = findVg(scanHost(host), "vg0")!.scanned;
    const bad = scanned.text
      .replace('"pv0", 0', '"pv9", 0')
      .replace(/seqno = \d+/, `seqno = ${scanned.seqno + 1}`);
    expect(bad).not.toBe(scanned.text);
    const bytes = new TextEncoder().encode(`${bad}\0`);
    const areas = [
      { device: host.device("a")!, pvUuid: "", mdaIndex: 0, startBytes: DEFAULT_MDA_START_BYTES },
    ];
    const pvUuid = scanHost(host).result.pvs[0]!.header.pvUuid;
    const write = writeVgMetadata(
      areas.map((a) => ({ ...a, pvUuid })),
      bytes,
      { vgName: "vg0", seqno: scanned.seqno + 1 },
    );
    commitVgMetadata(write);
    const run = lvm(host, "lvs");
    expect(run.exitCode).toBe(5);
    expect(run.stderr).toContain("Cannot process volume group vg0");
    expect(run.stderr).toContain("a mda1");
    expect(run.stderr).toContain("pv9");
    const report = inspectDevices(host);
    expect(report.vgs[0]!.error).toContain("pv9");
  });

  it("garbage in one PV's metadata text leaves the VG readable from the other copy, with warnings", async () => {
    const a = image("g-a.img");
    const b = image("g-b.img");
    const devices = ["--devices", `${a},${b}`];
    expect((await cli(["lvm", ...devices, "vgcreate", "vg0", a, b])).code).toBe(0);
    // Overwrite the committed text of b's mda (it starts 512 bytes into the area).
    const bytes = new Uint8Array(readFileSync(b));
    bytes.fill(0x7b, DEFAULT_MDA_START_BYTES + 512, DEFAULT_MDA_START_BYTES + 1024);
    writeFileSync(b, bytes);
    const vgs = await cli(["lvm", ...devices, "vgs", "--noheadings", "-o", "vg_name,pv_count"]);
    expect(vgs.code).toBe(0);
    expect(vgs.stdout.trim()).toBe("vg0   2");
    expect(vgs.stderr).toMatch(/checksum|metadata/i);
    expect(vgs.stderr).toContain(b);
    const inspect = await cli(["inspect", "--json", a, b]);
    expect(inspect.code).toBe(0);
    const report = JSON.parse(inspect.stdout) as { warnings: string[]; vgs: { name: string }[] };
    expect(report.vgs.map((v) => v.name)).toEqual(["vg0"]);
    expect(report.warnings.join("\n")).toContain(b);
  });

  it("an image that is not a PV is listed as unlabelled, and a too-small one is refused by pvcreate", async () => {
    const junk = image("junk.img", 1024 * 1024);
    writeFileSync(junk, new Uint8Array(1024 * 1024).fill(0x55));
    const inspect = await cli(["inspect", junk]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain(`${junk}: no LVM2 label`);
    const create = await cli(["lvm", "--devices", junk, "pvcreate", junk]);
    expect(create.code).toBe(5);
    expect(create.stderr).toContain(`Cannot use ${junk}: device is too small`);
    expect(readFileSync(junk).every((byte) => byte === 0x55)).toBe(true);
  });

  it("a file that does not exist or is empty is a usage error naming it", async () => {
    const empty = image("empty.img", 0);
    for (const path of [join(dir, "missing.img"), empty]) {
      const run = await cli(["inspect", path]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(path);
    }
  });
});
