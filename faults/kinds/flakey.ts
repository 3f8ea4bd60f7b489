import { BlockDeviceError } from "../../engine/block/errors.js";
import { EffectStage, type IoRequest } from "../device-wrapper.js";
import type { FaultKind } from "./context.js";

/**
 * `flakey`: dm-flakey in virtual time. From the firing, the device is up for `upNs`, then down for
 * `downNs`, repeating (by each request's issue time). While down: with no feature every request
 * fails with EIO; `errorReads` fails reads, `errorWrites` fails writes, `dropWrites` acknowledges
 * writes and throws them away, `corruptBioByte` sets byte `nth` (1-based) of matching reads (`r`)
 * or writes (`w`) to `value`; only flag mask 0 (every request) is modelled.
 */
export const flakey: FaultKind<"flakey"> = {
  kind: "flakey",
  activate(spec, context) {
    const startNs = context.firedAt.tNs;
    const periodNs = spec.upNs + spec.downNs;
    const corrupt = spec.corruptBioByte;
    const noFeatures = !spec.errorReads && !spec.errorWrites && !spec.dropWrites && corrupt === undefined;
    const isDown = (request: IoRequest) =>
      request.issueNs >= startNs && (request.issueNs - startNs) % periodNs >= spec.upNs;
    const label = context.label;
    const fail = (request: IoRequest, why: string) => {
      throw new BlockDeviceError(
        "EIO",
        request.device,
        request.offsetBytes,
        request.lengthBytes,
        `${why} (fault ${label})`,
      );
    };
    let dropped = 0;
    let corrupted = 0;
    const remove = context.device(spec.device).addEffect({
      label,
      stage: EffectStage.flakey,
      check(request) {
        if (!isDown(request)) return;
        if (noFeatures) fail(request, "flakey device is down");
        if (spec.errorReads && request.op === "read") fail(request, "flakey device is down, reads fail");
        if (spec.errorWrites && request.op === "write") fail(request, "flakey device is down, writes fail");
      },
      planWrite(request, data) {
        if (!isDown(request)) return { kind: "pass" };
        if (spec.dropWrites) {
          dropped += 1;
          return { kind: "drop" };
        }
        if (corrupt?.direction === "w" && corrupt.nth <= data.length) {
          corrupted += 1;
          const copy = data.slice();
          copy[corrupt.nth - 1] = corrupt.value;
          return { kind: "replace", data: copy };
        }
        return { kind: "pass" };
      },
      afterRead(request, dst) {
        if (corrupt?.direction !== "r" || corrupt.nth > dst.length || !isDown(request)) return;
        corrupted += 1;
        dst[corrupt.nth - 1] = corrupt.value;
      },
    });
    return {
      effect: { device: spec.device, startNs, upNs: spec.upNs, downNs: spec.downNs },
      clear() {
        remove();
        return { device: spec.device, dropped, corrupted };
      },
    };
  },
};
