import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../../engine/block/memory.js";
import { findLabel } from "../../../engine/format/label.js";
import { encodeMdaHeader, MDA_HEADER_BYTES, parseMdaHeader } from "../../../engine/format/mda-header.js";
import { decodePvLabel } from "../../../engine/format/pv-header.js";
import { defaultPvLayout, peCountFor, wipePvLabel, writeFreshPv } from "../../../engine/format/pv-layout.js";
import { REAL_LABEL_SECTOR, REAL_PV_UUID } from "./helpers.js";

const MiB = 1024 * 1024;

describe("default PV layout", () => {
  it("puts mda0 at 4096 with 1044480 bytes and PE 0 at 1 MiB; 64 MiB with 4 MiB extents has 15 PEs", () => {
    const layout = defaultPvLayout(64 * MiB);
    expect(layout.metadataAreas).toEqual([{ offsetBytes: 4096, sizeBytes: 1044480 }]);
    expect(layout.peStartSectors).toBe(2048);
    expect(peCountFor(layout, 8192)).toBe(15);
  });

  it("aligns a second mda down to 1 MiB at the end (65 MiB: offset 67108864, size 1048576)", () => {
    const layout = defaultPvLayout(65 * MiB, { metadataCopies: 2 });
    expect(layout.metadataAreas).toEqual([
      { offsetBytes: 4096, sizeBytes: 1044480 },
      { offsetBytes: 67108864, sizeBytes: 1048576 },
    ]);
    expect(peCountFor(layout, 8192)).toBe(15);
  });

  it("refuses a device too small for the default layout", () => {
    expect(() => defaultPvLayout(MiB)).toThrow(/need a multiple of 512 larger than 1048576 bytes/);
  });
});

describe("writeFreshPv and wipePvLabel", () => {
  it("writes the same label sector as real LVM2 for the same PV", () => {
    const device = new MemoryDevice("loop0", 64 * MiB);
    device.write(0, new Uint8Array(4096).fill(0xaa));
    writeFreshPv(device, { pvUuid: REAL_PV_UUID, inVg: true });
    const head = new Uint8Array(2048);
    device.read(0, head);
    expect(head.subarray(512, 1024)).toEqual(REAL_LABEL_SECTOR);
    expect(head.subarray(0, 512).every((b) => b === 0)).toBe(true);
    expect(head.subarray(1024).every((b) => b === 0)).toBe(true);
  });

  it("initialises the mda header with empty slots and zeroes its first 4096 bytes", () => {
    const device = new MemoryDevice("loop0", 64 * MiB);
    device.write(4096, new Uint8Array(8192).fill(0xaa));
    writeFreshPv(device, { pvUuid: REAL_PV_UUID });
    const mda = new Uint8Array(8192);
    device.read(4096, mda);
    expect(mda.subarray(0, MDA_HEADER_BYTES)).toEqual(
      encodeMdaHeader({ startBytes: 4096, sizeBytes: 1044480 }),
    );
    expect(mda.subarray(MDA_HEADER_BYTES, 4096).every((b) => b === 0)).toBe(true);
    // Beyond the wipe the old bytes stay, as with pvcreate.
    expect(mda[4096]).toBe(0xaa);
    const parsed = parseMdaHeader(mda.subarray(0, 512), { device: "loop0", expectedStartBytes: 4096 });
    expect(parsed.badFields).toBe(0);
    const found = findLabel(device);
    const pv = decodePvLabel(found.label!.sectorBytes, { device: "loop0", sector: 1 });
    expect(pv.extension?.flags).toBe(0);
  });

  it("wipes every label sector and nothing else, like pvremove", () => {
    const device = new MemoryDevice("loop0", 64 * MiB);
    writeFreshPv(device, { pvUuid: REAL_PV_UUID });
    expect(wipePvLabel(device)).toBe(1);
    expect(findLabel(device).label).toBeUndefined();
    const header = new Uint8Array(512);
    device.read(4096, header);
    expect(parseMdaHeader(header, { device: "loop0", expectedStartBytes: 4096 }).badFields).toBe(0);
  });
});
