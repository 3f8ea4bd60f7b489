/** The `linear` target: a contiguous range of one underlying device. */

import { type IoOptions, SECTOR_BYTES, type WriteOptions } from "../block/device.js";
import {
  canSharePages,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  pagesLengthBytes,
  readPagesFrom,
  writePagesTo,
} from "../block/page-share.js";
import { checkDeviceRef, checkRequest, type DeviceRef, deviceLabel, Target } from "./target.js";

/** Options of a linear target: `<dev> <offset>`. */
export interface LinearOptions extends DeviceRef {
  readonly lengthSectors: number;
}

/** Maps sector s of the target to sector `offsetSectors + s` of the device. */
export class LinearTarget extends Target implements PageSharingDevice {
  readonly targetType = "linear";
  readonly #ref: DeviceRef;
  readonly #baseBytes: number;

  constructor(name: string, options: LinearOptions) {
    super(name, options.lengthSectors);
    checkDeviceRef(options, { target: name, lengthSectors: options.lengthSectors });
    this.#ref = { device: options.device, offsetSectors: options.offsetSectors };
    this.#baseBytes = options.offsetSectors * SECTOR_BYTES;
  }

  params(): string {
    return `${deviceLabel(this.#ref.device)} ${this.#ref.offsetSectors}`;
  }

  /** Pages pass through to the device below, shifted by the offset. */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    return (
      offsetBytes + lengthBytes <= this.sizeBytes &&
      canSharePages(this.#ref.device, op, this.#baseBytes + offsetBytes, lengthBytes)
    );
  }

  /** {@link read} handing the device's pages over. */
  readPages(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): PagesRead {
    checkRequest(this, { offsetBytes, lengthBytes });
    this.stats.readOps += 1;
    this.stats.readBytes += lengthBytes;
    return readPagesFrom(this.#ref.device, this.#baseBytes + offsetBytes, lengthBytes, {
      issueNs: options.issueNs ?? 0,
    });
  }

  /** {@link write} of pages the device may keep. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options: WriteOptions = {}): number {
    const lengthBytes = pagesLengthBytes(pages);
    checkRequest(this, { offsetBytes, lengthBytes });
    this.stats.writeOps += 1;
    this.stats.writeBytes += lengthBytes;
    return writePagesTo(this.#ref.device, this.#baseBytes + offsetBytes, pages, {
      issueNs: options.issueNs ?? 0,
      fua: options.fua ?? false,
    });
  }

  protected mapRead(offsetBytes: number, dst: Uint8Array, issueNs: number): number {
    return this.#ref.device.read(this.#baseBytes + offsetBytes, dst, { issueNs });
  }

  protected mapWrite(offsetBytes: number, data: Uint8Array, issueNs: number, fua: boolean): number {
    return this.#ref.device.write(this.#baseBytes + offsetBytes, data, { issueNs, fua });
  }

  protected mapFlush(issueNs: number): number {
    return this.#ref.device.flush({ issueNs });
  }

  protected mapDiscard(offsetBytes: number, lengthBytes: number, issueNs: number): number {
    return this.#ref.device.discard(this.#baseBytes + offsetBytes, lengthBytes, { issueNs });
  }
}
