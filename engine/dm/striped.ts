/**
 * The `striped` target (RAID0): chunk c of the target lives on stripe `c % stripes` at stripe chunk
 * `floor(c / stripes)`; requests crossing chunk boundaries are split and issued in parallel.
 */

import { SECTOR_BYTES } from "../block/device.js";
import { isBlockDeviceError } from "../block/errors.js";
import { type MutationInfo, type Mutations, NO_MUTATIONS } from "../sim/mutations.js";
import { checkDeviceRef, type DeviceRef, deviceLabel, Target } from "./target.js";

/** Options of a striped target: `<#stripes> <chunk size> <dev> <offset> …`. */
export interface StripedOptions {
  readonly lengthSectors: number;
  readonly chunkSizeSectors: number;
  readonly stripes: readonly DeviceRef[];
  readonly mutations?: Mutations;
}

/** Mutation: a write crossing a chunk boundary is not split; its tail runs on into the first stripe's next chunk. */
export const STRIPED_WRITE_NOT_SPLIT: MutationInfo = {
  name: "striped-write-not-split",
  description:
    "a striped write that crosses a chunk boundary goes whole to the first chunk's stripe, so its tail lands in that stripe's next chunk (another part of the LV) instead of on the next stripe",
};

/** Most stripes a table may name; the kernel's limit is far higher but LVM2 caps at 128. */
const MAX_STRIPES = 128;

/** RAID0 over `stripes`, with a per-stripe error count for the `A`/`D` status chars. */
export class StripedTarget extends Target {
  readonly targetType = "striped";
  readonly chunkSizeSectors: number;
  readonly #stripes: readonly DeviceRef[];
  readonly #errors: number[];
  readonly #chunkBytes: number;
  readonly #writeNotSplit: boolean;

  constructor(name: string, options: StripedOptions) {
    super(name, options.lengthSectors);
    this.#writeNotSplit = (options.mutations ?? NO_MUTATIONS).has(STRIPED_WRITE_NOT_SPLIT.name);
    const count = options.stripes.length;
    if (count < 1 || count > MAX_STRIPES) {
      throw new RangeError(`Striped target ${name}: needs 1..${MAX_STRIPES} stripes, got ${count}`);
    }
    const chunk = options.chunkSizeSectors;
    if (!Number.isSafeInteger(chunk) || chunk < 1) {
      throw new RangeError(
        `Striped target ${name}: chunk size must be a positive sector count, got ${chunk}`,
      );
    }
    // Same two checks as dm-stripe's constructor.
    if (options.lengthSectors % count !== 0) {
      throw new RangeError(
        `Striped target ${name}: length ${options.lengthSectors} is not divisible by ${count} stripes`,
      );
    }
    const perStripe = options.lengthSectors / count;
    if (perStripe % chunk !== 0) {
      throw new RangeError(
        `Striped target ${name}: stripe length ${perStripe} is not divisible by chunk size ${chunk}`,
      );
    }
    for (const ref of options.stripes) checkDeviceRef(ref, { target: name, lengthSectors: perStripe });
    this.chunkSizeSectors = chunk;
    this.#chunkBytes = chunk * SECTOR_BYTES;
    this.#stripes = options.stripes.map((r) => ({ device: r.device, offsetSectors: r.offsetSectors }));
    this.#errors = options.stripes.map(() => 0);
  }

  params(): string {
    const devs = this.#stripes.map((r) => `${deviceLabel(r.device)} ${r.offsetSectors}`).join(" ");
    return `${this.#stripes.length} ${this.chunkSizeSectors} ${devs}`;
  }

  override statusParams(): string {
    const names = this.#stripes.map((r) => deviceLabel(r.device)).join(" ");
    const health = this.#errors.map((e) => (e > 0 ? "D" : "A")).join("");
    return `${this.#stripes.length} ${names} 1 ${health}`;
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    return this.#split(offsetBytes, dst.byteLength, issueNs, (ref, devOff, at, len) =>
      ref.device.read(devOff, dst.subarray(at, at + len), { issueNs }),
    );
  }

  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    return this.#split(
      offsetBytes,
      data.byteLength,
      issueNs,
      (ref, devOff, at, len) => ref.device.write(devOff, data.subarray(at, at + len), { issueNs, fua }),
      { whole: this.#writeNotSplit },
    );
  }

  protected mapFlush(issueNs: number): number {
    let doneNs = issueNs;
    for (const ref of this.#stripes) doneNs = Math.max(doneNs, ref.device.flush({ issueNs }));
    return doneNs;
  }

  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    return this.#split(offsetBytes, lengthBytes, issueNs, (ref, devOff, _at, len) =>
      ref.device.discard(devOff, len, { issueNs }),
    );
  }

  /** Split at chunk boundaries; the pieces run in parallel so completion is the latest piece's. */
  #split(
    offsetBytes: number,
    lengthBytes: number,
    issueNs: number,
    io: (ref: DeviceRef, deviceOffsetBytes: number, bufferOffsetBytes: number, lengthBytes: number) => number,
    options: { readonly whole?: boolean } = {},
  ): number {
    const chunkBytes = this.#chunkBytes;
    const count = this.#stripes.length;
    let doneNs = issueNs;
    let done = 0;
    while (done < lengthBytes) {
      const pos = offsetBytes + done;
      const chunk = Math.floor(pos / chunkBytes);
      const inChunk = pos - chunk * chunkBytes;
      const len =
        options.whole === true ? lengthBytes - done : Math.min(lengthBytes - done, chunkBytes - inChunk);
      const stripe = chunk % count;
      const ref = this.#stripes[stripe]!;
      const devOff = ref.offsetSectors * SECTOR_BYTES + Math.floor(chunk / count) * chunkBytes + inChunk;
      try {
        doneNs = Math.max(doneNs, io(ref, devOff, done, len));
      } catch (error) {
        // Only device errors count against a stripe; a SimulationHalt must pass through untouched.
        if (isBlockDeviceError(error)) this.#errors[stripe]! += 1;
        throw error;
      }
      done += len;
    }
    return doneNs;
  }
}
