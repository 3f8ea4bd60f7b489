import { describe, expect, it } from "vitest";
import { PageTable } from "../../../engine/block/page-table.js";

const page = (byte: number) => new Uint8Array(4096).fill(byte);

function entries(table: PageTable): [number, number, boolean][] {
  const out: [number, number, boolean][] = [];
  table.forEach((index, bytes, shared) => {
    out.push([index, bytes[0]!, shared]);
  });
  return out;
}

describe("PageTable", () => {
  it("maps, flags and unmaps pages across chunk boundaries, counting both", () => {
    const table = new PageTable();
    table.set(255, page(1), false);
    table.set(256, page(2), true);
    table.set(1_000_000, page(3), false);
    expect(table.size).toBe(3);
    expect(table.sharedSize).toBe(1);
    expect(table.get(256)?.[0]).toBe(2);
    expect(table.has(257)).toBe(false);
    expect(table.isShared(256)).toBe(true);
    table.setShared(255, true);
    table.set(256, page(4), false);
    expect(table.sharedSize).toBe(1);
    expect(entries(table)).toEqual([
      [255, 1, true],
      [256, 4, false],
      [1_000_000, 3, false],
    ]);
    expect(table.delete(255)).toBe(true);
    expect(table.delete(255)).toBeUndefined();
    expect(table.delete(256)).toBe(false);
    expect(table.get(256)).toBeUndefined();
    expect(table.size).toBe(1);
    expect(table.sharedSize).toBe(0);
    expect(() => table.setShared(7, true)).toThrow(/no page 7/);
  });

  it("lists mapped indexes of a range without walking every page of it", () => {
    const table = new PageTable();
    for (const index of [3, 300, 301, 70_000, 2 ** 40]) table.set(index, page(0), false);
    expect(table.indexesIn(0, 2 ** 41)).toEqual([3, 300, 301, 70_000, 2 ** 40]);
    expect(table.indexesIn(4, 301)).toEqual([300]);
    expect(table.indexesIn(301, 70_001)).toEqual([301, 70_000]);
  });

  it("shares another table's pages, flagged shared on both sides when asked", () => {
    const lender = new PageTable();
    lender.set(10, page(1), false);
    lender.set(600, page(2), false);
    const borrower = new PageTable();
    borrower.shareAllOf(lender);
    expect(entries(borrower)).toEqual([
      [10, 1, true],
      [600, 2, true],
    ]);
    // The lender's flags are its own; changing the borrower leaves the lender alone.
    expect(lender.sharedSize).toBe(0);
    borrower.set(10, page(9), false);
    expect(lender.get(10)?.[0]).toBe(1);
    lender.shareAll();
    expect(lender.sharedSize).toBe(2);
    expect(() => borrower.shareAllOf(lender)).toThrow(/empty table/);
    borrower.clear();
    expect(borrower.size).toBe(0);
    expect(borrower.get(600)).toBeUndefined();
  });
});
