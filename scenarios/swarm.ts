/**
 * Swarm seeds: a scenario declares a space of faults (`swarm`), and each seed draws its own point
 * in it — the crash point between declared bounds and the crash policy, and one alternative of each
 * named dimension (which PV a fault hits, a transient or permanent loss, where a COW or mirror log
 * sits, how foreground writes interleave with background work). The draw is a pure function of
 * (scenario, seed), so `lvmlab replay scenario@seed` reproduces it, and the case record says what
 * was drawn.
 */
import { Rng } from "../engine/sim/rng.js";
import { type FaultSpec, parseFaultSpec } from "../faults/schema.js";
import { policyText } from "./policy-text.js";
import { type Scenario, scenarioSchema } from "./schema.js";

/** The id of the power cut a swarm draws; the runner placed it, so faults pending at it are excused and disarmed. */
export const SWARM_CUT_ID = "swarm";

/** What a seed drew, as the case record's `draw` field. */
export interface SwarmDraw {
  /** The drawn power cut: where (`event#occurrence` or `write N`) and the crash policy's kind. */
  readonly crash?: { readonly at: string; readonly policy: string };
  /** Each named dimension's picked alternative, by label. */
  readonly choose?: Readonly<Record<string, string>>;
}

/** A scenario as one seed runs it, and what the seed drew (null when the scenario has no swarm). */
export interface DrawnCase {
  readonly scenario: Scenario;
  readonly draw: SwarmDraw | null;
}

function drawInRange(rng: Rng, [min, max]: readonly [number, number]): number {
  return min + rng.int(max - min + 1);
}

// Draws already made, by declared scenario and seed. A draw is a pure function of the two and is
// never changed, and exploring draws once per crash point: re-validating the drawn case each time
// cost more than the rest of setting up a branch.
const MAX_DRAWS_PER_SCENARIO = 1024;
const drawsMade = new WeakMap<Scenario, Map<number, DrawnCase>>();

/**
 * Applies a seed's draw to a scenario. Each dimension draws from its own fork of the seed's stream
 * (`…/swarm/crash`, `…/swarm/choose/<name>`), so adding a dimension never changes another's draw.
 */
export function drawCase(scenario: Scenario, seed: number): DrawnCase {
  let draws = drawsMade.get(scenario);
  const made = draws?.get(seed);
  if (made !== undefined) return made;
  const drawn = drawAnew(scenario, seed);
  if (draws === undefined || draws.size >= MAX_DRAWS_PER_SCENARIO) {
    draws = new Map();
    drawsMade.set(scenario, draws);
  }
  draws.set(seed, drawn);
  return drawn;
}

function drawAnew(scenario: Scenario, seed: number): DrawnCase {
  const swarm = scenario.swarm;
  if (swarm === undefined) return { scenario, draw: null };
  const rng = Rng.fromSeed(seed).fork(scenario.name.replaceAll("/", "_")).fork("swarm");
  // The drawn case is a plain scenario: without its swarm, it runs (and shrinks) as drawn.
  const { swarm: _declared, ...plain } = scenario;
  let drawn: Scenario = { ...plain, faults: [...scenario.faults], expect: { ...scenario.expect } };
  const choose: Record<string, string> = {};
  for (const [dimension, alternatives] of Object.entries(swarm.choose).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const picked = alternatives[rng.fork("choose").fork(dimension).int(alternatives.length)]!;
    choose[dimension] = picked.label;
    drawn = {
      ...drawn,
      ...(picked.pvs === undefined ? {} : { pvs: picked.pvs }),
      ...(picked.setup === undefined ? {} : { setup: picked.setup }),
      ...(picked.phases === undefined ? {} : { phases: picked.phases }),
      ...(picked.recovery === undefined ? {} : { recovery: picked.recovery }),
      faults: [...drawn.faults, ...(picked.faults ?? [])],
      expect: { ...drawn.expect, ...picked.expect },
    };
  }
  let crash: SwarmDraw["crash"];
  if (swarm.crash !== undefined) {
    const crashRng = rng.fork("crash");
    const policy = swarm.crash.policies[crashRng.int(swarm.crash.policies.length)]!;
    let at: FaultSpec["at"];
    if (swarm.crash.write !== undefined) {
      const write = drawInRange(crashRng, swarm.crash.write);
      at = { write };
      crash = { at: `write ${write}`, policy: policyText(policy) };
    } else {
      const occurrence = drawInRange(crashRng, swarm.crash.occurrence!);
      at = { event: swarm.crash.event!, occurrence };
      crash = { at: `${swarm.crash.event}#${occurrence}`, policy: policyText(policy) };
    }
    const cut = parseFaultSpec({ kind: "power-cut", id: SWARM_CUT_ID, at, policy });
    drawn = {
      ...drawn,
      // The drawn cut replaces the scenario's own power cuts; every other fault stays.
      faults: [...drawn.faults.filter((f) => f.kind !== "power-cut"), cut],
      // A torn cut may legally tear unflushed writes sector by sector.
      expect:
        policy.kind === "torn" && !drawn.expect.tolerates.includes("torn")
          ? { ...drawn.expect, tolerates: [...drawn.expect.tolerates, "torn"] }
          : drawn.expect,
    };
  }
  // Re-validate: an alternative's faults must still reference earlier ids, events must be known.
  const checked = scenarioSchema.safeParse(drawn);
  if (!checked.success) {
    throw new RangeError(
      `${scenario.name} seed ${seed}: the drawn case is not a valid scenario (${checked.error.issues[0]?.message})`,
    );
  }
  return {
    scenario: drawn,
    draw: {
      ...(crash === undefined ? {} : { crash }),
      ...(Object.keys(choose).length === 0 ? {} : { choose }),
    },
  };
}
