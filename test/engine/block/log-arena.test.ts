import { describe, expect, it } from "vitest";
import { LOG_CHUNK_BYTES, LogArena } from "../../../engine/block/log-arena.js";
import { filled } from "./helpers.js";

describe("LogArena", () => {
  it("copies bytes: later changes to the source do not show", () => {
    const arena = new LogArena();
    const source = filled(4096, 1);
    const copy = arena.copy(source);
    source.fill(2);
    expect(copy.every((b) => b === 1)).toBe(true);
    expect(arena.liveCopies).toBe(1);
  });

  it("keeps copies intact while older ones are released, and recycles emptied chunks", () => {
    const arena = new LogArena();
    const perChunk = LOG_CHUNK_BYTES / 4096;
    const copies = Array.from({ length: 3 * perChunk }, (_, i) => arena.copy(filled(4096, i & 0xff)));
    expect(arena.heldBytes).toBe(3 * LOG_CHUNK_BYTES);
    for (let i = 0; i < perChunk + 1; i++) arena.releaseOldest();
    // New copies reuse the first chunk's memory and must not disturb the live ones.
    const fresh = Array.from({ length: perChunk }, () => arena.copy(filled(4096, 0xee)));
    expect(arena.heldBytes).toBe(3 * LOG_CHUNK_BYTES);
    for (let i = perChunk + 1; i < copies.length; i++) expect(copies[i]?.[0]).toBe(i & 0xff);
    for (const copy of fresh) expect(copy[4095]).toBe(0xee);
    expect(arena.liveCopies).toBe(3 * perChunk - (perChunk + 1) + perChunk);
  });

  it("gives large writes their own buffer and keeps FIFO release across them", () => {
    const arena = new LogArena();
    const small = arena.copy(filled(512, 1));
    const large = arena.copy(filled(LOG_CHUNK_BYTES + 512, 2));
    const after = arena.copy(filled(512, 3));
    expect(large.length).toBe(LOG_CHUNK_BYTES + 512);
    arena.releaseOldest();
    arena.releaseOldest();
    expect([small[0], after[0]]).toEqual([1, 3]);
    arena.releaseOldest();
    expect(arena.liveCopies).toBe(0);
    expect(() => arena.releaseOldest()).toThrow(/released more copies/);
  });

  it("clear releases everything and keeps chunks for the next epoch", () => {
    const arena = new LogArena();
    for (let i = 0; i < 600; i++) arena.copy(filled(4096, 1));
    arena.clear();
    expect(arena.liveCopies).toBe(0);
    const held = arena.heldBytes;
    expect(held).toBeGreaterThan(0);
    arena.copy(filled(4096, 1));
    expect(arena.heldBytes).toBe(held);
  });
});
