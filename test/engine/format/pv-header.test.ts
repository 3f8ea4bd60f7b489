import { describe, expect, it } from "vitest";
import { OnDiskFormatError } from "../../../engine/format/format-error.js";
import { decodeLabelHeader, findLabel, sealLabelSector } from "../../../engine/format/label.js";
import {
  decodePvLabel,
  encodePvLabel,
  PV_EXT_USED,
  type PvHeader,
} from "../../../engine/format/pv-header.js";
import { pvDevice, REAL_LABEL_SECTOR, REAL_PV_UUID, testUuid } from "./helpers.js";

const REAL_VALUES: PvHeader = {
  pvUuid: REAL_PV_UUID,
  deviceSizeBytes: 64 * 1024 * 1024,
  dataAreas: [{ offsetBytes: 1048576, sizeBytes: 0 }],
  metadataAreas: [{ offsetBytes: 4096, sizeBytes: 0xff000 }],
  extension: { version: 2, flags: PV_EXT_USED, bootloaderAreas: [] },
};

describe("label_header and pv_header", () => {
  it("decode the real label sector of §1.3 to the documented values", () => {
    const label = decodeLabelHeader(REAL_LABEL_SECTOR, { device: "real", sector: 1 });
    expect(label).toEqual({ sector: 1, crc: 0xe1199784, offsetBytes: 32, type: "LVM2 001" });
    expect(decodePvLabel(REAL_LABEL_SECTOR, { device: "real", sector: 1 })).toEqual(REAL_VALUES);
  });

  it("encode the same values back to the very same 512 bytes, CRC included", () => {
    expect(encodePvLabel(REAL_VALUES, { sector: 1 })).toEqual(REAL_LABEL_SECTOR);
  });

  it("put the extension after the second terminator: offset 136 with one mda, 152 with two", () => {
    const one = encodePvLabel(REAL_VALUES);
    expect(one[136]).toBe(2);
    const two = encodePvLabel({
      ...REAL_VALUES,
      metadataAreas: [...REAL_VALUES.metadataAreas, { offsetBytes: 67108864, sizeBytes: 1048576 }],
    });
    expect(two[136]).toBe(0);
    expect(two[152]).toBe(2);
    expect(decodePvLabel(two, { device: "d", sector: 1 }).metadataAreas).toHaveLength(2);
  });

  it("treat extension version 0 as absent (old LVM2)", () => {
    const { extension: _none, ...old } = REAL_VALUES;
    const sector = encodePvLabel(old);
    expect(decodePvLabel(sector, { device: "d", sector: 1 })).toEqual(old);
  });

  it("reject a flipped bit with device, sector, field, expected and found", () => {
    const bad = REAL_LABEL_SECTOR.slice();
    bad[100] = (bad[100] ?? 0) ^ 1;
    let error: unknown;
    try {
      decodePvLabel(bad, { device: "pv1.img", sector: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnDiskFormatError);
    expect((error as Error).message).toMatch(
      /^Cannot read label_header on pv1\.img at sector 1 \(byte 512\): crc_xl is 0xe1199784, expected 0x[0-9a-f]{8}; the label is damaged/,
    );
  });

  it("reject a label copied to another sector", () => {
    expect(() => decodeLabelHeader(REAL_LABEL_SECTOR, { device: "d", sector: 2 })).toThrow(
      /sector_xl is 1, expected 2/,
    );
  });

  it("reject area lists that run off the sector", () => {
    const sector = encodePvLabel(REAL_VALUES);
    // Fill every list slot with non-zero offsets so no terminator exists, then reseal the CRC.
    const view = new DataView(sector.buffer);
    for (let at = 72; at + 16 <= 512; at += 16) view.setBigUint64(at, 4096n, true);
    const resealed = encodePvLabel(REAL_VALUES);
    resealed.set(sector.subarray(32), 32);
    sealLabelSector(resealed, 1);
    expect(() => decodePvLabel(resealed, { device: "d", sector: 1 })).toThrow(/a list running past byte 511/);
  });

  it("refuse to encode more than two metadata areas or lists that do not fit", () => {
    const mdas = [1, 2, 3].map((i) => ({ offsetBytes: i * 4096, sizeBytes: 4096 }));
    expect(() => encodePvLabel({ ...REAL_VALUES, metadataAreas: mdas })).toThrow(/at most 2/);
    const many = Array.from({ length: 30 }, (_, i) => ({ offsetBytes: (i + 1) * 4096, sizeBytes: 4096 }));
    expect(() => encodePvLabel({ ...REAL_VALUES, dataAreas: many })).toThrow(/need \d+ bytes/);
  });
});

describe("findLabel", () => {
  it("finds the label in sector 1 like LVM2", () => {
    const device = pvDevice("pv0.img");
    device.write(512, encodePvLabel({ ...REAL_VALUES, pvUuid: testUuid(1) }));
    const found = findLabel(device);
    expect(found.label?.sector).toBe(1);
    expect(found.notes).toEqual([]);
  });

  it("skips a label with a bad CRC (the PV simply is not there)", () => {
    const device = pvDevice("pv0.img");
    const sector = encodePvLabel(REAL_VALUES);
    sector[300] = 7;
    device.write(512, sector);
    const found = findLabel(device);
    expect(found.label).toBeUndefined();
    expect(found.notes).toEqual(["Label checksum incorrect on pv0.img - ignoring"]);
  });

  it("ignores a label whose sector_xl names another sector, and keeps the first valid one", () => {
    const device = pvDevice("pv0.img");
    device.write(0, encodePvLabel(REAL_VALUES, { sector: 1 }));
    device.write(1024, encodePvLabel({ ...REAL_VALUES, pvUuid: testUuid(2) }, { sector: 2 }));
    device.write(1536, encodePvLabel({ ...REAL_VALUES, pvUuid: testUuid(3) }, { sector: 3 }));
    const found = findLabel(device);
    expect(found.label?.sector).toBe(2);
    expect(decodePvLabel(found.label!.sectorBytes, { device: "pv0.img", sector: 2 }).pvUuid).toBe(
      testUuid(2),
    );
    expect(found.notes).toEqual([
      "pv0.img: Label for sector 1 found at sector 0 - ignoring.",
      "Ignoring additional label on pv0.img at sector 3",
    ]);
  });
});
