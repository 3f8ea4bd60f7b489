import { EffectStage, type IoRequest } from "../device-wrapper.js";
import type { FaultKind } from "./context.js";

/**
 * `slow-device`: a device's service time is multiplied by `factor`, `addNs` is added, and with
 * probability `spikeProbability` (seeded, one draw per affected request) a spike of `spikeNs`.
 * `ops` limits it to reads or to writes (writes include flushes and discards).
 */
export const slowDevice: FaultKind<"slow-device"> = {
  kind: "slow-device",
  activate(spec, context) {
    const affects = (request: IoRequest) =>
      spec.ops === "all" || (spec.ops === "read" ? request.op === "read" : request.op !== "read");
    let spikes = 0;
    const remove = context.device(spec.device).addEffect({
      label: context.label,
      stage: EffectStage.latency,
      latency(request, serviceNs) {
        if (!affects(request)) return serviceNs;
        let latencyNs = serviceNs * spec.factor + spec.addNs;
        if (spec.spikeProbability > 0 && context.random.next() < spec.spikeProbability) {
          spikes += 1;
          latencyNs += spec.spikeNs;
        }
        return Math.round(latencyNs);
      },
    });
    return {
      effect: { device: spec.device },
      clear() {
        remove();
        return { device: spec.device, spikes };
      },
    };
  },
};
