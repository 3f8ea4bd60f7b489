import { describe, expect, it } from "vitest";
import { BlockDeviceError } from "../../engine/block/errors.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { EffectStage, FaultyDevice } from "../../faults/device-wrapper.js";
import { WriteTap } from "../../faults/trigger.js";

const KiB = 1024;

function device(tap?: WriteTap) {
  const media = new MemoryDevice("pv0", 64 * KiB);
  return { media, pv: new FaultyDevice(media, tap === undefined ? {} : { tap }) };
}

function bytes(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

function readMedia(media: MemoryDevice, offsetBytes: number, lengthBytes: number): Uint8Array {
  const dst = new Uint8Array(lengthBytes);
  media.read(offsetBytes, dst);
  return dst;
}

describe("FaultyDevice", () => {
  it("passes requests through untouched when no fault is active", () => {
    const { media, pv } = device();
    expect(pv.write(1024, bytes(1024, 7), { issueNs: 5 })).toBe(5);
    expect(readMedia(media, 1024, 1024)).toEqual(bytes(1024, 7));
    const dst = new Uint8Array(1024);
    pv.read(1024, dst);
    expect(dst).toEqual(bytes(1024, 7));
    expect(pv.stats).toMatchObject({ writeOps: 1, writeBytes: 1024, readOps: 1, readBytes: 1024 });
    expect(pv.writeCount).toBe(1);
  });

  it("runs effects in stage order whatever order they were added in", () => {
    const { pv } = device();
    const seen: string[] = [];
    pv.addEffect({
      label: "slow",
      stage: EffectStage.latency,
      latency: (_r, ns) => {
        seen.push("latency");
        return ns;
      },
    });
    pv.addEffect({ label: "flakey", stage: EffectStage.flakey, check: () => void seen.push("flakey") });
    pv.addEffect({ label: "lost", stage: EffectStage.loss, check: () => void seen.push("loss") });
    pv.write(0, bytes(512, 1));
    expect(seen).toEqual(["loss", "flakey", "latency"]);
    expect(pv.effects.map((e) => e.label)).toEqual(["lost", "flakey", "slow"]);
  });

  it("a lost device fails before a flakey device could drop the write", () => {
    const { media, pv } = device();
    pv.addEffect({ label: "drop", stage: EffectStage.flakey, planWrite: () => ({ kind: "drop" }) });
    const remove = pv.addEffect({
      label: "lost",
      stage: EffectStage.loss,
      check: (r) => {
        throw new BlockDeviceError("ENXIO", r.device, r.offsetBytes, r.lengthBytes, "gone");
      },
    });
    expect(() => pv.write(0, bytes(512, 1))).toThrow(/ENXIO on pv0 at byte 0/);
    remove();
    pv.write(0, bytes(512, 1));
    expect(readMedia(media, 0, 512)).toEqual(bytes(512, 0));
  });

  it("composes a misdirection with a tear: the kept sectors land at the new offset", () => {
    const { media, pv } = device();
    pv.addEffect({
      label: "torn",
      stage: EffectStage.torn,
      planWrite: () => ({ kind: "keep-sectors", sectors: [1, 3] }),
    });
    pv.addEffect({
      label: "moved",
      stage: EffectStage.misdirect,
      planWrite: () => ({ kind: "redirect", offsetBytes: 8192 }),
    });
    const data = new Uint8Array(2048);
    for (let s = 0; s < 4; s += 1) data.fill(s + 1, s * 512, (s + 1) * 512);
    pv.write(0, data);
    expect(readMedia(media, 0, 2048)).toEqual(new Uint8Array(2048));
    const landed = readMedia(media, 8192, 2048);
    expect([0, 1, 2, 3].map((s) => landed[s * 512])).toEqual([0, 2, 0, 4]);
  });

  it("refuses a redirection outside the device and a replacement of the wrong length", () => {
    const { pv } = device();
    const remove = pv.addEffect({
      label: "far",
      stage: EffectStage.misdirect,
      planWrite: () => ({ kind: "redirect", offsetBytes: 64 * KiB }),
    });
    expect(() => pv.write(0, bytes(512, 1))).toThrow(/EINVAL on pv0 at byte 65536 .*redirected by far/);
    remove();
    pv.addEffect({
      label: "short",
      stage: EffectStage.flakey,
      planWrite: () => ({ kind: "replace", data: new Uint8Array(1) }),
    });
    expect(() => pv.write(0, bytes(512, 1))).toThrow(
      /Fault short replaced a 512-byte write on pv0 with 1 bytes/,
    );
  });

  it("rejects misaligned requests with EINVAL before counting them", () => {
    const { pv } = device();
    expect(() => pv.write(100, bytes(512, 1))).toThrow(BlockDeviceError);
    expect(() => pv.read(0, new Uint8Array(100))).toThrow(/EINVAL/);
    expect(pv.writeCount).toBe(0);
  });

  it("announces each write to the tap before any effect sees it", () => {
    const tap = new WriteTap();
    const { pv } = device(tap);
    const order: string[] = [];
    tap.subscribe((w) => order.push(`tap:${w.writeIndex}:${w.vgWriteIndex}`));
    pv.addEffect({
      label: "e",
      stage: EffectStage.loss,
      check: (r) => void order.push(`effect:${r.writeIndex}`),
    });
    pv.write(0, bytes(512, 1));
    pv.write(0, bytes(512, 1));
    expect(order).toEqual(["tap:1:1", "effect:1", "tap:2:2", "effect:2"]);
  });

  it("adds latency effects to the service time the device reported", () => {
    const { pv } = device();
    pv.addEffect({ label: "x2", stage: EffectStage.latency, latency: (_r, ns) => ns * 2 + 10 });
    pv.addEffect({ label: "+5", stage: EffectStage.latency, latency: (_r, ns) => ns + 5 });
    expect(pv.write(0, bytes(512, 1), { issueNs: 1000 })).toBe(1015);
  });

  it("carries over only the faults that outlive a reboot", () => {
    const { pv } = device();
    pv.addEffect({ label: "lost", stage: EffectStage.loss });
    pv.addEffect({ label: "tear", stage: EffectStage.torn, survivesReboot: false });
    const rebooted = new FaultyDevice(new MemoryDevice("pv0", 64 * KiB));
    rebooted.adoptEffects(pv);
    expect(rebooted.effects.map((e) => e.label)).toEqual(["lost"]);
  });

  it("refuses any request after a power cut", () => {
    const { pv } = device();
    pv.powerOff("power-cut at t=5 ns");
    expect(() => pv.write(0, bytes(512, 1))).toThrow(
      /lost power at power-cut at t=5 ns .* must not catch SimulationHalt/,
    );
    expect(() => pv.flush()).toThrow(/lost power/);
  });
});
