import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FaultSpecInput } from "../../faults/schema.js";
import { runAndReplay, runCase } from "./machine.js";

const device = fc.constantFrom("pv0", "pv1");
const trigger = fc.oneof(
  fc.record({ write: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ write: fc.integer({ min: 1, max: 10 }), device }),
  fc.record({ timeNs: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({ event: fc.constant("workload.step"), occurrence: fc.integer({ min: 1, max: 20 }) }),
);
const writeTrigger = fc.oneof(
  fc.record({ write: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ write: fc.integer({ min: 1, max: 10 }), device }),
);

// Faults that can fire anywhere in this machine without a target the machine lacks.
const spec: fc.Arbitrary<FaultSpecInput> = fc.oneof(
  fc.record({
    kind: fc.constant("pv-loss" as const),
    device,
    at: trigger,
    window: fc.constant({ durationNs: 3000 }),
  }),
  fc.record({ kind: fc.constant("torn-write" as const), at: writeTrigger }),
  fc.record({ kind: fc.constant("misdirected-write" as const), at: writeTrigger }),
  fc.record({
    kind: fc.constant("latent-sector-errors" as const),
    device,
    count: fc.integer({ min: 1, max: 50 }),
    at: trigger,
  }),
  fc.record({
    kind: fc.constant("bit-rot" as const),
    device,
    bits: fc.integer({ min: 1, max: 64 }),
    at: trigger,
  }),
  fc.record({
    kind: fc.constant("flakey" as const),
    device,
    upNs: fc.integer({ min: 0, max: 5000 }),
    downNs: fc.integer({ min: 1, max: 5000 }),
    dropWrites: fc.boolean(),
    at: trigger,
  }),
  fc.record({
    kind: fc.constant("slow-device" as const),
    device,
    spikeProbability: fc.double({ min: 0, max: 1, noNaN: true }),
    spikeNs: fc.integer({ min: 0, max: 1e6 }),
    at: trigger,
  }),
  fc.record({
    kind: fc.constant("power-cut" as const),
    policy: fc.constant({ kind: "torn" as const }),
    at: trigger,
  }),
);

describe("fault determinism (property)", () => {
  it("any mix of faults leaves the same bytes for the same seed and replays from its records", () => {
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 1000 }),
        (specs, seed) => {
          const options = { cached: true, seed, specs };
          const again = runCase(options, 24);
          const { first, replay } = runAndReplay(options, 24);
          expect(again.hashes).toEqual(first.hashes);
          expect(again.machine.sink.records).toEqual(first.machine.sink.records);
          expect(replay.hashes).toEqual(first.hashes);
          expect(replay.outcomes).toEqual(first.outcomes);
          expect(replay.halt?.at).toEqual(first.halt?.at);
        },
      ),
      { numRuns: 25, seed: 20261121 },
    );
  });
});
