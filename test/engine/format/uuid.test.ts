import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import {
  formatUuid,
  generateUuid,
  InvalidUuidError,
  isValidUuid,
  parseUuid,
  UUID_ALPHABET,
} from "../../../engine/format/uuid.js";
import { REAL_PV_UUID } from "./helpers.js";

describe("uuid", () => {
  it("formats a real PV id in LVM2's 6-4-4-4-4-4-6 groups", () => {
    expect(formatUuid(REAL_PV_UUID)).toBe("hjuNzR-8wQY-8fCo-mrXB-1jKe-eyCo-lxfMIM");
  });

  it("parses the dashed form back, ignoring dashes anywhere as LVM2 does", () => {
    expect(parseUuid("hjuNzR-8wQY-8fCo-mrXB-1jKe-eyCo-lxfMIM")).toBe(REAL_PV_UUID);
    expect(parseUuid("hjuN-zR8wQY8fComrXB1jKeeyColxfMIM")).toBe(REAL_PV_UUID);
  });

  it("rejects wrong lengths and characters outside the alphabet with the reason", () => {
    expect(() => parseUuid("short")).toThrow(InvalidUuidError);
    expect(() => parseUuid("short")).toThrow(/5 characters/);
    expect(() => parseUuid(`${REAL_PV_UUID.slice(0, 31)}*`)).toThrow(/"\*" is not in LVM2's id alphabet/);
  });

  it("generates the same ids from the same seed, using only the first 62 characters", () => {
    const a = Array.from(
      { length: 20 },
      (
        (r) => () =>
          generateUuid(r)
      )(seedrandom("s1")),
    );
    const b = Array.from(
      { length: 20 },
      (
        (r) => () =>
          generateUuid(r)
      )(seedrandom("s1")),
    );
    expect(a).toEqual(b);
    for (const id of a) {
      expect(isValidUuid(id)).toBe(true);
      expect(id).not.toMatch(/[!#]/);
    }
    expect(new Set(a).size).toBe(20);
  });

  it("refuses a random source outside [0, 1)", () => {
    expect(() => generateUuid(() => 1)).toThrow(/Random source returned 1/);
  });

  it("accepts every alphabet character", () => {
    const id = UUID_ALPHABET.slice(0, 32);
    expect(parseUuid(formatUuid(id))).toBe(id);
  });
});
