import { describe, expect, it } from "vitest";
import { type Mutations, NO_MUTATIONS } from "../../../../engine/sim/mutations.js";
import { Rng } from "../../../../engine/sim/rng.js";
import { Bus } from "../../../../engine/sim/timing/bus.js";
import { customProfile } from "../../../../engine/sim/timing/custom.js";
import { HDD_PROFILE, REALDM_PROFILE } from "../../../../engine/sim/timing/profiles.js";
import { DeviceQueue, MUTATION_BANDWIDTH_PER_SERVER } from "../../../../engine/sim/timing/queue.js";
import type { TimingRequest } from "../../../../engine/sim/timing/service.js";

const MiB = 1024 * 1024;
const write = (offsetBytes: number, lengthBytes: number): TimingRequest => ({
  op: "write",
  offsetBytes,
  lengthBytes,
});

/** Drain 8 MiB through devices of 1 and 8 servers at 100 MiB/s; both must take 80 ms. */
function sharedBandwidthViolations(mutations: Mutations): string[] {
  const violations: string[] = [];
  for (const parallelism of [1, 8]) {
    const queue = new DeviceQueue(customProfile({ bandwidthBytesPerSec: 100 * MiB, parallelism }), {
      mutations,
    });
    let lastNs = 0;
    for (let i = 0; i < 8; i++) lastNs = queue.submit(write(i * MiB, MiB), 0).completeNs;
    if (lastNs !== 80_000_000) {
      violations.push(`${parallelism} servers drained 8 MiB in ${lastNs} ns, expected 80000000 ns`);
    }
  }
  return violations;
}

