import { describe, expect, it } from "vitest";
import type { BlockDevice } from "../../engine/block/device.js";
import {
  MUTATION_ORACLE_ACK_IS_DURABLE,
  MUTATION_ORACLE_LOST_AS_STALE,
  MUTATION_ORACLE_ZEROS_ALWAYS_ALLOWED,
  ShadowOracle,
} from "../../workloads/oracle.js";
import { fillBlock, HEADER_BYTES } from "../../workloads/verify-header.js";
import { CacheDouble, FlatDevice } from "./doubles.js";

const UNIT = 4096;
const LV = 7;
const SEED = 1234;

function setup(blocks = 16): { oracle: ShadowOracle; device: FlatDevice } {
  const oracle = new ShadowOracle();
  oracle.registerLv(LV, { blockBytes: UNIT, sizeBytes: blocks * UNIT, seed: SEED, verify: "xxh64" });
  return { oracle, device: new FlatDevice("lv", blocks * UNIT) };
}

/** Write one block through the oracle's protocol: issue, device write, ack. */
function write(
  oracle: ShadowOracle,
  device: BlockDevice,
  block: number,
  options: { fua?: boolean; lvId?: number } = {},
): number {
  const lvId = options.lvId ?? LV;
  const generation = oracle.nextGeneration();
  const buf = new Uint8Array(UNIT);
  fillBlock(buf, { lvId, offsetBytes: block * UNIT, generation, seed: SEED, verify: "xxh64" });
  oracle.issueWrite(lvId, block * UNIT, UNIT, generation);
  device.write(block * UNIT, buf, { fua: options.fua === true });
  oracle.ackWrite(lvId, block * UNIT, UNIT, { generation, fua: options.fua === true });
  return generation;
}

function image(generation: number, block: number, lvId = LV): Uint8Array {
  const buf = new Uint8Array(UNIT);
  fillBlock(buf, { lvId, offsetBytes: block * UNIT, generation, seed: SEED, verify: "xxh64" });
  return buf;
}

