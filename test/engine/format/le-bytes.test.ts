import { describe, expect, it } from "vitest";
import { readU64, viewOf, writeU64 } from "../../../engine/format/le-bytes.js";

describe("readU64", () => {
  it("reads every safe u64 exactly and refuses the rest, as the BigInt reading does", () => {
    const buf = new Uint8Array(16);
    const view = viewOf(buf);
    const values = [
      0n,
      1n,
      0xffff_ffffn,
      0x1_0000_0000n,
      4096n * 1024n ** 3n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 64n - 1n,
    ];
    for (const value of values) {
      view.setBigUint64(4, value, true);
      expect(readU64(view, 4)).toBe(value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value));
    }
    writeU64(view, 8, 2 ** 53 - 1);
    expect(view.getBigUint64(8, true)).toBe(2n ** 53n - 1n);
  });
});
