import { describe, expect, it } from "vitest";
import { type Machine, makeMachine, runAndReplay, runCase, runWorkload } from "../machine.js";

function differingBits(a: Uint8Array, b: Uint8Array): number[] {
  const bits: number[] = [];
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]! ^ b[i]!;
    for (let bit = 0; bit < 8; bit += 1) if (x & (1 << bit)) bits.push(i * 8 + bit);
  }
  return bits;
}

function whole(machine: Machine, device: string, media = true): Uint8Array {
  const dst = new Uint8Array(1024 * 1024);
  (media ? machine.media.get(device)! : machine.pvs.get(device)!).read(0, dst);
  return dst;
}

describe("bit-rot", () => {
  it("flips exactly the seeded bits at rest inside the range, on that device only, when it fires", () => {
    const spec = {
      kind: "bit-rot" as const,
      device: "pv1",
      offsetBytes: 8192,
      lengthBytes: 4096,
      bits: 7,
      at: { write: 4, device: "pv1" },
    };
    const clean = runCase({ specs: [] }, 12);
    const rotted = runCase({ specs: [spec] }, 12);
    const flipped = differingBits(whole(clean.machine, "pv1"), whole(rotted.machine, "pv1"));
    expect(flipped).toHaveLength(7);
    expect(flipped.every((b) => b >= 8192 * 8 && b < (8192 + 4096) * 8)).toBe(true);
    expect(rotted.machine.sink.fired[0]?.effect.bitPositions).toEqual(flipped);
    expect(rotted.hashes.pv0).toBe(clean.hashes.pv0);
    // No write counted: the rot is below the fault wrapper.
    expect(rotted.machine.injector.vgWriteCount).toBe(12);
  });

  it("same seed same bytes, another seed other bits, and the record replays", () => {
    const spec = { kind: "bit-rot" as const, device: "pv0", bits: 3, at: { timeNs: 3500 } };
    const a = runCase({ seed: 1, specs: [spec] }, 6);
    expect(runCase({ seed: 1, specs: [spec] }, 6).hashes).toEqual(a.hashes);
    expect(runCase({ seed: 2, specs: [spec] }, 6).hashes.pv0).not.toBe(a.hashes.pv0);
    const { first, replay } = runAndReplay({ seed: 4, specs: [spec] }, 6);
    expect(replay.hashes).toEqual(first.hashes);
  });

  it("on-read corrupts what reads return, never the media, until the window closes", () => {
    const machine = makeMachine({
      specs: [
        {
          kind: "bit-rot",
          device: "pv0",
          mode: "on-read",
          bits: 5,
          at: { timeNs: 0 },
          window: { untilEvent: "test.end" },
        },
      ],
    });
    runWorkload(machine, 4);
    const media = whole(machine, "pv0");
    const seen = whole(machine, "pv0", false);
    const flipped = differingBits(media, seen);
    expect(flipped).toEqual(machine.sink.fired[0]?.effect.bitPositions);
    expect(flipped).toHaveLength(5);
    // A small read covering one flipped bit shows exactly that flip.
    const firstBit = flipped[0]!;
    const sector = Math.floor(firstBit / 4096);
    const part = new Uint8Array(512);
    machine.pvs.get("pv0")!.read(sector * 512, part);
    expect(differingBits(media.subarray(sector * 512, sector * 512 + 512), part)).toContain(
      firstBit - sector * 4096,
    );
    machine.trace.emit("test.end");
    expect(differingBits(media, whole(machine, "pv0", false))).toEqual([]);
  });
});
