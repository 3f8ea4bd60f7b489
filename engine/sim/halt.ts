/**
 * Thrown from inside the engine (usually by a trace listener or a device wrapper) to stop the
 * simulated machine at the current instant, e.g. a power cut. Whoever drives the simulation
 * catches it, materialises the crash state of every device, and reboots from what persisted.
 */
export class SimulationHalt extends Error {
  override readonly name = "SimulationHalt";

  constructor(
    /** Why the machine stopped, e.g. "power-cut". */
    readonly reason: string,
    /** Where it stopped: the trace event or block write that triggered it. */
    readonly at: string,
  ) {
    // A halt is control flow, thrown and caught once or more per explored crash point, often deep
    // in the stack: capturing a stack for it cost ~10 µs each, and nothing reads it.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`Simulation halted (${reason}) at ${at}`);
    Error.stackTraceLimit = limit;
  }
}

/** True when the error is a {@link SimulationHalt}, which engine code must never swallow. */
export function isSimulationHalt(error: unknown): error is SimulationHalt {
  return error instanceof SimulationHalt;
}
