import { createHash } from "node:crypto";
import { VolatileCache } from "../../engine/block/cache.js";
import type { BlockDevice } from "../../engine/block/device.js";
import { isBlockDeviceError } from "../../engine/block/errors.js";
import { MemoryDevice } from "../../engine/block/memory.js";
import { isSimulationHalt, type SimulationHalt } from "../../engine/sim/halt.js";
import { Rng } from "../../engine/sim/rng.js";
import { Scheduler } from "../../engine/sim/scheduler.js";
import { Trace } from "../../engine/sim/trace.js";
import { FaultInjector } from "../../faults/compose.js";
import type { FaultyDevice } from "../../faults/device-wrapper.js";
import type { PowerCutOutcome } from "../../faults/kinds/power-cut.js";
import { ArrayFaultSink, type FaultRecord } from "../../faults/record.js";
import { type FaultSpecInput, parseFaultSpecs } from "../../faults/schema.js";

/**
 * A small simulated machine for fault tests: real MemoryDevices (optionally behind the engine's
 * VolatileCache), a scheduler, a trace, the injector, and a
 * deterministic workload that emits a `workload.step` trace event before each write.
 */

export const MiB = 1024 * 1024;
export const STEP_NS = 1000;

export interface MachineOptions {
  readonly seed?: number;
  readonly specs?: readonly FaultSpecInput[];
  /** Replay these records instead of specs. */
  readonly records?: readonly FaultRecord[];
  readonly devices?: readonly string[];
  readonly sizeBytes?: number;
  readonly cached?: boolean;
  /** Deliberate bugs for the injector. */
  readonly mutations?: ReadonlySet<string>;
}

export interface Machine {
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly sink: ArrayFaultSink;
  readonly injector: FaultInjector;
  readonly media: Map<string, MemoryDevice>;
  readonly caches: Map<string, VolatileCache>;
  readonly pvs: Map<string, FaultyDevice>;
}

/** Builds and arms a machine. */
export function makeMachine(options: MachineOptions = {}): Machine {
  const scheduler = new Scheduler();
  const trace = new Trace();
  const sink = new ArrayFaultSink();
  const injectorOptions = {
    rng: Rng.fromSeed(options.seed ?? 1).fork("faults"),
    trace,
    scheduler,
    sink,
    ...(options.mutations === undefined ? {} : { mutations: options.mutations }),
  };
  const injector =
    options.records !== undefined
      ? FaultInjector.fromRecords(options.records, injectorOptions)
      : new FaultInjector(parseFaultSpecs(options.specs ?? []), injectorOptions);
  const media = new Map<string, MemoryDevice>();
  const caches = new Map<string, VolatileCache>();
  const pvs = new Map<string, FaultyDevice>();
  for (const name of options.devices ?? ["pv0", "pv1"]) {
    const memory = new MemoryDevice(name, options.sizeBytes ?? MiB);
    media.set(name, memory);
    let below: BlockDevice = memory;
    if (options.cached) {
      const cache = new VolatileCache(memory);
      caches.set(name, cache);
      below = cache;
    }
    pvs.set(name, injector.wrap(below));
  }
  injector.arm();
  return { scheduler, trace, sink, injector, media, caches, pvs };
}

/** What happened to one workload write. */
export interface StepOutcome {
  readonly step: number;
  readonly device: string;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly error?: string;
  readonly doneNs?: number;
}

/** The bytes workload step `step` writes: distinct per step and per byte. */
export function stepData(step: number, lengthBytes: number): Uint8Array {
  const data = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i += 1) data[i] = (step * 31 + i * 7 + (i >> 9)) & 0xff;
  return data;
}

/** Where step `step` writes: device, offset, length (1..4 sectors, spread over the first 1 MiB). */
export function stepTarget(step: number, devices: readonly string[]) {
  const device = devices[step % devices.length]!;
  const lengthBytes = (1 + (step % 4)) * 512;
  const offsetBytes = ((step * 37) % 2000) * 512;
  return { device, offsetBytes, lengthBytes };
}

