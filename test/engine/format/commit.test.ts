import { describe, expect, it } from "vitest";
import { BlockDeviceError } from "../../../engine/block/errors.js";
import type { MetadataAreaRef } from "../../../engine/format/commit.js";
import {
  commitVgMetadata,
  MetadataWriteError,
  revertVgMetadata,
  writeVgMetadata,
} from "../../../engine/format/commit.js";
import { lvmCrc } from "../../../engine/format/crc.js";
import {
  encodeMdaHeader,
  type MdaHeader,
  parseMdaHeader,
  RAW_LOCN_IGNORED,
} from "../../../engine/format/mda-header.js";
import { MetadataTooLargeError } from "../../../engine/format/mda-text.js";
import { Trace } from "../../../engine/sim/trace.js";
import { freshPvs, vgText } from "./helpers.js";

function header(area: MetadataAreaRef): MdaHeader {
  const bytes = new Uint8Array(512);
  area.device.read(area.startBytes, bytes);
  const parsed = parseMdaHeader(bytes, { device: area.device.name, expectedStartBytes: area.startBytes });
  expect(parsed.badFields).toBe(0);
  return parsed.header;
}

describe("write, precommit, commit", () => {
  it("writes text everywhere first, then precommits slot 1, then commits slot 0 and clears slot 1", () => {
    const { areas, uuids } = freshPvs(3);
    const trace = new Trace();
    const events: string[] = [];
    trace.subscribe((e) => events.push(`${e.name}:${e.data.device}:${e.data.seqno}`));
    const text = vgText({ seqno: 1, pvUuids: uuids });
    const write = writeVgMetadata(areas, text, { vgName: "vg0", seqno: 1, trace });
    const locn = { offsetBytes: 512, sizeBytes: text.length, checksum: lvmCrc(text), flags: 0 };
    for (const area of areas) {
      expect(header(area).committed).toEqual({ offsetBytes: 0, sizeBytes: 0, checksum: 0, flags: 0 });
      expect(header(area).precommitted).toEqual(locn);
    }
    expect(commitVgMetadata(write, { trace })).toBe(3);
    for (const area of areas) {
      expect(header(area).committed).toEqual(locn);
      expect(header(area).precommitted).toEqual({ offsetBytes: 0, sizeBytes: 0, checksum: 0, flags: 0 });
    }
    expect(events).toEqual([
      "metadata.write:pv0.img:1",
      "metadata.write:pv1.img:1",
      "metadata.write:pv2.img:1",
      "metadata.precommit:pv0.img:1",
      "metadata.precommit:pv1.img:1",
      "metadata.precommit:pv2.img:1",
      "metadata.commit:pv0.img:1",
      "metadata.commit:pv1.img:1",
      "metadata.commit:pv2.img:1",
    ]);
  });

  it("writes each header update as a single 512-byte write", () => {
    const { areas, uuids, devices } = freshPvs(1);
    const before = { ...devices[0]!.stats };
    const write = writeVgMetadata(areas, vgText({ seqno: 1, pvUuids: uuids }), { vgName: "vg0", seqno: 1 });
    commitVgMetadata(write);
    const stats = devices[0]!.stats;
    // One text write (no wrap) + precommit header + commit header.
    expect(stats.writeOps - before.writeOps).toBe(3);
    expect(stats.writeBytes - before.writeBytes).toBe(Math.ceil(write.sizeBytes / 512) * 512 + 1024);
  });

  it("places the next seqno after the committed copy, as LVM2 does", () => {
    const { areas, uuids } = freshPvs(1);
    const offsets: number[] = [];
    for (let seqno = 1; seqno <= 4; seqno++) {
      const text = vgText({ seqno, pvUuids: uuids, lvs: seqno * 3 });
      commitVgMetadata(writeVgMetadata(areas, text, { vgName: "vg0", seqno }));
      offsets.push(header(areas[0]!).committed.offsetBytes);
    }
    expect(offsets[0]).toBe(512);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]! % 512).toBe(0);
    expect(offsets[1]).toBeGreaterThan(offsets[0]!);
  });

  it("commits ignored areas first and marks their slot 0 RAW_LOCN_IGNORED", () => {
    const { areas, uuids } = freshPvs(2);
    const mixed = [areas[0]!, { ...areas[1]!, ignored: true }];
    const trace = new Trace();
    const commits: string[] = [];
    trace.subscribe((e) => e.name === "metadata.commit" && commits.push(String(e.data.device)));
    commitVgMetadata(
      writeVgMetadata(mixed, vgText({ seqno: 1, pvUuids: uuids }), { vgName: "vg0", seqno: 1, trace }),
      {
        trace,
      },
    );
    expect(commits).toEqual(["pv1.img", "pv0.img"]);
    expect(header(mixed[1]!).committed.flags).toBe(RAW_LOCN_IGNORED);
    expect(header(mixed[0]!).committed.flags).toBe(0);
  });

  it("refuses text over the maximum with LVM2's message and leaves every header untouched", () => {
    const { areas, uuids } = freshPvs(2);
    const before = areas.map(header);
    const huge = new Uint8Array(521473);
    expect(() => writeVgMetadata(areas, huge, { vgName: "vg0", seqno: 2 })).toThrow(
      new MetadataTooLargeError(
        "VG vg0 2 metadata on pv0.img (521473 bytes) exceeds maximum metadata size (521472 bytes)",
      ),
    );
    expect(areas.map(header)).toEqual(before);
    expect(uuids).toHaveLength(2);
  });

  it("skips an area whose device fails with EIO and commits the rest", () => {
    const { areas, uuids } = freshPvs(2);
    const failing = areas[1]!.device;
    const broken: MetadataAreaRef = {
      ...areas[1]!,
      device: {
        name: failing.name,
        sizeBytes: failing.sizeBytes,
        stats: failing.stats,
        read: (offsetBytes, dst, options) => failing.read(offsetBytes, dst, options),
        write: (offsetBytes, data) => {
          throw new BlockDeviceError("EIO", failing.name, offsetBytes, data.length, "injected");
        },
        flush: (options) => failing.flush(options),
        discard: (offsetBytes, lengthBytes, options) => failing.discard(offsetBytes, lengthBytes, options),
      },
    };
    const write = writeVgMetadata([areas[0]!, broken], vgText({ seqno: 1, pvUuids: uuids }), {
      vgName: "vg0",
      seqno: 1,
    });
    expect(write.areas.map((a) => a.state)).toEqual(["precommitted", "failed"]);
    expect(commitVgMetadata(write)).toBe(1);
  });

  it("refuses to write over a header with a bad magic and says to use pvck --repair", () => {
    const { areas, uuids } = freshPvs(1);
    const bad = encodeMdaHeader({ startBytes: 4096, sizeBytes: 1044480 });
    bad[5] = 0;
    areas[0]!.device.write(4096, bad);
    expect(() =>
      writeVgMetadata(areas, vgText({ seqno: 1, pvUuids: uuids }), { vgName: "vg0", seqno: 1 }),
    ).toThrow(MetadataWriteError);
    expect(() =>
      writeVgMetadata(areas, vgText({ seqno: 1, pvUuids: uuids }), { vgName: "vg0", seqno: 1 }),
    ).toThrow(/bad mda header \(CHECKSUM\|MAGIC\).*Repair the header with pvck --repair/);
  });

  it("reverts by clearing slot 1 and leaving slot 0 alone", () => {
    const { areas, uuids } = freshPvs(2);
    commitVgMetadata(
      writeVgMetadata(areas, vgText({ seqno: 1, pvUuids: uuids }), { vgName: "vg0", seqno: 1 }),
    );
    const committed = header(areas[0]!).committed;
    const write = writeVgMetadata(areas, vgText({ seqno: 2, pvUuids: uuids }), { vgName: "vg0", seqno: 2 });
    expect(header(areas[0]!).precommitted.sizeBytes).toBeGreaterThan(0);
    revertVgMetadata(write);
    for (const area of areas) {
      expect(header(area).committed).toEqual(committed);
      expect(header(area).precommitted.sizeBytes).toBe(0);
    }
  });

  it("insists on the trailing NUL and a valid seqno", () => {
    const { areas } = freshPvs(1);
    expect(() =>
      writeVgMetadata(areas, new TextEncoder().encode("vg0 {}"), { vgName: "vg0", seqno: 1 }),
    ).toThrow(/NUL/);
    expect(() => writeVgMetadata(areas, new Uint8Array([0]), { vgName: "vg0", seqno: 0 })).toThrow(/seqno 0/);
  });
});
