import { describe, expect, it } from "vitest";
import { ShadowOracle } from "../../workloads/oracle.js";
import { fillBlock } from "../../workloads/verify-header.js";
import { FlatDevice } from "./doubles.js";

const UNIT = 4096;
/** A thin pool block of four verify units. */
const POOL_BLOCK = 4 * UNIT;
const LV = 3;
const SEED = 99;

/** Twelve blocks (three pool blocks), each written and flushed once. */
function written(): { oracle: ShadowOracle; device: FlatDevice } {
  const oracle = new ShadowOracle();
  oracle.registerLv(LV, { blockBytes: UNIT, sizeBytes: 12 * UNIT, seed: SEED, verify: "xxh64" });
  const device = new FlatDevice("lv", 12 * UNIT);
  for (let b = 0; b < 12; b++) {
    const generation = oracle.nextGeneration();
    const buf = new Uint8Array(UNIT);
    fillBlock(buf, { lvId: LV, offsetBytes: b * UNIT, generation, seed: SEED, verify: "xxh64" });
    oracle.issueWrite(LV, b * UNIT, UNIT, generation);
    device.write(b * UNIT, buf);
    oracle.ackWrite(LV, b * UNIT, UNIT, { generation });
  }
  oracle.flush(LV);
  return { oracle, device };
}

const zero = (device: FlatDevice, block: number) => device.bytes.fill(0, block * UNIT, (block + 1) * UNIT);

describe("ShadowOracle discards", () => {
  it("a whole discarded pool block must read as zeros after the flush; old data there is lost", () => {
    const { oracle, device } = written();
    // Covers pool block 1 whole (units 4..7) and pool block 0 in part (units 2, 3).
    oracle.discard(LV, 2 * UNIT, 6 * UNIT, { unmapUnitBytes: POOL_BLOCK });
    oracle.flush(LV);
    for (let b = 4; b < 8; b++) zero(device, b);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
    // The pool left a whole discarded block mapped: its old data is found where zeros must be.
    const kept = written();
    kept.oracle.discard(LV, 2 * UNIT, 6 * UNIT, { unmapUnitBytes: POOL_BLOCK });
    kept.oracle.flush(LV);
    const report = kept.oracle.verifyDevice(kept.device, LV);
    expect(report.ok).toBe(false);
    expect(report.examples.map((e) => e.blockIndex)).toEqual([4, 5, 6, 7]);
  });

  it("a partly covered pool block may read old or zero; blocks outside the range may not read zero", () => {
    const { oracle, device } = written();
    oracle.discard(LV, 2 * UNIT, 6 * UNIT, { unmapUnitBytes: POOL_BLOCK });
    oracle.flush(LV);
    for (let b = 2; b < 8; b++) zero(device, b);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
    zero(device, 1);
    zero(device, 8);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.lost).toBe(2);
    expect(report.examples.map((e) => e.blockIndex)).toEqual([1, 8]);
  });

  it("before the commit a crash may show the old data or zeros; a later durable write ends old-or-zero", () => {
    const { oracle, device } = written();
    oracle.discard(LV, 0, 4 * UNIT, { unmapUnitBytes: POOL_BLOCK });
    zero(device, 0);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
    // Unit 1 is rewritten before the flush: it stays mapped, so the flush may not zero it.
    const generation = oracle.nextGeneration();
    const buf = new Uint8Array(UNIT);
    fillBlock(buf, { lvId: LV, offsetBytes: UNIT, generation, seed: SEED, verify: "xxh64" });
    oracle.issueWrite(LV, UNIT, UNIT, generation);
    device.write(UNIT, buf);
    oracle.ackWrite(LV, UNIT, UNIT, { generation });
    oracle.flush(LV);
    for (const b of [0, 2, 3]) zero(device, b);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
    zero(device, 1);
    expect(oracle.verifyDevice(device, LV).counts.lost).toBe(1);
  });

  it("a write acknowledged before a discard and flushed after it does not undo the discard", () => {
    // A fio trim job may trim blocks whose last write is acknowledged but not yet flushed.
    const { oracle, device } = written();
    const write = (block: number) => {
      const generation = oracle.nextGeneration();
      const buf = new Uint8Array(UNIT);
      fillBlock(buf, { lvId: LV, offsetBytes: block * UNIT, generation, seed: SEED, verify: "xxh64" });
      oracle.issueWrite(LV, block * UNIT, UNIT, generation);
      device.write(block * UNIT, buf);
      oracle.ackWrite(LV, block * UNIT, UNIT, { generation });
    };
    write(8);
    write(9);
    oracle.discard(LV, 8 * UNIT, 2 * UNIT);
    zero(device, 8);
    zero(device, 9);
    // Block 9 is written again after the discard; block 8 is not.
    write(9);
    oracle.flush(LV);
    expect(oracle.expectation(LV, 8).allowed).toContain(0);
    expect(oracle.expectation(LV, 9).allowed).not.toContain(0);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
    zero(device, 9);
    const report = oracle.verifyDevice(device, LV);
    expect(report.examples.map((e) => [e.blockIndex, e.classification])).toEqual([[9, "lost"]]);
  });

  it("refuses a discard unit that is not a whole number of verify units", () => {
    const { oracle } = written();
    expect(() => oracle.discard(LV, 0, UNIT, { unmapUnitBytes: 6144 })).toThrow(/not a multiple/);
  });
});
