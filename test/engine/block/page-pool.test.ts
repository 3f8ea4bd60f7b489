import { describe, expect, it } from "vitest";
import { PagePool, POOL_PAGE_BYTES } from "../../../engine/block/page-pool.js";

describe("PagePool", () => {
  it("hands out distinct zeroed pages from doubling chunks", () => {
    const pool = new PagePool();
    const pages = Array.from({ length: 48 }, () => pool.take());
    for (const page of pages) expect(page.length).toBe(POOL_PAGE_BYTES);
    for (const [i, page] of pages.entries()) page.fill(i + 1);
    for (const [i, page] of pages.entries()) expect(page.every((b) => b === i + 1)).toBe(true);
    // 16 pages in the 64 KiB chunk, 32 in the 128 KiB one.
    expect(pool.allocatedBytes).toBe(64 * 1024 + 128 * 1024);
    expect(pool.spareBytes).toBe(0);
    pool.take();
    expect(pool.allocatedBytes).toBe(64 * 1024 + 128 * 1024 + 256 * 1024);
    expect(pool.spareBytes).toBe(256 * 1024 - POOL_PAGE_BYTES);
  });

  it("reuses given pages, zeroed unless the caller overwrites them", () => {
    const pool = new PagePool();
    const page = pool.take();
    page.fill(7);
    pool.give(page);
    expect(pool.spareBytes).toBe(64 * 1024);
    const again = pool.take();
    expect(again).toBe(page);
    expect(again.every((b) => b === 0)).toBe(true);
    again.fill(9);
    pool.give(again);
    expect(pool.take({ zeroed: false })[0]).toBe(9);
    expect(pool.allocatedBytes).toBe(64 * 1024);
  });

  it("refuses pages of the wrong size", () => {
    expect(() => new PagePool().give(new Uint8Array(100))).toThrow(/100-byte page/);
  });
});