describe("ShadowOracle classifications (one constructed case each)", () => {
  it("ok: flushed writes read back", () => {
    const { oracle, device } = setup();
    for (let b = 0; b < 4; b++) write(oracle, device, b);
    device.flush();
    oracle.flush(LV);
    const report = oracle.verifyDevice(device, LV);
    expect(report.blocksChecked).toBe(4);
    expect(report.counts.ok).toBe(4);
    expect(report.ok).toBe(true);
  });

  it("lost: a flushed block reads as zeros", () => {
    const { oracle, device } = setup();
    write(oracle, device, 2);
    oracle.flush(LV);
    device.bytes.fill(0, 2 * UNIT, 3 * UNIT);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.lost).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.examples[0]).toMatchObject({ blockIndex: 2, classification: "lost" });
    expect(report.examples[0]!.fioReason).toContain("bad magic header 0");
  });

  it("lost: an older generation replaces a flushed newer one", () => {
    const { oracle, device } = setup();
    const first = write(oracle, device, 1);
    oracle.flush(LV);
    const old = device.bytes.slice(UNIT, 2 * UNIT);
    const second = write(oracle, device, 1);
    oracle.flush(LV);
    device.bytes.set(old, UNIT);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.lost).toBe(1);
    expect(report.examples[0]!.found.generation).toBe(first);
    expect(report.examples[0]!.expected.durable).toBe(second);
    expect(report.examples[0]!.fioReason).toBe(`bad header numberio ${first}, wanted ${second}`);
  });

  it("stale: a generation the oracle never allowed at this block", () => {
    const { oracle, device } = setup();
    write(oracle, device, 3);
    oracle.flush(LV);
    device.bytes.set(image(999, 3), 3 * UNIT);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.stale).toBe(1);
    expect(report.examples[0]!.found.generation).toBe(999);
  });

  it("stale: a snapshot shows origin data written after it was taken (broken copy-on-write)", () => {
    const { oracle, device } = setup();
    write(oracle, device, 0);
    device.flush();
    oracle.flush(LV);
    oracle.snapshot(LV, 8);
    const snapDevice = new FlatDevice("snap", device.sizeBytes);
    snapDevice.bytes.set(device.bytes);
    write(oracle, device, 0);
    oracle.flush(LV);
    expect(oracle.verifyDevice(snapDevice, 8).ok).toBe(true);
    // The snapshot now shows the origin's new data, as if the exception was never copied.
    snapDevice.bytes.set(device.bytes.subarray(0, UNIT), 0);
    const report = oracle.verifyDevice(snapDevice, 8);
    expect(report.counts.stale).toBe(1);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
  });

  it("a writable snapshot checks its own writes and the origin's frozen image; memory is copy-on-write", () => {
    const { oracle, device } = setup();
    write(oracle, device, 0);
    write(oracle, device, 1);
    oracle.flush(LV);
    oracle.snapshot(LV, 9);
    const snapDevice = new FlatDevice("snap", device.sizeBytes);
    snapDevice.bytes.set(device.bytes);
    expect(oracle.trackedBlocks(9)).toBe(0);
    write(oracle, snapDevice, 1, { lvId: 9 });
    write(oracle, device, 0);
    oracle.flush(9);
    oracle.flush(LV);
    expect(oracle.trackedBlocks(9)).toBe(2);
    expect(oracle.verifyDevice(snapDevice, 9).ok).toBe(true);
    expect(oracle.verifyDevice(device, LV).ok).toBe(true);
    // The origin's block 1 shows through where the snapshot's own write must be: it names the origin.
    snapDevice.bytes.set(device.bytes.subarray(UNIT, 2 * UNIT), UNIT);
    const report = oracle.verifyDevice(snapDevice, 9);
    expect(report.counts.misdirected).toBe(1);
    expect(report.examples[0]!.found.lvId).toBe(LV);
  });

  it("a snapshot's unflushed first write to a block it shares may be lost: the origin's data it shared is allowed, under the origin's id", () => {
    // The merging origin writes as its snapshot: a write to a chunk the COW no longer holds lands
    // on the origin, and a cut before its flush leaves the origin's own old data there.
    const { oracle, device } = setup();
    write(oracle, device, 3);
    const shared = write(oracle, device, 4);
    oracle.flush(LV);
    oracle.snapshot(LV, 9);
    const before = device.bytes.slice(4 * UNIT, 5 * UNIT);
    const mine = write(oracle, device, 4, { lvId: 9 });
    // The crash lost the unflushed write: the block shows what it shared, written by the origin.
    device.bytes.set(before, 4 * UNIT);
    let report = oracle.verifyDevice(device, 9, { mode: "crash" });
    expect(report.counts).toMatchObject({ ok: 2, misdirected: 0, stale: 0 });
    expect(oracle.expectation(9, 4).allowed).toEqual([shared, mine]);
    // An older origin generation there is lost data (the shared one was flushed), not misdirected.
    device.bytes.set(image(shared - 1, 4), 4 * UNIT);
    report = oracle.verifyDevice(device, 9, { mode: "crash" });
    expect(report.counts).toMatchObject({ lost: 1, misdirected: 0 });
    // Once the snapshot's own write is flushed, the origin's data there is lost data.
    device.bytes.set(image(mine, 4, 9), 4 * UNIT);
    oracle.flush(9);
    expect(oracle.verifyDevice(device, 9, { mode: "crash" }).ok).toBe(true);
    device.bytes.set(before, 4 * UNIT);
    expect(oracle.verifyDevice(device, 9, { mode: "crash" }).ok).toBe(false);
  });

  it("misdirected: another block's data sits here", () => {
    const { oracle, device } = setup();
    write(oracle, device, 4);
    write(oracle, device, 5);
    oracle.flush(LV);
    device.bytes.copyWithin(5 * UNIT, 4 * UNIT, 5 * UNIT);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.misdirected).toBe(1);
    expect(report.examples[0]).toMatchObject({ blockIndex: 5, found: { offsetBytes: 4 * UNIT } });
    expect(report.examples[0]!.fioReason).toBe(`bad header offset ${4 * UNIT}, wanted ${5 * UNIT}`);
  });

  it("misdirected: another LV's block", () => {
    const { oracle, device } = setup();
    write(oracle, device, 6);
    oracle.flush(LV);
    device.bytes.set(image(1, 6, LV + 1), 6 * UNIT);
    expect(oracle.verifyDevice(device, LV).counts.misdirected).toBe(1);
  });

  it("corrupt: one flipped payload byte, or one flipped header byte", () => {
    const { oracle, device } = setup();
    write(oracle, device, 0);
    write(oracle, device, 1);
    oracle.flush(LV);
    device.bytes[UNIT - 100]! ^= 0x40;
    device.bytes[UNIT + 9]! ^= 0x01;
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.corrupt).toBe(2);
    expect(report.examples[0]!.fioReason).toContain("xxh64: verify failed");
    expect(report.examples[1]!.fioReason).toContain("bad header crc");
  });

  it("torn: half the sectors from the unflushed write, half from the durable one", () => {
    const { oracle, device } = setup();
    const durable = write(oracle, device, 2);
    oracle.flush(LV);
    const cached = write(oracle, device, 2);
    const mixed = image(durable, 2);
    mixed.set(image(cached, 2).subarray(0, 4 * 512), 0);
    device.bytes.set(mixed, 2 * UNIT);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.torn).toBe(1);
    expect(report.examples[0]!.detail).toBe(
      `torn write: sectors 0-3 from generation ${cached}, sectors 4-7 from generation ${durable}`,
    );
  });

  it("torn: a first write that only partly reached the media (the rest zeros)", () => {
    const { oracle, device } = setup();
    write(oracle, device, 3);
    device.bytes.fill(0, 3 * UNIT + 2048, 4 * UNIT);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts.torn).toBe(1);
    expect(report.examples[0]!.detail).toContain("zeros");
  });

  it("unreadable: the device fails the read with EIO", () => {
    const { oracle, device } = setup();
    for (let b = 0; b < 4; b++) write(oracle, device, b);
    oracle.flush(LV);
    device.failReads.add((2 * UNIT) / 512 + 3);
    const report = oracle.verifyDevice(device, LV);
    expect(report.counts).toMatchObject({ ok: 3, unreadable: 1 });
    expect(report.examples[0]!.blockIndex).toBe(2);
    expect(report.examples[0]!.fioReason).toContain("Input/output error");
  });

  it("unwritten blocks must read as zeros when every block is checked", () => {
    const { oracle, device } = setup(4);
    write(oracle, device, 0);
    oracle.flush(LV);
    device.bytes.set(image(1, 3), 3 * UNIT);
    const report = oracle.verifyDevice(device, LV, { allBlocks: true });
    expect(report.blocksChecked).toBe(4);
    expect(report.counts).toMatchObject({ ok: 3, stale: 1 });
  });

  it("keeps the example list bounded", () => {
    const { oracle, device } = setup(64);
    for (let b = 0; b < 64; b++) write(oracle, device, b);
    oracle.flush(LV);
    device.bytes.fill(0);
    const report = oracle.verifyDevice(device, LV, { maxExamples: 5 });
    expect(report.counts.lost).toBe(64);
    expect(report.examples).toHaveLength(5);
  });
});

