import { SECTOR_BYTES } from "../../engine/block/device.js";
import { EffectStage } from "../device-wrapper.js";
import { type FaultKind, writeFaultDevice } from "./context.js";

/**
 * `misdirected-write`: a write lands at another offset of the same device (a firmware or cable
 * fault): the intended sectors keep their old contents and other sectors are overwritten. It hits
 * the triggering write (block-write trigger) or the next write to `device`, and the `count - 1`
 * writes after it. The landing offset is `targetOffsetBytes`, or seeded: sector-aligned, inside
 * the device, never the intended offset.
 */
export const misdirectedWrite: FaultKind<"misdirected-write"> = {
  kind: "misdirected-write",
  activate(spec, context) {
    const name = writeFaultDevice(spec, context);
    const device = context.device(name);
    const firstIndex = context.firedAt.writeIndex;
    if (spec.targetOffsetBytes !== undefined && spec.targetOffsetBytes % SECTOR_BYTES !== 0) {
      throw new RangeError(
        `Fault ${context.label} targetOffsetBytes ${spec.targetOffsetBytes} is not a multiple of ${SECTOR_BYTES}`,
      );
    }
    let left = spec.count;
    let remove: () => void = () => {};
    remove = device.addEffect({
      label: context.label,
      stage: EffectStage.misdirect,
      survivesReboot: false,
      planWrite(request, data) {
        if (firstIndex !== undefined && request.writeIndex < firstIndex) return { kind: "pass" };
        left -= 1;
        if (left === 0) remove();
        const landedOffsetBytes = spec.targetOffsetBytes ?? seededOffset(request.offsetBytes, data.length);
        context.consumed({
          device: name,
          writeIndex: request.writeIndex,
          intendedOffsetBytes: request.offsetBytes,
          landedOffsetBytes,
          lengthBytes: data.length,
        });
        return { kind: "redirect", offsetBytes: landedOffsetBytes };
      },
    });
    return {
      effect: {
        device: name,
        count: spec.count,
        ...(firstIndex === undefined ? { pending: true } : { writeIndex: firstIndex }),
      },
    };

    function seededOffset(intendedBytes: number, lengthBytes: number): number {
      const slots = (device.sizeBytes - lengthBytes) / SECTOR_BYTES + 1;
      if (slots < 2) {
        throw new RangeError(
          `Fault ${context.label} cannot misdirect a ${lengthBytes}-byte write on ${name} (${device.sizeBytes} bytes): ` +
            "there is no other place for it",
        );
      }
      // Draw among the other slots so the write always moves.
      const slot = context.random.int(slots - 1);
      const intendedSlot = intendedBytes / SECTOR_BYTES;
      return (slot >= intendedSlot ? slot + 1 : slot) * SECTOR_BYTES;
    }
  },
};
