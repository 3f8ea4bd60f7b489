import { describe, expect, it } from "vitest";
import { MemoryDevice } from "../../engine/block/memory.js";
import { defaultPvLayout, writeFreshPv } from "../../engine/format/pv-layout.js";
import { locateMdasFromLabel } from "../../faults/mda-locator.js";

const MiB = 1024 * 1024;

describe("locateMdasFromLabel", () => {
  it("reads the metadata areas from the PV label, including a second mda at the end", () => {
    const one = new MemoryDevice("pv0", 8 * MiB);
    writeFreshPv(one, { pvUuid: "abcdefghijklmnopqrstuvwxyz012345" });
    expect(locateMdasFromLabel(one)).toEqual([{ offsetBytes: 4096, sizeBytes: 1044480 }]);
    const two = new MemoryDevice("pv1", 9 * MiB);
    const layout = defaultPvLayout(two.sizeBytes, { metadataCopies: 2 });
    writeFreshPv(two, { pvUuid: "abcdefghijklmnopqrstuvwxyz012346", layout });
    const located = locateMdasFromLabel(two);
    expect(located).toHaveLength(2);
    expect(located?.[1]).toEqual(layout.metadataAreas[1]);
  });

  it("returns undefined for a device without a valid label", () => {
    expect(locateMdasFromLabel(new MemoryDevice("blank", MiB))).toBeUndefined();
    const damaged = new MemoryDevice("pv2", 8 * MiB);
    writeFreshPv(damaged, { pvUuid: "abcdefghijklmnopqrstuvwxyz012347" });
    const sector = new Uint8Array(512);
    damaged.read(512, sector);
    sector[100]! ^= 1;
    damaged.write(512, sector);
    expect(locateMdasFromLabel(damaged)).toBeUndefined();
  });
});
