import { describe, expect, it } from "vitest";
import { sizeComment } from "../../../engine/lvm/backup-comments.js";

// Expected strings are from real LVM2 backup files (`_sectors_to_units`: "%g" of KiB, then /1024 while > 1024).
describe("sizeComment", () => {
  it("prints sizes as LVM2's backup files do", () => {
    expect(sizeComment(8192)).toBe(" 4 Megabytes");
    expect(sizeComment(131072)).toBe(" 64 Megabytes");
    expect(sizeComment(128)).toBe(" 64 Kilobytes");
    expect(sizeComment(2048)).toBe(" 1024 Kilobytes");
    expect(sizeComment(1)).toBe(" 0.5 Kilobytes");
    expect(sizeComment(6144 * 3)).toBe(" 9 Megabytes");
    expect(sizeComment(2 * 1024 * 1024 * 3 + 2)).toBe(" 3 Gigabytes");
  });
});
