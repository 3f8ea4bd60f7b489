import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../engine/block/device.js";
import { commitVgMetadata, type MetadataAreaRef, writeVgMetadata } from "../../../engine/format/commit.js";
import { MDA_HEADER_BYTES, parseMdaHeader } from "../../../engine/format/mda-header.js";
import { writeFreshPv } from "../../../engine/format/pv-layout.js";
import { describeMdaStatus, scanDevices } from "../../../engine/format/scan.js";
import { formatUuid } from "../../../engine/format/uuid.js";
import { freshPvs, pvDevice, testUuid, vgText } from "./helpers.js";

function commit(areas: readonly MetadataAreaRef[], uuids: readonly string[], seqno: number, lvs = 0): void {
  commitVgMetadata(writeVgMetadata(areas, vgText({ seqno, pvUuids: uuids, lvs }), { vgName: "vg0", seqno }));
}

function corruptHeader(area: MetadataAreaRef, mutate: (bytes: Uint8Array) => void): void {
  const bytes = new Uint8Array(MDA_HEADER_BYTES);
  area.device.read(area.startBytes, bytes);
  mutate(bytes);
  area.device.write(area.startBytes, bytes);
}

describe("scan", () => {
  it("reads a consistent VG with no warnings", () => {
    const { devices, areas, uuids } = freshPvs(3);
    commit(areas, uuids, 1);
    const result = scanDevices(devices);
    expect(result.warnings).toEqual([]);
    expect(result.vgs).toHaveLength(1);
    expect(result.vgs[0]).toMatchObject({ vgName: "vg0", seqno: 1, inconsistent: false, missingPvUuids: [] });
    expect(result.vgs[0]!.text).toBe(
      new TextDecoder().decode(vgText({ seqno: 1, pvUuids: uuids })).slice(0, -1),
    );
    expect(result.orphans).toEqual([]);
    expect(result.pvs.flatMap((pv) => pv.mdas.map((m) => m.repair))).toEqual(["none", "none", "none"]);
  });

  it("parses a copy it parsed in an earlier scan once, and anything changed again", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    const first = scanDevices(devices).vgs[0]!;
    const again = scanDevices(devices).vgs[0]!;
    // The same immutable parse: a later command's scan costs no parsing.
    expect(again.file).toBe(first.file);
    expect(again.summary).toBe(first.summary);
    commit(areas, uuids, 2, 1);
    const changed = scanDevices(devices).vgs[0]!;
    expect(changed.file).not.toBe(first.file);
    expect(changed.seqno).toBe(2);
    expect(changed.summary.section).not.toBe(first.summary.section);
  });

  it("decodes again what changed on disk between scans: a flipped text byte, a bad header, a bad label", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    const clean = scanDevices(devices);
    expect(clean.warnings).toEqual([]);
    // Text: one byte of pv1's committed copy flips, then flips back.
    const header = new Uint8Array(MDA_HEADER_BYTES);
    areas[1]!.device.read(areas[1]!.startBytes, header);
    const locn = parseMdaHeader(header, { device: "pv1.img", expectedStartBytes: areas[1]!.startBytes })
      .header.committed;
    const at = areas[1]!.startBytes + locn.offsetBytes + 10;
    const sector = new Uint8Array(512);
    const sectorAt = Math.floor(at / 512) * 512;
    const flip = () => {
      areas[1]!.device.read(sectorAt, sector);
      sector[at - sectorAt]! ^= 0x01;
      areas[1]!.device.write(sectorAt, sector);
    };
    flip();
    expect(scanDevices(devices).warnings).toContain(
      `WARNING: Checksum error on pv1.img at offset ${areas[1]!.startBytes + locn.offsetBytes}.`,
    );
    flip();
    expect(scanDevices(devices)).toEqual(clean);
    // Header: a bad checksum on pv0's mda header.
    corruptHeader(areas[0]!, (bytes) => {
      bytes[0]! ^= 0xff;
    });
    expect(scanDevices(devices).warnings.join("\n")).toMatch(/wrong checksum .* in mda header on pv0.img/);
    corruptHeader(areas[0]!, (bytes) => {
      bytes[0]! ^= 0xff;
    });
    expect(scanDevices(devices)).toEqual(clean);
    // Label: pv1's label sector loses a byte of its pv_header, so its CRC fails.
    const label = new Uint8Array(512);
    devices[1]!.read(512, label);
    label[40]! ^= 0x01;
    devices[1]!.write(512, label);
    const unlabelled = scanDevices(devices);
    expect(unlabelled.unlabelled).toEqual(["pv1.img"]);
    expect(unlabelled.notes).toContain("Label checksum incorrect on pv1.img - ignoring");
    label[40]! ^= 0x01;
    devices[1]!.write(512, label);
    expect(scanDevices(devices)).toEqual(clean);
  });

  it("picks the highest seqno and prints LVM2's warnings for older copies (roll forward)", () => {
    const { devices, areas, uuids } = freshPvs(3);
    commit(areas, uuids, 1);
    // seqno 2 reaches only pv0 (a commit cut short): it still wins.
    commit([areas[0]!], uuids, 2, 1);
    const result = scanDevices(devices);
    expect(result.vgs[0]?.seqno).toBe(2);
    expect(result.vgs[0]?.source).toEqual({ device: "pv0.img", mdaIndex: 0 });
    expect(result.warnings).toEqual([
      "WARNING: ignoring metadata seqno 1 on pv1.img for seqno 2 on pv0.img for VG vg0.",
      "WARNING: ignoring metadata seqno 1 on pv2.img for seqno 2 on pv0.img for VG vg0.",
      "WARNING: Inconsistent metadata found for VG vg0.",
      "See vgck --updatemetadata to correct inconsistency.",
    ]);
    const statuses = result.pvs.flatMap((pv) => pv.mdas);
    expect(statuses.map((s) => [s.outdated, s.repair])).toEqual([
      [false, "none"],
      [true, "vgck --updatemetadata"],
      [true, "vgck --updatemetadata"],
    ]);
  });

  it("on an equal seqno with different text, keeps the first device scanned and flags the other MISMATCH", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit([areas[0]!], uuids, 3, 0);
    commit([areas[1]!], uuids, 3, 2);
    const result = scanDevices(devices);
    expect(result.vgs[0]?.source.device).toBe("pv0.img");
    const mismatch = [
      expect.stringMatching(
        /^WARNING: scan of VG vg0 from pv1\.img mda1 found mda_checksum [0-9a-f]+ mda_size \d+ vs [0-9a-f]+ \d+$/,
      ),
      "WARNING: Scanning pv1.img mda1 found mismatch with other metadata.",
      `WARNING: scan failed to get metadata summary from pv1.img PVID ${testUuid(1)}`,
    ];
    // The differing summaries make LVM2 rescan the VG's PVs, which repeats the lines.
    expect(result.warnings).toEqual([...mismatch, ...mismatch]);
    const second = result.pvs[1]!.mdas[0]!;
    expect(describeMdaStatus(second)).toBe("pv1.img mda1: bad, MISMATCH -> vgck --updatemetadata");
    // Scanning in the other order makes the other copy win: order decides, as in LVM2.
    expect(scanDevices([devices[1]!, devices[0]!]).vgs[0]?.source.device).toBe("pv1.img");
  });

  it("reports a header with a bad checksum as repairable by vgck and uses the other PVs", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    corruptHeader(areas[1]!, (b) => {
      b[0] = (b[0] ?? 0) ^ 0xff;
    });
    const result = scanDevices(devices);
    expect(result.vgs[0]?.seqno).toBe(1);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^WARNING: wrong checksum [0-9a-f]+ in mda header on pv1\.img at 4096$/),
      "WARNING: bad metadata header on pv1.img at 4096.",
      "WARNING: scanning pv1.img mda1 failed to read metadata summary.",
      "WARNING: repair VG metadata on pv1.img with vgck --updatemetadata.",
      `WARNING: scan failed to get metadata summary from pv1.img PVID ${testUuid(1)}`,
    ]);
    expect(describeMdaStatus(result.pvs[1]!.mdas[0]!)).toBe(
      "pv1.img mda1: bad, HEADER|CHECKSUM -> vgck --updatemetadata",
    );
    expect(result.vgs[0]?.inconsistent).toBe(true);
  });

  it("reports a bad magic as needing pvck --repair (bad_fields 0x34, as LVM2 printed)", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    corruptHeader(areas[0]!, (b) => {
      b[6] = 0;
    });
    const status = scanDevices(devices).pvs[0]!.mdas[0]!;
    expect(status.badFields).toBe(0x34);
    expect(status.repair).toBe("pvck --repair");
  });

  it("reports bad text on the first PV during the label scan (with LVM2's retry) and uses the others", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    devices[0]!.write(4096 + 512, new Uint8Array(512).fill(0x20));
    const result = scanDevices(devices);
    expect(result.vgs[0]?.source.device).toBe("pv1.img");
    const attempt = [
      "WARNING: Metadata location on pv0.img at offset 4608 begins with invalid name.",
      "WARNING: Checksum error on pv0.img at offset 4608.",
      "WARNING: invalid metadata text from pv0.img at 4608.",
      "WARNING: metadata on pv0.img at 4608 has invalid summary for VG.",
    ];
    expect(result.warnings).toEqual([
      ...attempt,
      ...attempt,
      "WARNING: bad metadata text on pv0.img in mda1",
      "WARNING: scanning pv0.img mda1 failed to read metadata summary.",
      "WARNING: repair VG metadata on pv0.img with vgck --updatemetadata.",
      `WARNING: scan failed to get metadata summary from pv0.img PVID ${testUuid(0)}`,
    ]);
    expect(result.notes).toContain("Retrying metadata scan.");
    expect(describeMdaStatus(result.pvs[0]!.mdas[0]!)).toBe(
      "pv0.img mda1: bad, TEXT -> vgck --updatemetadata",
    );
  });

  it("reports bad text on a later PV when the VG is read, as LVM2's vg_read does", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    const sector = new Uint8Array(512);
    devices[1]!.read(4096 + 512, sector);
    sector[100] = (sector[100] ?? 0) ^ 1;
    devices[1]!.write(4096 + 512, sector);
    const result = scanDevices(devices);
    expect(result.vgs[0]?.source.device).toBe("pv0.img");
    expect(result.warnings).toEqual([
      "WARNING: Checksum error on pv1.img at offset 4608.",
      "WARNING: couldn't read volume group metadata from pv1.img.",
      `WARNING: Failed to read metadata text at 4608 off 512 size ${result.pvs[1]!.mdas[0]!.sizeBytes} VG vg0 on pv1.img`,
      "WARNING: reading pv1.img mda1 failed to read metadata.",
      "WARNING: repair VG metadata on pv1.img with vgck --updatemetadata.",
      "WARNING: Reading VG vg0 on pv1.img failed.",
    ]);
    expect(result.pvs[1]!.mdas[0]!.repair).toBe("vgck --updatemetadata");
    expect(result.vgs[0]?.inconsistent).toBe(true);
  });

  it("names missing PVs by uuid, in LVM2's words", () => {
    const { devices, areas, uuids } = freshPvs(3);
    commit(areas, uuids, 1);
    const result = scanDevices([devices[0]!, devices[2]!]);
    expect(result.vgs[0]?.missingPvUuids).toEqual([testUuid(1)]);
    expect(result.warnings).toEqual([
      `WARNING: Couldn't find device with uuid ${formatUuid(testUuid(1))}.`,
      `WARNING: VG vg0 is missing PV ${formatUuid(testUuid(1))} (last written to /dev/loop1).`,
    ]);
  });

  it("treats a PV whose label CRC is bad as missing, silently, like LVM2", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    const label = new Uint8Array(512);
    devices[1]!.read(512, label);
    label[300] = (label[300] ?? 0) ^ 1;
    devices[1]!.write(512, label);
    const result = scanDevices(devices);
    expect(result.unlabelled).toEqual(["pv1.img"]);
    expect(result.notes).toEqual(["Label checksum incorrect on pv1.img - ignoring"]);
    expect(result.vgs[0]?.missingPvUuids).toEqual([testUuid(1)]);
  });

  it("reports orphan PVs and unlabelled devices", () => {
    const orphan = pvDevice("orphan.img");
    writeFreshPv(orphan, { pvUuid: testUuid(7) });
    const blank = pvDevice("blank.img");
    const result = scanDevices([orphan, blank]);
    expect(result.orphans).toEqual([{ device: "orphan.img", pvUuid: testUuid(7) }]);
    expect(result.unlabelled).toEqual(["blank.img"]);
    expect(result.vgs).toEqual([]);
    expect(result.pvs[0]!.mdas[0]!.state).toBe("empty");
  });

  it("skips ignored mdas", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commitVgMetadata(
      writeVgMetadata([areas[0]!, { ...areas[1]!, ignored: true }], vgText({ seqno: 1, pvUuids: uuids }), {
        vgName: "vg0",
        seqno: 1,
      }),
    );
    const result = scanDevices(devices);
    expect(result.pvs[1]!.mdas[0]!.state).toBe("ignored");
    expect(result.vgs[0]?.seqno).toBe(1);
    expect(result.warnings).toEqual([]);
  });

  it("never writes to the devices it reads", () => {
    const { devices, areas, uuids } = freshPvs(2);
    commit(areas, uuids, 1);
    corruptHeader(areas[1]!, (b) => {
      b[0] = 0;
    });
    const writesBefore = devices.map((d) => d.stats.writeOps);
    const guarded: BlockDevice[] = devices.map((d) => ({
      name: d.name,
      sizeBytes: d.sizeBytes,
      stats: d.stats,
      read: (o, dst, opt) => d.read(o, dst, opt),
      write: () => {
        throw new Error(`Scan wrote to ${d.name}`);
      },
      flush: () => {
        throw new Error(`Scan flushed ${d.name}`);
      },
      discard: () => {
        throw new Error(`Scan discarded on ${d.name}`);
      },
    }));
    scanDevices(guarded);
    expect(devices.map((d) => d.stats.writeOps)).toEqual(writesBefore);
    const header = new Uint8Array(512);
    devices[1]!.read(4096, header);
    expect(parseMdaHeader(header, { device: "pv1.img", expectedStartBytes: 4096 }).badFields).not.toBe(0);
  });
});
