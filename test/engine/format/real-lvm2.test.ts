/**
 * Interop with Debian's real LVM2 (metadata only, on loop devices): LVM2 reads what lvmlab writes
 * and lvmlab reads what LVM2 writes, and both print the same warnings for a commit that reached
 * only one PV. Skipped with the reason when LVM2, losetup or root is not available.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileDevice } from "../../../engine/block/file.js";
import type { MemoryDevice } from "../../../engine/block/memory.js";
import { commitVgMetadata, type MetadataAreaRef, writeVgMetadata } from "../../../engine/format/commit.js";
import { parseConfig } from "../../../engine/format/config-parse.js";
import { printConfig } from "../../../engine/format/config-print.js";
import type { ConfigNode } from "../../../engine/format/config-tree.js";
import { lvmCrc } from "../../../engine/format/crc.js";
import { writeFreshPv } from "../../../engine/format/pv-layout.js";
import { scanDevices } from "../../../engine/format/scan.js";
import { isSimulationHalt } from "../../../engine/sim/halt.js";
import {
  type LoopSet,
  type LvmRun,
  lvmNoise,
  realLvm2Unavailable,
  withLoopDevices,
} from "../../support/real-lvm2.js";
import { areasOn, type Cut, freshPvs, PowerCutDevice, testUuid, vgText } from "./helpers.js";

const MiB = 1024 * 1024;
const unavailable = realLvm2Unavailable();
const dir = mkdtempSync(join(tmpdir(), "lvmlab-format-real-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function images(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `${prefix}${i}.img`);
    FileDevice.open(path, { create: { sizeBytes: 64 * MiB } }).close();
    return path;
  });
}

/** Opens image files under the loop device names LVM2 prints, so warnings compare verbatim. */
function openAs<T>(
  paths: readonly string[],
  names: readonly string[],
  body: (devices: FileDevice[]) => T,
): T {
  const devices = paths.map((p, i) => FileDevice.open(p, { name: names[i]! }));
  try {
    return body(devices);
  } finally {
    for (const d of devices) d.close();
  }
}

/**
 * Runs LVM2 without its device hints (/run/lvm/hints): we rewrite PVs behind its back, so hints
 * left by an earlier run on the same loop numbers would be stale.
 */
function lvm(set: LoopSet, command: string, args: readonly string[]): LvmRun {
  return set.lvm(command, ["--config", "devices/hints=none", ...args]);
}

function warningsOf(stderr: string): string[] {
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !lvmNoise(l));
}

function lvmlabVg(devices: readonly FileDevice[], seqnos: readonly number[], lvs = 2): MetadataAreaRef[] {
  const uuids = devices.map((_, i) => testUuid(i));
  const areas = devices.map((device, i) => {
    writeFreshPv(device, { pvUuid: uuids[i]!, inVg: true });
    return { device, pvUuid: uuids[i]!, mdaIndex: 0, startBytes: 4096 };
  });
  for (const seqno of seqnos) {
    commitVgMetadata(
      writeVgMetadata(areas, vgText({ seqno, pvUuids: uuids, lvs }), { vgName: "vg0", seqno }),
    );
  }
  return areas;
}

