/**
 * The `thin` target (dm-thin.c `thin_ctr`): one thin device of a pool, `thin <pool> <dev_id>`.
 * Every request goes to the pool, which maps, provisions and commits.
 */
import type { WriteOptions } from "../../block/device.js";
import { BlockDeviceError } from "../../block/errors.js";
import type { QueuedDone, QueuedWriter } from "../../block/queued.js";
import { checkRequest, Target } from "../target.js";
import type { ThinPoolTarget } from "./pool.js";

/** The `thin` target over a live pool; queued writes may be held by a full pool. */
export class ThinTarget extends Target implements QueuedWriter {
  readonly targetType = "thin";

  constructor(
    name: string,
    options: { readonly pool: ThinPoolTarget; readonly deviceId: number; readonly lengthSectors: number },
  ) {
    super(name, options.lengthSectors);
    this.pool = options.pool;
    this.deviceId = options.deviceId;
    const md = this.pool.metadata;
    if (md === undefined)
      throw new BlockDeviceError("EIO", name, 0, 0, "Couldn't open thin device, Pool is in fail mode");
    if (md.details(this.deviceId) === undefined) {
      throw new BlockDeviceError(
        "ENXIO",
        name,
        0,
        0,
        `Couldn't open thin internal device ${this.deviceId}: no such device in the pool`,
      );
    }
    this.pool.openDevices.add(this.deviceId);
  }

  readonly pool: ThinPoolTarget;
  readonly deviceId: number;

  /** The device is removed (`thin_dtr`): the pool may delete it again. */
  close(): void {
    this.pool.openDevices.delete(this.deviceId);
  }

  params(): string {
    return `${this.pool.name} ${this.deviceId}`;
  }

  /** `<mapped sectors> <last mapped sector>`, or `0 -` with nothing mapped. */
  override statusParams(): string {
    const md = this.pool.metadata;
    if (md === undefined || this.pool.mode === "fail") return "Fail";
    const maps = md.mappings(this.deviceId);
    if (maps.length === 0) return "0 -";
    const last = maps[maps.length - 1] as { vblock: number };
    return `${maps.length * this.pool.blockSizeSectors} ${(last.vblock + 1) * this.pool.blockSizeSectors - 1}`;
  }

  /** Mapped sectors, for Data%. */
  mappedSectors(): number {
    return (this.pool.metadata?.details(this.deviceId)?.mappedBlocks ?? 0) * this.pool.blockSizeSectors;
  }

  /** True when the pool can hold writes (it has a scheduler): callers should use {@link submitWrite}. */
  get queueing(): boolean {
    return this.pool.holdsWrites;
  }

  /** A write as a bio: a full pool with queue_if_no_space holds it until it grows or times out. */
  submitWrite(offsetBytes: number, data: Uint8Array, options: WriteOptions, done: QueuedDone): void {
    checkRequest(this, { offsetBytes, lengthBytes: data.byteLength });
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.byteLength;
    this.pool.submitThinWrite(
      this.deviceId,
      offsetBytes,
      data.slice(),
      { issueNs: options.issueNs ?? 0, fua: options.fua ?? false },
      done,
    );
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    return this.pool.thinRead(this.deviceId, offsetBytes, dst, issueNs);
  }
  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    return this.pool.thinWrite(this.deviceId, offsetBytes, data, issueNs, fua);
  }
  protected mapFlush(issueNs: number): number {
    return this.pool.thinFlush(this.deviceId, issueNs);
  }
  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    return this.pool.thinDiscard(this.deviceId, offsetBytes, lengthBytes, issueNs);
  }
}