/**
 * Schedules `steps` workload steps, one every STEP_NS from STEP_NS on, and runs the scheduler.
 * Each step emits `workload.step` then writes; block errors are recorded, anything else (a
 * SimulationHalt) propagates.
 */
export function runWorkload(machine: Machine, steps: number): StepOutcome[] {
  const outcomes: StepOutcome[] = [];
  const names = [...machine.pvs.keys()];
  for (let step = 1; step <= steps; step += 1) {
    machine.scheduler.at(
      step * STEP_NS,
      (nowNs) => {
        machine.trace.emit("workload.step", { step });
        const target = stepTarget(step, names);
        const pv = machine.pvs.get(target.device)!;
        try {
          const doneNs = pv.write(target.offsetBytes, stepData(step, target.lengthBytes), { issueNs: nowNs });
          outcomes.push({ step, ...target, doneNs });
        } catch (error) {
          if (!isBlockDeviceError(error)) throw error;
          outcomes.push({ step, ...target, error: error.code });
        }
      },
      `step ${step}`,
    );
  }
  machine.scheduler.run();
  return outcomes;
}

/** sha256 of a device's whole contents, read in 64 KiB pieces. */
export function hashDevice(device: BlockDevice): string {
  const hash = createHash("sha256");
  const chunk = new Uint8Array(64 * 1024);
  for (let at = 0; at < device.sizeBytes; at += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, device.sizeBytes - at));
    device.read(at, part);
    hash.update(part);
  }
  return hash.digest("hex");
}

/** Hashes of every PV's media (below caches and faults). */
export function hashMedia(machine: Machine): Record<string, string> {
  return Object.fromEntries([...machine.media].map(([name, m]) => [name, hashDevice(m)]));
}

/** Bytes of one range of a device's media. */
export function readMedia(
  machine: Machine,
  device: string,
  offsetBytes: number,
  lengthBytes: number,
): Uint8Array {
  const dst = new Uint8Array(lengthBytes);
  machine.media.get(device)!.read(offsetBytes, dst);
  return dst;
}

/** A fresh machine with no faults that ran the same workload: the reference contents. */
export function referenceMedia(steps: number, options: MachineOptions = {}): Machine {
  const machine = makeMachine({ ...options, specs: [] });
  runWorkload(machine, steps);
  return machine;
}

/** The result of one run: outcomes, the halt (if a power cut stopped it), media hashes after it. */
export interface CaseResult {
  readonly machine: Machine;
  readonly outcomes: StepOutcome[];
  readonly halt?: SimulationHalt;
  /** What each cache kept, when a power cut halted the run. */
  readonly powerCut?: PowerCutOutcome[];
  readonly hashes: Record<string, string>;
}

/** Runs the workload; on a halt resolves the power cut, as the runner would, before hashing. */
export function runCase(options: MachineOptions, steps: number): CaseResult {
  const machine = makeMachine(options);
  let outcomes: StepOutcome[] = [];
  let halt: SimulationHalt | undefined;
  let powerCut: PowerCutOutcome[] = [];
  try {
    outcomes = runWorkload(machine, steps);
  } catch (error) {
    if (!isSimulationHalt(error)) throw error;
    halt = error;
    powerCut = machine.injector.resolvePowerCut();
  }
  const hashes = hashMedia(machine);
  return halt === undefined ? { machine, outcomes, hashes } : { machine, outcomes, halt, powerCut, hashes };
}

/** Runs a case, then replays it from its own fault records; both results. */
export function runAndReplay(
  options: MachineOptions,
  steps: number,
): { first: CaseResult; replay: CaseResult } {
  const first = runCase(options, steps);
  const records = first.machine.sink.fired.map((r) => JSON.parse(JSON.stringify(r)) as FaultRecord);
  const replay = runCase({ ...options, specs: undefined, records, seed: 999_999 }, steps);
  return { first, replay };
}
