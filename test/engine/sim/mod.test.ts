import { describe, expect, it } from "vitest";
import { isSimulationHalt, SimulationHalt } from "../../../engine/sim/halt.js";
import * as sim from "../../../engine/sim/mod.js";
import { NO_MUTATIONS } from "../../../engine/sim/mutations.js";
import { Rng } from "../../../engine/sim/rng.js";
import { Scheduler } from "../../../engine/sim/scheduler.js";
import { Bus } from "../../../engine/sim/timing/bus.js";
import { DeviceQueue } from "../../../engine/sim/timing/queue.js";
import { resolveProfile } from "../../../engine/sim/timing/resolve.js";
import { Trace } from "../../../engine/sim/trace.js";

describe("engine/sim public API", () => {
  it("re-exports the same objects as the modules that define them", () => {
    expect(sim.Rng).toBe(Rng);
    expect(sim.Scheduler).toBe(Scheduler);
    expect(sim.Trace).toBe(Trace);
    expect(sim.SimulationHalt).toBe(SimulationHalt);
    expect(sim.isSimulationHalt).toBe(isSimulationHalt);
    expect(sim.NO_MUTATIONS).toBe(NO_MUTATIONS);
    expect(sim.Bus).toBe(Bus);
    expect(sim.DeviceQueue).toBe(DeviceQueue);
    expect(sim.resolveProfile).toBe(resolveProfile);
  });

  it("lists the timing mutation for the mutant catalogue", () => {
    expect(sim.BANDWIDTH_PER_SERVER.name).toBe(sim.MUTATION_BANDWIDTH_PER_SERVER);
    expect(sim.BANDWIDTH_PER_SERVER.description.length).toBeGreaterThan(10);
  });
});