describe("device queue", () => {
  it("completes N concurrent requests on one server at 1x, 2x, … Nx the service time", () => {
    // 10 µs latency + 4096 B at 409.6 MB/s (10 µs) = 20 µs per request.
    const queue = new DeviceQueue(
      customProfile({ bandwidthBytesPerSec: 409.6e6, writeLatencyNs: 10_000, parallelism: 1 }),
    );
    const completions = Array.from({ length: 6 }, (_, i) => queue.submit(write(i * 8192, 4096), 0));
    expect(completions.map((c) => c.completeNs)).toEqual([20_000, 40_000, 60_000, 80_000, 100_000, 120_000]);
    expect(completions.map((c) => c.queueWaitNs)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
    expect(queue.counters.queueWaitNs).toBe(300_000);
    expect(queue.counters.busyNs).toBe(120_000);
    expect(queue.counters.requests).toBe(6);
    expect(queue.utilisation(120_000)).toBe(1);
  });

  it("halves the time for latency-bound requests when parallelism doubles", () => {
    const makespan = (parallelism: number) => {
      const queue = new DeviceQueue(
        customProfile({ bandwidthBytesPerSec: 1e12, readLatencyNs: 100_000, parallelism }),
      );
      let last = 0;
      for (let i = 0; i < 16; i++)
        last = Math.max(last, queue.submit({ op: "read", offsetBytes: 0, lengthBytes: 512 }, 0).completeNs);
      return last;
    };
    const one = makespan(1);
    expect(makespan(2) / one).toBeCloseTo(0.5, 2);
    expect(makespan(4) / one).toBeCloseTo(0.25, 2);
  });

  it("shares one bandwidth across servers, so parallelism does not multiply throughput", () => {
    expect(sharedBandwidthViolations(NO_MUTATIONS)).toEqual([]);
  });

  it("catches the bandwidth-per-server mutation", () => {
    const violations = sharedBandwidthViolations(new Set([MUTATION_BANDWIDTH_PER_SERVER]));
    expect(violations).toEqual(["8 servers drained 8 MiB in 10000000 ns, expected 80000000 ns"]);
  });

  it("counts reads and writes against the same bandwidth", () => {
    const queue = new DeviceQueue(customProfile({ bandwidthBytesPerSec: 100 * MiB, parallelism: 4 }));
    queue.submit({ op: "read", offsetBytes: 0, lengthBytes: MiB }, 0);
    const done = queue.submit(write(MiB, MiB), 0);
    expect(done.completeNs).toBe(20_000_000);
    expect(done.transferWaitNs).toBe(10_000_000);
    expect(queue.counters.bytesTransferred).toBe(2 * MiB);
  });

  it("starts a request no earlier than its issue time", () => {
    const queue = new DeviceQueue(customProfile({ bandwidthBytesPerSec: 1e9, writeLatencyNs: 1000 }));
    const first = queue.submit(write(0, 512), 0);
    const later = queue.submit(write(0, 512), 1_000_000);
    expect(later.startNs).toBe(1_000_000);
    expect(later.queueWaitNs).toBe(0);
    expect(later.completeNs - later.startNs).toBe(first.completeNs);
  });

  it("makes a flush wait for every request accepted before it", () => {
    const queue = new DeviceQueue(
      customProfile({
        bandwidthBytesPerSec: 1e12,
        writeLatencyNs: 50_000,
        flushLatencyNs: 7_000,
        parallelism: 4,
      }),
    );
    queue.submit(write(0, 512), 0);
    queue.submit(write(0, 512), 30_000);
    const flush = queue.submit({ op: "flush", offsetBytes: 0, lengthBytes: 0 }, 10_000);
    expect(flush.startNs).toBe(80_001); // the second write ends at 30 µs + 50 µs + 1 ns of transfer
    expect(flush.completeNs).toBe(87_001);
    const after = queue.submit(write(0, 512), 10_000);
    expect(after.startNs).toBe(87_001);
    expect(queue.counters.flushes).toBe(1);
  });

  it("tracks the head so that only non-sequential disk requests seek", () => {
    const queue = new DeviceQueue(HDD_PROFILE);
    const first = queue.submit({ op: "read", offsetBytes: 0, lengthBytes: MiB }, 0);
    const next = queue.submit({ op: "read", offsetBytes: MiB, lengthBytes: MiB }, 0);
    const jump = queue.submit({ op: "read", offsetBytes: 500e9, lengthBytes: MiB }, 0);
    expect(first.service.positioningNs).toBe(0);
    expect(next.service.positioningNs).toBe(0);
    expect(jump.service.positioningNs).toBeGreaterThan(10_000_000);
    expect(queue.headOffsetBytes).toBe(500e9 + MiB);
  });

  it("is deterministic with a timing stream", () => {
    const run = () => {
      const queue = new DeviceQueue(HDD_PROFILE, { rng: Rng.fromSeed(5).fork("timing").fork("pv0") });
      const rng = Rng.fromSeed(5).fork("workload");
      return Array.from(
        { length: 40 },
        (_, i) =>
          queue.submit({ op: "read", offsetBytes: rng.int(1e6) * 4096, lengthBytes: 4096 }, i * 1000)
            .completeNs,
      );
    };
    expect(run()).toEqual(run());
  });

  it("refuses an issue time that is not a finite, non-negative number", () => {
    const queue = new DeviceQueue(REALDM_PROFILE);
    expect(() => queue.submit(write(0, 512), Number.NaN)).toThrow(/issueNs must be a finite number/);
    expect(() => queue.submit(write(0, 512), -1)).toThrow(/issueNs/);
  });
});

describe("shared bus", () => {
  const fastDisk = customProfile({ name: "fast", bandwidthBytesPerSec: 1000 * MiB });

  function stream(queues: readonly DeviceQueue[], requests: number): number[] {
    const doneNs = queues.map(() => 0);
    for (let i = 0; i < requests; i++) {
      queues.forEach((queue, d) => {
        doneNs[d] = queue.submit(write(i * MiB, MiB), doneNs[d]!).completeNs;
      });
    }
    return doneNs;
  }

  it("limits one device to the bus bandwidth when the bus is slower", () => {
    const bus = new Bus("sata0", { bandwidthBytesPerSec: 200 * MiB });
    const [doneNs] = stream([new DeviceQueue(fastDisk, { bus })], 100);
    const mibPerSec = 100 / (doneNs! / 1e9);
    expect(mibPerSec).toBeCloseTo(200, 0);
    expect(bus.utilisation(doneNs!)).toBeCloseTo(1, 6);
  });

  it("gives two streaming devices about half of the bus bandwidth each", () => {
    const bus = new Bus("sata0", { bandwidthBytesPerSec: 200 * MiB });
    const queues = [new DeviceQueue(fastDisk, { bus }), new DeviceQueue(fastDisk, { bus })];
    const doneNs = stream(queues, 100);
    for (const ns of doneNs) expect(100 / (ns / 1e9)).toBeCloseTo(100, -1);
    expect(bus.counters.transfers).toBe(200);
    expect(bus.counters.bytes).toBe(200 * MiB);
    expect(bus.counters.waitNs).toBeGreaterThan(0);
  });

  it("leaves each device its own bandwidth when the bus is fast enough", () => {
    const bus = new Bus("nvme-fabric", { bandwidthBytesPerSec: 10_000 * MiB });
    const doneNs = stream([new DeviceQueue(fastDisk, { bus }), new DeviceQueue(fastDisk, { bus })], 50);
    for (const ns of doneNs) expect(50 / (ns / 1e9)).toBeCloseTo(1000, -1);
  });

  it("reproduces real dm: a mirror on separate disks writes at linear speed, on one bus it slows", () => {
    // 256 MiB of 1 MiB writes at queue depth 1, as dd did in research/realdm-observations.md.
    const total = 256;
    const linear = new DeviceQueue(REALDM_PROFILE);
    let linearNs = 0;
    for (let i = 0; i < total; i++) linearNs = linear.submit(write(i * MiB, MiB), linearNs).completeNs;

    const mirrorNs = (bus?: Bus) => {
      const legs = [new DeviceQueue(REALDM_PROFILE, { bus }), new DeviceQueue(REALDM_PROFILE, { bus })];
      let nowNs = 0;
      for (let i = 0; i < total; i++) {
        nowNs = Math.max(...legs.map((leg) => leg.submit(write(i * MiB, MiB), nowNs).completeNs));
      }
      return nowNs;
    };
    expect(linearNs / mirrorNs()).toBeCloseTo(1, 3);
    const sharedBus = new Bus("one-controller", { bandwidthBytesPerSec: 100 * MiB });
    const shared = linearNs / mirrorNs(sharedBus);
    // Both legs' 2 MiB per write cross one 100 MiB/s bus: half of linear.
    expect(shared).toBeCloseTo(0.5, 2);
    // A controller 1.5x a disk gives the classic 60–80 % figure: 2 MiB per write at 150 MiB/s.
    const wider = linearNs / mirrorNs(new Bus("wider", { bandwidthBytesPerSec: 150 * MiB }));
    expect(wider).toBeCloseTo(0.75, 2);
  });

  it("reproduces real dm: first writes to an origin with a snapshot run at about half speed", () => {
    // Each 1 MiB origin write first copies its 4 KiB chunks: read from the origin disk, write to
    // the COW disk as each read lands, then write the new data to the origin once all are copied.
    const total = 64;
    const chunk = 4096;
    const linear = new DeviceQueue(REALDM_PROFILE);
    let linearNs = 0;
    for (let i = 0; i < total; i++) linearNs = linear.submit(write(i * MiB, MiB), linearNs).completeNs;

    const origin = new DeviceQueue(REALDM_PROFILE);
    const cow = new DeviceQueue(REALDM_PROFILE);
    let nowNs = 0;
    for (let i = 0; i < total; i++) {
      const readsDone = Array.from(
        { length: MiB / chunk },
        (_, c) =>
          origin.submit({ op: "read", offsetBytes: i * MiB + c * chunk, lengthBytes: chunk }, nowNs)
            .completeNs,
      );
      let copiedNs = nowNs;
      for (const [c, readNs] of readsDone.entries()) {
        copiedNs = Math.max(copiedNs, cow.submit(write(i * MiB + c * chunk, chunk), readNs).completeNs);
      }
      nowNs = origin.submit(write(i * MiB, MiB), copiedNs).completeNs;
    }
    const ratio = linearNs / nowNs;
    expect(ratio).toBeGreaterThan(0.45);
    expect(ratio).toBeLessThan(0.52);
  });

  it("rejects an overlapping reservation and a bad bandwidth", () => {
    const bus = new Bus("b", { bandwidthBytesPerSec: 1e6 });
    bus.occupy(0, 100, { lengthBytes: 1, waitNs: 0 });
    expect(() => bus.occupy(50, 10, { lengthBytes: 1, waitNs: 0 })).toThrow(/busy until 100 ns/);
    expect(() => new Bus("c", { bandwidthBytesPerSec: 0 })).toThrow(/Bus c: bandwidthBytesPerSec/);
  });
});

describe("throttled virtio disks (realdm-100mib-1kiops)", () => {
  it("serve 4 KiB requests at the IOPS limit, reads and writes together", async () => {
    const { REALDM_PROFILE } = await import("../../../../engine/sim/timing/profiles.js");
    const queue = new DeviceQueue(REALDM_PROFILE);
    let doneNs = 0;
    for (let i = 0; i < 100; i++) {
      const op = i % 2 === 0 ? "read" : "write";
      doneNs = queue.submit({ op, offsetBytes: i * 8192 * 7, lengthBytes: 4096 }, 0).completeNs;
    }
    expect(doneNs / 1e6).toBeCloseTo(100, 0);
  });

  it("let a flush complete without waiting for queued writes", async () => {
    const { REALDM_PROFILE } = await import("../../../../engine/sim/timing/profiles.js");
    const queue = new DeviceQueue(REALDM_PROFILE);
    for (let i = 0; i < 32; i++) queue.submit({ op: "write", offsetBytes: i * 65536, lengthBytes: 4096 }, 0);
    const flush = queue.submit({ op: "flush", offsetBytes: 0, lengthBytes: 0 }, 0);
    expect(flush.completeNs).toBe(REALDM_PROFILE.flushLatencyNs);
  });

  it("merge adjacent queued requests into one slot, up to the limit", async () => {
    const { REALDM_PROFILE } = await import("../../../../engine/sim/timing/profiles.js");
    const queue = new DeviceQueue(REALDM_PROFILE);
    let doneNs = 0;
    for (let i = 0; i < 256; i++)
      doneNs = queue.submit({ op: "read", offsetBytes: i * 4096, lengthBytes: 4096 }, 0).completeNs;
    // One 1 MiB request: 10 ms of transfer, not 256 request slots of 1 ms.
    expect(queue.counters.merges).toBe(255);
    expect(doneNs / 1e6).toBeLessThan(11);
    // A flush ends merging: the next adjacent read is a request of its own.
    queue.submit({ op: "flush", offsetBytes: 0, lengthBytes: 0 }, doneNs);
    queue.submit({ op: "read", offsetBytes: 256 * 4096, lengthBytes: 4096 }, doneNs);
    expect(queue.counters.merges).toBe(255);
  });
});

describe("QEMU-throttled disks: request rate and bytes as separate budgets", () => {
  const throttled = (separate: boolean) =>
    new DeviceQueue(
      customProfile({
        bandwidthBytesPerSec: 8 * MiB,
        iopsLimit: 250,
        parallelism: 32,
        ...(separate ? { iopsBudgetSeparate: true } : {}),
      }),
    );
  /** A snapshot's first writes: a 64 KiB copy read, then the 4 KiB write, 100 times. */
  const mixed = (queue: DeviceQueue) => {
    let doneNs = 0;
    for (let i = 0; i < 100; i++) {
      queue.submit({ op: "read", offsetBytes: i * 2 * MiB, lengthBytes: 65536 }, 0);
      doneNs = queue.submit({ op: "write", offsetBytes: i * 2 * MiB + MiB, lengthBytes: 4096 }, 0).completeNs;
    }
    return doneNs / 1e6;
  };

  it("holds a mix of large and small requests by whichever budget runs out, not by their sum", () => {
    // Serial: 100 × (7.8 ms of bytes + a 4 ms slot) = 1181 ms. Separate: the bytes (6.8 MiB at
    // 8 MiB/s = 830 ms) outlast the 200 slots (800 ms).
    expect(mixed(throttled(false))).toBeCloseTo(1181, -1);
    expect(mixed(throttled(true))).toBeCloseTo(830, -1);
  });

  it("leaves uniform streams as they were: 4 KiB writes at the IOPS limit, 1 MiB writes at the bandwidth", () => {
    for (const separate of [false, true]) {
      const small = throttled(separate);
      let doneNs = 0;
      for (let i = 0; i < 100; i++) doneNs = small.submit(write(i * 65536, 4096), 0).completeNs;
      expect(doneNs / 1e6).toBeCloseTo(400, 0);
      const large = throttled(separate);
      for (let i = 0; i < 8; i++) doneNs = large.submit(write(i * 2 * MiB, MiB), 0).completeNs;
      expect(doneNs / 1e6).toBeCloseTo(1000, 0);
    }
    expect(() => customProfile({ bandwidthBytesPerSec: MiB, iopsBudgetSeparate: true })).toThrow(
      /iopsBudgetSeparate needs iopsLimit/,
    );
  });
});

describe("DeviceQueue.restartForBoot", () => {
  it("comes back idle on the boot's own stream, whatever the run before drew or queued", () => {
    const serve = (queue: DeviceQueue) =>
      Array.from({ length: 6 }, (_, i) => queue.completeNs("read", (i * 37 + 5) * MiB, 4096, false, 5e9 + i));
    const busy = new DeviceQueue(HDD_PROFILE, { rng: Rng.fromSeed(7).fork("timing").fork("pv0") });
    for (let i = 0; i < 50; i++) busy.completeNs("write", i * 3 * MiB, 65536, false, 4e9);
    const idle = new DeviceQueue(HDD_PROFILE, { rng: Rng.fromSeed(7).fork("timing").fork("pv0") });
    busy.restartForBoot(1);
    idle.restartForBoot(1);
    expect(serve(busy)).toEqual(serve(idle));
    // Another boot draws another stream.
    const other = new DeviceQueue(HDD_PROFILE, { rng: Rng.fromSeed(7).fork("timing").fork("pv0") });
    other.restartForBoot(2);
    expect(serve(other)).not.toEqual(serve(busy));
  });
});