/**
 * The small-log crash check as a function of the oracle's mutations: how many legal crash states
 * it rejects, and whether it rejects a state that dropped a flushed write.
 */
function crashCheck(mutations: ReadonlySet<string>): { legalRejected: number; illegalRejected: boolean } {
  const oracle = new ShadowOracle({ mutations });
  oracle.registerLv(LV, { blockBytes: UNIT, sizeBytes: 8 * UNIT, seed: SEED, verify: "xxh64" });
  const cache = new CacheDouble("disk", 8 * UNIT);
  write(oracle, cache, 0);
  write(oracle, cache, 1);
  cache.flush();
  oracle.flush(LV);
  write(oracle, cache, 1);
  write(oracle, cache, 2);
  write(oracle, cache, 3);
  let legalRejected = 0;
  for (let mask = 0; mask < 1 << cache.log.length; mask++) {
    if (!oracle.verifyDevice(cache.crashState(mask), LV, { allBlocks: true }).ok) legalRejected += 1;
  }
  const broken = cache.crashState(0);
  broken.bytes.fill(0, 0, UNIT);
  return { legalRejected, illegalRejected: !oracle.verifyDevice(broken, LV).ok };
}

describe("the crash check catches a broken oracle (mutations)", () => {
  it("the real oracle accepts all 8 legal states and rejects the illegal one", () => {
    expect(crashCheck(new Set())).toEqual({ legalRejected: 0, illegalRejected: true });
  });

  it("catches an oracle that forgets the volatile cache (rejects legal states)", () => {
    expect(crashCheck(new Set([MUTATION_ORACLE_ACK_IS_DURABLE])).legalRejected).toBeGreaterThan(0);
  });

  it("catches an oracle that lets zeros pass (accepts a lost flushed write)", () => {
    expect(crashCheck(new Set([MUTATION_ORACLE_ZEROS_ALWAYS_ALLOWED])).illegalRejected).toBe(false);
  });
});

