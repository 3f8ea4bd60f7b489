import { BlockDeviceError } from "../../engine/block/errors.js";
import { type DeviceEffect, EffectStage } from "../device-wrapper.js";
import type { FaultKind } from "./context.js";

/** The effect of a missing PV: every request fails with ENXIO, saying `why`. */
export function missingDeviceEffect(label: string, why: string): DeviceEffect {
  return {
    label,
    stage: EffectStage.loss,
    check(request) {
      throw new BlockDeviceError("ENXIO", request.device, request.offsetBytes, request.lengthBytes, why);
    },
  };
}

/**
 * `pv-loss`: the PV disappears, so every request fails with ENXIO (what Linux returns for a
 * device that is gone). With a window it comes back when the window closes: intact (a cable
 * reconnected) or blank (`returnAs: "blank"`, the disk was swapped for a new one). Without one it
 * stays gone through every reboot. A window of `durationNs` lasts its time, reboots or not; one
 * that ends at an event (the kernel failing the leg) is a blink, and ends at a reboot if a power
 * cut comes first: the power cycle brings the PV back, and the event would have come from the
 * kernel the cut ended.
 */
export const pvLoss: FaultKind<"pv-loss"> = {
  kind: "pv-loss",
  activate(spec, context) {
    const device = context.device(spec.device);
    const label = context.label;
    const remove = device.addEffect(missingDeviceEffect(label, `the PV is missing (fault ${label})`));
    return {
      effect: { device: spec.device },
      clear() {
        remove();
        // A replacement disk reads as zeros everywhere.
        if (spec.returnAs === "blank") device.inner.discard(0, device.sizeBytes);
        return { device: spec.device, returnedAs: spec.returnAs };
      },
      eventWindowEndsAtReboot: true,
    };
  },
};
