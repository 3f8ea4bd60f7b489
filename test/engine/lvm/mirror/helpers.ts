/** Shared helpers for the mirror and snapshot command tests: a Host with pullable disks and LV I/O. */
import { expect } from "vitest";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "../../../../engine/block/device.js";
import { emptyIoStats } from "../../../../engine/block/device.js";
import { BlockDeviceError } from "../../../../engine/block/errors.js";
import { MemoryDevice } from "../../../../engine/block/memory.js";
import type { MappedDevice } from "../../../../engine/dm/target.js";
import { deviceMapperOf } from "../../../../engine/lvm/activation/activate.js";
import { dmName } from "../../../../engine/lvm/activation/dm-name.js";
import { Host, type HostOptions } from "../../../../engine/lvm/host.js";
import { type LvmRunResult, runLvm } from "../../../../engine/lvm/run.js";
import { findVg, scanHost } from "../../../../engine/lvm/vg-read.js";

/** 64 MiB, as the loop devices of the real-LVM2 transcripts. */
export const DEVICE_BYTES = 64 * 1024 * 1024;
export const MiB = 1024 * 1024;

/** A disk that can be pulled: once `pulled`, every request fails with ENXIO as a vanished device does. */
export class PullableDevice implements BlockDevice {
  readonly stats: IoStats = emptyIoStats();
  pulled = false;
  /** Writes fail with EIO while reads still work (a disk that went read-only or bad on write). */
  writesFail = false;

  constructor(readonly inner: BlockDevice) {}

  get name(): string {
    return this.inner.name;
  }

  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }

  #check(offsetBytes: number, lengthBytes: number): void {
    if (this.pulled)
      throw new BlockDeviceError("ENXIO", this.name, offsetBytes, lengthBytes, "device pulled");
  }

  read(offsetBytes: number, dst: Uint8Array, options?: IoOptions): number {
    this.#check(offsetBytes, dst.byteLength);
    return this.inner.read(offsetBytes, dst, options);
  }

  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): number {
    this.#check(offsetBytes, data.byteLength);
    if (this.writesFail) {
      throw new BlockDeviceError("EIO", this.name, offsetBytes, data.byteLength, "write failed");
    }
    return this.inner.write(offsetBytes, data, options);
  }

  flush(options?: IoOptions): number {
    this.#check(0, 0);
    return this.inner.flush(options);
  }

  discard(offsetBytes: number, lengthBytes: number, options?: IoOptions): number {
    this.#check(offsetBytes, lengthBytes);
    return this.inner.discard(offsetBytes, lengthBytes, options);
  }
}

/** A Host over pullable memory disks `/dev/loop0…`; `disks` gives access to them. */
export function pullableHost(
  count: number,
  options: Partial<HostOptions> = {},
): { host: Host; disks: PullableDevice[] } {
  const disks = Array.from(
    { length: count },
    (_, i) => new PullableDevice(new MemoryDevice(`/dev/loop${i}`, DEVICE_BYTES)),
  );
  const host = new Host({
    devices: disks.map((d) => [d.name, d] as const),
    seed: "mirror-snapshot",
    ...options,
  });
  return { host, disks };
}

/** Runs a command line and insists it succeeds. */
export function ok(host: Host, line: string): LvmRunResult {
  const result = runLvm(host, line.trim().split(/\s+/));
  expect(result.exitCode, `${line}\n${result.stderr}`).toBe(0);
  return result;
}

/** Runs a command line that must fail; returns its result. */
export function fails(host: Host, line: string): LvmRunResult {
  const result = runLvm(host, line.trim().split(/\s+/));
  expect(result.exitCode, `${line} should fail\n${result.stdout}`).not.toBe(0);
  return result;
}

/** `lvs -a --noheadings -o FIELDS --separator '|'` as rows keyed by LV name (brackets kept). */
export function lvsRows(host: Host, fields: string): Map<string, string[]> {
  const out = ok(host, `lvs -a --noheadings --separator | -o lv_name,${fields}`).stdout;
  const rows = new Map<string, string[]>();
  for (const line of out.split("\n")) {
    if (line.trim() === "") continue;
    const [name, ...rest] = line.trim().split("|");
    rows.set(name!, rest);
  }
  return rows;
}

/** The live dm device of `vg/lv` (or a layer), failing the test when it is not loaded. */
export function lvDevice(host: Host, vg: string, lv: string, layer?: string): MappedDevice {
  const device = deviceMapperOf(host).device(dmName(vg, lv, layer));
  if (device === undefined) throw new Error(`No live device for ${vg}/${lv}${layer ? `-${layer}` : ""}`);
  return device;
}

/** Deterministic bytes that differ per seed and per offset (never all zero). */
export function pattern(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Reads `lengthBytes` at `offsetBytes` of a device. */
export function readBytes(device: BlockDevice, offsetBytes: number, lengthBytes: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  device.read(offsetBytes, out);
  return out;
}

/** The VG as the host's devices hold it now. */
export function vgModel(host: Host, name = "vg0") {
  const handle = findVg(scanHost(host), name);
  if (handle === undefined) throw new Error(`VG ${name} not found`);
  return handle.vg;
}

/** Index of the first byte where `a` and `b` differ, -1 when equal (cheap to assert on MiB-sized data). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  const view = (x: Uint8Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, n);
  if (Buffer.compare(view(a), view(b)) === 0) {
    return a.byteLength === b.byteLength ? -1 : n;
  }
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