describe("ShadowOracle crash states", () => {
  it("accepts every legal crash state of a small log and rejects dropping a flushed write", () => {
    const oracle = new ShadowOracle();
    const blocks = 8;
    oracle.registerLv(LV, { blockBytes: UNIT, sizeBytes: blocks * UNIT, seed: SEED, verify: "xxh64" });
    const cache = new CacheDouble("disk", blocks * UNIT);
    // Epoch 1: three writes, flushed.
    write(oracle, cache, 0);
    write(oracle, cache, 1);
    write(oracle, cache, 2);
    cache.flush();
    oracle.flush(LV);
    // Epoch 2: unflushed writes, two of them overwriting flushed blocks, one twice, one FUA.
    write(oracle, cache, 1);
    write(oracle, cache, 3);
    write(oracle, cache, 1);
    write(oracle, cache, 4, { fua: true });
    write(oracle, cache, 2);
    write(oracle, cache, 5);
    expect(cache.log).toHaveLength(5);
    const states = 1 << cache.log.length;
    let accepted = 0;
    for (let mask = 0; mask < states; mask++) {
      const report = oracle.verifyDevice(cache.crashState(mask), LV, { allBlocks: true });
      if (!report.ok) throw new Error(`Crash state ${mask} rejected: ${JSON.stringify(report.examples)}`);
      accepted += 1;
    }
    expect(accepted).toBe(32);

    // Illegal: the flushed write to block 0 vanishes.
    const broken = cache.crashState(states - 1);
    broken.bytes.fill(0, 0, UNIT);
    const bad = oracle.verifyDevice(broken, LV, { allBlocks: true });
    expect(bad.ok).toBe(false);
    expect(bad.counts.lost).toBe(1);

    // Illegal: the FUA write to block 4 vanishes although it never sat in the cache.
    const noFua = cache.crashState(0);
    noFua.bytes.fill(0, 4 * UNIT, 5 * UNIT);
    expect(oracle.verifyDevice(noFua, LV).counts.lost).toBe(1);
  });

  it("after a flush the cached generations are no longer allowed", () => {
    const { oracle, device } = setup();
    const first = write(oracle, device, 0);
    oracle.flush(LV);
    write(oracle, device, 0);
    expect(oracle.expectation(LV, 0).allowed).toHaveLength(2);
    oracle.flush(LV);
    expect(oracle.expectation(LV, 0).allowed).toHaveLength(1);
    device.bytes.set(image(first, 0), 0);
    expect(oracle.verifyDevice(device, LV).counts.lost).toBe(1);
  });

  it("a write cut by a crash before its ack stays allowed, alongside the durable one", () => {
    const { oracle, device } = setup();
    const durable = write(oracle, device, 0);
    oracle.flush(LV);
    const generation = oracle.nextGeneration();
    oracle.issueWrite(LV, 0, UNIT, generation);
    expect(oracle.expectation(LV, 0).allowed).toEqual([durable, generation]);
    oracle.flush(LV);
    expect(oracle.expectation(LV, 0).allowed).toEqual([durable, generation]);
  });

  it("adopting a verified state makes it the new baseline", () => {
    const { oracle, device } = setup();
    const first = write(oracle, device, 0);
    oracle.flush(LV);
    const second = write(oracle, device, 0);
    expect(oracle.expectation(LV, 0).allowed).toEqual([first, second]);
    const report = oracle.verifyDevice(device, LV, { adopt: true });
    expect(report.ok).toBe(true);
    expect(oracle.expectation(LV, 0).allowed).toEqual([second]);
  });

  it("memory stays proportional to blocks written, not to LV size", () => {
    const oracle = new ShadowOracle();
    const sizeBytes = 2 ** 40; // 1 TiB LV
    oracle.registerLv(LV, { blockBytes: UNIT, sizeBytes, seed: SEED, verify: "xxh64" });
    for (let i = 0; i < 100; i++) {
      const generation = oracle.nextGeneration();
      const offset = ((i * 1_999_993) % 200_000_000) * UNIT;
      oracle.issueWrite(LV, offset, UNIT, generation);
      oracle.ackWrite(LV, offset, UNIT, { generation });
    }
    oracle.flush(LV);
    expect(oracle.trackedBlocks(LV)).toBe(100);
  });

  it("rejects generations that go backwards and acks of writes never issued", () => {
    const { oracle } = setup();
    oracle.issueWrite(LV, 0, UNIT, 5);
    expect(() => oracle.issueWrite(LV, 0, UNIT, 4)).toThrow(/not newer than 5/);
    expect(() => oracle.ackWrite(LV, UNIT, UNIT, { generation: 5 })).toThrow(/never issued/);
    expect(() => oracle.issueWrite(LV, 100, UNIT, 6)).toThrow(/whole number/);
  });

  it("the header is at the start of the unit", () => {
    const buf = image(3, 0);
    expect(new DataView(buf.buffer).getUint32(0, true)).toBe(0x766d766c);
    expect(HEADER_BYTES).toBe(64);
  });
});