describe.skipIf(unavailable !== undefined)(`real LVM2 interop ${unavailable ?? ""}`, () => {
  it("LVM2 reads and checks a VG that lvmlab wrote, without a warning", () => {
    const paths = images("ours", 2);
    openAs(paths, ["a", "b"], (devices) => lvmlabVg(devices, [1, 2, 3]));
    withLoopDevices(paths, (set) => {
      const vgs = lvm(set, "vgs", ["--noheadings", "-o", "vg_name,pv_count,lv_count,vg_seqno", "vg0"]);
      expect(vgs.status).toBe(0);
      expect(vgs.stdout.trim().split(/\s+/)).toEqual(["vg0", "2", "2", "3"]);
      expect(warningsOf(vgs.stderr)).toEqual([]);
      const vgck = lvm(set, "vgck", ["vg0"]);
      expect(vgck.status).toBe(0);
      expect(warningsOf(vgck.stderr)).toEqual([]);
      // LVM2's own export of the VG it read is ours, blank lines included (comments aside).
      const backup = join(dir, "ours.vg");
      expect(lvm(set, "vgcfgbackup", ["-f", backup, "vg0"]).status).toBe(0);
      const theirs = parseConfig(readFileSync(backup, "utf8")).items.find((n) => n.kind === "section");
      const ours = parseConfig(vgText({ seqno: 3, pvUuids: [testUuid(0), testUuid(1)], lvs: 2 })).items[0];
      // (The backup file puts a blank line before the VG; the raw text starts with it.)
      expect(withoutComments({ ...theirs!, blankLineBefore: false })).toEqual(
        withoutComments({ ...ours!, blankLineBefore: false }),
      );
    });
  });

  it("lvmlab reads a VG that LVM2 wrote, and its text round-trips byte for byte", () => {
    const paths = images("theirs", 2);
    const seqno = withLoopDevices(paths, (set) => {
      for (const d of set.devices) expect(lvm(set, "pvcreate", [d]).status).toBe(0);
      expect(lvm(set, "vgcreate", ["vg0", ...set.devices]).status).toBe(0);
      expect(lvm(set, "lvcreate", ["-Zn", "-L", "8m", "-n", "lv0", "vg0"]).status).toBe(0);
      return Number(lvm(set, "vgs", ["--noheadings", "-o", "vg_seqno", "vg0"]).stdout.trim());
    });
    openAs(paths, ["a", "b"], (devices) => {
      const result = scanDevices(devices);
      expect(result.warnings).toEqual([]);
      expect(result.vgs).toHaveLength(1);
      expect(result.vgs[0]?.seqno).toBe(seqno);
      const text = result.vgs[0]!.text;
      expect(printConfig(parseConfig(text))).toBe(text);
    });
  });

  it("agrees with LVM2 on every crash state of a commit: the same seqno and the same warnings", () => {
    const { devices, areas, uuids } = freshPvs(2);
    for (const seqno of [1, 2]) {
      commitVgMetadata(
        writeVgMetadata(areas, vgText({ seqno, pvUuids: uuids, lvs: seqno }), { vgName: "vg0", seqno }),
      );
    }
    const next = vgText({ seqno: 3, pvUuids: uuids, lvs: 3 });
    const run = (cut: Cut | undefined): MemoryDevice[] => {
      const copies = devices.map((d) => d.clone());
      const counter = { writes: 0 };
      const wrapped = copies.map((d) => new PowerCutDevice(d, cut, counter));
      try {
        commitVgMetadata(writeVgMetadata(areasOn(areas, wrapped), next, { vgName: "vg0", seqno: 3 }));
      } catch (error) {
        if (!isSimulationHalt(error)) throw error;
      }
      return copies;
    };
    const totalWrites = run(undefined).reduce((n, d) => n + d.stats.writeOps, 0);
    expect(totalWrites).toBe(6);
    const paths = [0, 1].map((i) => join(dir, `crash${i}.img`));
    const seen = new Set<number>();
    for (const mode of ["before-write", "torn-write"] as const) {
      for (let at = 1; at <= totalWrites; at++) {
        const state = run({ mode, at });
        state.forEach((device, i) => {
          const image = FileDevice.open(paths[i]!, {
            create: { sizeBytes: device.sizeBytes, overwrite: true },
          });
          for (const page of device.writtenPages()) image.write(page.offsetBytes, page.bytes);
          image.close();
        });
        withLoopDevices(paths, (set) => {
          const ours = openAs(paths, set.devices, (files) => scanDevices(files));
          const vgs = lvm(set, "vgs", ["--noheadings", "-o", "vg_seqno", "vg0"]);
          const where = `${mode} #${at}`;
          expect(warningsOf(vgs.stderr), where).toEqual(ours.warnings);
          expect(Number(vgs.stdout.trim()), where).toBe(ours.vgs[0]?.seqno);
          seen.add(ours.vgs[0]?.seqno ?? -1);
        });
      }
    }
    // The sweep saw both outcomes: cuts before any commit (2) and after one landed (3).
    expect([...seen].sort()).toEqual([2, 3]);
  });

  /** Damage applied to lvmlab-written PVs (seqno 1, 2 committed on all) before both tools read them. */
  const cases: {
    readonly name: string;
    readonly pvs?: number;
    /** Indexes of the images attached (default all): the others are missing PVs. */
    readonly attach?: readonly number[];
    readonly damage: (devices: FileDevice[], areas: MetadataAreaRef[]) => void;
  }[] = [
    {
      name: "a commit that reached only the first PV (roll forward)",
      damage: (_devices, areas) => commitOnly(areas, [0], 3),
    },
    {
      name: "a commit that reached only the last PV",
      pvs: 3,
      damage: (_devices, areas) => commitOnly(areas, [2], 3),
    },
    {
      name: "a bad mda header checksum on one PV and bad text on another",
      pvs: 3,
      damage: (devices) => {
        flipHeaderByte(devices[1]!, 0);
        flipTextByte(devices[2]!, 100);
      },
    },
    {
      name: "bad text on the first PV scanned (read during the label scan, with its retry)",
      damage: (devices) => flipTextByte(devices[0]!, 100),
    },
    {
      name: "a bad magic (pvck --repair territory)",
      damage: (devices) => flipHeaderByte(devices[1]!, 6),
    },
    {
      name: "a bad version",
      damage: (devices) => {
        const header = readHeader(devices[1]!);
        header[20] = 9;
        writeHeaderResealed(devices[1]!, header);
      },
    },
    {
      name: "the same seqno with different text on two PVs (first scanned wins)",
      damage: (_devices, areas) => {
        commitOnly(areas, [0], 3, 1);
        commitOnly(areas, [1], 3, 4);
      },
    },
    {
      name: "a missing PV",
      pvs: 3,
      attach: [0, 2],
      damage: () => {},
    },
    {
      name: "a PV whose label CRC is bad (silently missing)",
      damage: (devices) => {
        const label = new Uint8Array(512);
        devices[1]!.read(512, label);
        label[300] = (label[300] ?? 0) ^ 1;
        devices[1]!.write(512, label);
      },
    },
  ];

  for (const testCase of cases) {
    it(`both print the same warnings and pick the same seqno: ${testCase.name}`, () => {
      const count = testCase.pvs ?? 2;
      const paths = images(`case${cases.indexOf(testCase)}-`, count);
      const attached = (testCase.attach ?? paths.map((_, i) => i)).map((i) => paths[i]!);
      withLoopDevices(attached, (set) => {
        const names = paths.map((p) => {
          const at = attached.indexOf(p);
          return at >= 0 ? set.devices[at]! : `/dev/unattached${paths.indexOf(p)}`;
        });
        const ours = openAs(paths, names, (devices) => {
          const areas = lvmlabVg(devices, [1, 2]);
          testCase.damage(devices, areas);
          const result = scanDevices(devices.filter((d) => set.devices.includes(d.name)));
          return { warnings: result.warnings, seqnos: result.vgs.map((vg) => vg.seqno) };
        });
        const vgs = lvm(set, "vgs", ["--noheadings", "-o", "vg_seqno"]);
        expect(warningsOf(vgs.stderr)).toEqual(ours.warnings);
        // stdout also carries "Retrying metadata scan." lines; the report rows are the numbers.
        const rows = vgs.stdout
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => /^\d+$/.test(l));
        expect(rows.map(Number)).toEqual(ours.seqnos);
      });
    });
  }
});

