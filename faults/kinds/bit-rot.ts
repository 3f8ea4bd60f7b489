import { SECTOR_BYTES } from "../../engine/block/device.js";
import { EffectStage } from "../device-wrapper.js";
import { sampleDistinct } from "../random.js";
import { listForRecord } from "../record.js";
import type { FaultKind } from "./context.js";

/**
 * `bit-rot`: silent corruption. `bits` seeded bit positions are chosen inside
 * `[offsetBytes, offsetBytes + lengthBytes)`. `at-rest` flips them on the media when the fault
 * fires (written below the fault wrapper with FUA, so no trigger counts it and it is durable).
 * `on-read` leaves the media alone and flips them in every read that covers them, like a bad
 * cable or controller, until the window closes.
 */
export const bitRot: FaultKind<"bit-rot"> = {
  kind: "bit-rot",
  activate(spec, context) {
    const device = context.device(spec.device);
    const lengthBytes = spec.lengthBytes ?? device.sizeBytes - spec.offsetBytes;
    if (spec.offsetBytes + lengthBytes > device.sizeBytes || lengthBytes <= 0) {
      throw new RangeError(
        `Fault ${context.label} range [${spec.offsetBytes}, +${lengthBytes}) is outside ${spec.device} (${device.sizeBytes} bytes)`,
      );
    }
    if (spec.bits > lengthBytes * 8) {
      throw new RangeError(
        `Fault ${context.label} asks for ${spec.bits} bits in a ${lengthBytes}-byte range`,
      );
    }
    // Absolute bit positions on the device, ascending.
    const bitPositions = sampleDistinct(context.random, spec.bits, lengthBytes * 8).map(
      (b) => b + spec.offsetBytes * 8,
    );
    const effect = { device: spec.device, mode: spec.mode, ...listForRecord("bitPositions", bitPositions) };
    if (spec.mode === "at-rest") {
      flipAtRest(device.inner, bitPositions, context.firedAt.tNs);
      return { effect };
    }
    const remove = device.addEffect({
      label: context.label,
      stage: EffectStage.rot,
      afterRead(request, dst) {
        const startBit = request.offsetBytes * 8;
        const endBit = startBit + dst.length * 8;
        for (let i = lowerBound(bitPositions, startBit); i < bitPositions.length; i += 1) {
          const bit = bitPositions[i]!;
          if (bit >= endBit) break;
          const local = bit - startBit;
          dst[local >> 3]! ^= 1 << (local & 7);
        }
      },
    });
    return {
      effect,
      clear() {
        remove();
        return { device: spec.device };
      },
    };
  },
};

/** Flips the given absolute bit positions on `media` (sector by sector, FUA). */
export function flipAtRest(
  media: {
    read(o: number, d: Uint8Array, x?: object): number;
    write(o: number, d: Uint8Array, x?: object): number;
  },
  bitPositions: readonly number[],
  issueNs: number,
): void {
  const sector = new Uint8Array(SECTOR_BYTES);
  let i = 0;
  while (i < bitPositions.length) {
    const sectorIndex = Math.floor(bitPositions[i]! / (SECTOR_BYTES * 8));
    const baseBit = sectorIndex * SECTOR_BYTES * 8;
    media.read(sectorIndex * SECTOR_BYTES, sector, { issueNs });
    while (i < bitPositions.length && bitPositions[i]! < baseBit + SECTOR_BYTES * 8) {
      const local = bitPositions[i]! - baseBit;
      sector[local >> 3]! ^= 1 << (local & 7);
      i += 1;
    }
    media.write(sectorIndex * SECTOR_BYTES, sector, { issueNs, fua: true });
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
