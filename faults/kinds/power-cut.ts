import { SimulationHalt } from "../../engine/sim/halt.js";
import type { JsonValue } from "../record.js";
import type { CrashPolicySpec } from "../schema.js";
import type { CrashPolicy, PowerCuttable } from "../targets.js";
import { describeFiredAt, type FaultKind } from "./context.js";

/**
 * `power-cut`: every device loses power at the same instant. The fault decides each device's
 * crash policy (seeded kinds get a seed from the fault's stream, forked per device so a device's
 * fate does not depend on the others), powers every wrapper off and halts the machine by
 * throwing {@link SimulationHalt}. The runner catches the halt, calls {@link resolvePowerCut}
 * and reboots from what persisted.
 */
export const powerCut: FaultKind<"power-cut"> = {
  kind: "power-cut",
  activate(spec, context) {
    const names = context.deviceNames();
    for (const name of Object.keys(spec.perDevice)) {
      if (!names.includes(name)) {
        throw new Error(
          `Fault ${context.label} perDevice names ${name}, which is not a wrapped PV (have: ${names.join(", ")})`,
        );
      }
    }
    const policies = new Map<string, CrashPolicy>();
    for (const name of names) {
      policies.set(
        name,
        resolvePolicy(spec.perDevice[name] ?? spec.policy, () => context.random.fork(name).uint32()),
      );
    }
    context.beginPowerCut(policies);
    const at = describeFiredAt(context.firedAt);
    return {
      effect: { policies: JSON.parse(JSON.stringify(Object.fromEntries(policies))) as JsonValue },
      halt: new SimulationHalt("power-cut", at),
    };
  },
};

/** Fills in the seed of a seeded policy; other policies pass through. */
export function resolvePolicy(policy: CrashPolicySpec, seed: () => number): CrashPolicy {
  if (policy.kind === "subset" || policy.kind === "torn")
    return { kind: policy.kind, seed: policy.seed ?? seed() };
  return policy;
}

/** A power cut the injector fired and the runner has yet to resolve. */
export interface PowerCutPlan {
  /** Where it happened, as in the halt. */
  readonly at: string;
  readonly tNs: number;
  /** The crash policy of every wrapped device, in wrap order. */
  readonly policies: ReadonlyMap<string, CrashPolicy>;
}

/** How one device's cache resolved. */
export interface PowerCutOutcome {
  readonly device: string;
  readonly policy: CrashPolicy;
  /** False when the device has no volatile cache (writes were already durable). */
  readonly cached: boolean;
  /** What the cache reports it kept (the engine's return value). */
  readonly kept: unknown;
}

/**
 * Resolves every device's volatile cache by its policy, after the runner caught the halt.
 * `cacheOf` maps a device name to its cache (undefined for a write-through device).
 */
export function resolvePowerCut(
  plan: PowerCutPlan,
  options: { readonly cacheOf: (device: string) => PowerCuttable | undefined },
): PowerCutOutcome[] {
  const outcomes: PowerCutOutcome[] = [];
  for (const [device, policy] of plan.policies) {
    const cache = options.cacheOf(device);
    outcomes.push({
      device,
      policy,
      cached: cache !== undefined,
      kept: cache?.powerCut(policy, { issueNs: plan.tNs }),
    });
  }
  return outcomes;
}