/** A node without positions, trailing comments and device hints (LVM2 writes the loop path). */
function withoutComments(node: ConfigNode): unknown {
  const { at: _at, comment: _comment, ...rest } = node as ConfigNode & { comment?: string };
  if (rest.kind === "section")
    return { ...rest, items: rest.items.filter((n) => n.key !== "device").map(withoutComments) };
  return rest;
}

function readHeader(device: FileDevice): Uint8Array {
  const header = new Uint8Array(512);
  device.read(4096, header);
  return header;
}

function writeHeaderResealed(device: FileDevice, header: Uint8Array): void {
  new DataView(header.buffer).setUint32(0, lvmCrc(header.subarray(4)), true);
  device.write(4096, header);
}

function flipHeaderByte(device: FileDevice, at: number): void {
  const header = readHeader(device);
  header[at] = (header[at] ?? 0) ^ 0xff;
  device.write(4096, header);
}

function flipTextByte(device: FileDevice, at: number): void {
  const slot0 = Number(new DataView(readHeader(device).buffer).getBigUint64(40, true));
  const sector = new Uint8Array(512);
  const offset = 4096 + slot0 + Math.floor(at / 512) * 512;
  device.read(offset, sector);
  sector[at % 512] = (sector[at % 512] ?? 0) ^ 0x01;
  device.write(offset, sector);
}

function commitOnly(
  areas: readonly MetadataAreaRef[],
  which: readonly number[],
  seqno: number,
  lvs = 3,
): void {
  const uuids = areas.map((a) => a.pvUuid);
  const text = vgText({ seqno, pvUuids: uuids, lvs });
  commitVgMetadata(
    writeVgMetadata(
      which.map((i) => areas[i]!),
      text,
      { vgName: "vg0", seqno },
    ),
  );
}
