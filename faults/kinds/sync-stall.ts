import { EffectStage } from "../device-wrapper.js";
import type { Activation, FaultKind } from "./context.js";

/**
 * `sync-stall`: background copying stops making progress — mirror resync, pvmove copy or
 * snapshot merge (`mode: "stall"`, on the registered `target`), like LVM2's test suite throttling
 * `raid1_resync_throttle`. Variant `mode: "slow-leg"`: one leg's device gets `delayNs` added to
 * every request, like dm-delay under the leg, so the copy crawls and foreground writes wait on it.
 */
export const syncStall: FaultKind<"sync-stall"> = {
  kind: "sync-stall",
  activate(spec, context): Activation {
    if (spec.mode === "stall") {
      const target = spec.target;
      if (target === undefined) throw new Error(`Fault ${context.label} has mode stall but no target`);
      const release = context.stall(target);
      return {
        effect: { mode: "stall", target },
        clear() {
          release();
          return { target };
        },
      };
    }
    const name = spec.device;
    if (name === undefined) throw new Error(`Fault ${context.label} has mode slow-leg but no device`);
    const delayNs = spec.delayNs;
    const remove = context.device(name).addEffect({
      label: context.label,
      stage: EffectStage.latency,
      latency: (_request, serviceNs) => serviceNs + delayNs,
    });
    return {
      effect: { mode: "slow-leg", device: name, delayNs },
      clear() {
        remove();
        return { device: name };
      },
    };
  },
};
