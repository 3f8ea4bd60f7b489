/** The `linear` target: a contiguous range of one underlying device. */

import { SECTOR_BYTES } from "../block/device.js";
import { checkDeviceRef, type DeviceRef, deviceLabel, Target } from "./target.js";

/** Options of a linear target: `<dev> <offset>`. */
export interface LinearOptions extends DeviceRef {
  readonly lengthSectors: number;
}

/** Maps sector s of the target to sector `offsetSectors + s` of the device. */
export class LinearTarget extends Target {
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
