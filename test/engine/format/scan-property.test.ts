/**
 * Property tests: random corruption of labels, mda headers, slot checksums and metadata text gives
 * LVM2's warnings and a clean result, never an exception or a hang, and never metadata that was
 * not written.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commitVgMetadata, writeVgMetadata } from "../../../engine/format/commit.js";
import { isOnDiskFormatError } from "../../../engine/format/format-error.js";
import { sealLabelSector } from "../../../engine/format/label.js";
import { decodePvLabel } from "../../../engine/format/pv-header.js";
import { scanDevices } from "../../../engine/format/scan.js";
import { freshPvs, vgText } from "./helpers.js";

const RUNS = 200;

// Regions worth hitting: label sector, mda header (incl. slot checksums), and the text copies.
const REGIONS = [
  { startBytes: 512, lengthBytes: 512 },
  { startBytes: 4096, lengthBytes: 512 },
  { startBytes: 4096 + 40, lengthBytes: 48 },
  { startBytes: 4608, lengthBytes: 8192 },
] as const;

function committedSetup() {
  const { devices, areas, uuids } = freshPvs(3);
  const texts: string[] = [];
  for (let seqno = 1; seqno <= 3; seqno++) {
    const text = vgText({ seqno, pvUuids: uuids, lvs: seqno });
    commitVgMetadata(writeVgMetadata(areas, text, { vgName: "vg0", seqno }));
    texts.push(new TextDecoder().decode(text.subarray(0, -1)));
  }
  return { devices, texts };
}

const corruption = fc.array(
  fc.record({
    device: fc.nat(2),
    region: fc.nat(REGIONS.length - 1),
    offset: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  { minLength: 1, maxLength: 6 },
);

describe("scan under random corruption", () => {
  const base = committedSetup();

  it("never throws, never hangs, and only ever returns metadata that was written", () => {
    fc.assert(
      fc.property(corruption, (edits) => {
        const devices = base.devices.map((d) => d.clone());
        for (const edit of edits) {
          const region = REGIONS[edit.region]!;
          const at = region.startBytes + (edit.offset % region.lengthBytes);
          const sector = Math.floor(at / 512) * 512;
          const bytes = new Uint8Array(512);
          devices[edit.device]!.read(sector, bytes);
          bytes[at - sector] = (bytes[at - sector] ?? 0) ^ edit.xor;
          devices[edit.device]!.write(sector, bytes);
        }
        const started = performance.now();
        const result = scanDevices(devices);
        expect(performance.now() - started).toBeLessThan(1000);
        for (const vg of result.vgs) expect(base.texts).toContain(vg.text);
        for (const line of result.warnings) expect(line).toMatch(/^(WARNING: |See vgck|Failed to read)/);
        // Every PV is accounted for: labelled (as a PV) or reported unlabelled.
        expect(result.pvs.length + result.unlabelled.length).toBe(3);
      }),
      { numRuns: RUNS },
    );
  });

  it("a damaged copy is reported, not silently used", () => {
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), (device, offset) => {
        const devices = base.devices.map((d) => d.clone());
        // Flip a byte inside the committed copy of one PV (slot 0 of seqno 3).
        const header = new Uint8Array(512);
        devices[device]!.read(4096, header);
        const view = new DataView(header.buffer);
        const slotOffset = Number(view.getBigUint64(40, true));
        const slotSize = Number(view.getBigUint64(48, true));
        const at = 4096 + slotOffset + (offset % slotSize);
        const sector = Math.floor(at / 512) * 512;
        const bytes = new Uint8Array(512);
        devices[device]!.read(sector, bytes);
        bytes[at - sector] = (bytes[at - sector] ?? 0) ^ 0x5a;
        devices[device]!.write(sector, bytes);
        const result = scanDevices(devices);
        expect(result.warnings).toContain(
          `WARNING: Checksum error on pv${device}.img at offset ${4096 + slotOffset}.`,
        );
        expect(result.vgs[0]?.text).toBe(base.texts[2]);
        expect(result.pvs[device]!.mdas[0]!.repair).toBe("vgck --updatemetadata");
      }),
      { numRuns: 50 },
    );
  });

  it("decoding a random label sector fails only with OnDiskFormatError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), fc.boolean(), (bytes, asLabel) => {
        // Sealed: a valid label_header and CRC over a random pv_header, to reach the list checks.
        if (asLabel) sealLabelSector(bytes, 1);
        try {
          decodePvLabel(bytes, { device: "fuzz", sector: 1 });
        } catch (error) {
          expect(isOnDiskFormatError(error)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