describe("lost versus stale", () => {
  /** Block 0 flushed at generation 1, then generation 2 acknowledged and flushed but dropped by the disk. */
  function droppedOverwrite(mutations: ReadonlySet<string>) {
    const oracle = new ShadowOracle({ mutations });
    oracle.registerLv(LV, { blockBytes: UNIT, sizeBytes: 4 * UNIT, seed: SEED, verify: "xxh64" });
    const device = new FlatDevice("lv", 4 * UNIT);
    write(oracle, device, 0);
    oracle.flush(LV);
    const generation = oracle.nextGeneration();
    oracle.issueWrite(LV, 0, UNIT, generation);
    oracle.ackWrite(LV, 0, UNIT, { generation });
    oracle.flush(LV);
    return oracle.verifyDevice(device, LV);
  }

  it("reports an older generation where a newer one was flushed as lost", () => {
    const report = droppedOverwrite(new Set());
    expect(report.counts.lost).toBe(1);
    expect(report.counts.stale).toBe(0);
  });

  it("the lost-as-stale mutation reports it as stale", () => {
    const report = droppedOverwrite(new Set([MUTATION_ORACLE_LOST_AS_STALE]));
    expect(report.counts.lost).toBe(0);
    expect(report.counts.stale).toBe(1);
  });
});

describe("overlapping writes in flight together are unordered", () => {
  /** Issue generations `a` then `b` to block 3 before either completes; `order` says which the device applies last. */
  function overlap(options: {
    readonly firstAcked: "a" | "b";
    readonly fua: boolean;
    readonly lands: "a" | "b";
  }) {
    const { oracle, device } = setup();
    const a = oracle.nextGeneration();
    const b = oracle.nextGeneration();
    oracle.issueWrite(LV, 3 * UNIT, UNIT, a);
    oracle.issueWrite(LV, 3 * UNIT, UNIT, b);
    device.write(3 * UNIT, image(options.lands === "a" ? a : b, 3), { fua: options.fua });
    const acks = options.firstAcked === "a" ? [a, b] : [b, a];
    for (const generation of acks) oracle.ackWrite(LV, 3 * UNIT, UNIT, { generation, fua: options.fua });
    return { oracle, device, a, b };
  }

  it("either result is legal, now and after a flush and a crash, whichever was acknowledged first", () => {
    for (const firstAcked of ["a", "b"] as const) {
      for (const fua of [false, true]) {
        for (const lands of ["a", "b"] as const) {
          const { oracle, device } = overlap({ firstAcked, fua, lands });
          const label = `${firstAcked} acked first, fua ${fua}, ${lands} lands`;
          expect(oracle.verifyDevice(device, LV, { mode: "latest" }).counts.ok, label).toBe(1);
          oracle.flush(LV);
          expect(oracle.verifyDevice(device, LV, { mode: "crash" }).counts.ok, label).toBe(1);
        }
      }
    }
  });

  it("the older of two FUA writes acknowledged last does not take the block back (issue: false stale at iodepth 4)", () => {
    const { oracle, b } = overlap({ firstAcked: "b", fua: true, lands: "b" });
    expect(oracle.expectation(LV, 3).durable).toBe(b);
  });

  it("a write issued after both completed orders after both: neither may come back once it is flushed", () => {
    const { oracle, device, a, b } = overlap({ firstAcked: "b", fua: false, lands: "b" });
    oracle.flush(LV);
    const c = write(oracle, device, 3);
    oracle.flush(LV);
    expect(oracle.expectation(LV, 3).allowed).toEqual([c]);
    device.write(3 * UNIT, image(a, 3));
    expect(oracle.verifyDevice(device, LV).counts.lost).toBe(1);
    device.write(3 * UNIT, image(b, 3));
    expect(oracle.verifyDevice(device, LV).counts.lost).toBe(1);
  });

  it("writes that never overlapped stay ordered: the older one reads as lost", () => {
    const { oracle, device } = setup();
    const a = write(oracle, device, 3, { fua: true });
    write(oracle, device, 3, { fua: true });
    device.write(3 * UNIT, image(a, 3));
    expect(oracle.verifyDevice(device, LV).counts.lost).toBe(1);
  });
});
