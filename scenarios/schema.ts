import { z } from "zod";
import { crashPolicySchema, type FaultSpec, faultSpecSchema } from "../faults/schema.js";
import { isKnownTraceEvent, unknownTraceEventMessage } from "./event-catalogue.js";

/**
 * The scenario schema: what a `*.scenario.ts` module passes to `defineScenario`, and what a JSON or
 * YAML scenario file contains. Operations are LVM2 command lines (the user's language), workloads
 * are fio jobs with fio's option names, faults are the fault catalogue's specs.
 */

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, "Expected a lower-case name of letters, digits, . _ -");
const lvPath = z.string().regex(/^[A-Za-z0-9+_.-]+\/[A-Za-z0-9+_.-]+$/, "Expected vg/lv, e.g. vg0/lv0");
const sizeText = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|TiB|k|m|g|t|K|M|G|T)?$/, "Expected a size like 64MiB");
const commandLine = z.string().min(1).max(4096);

/** One PV of the simulated machine: an in-memory (or `--devices file`) disk with a timing profile. */
const pvSchema = z.strictObject({
  /** The device name LVM2 commands use for it, e.g. "pv0" (or "/dev/sdb"). */
  name: z.string().min(1).max(100),
  size: sizeText,
  /** Timing profile: nvme, sata-ssd, hdd, realdm-100mib-1kiops or custom:… */
  profile: z.string().min(1).default("nvme"),
  /** Name of a shared bus this disk sits behind. */
  bus: z.string().optional(),
});

/** A shared bus or controller several PVs sit behind. */
const busSchema = z.strictObject({
  name: z.string().min(1),
  /** Bandwidth like "200MiB" per second. */
  bandwidth: sizeText,
});

/** fio job options as fio spells them (`rw`, `bs`, `number_ios`, `fsync`, `verify`, …). */
const fioJobSchema = z.record(
  z.string().regex(/^[a-z_0-9]+$/),
  z.union([z.string(), z.number(), z.boolean()]),
);

/** A workload phase: fio jobs against one LV (the oracle verifies every written block later). */
const workloadPhaseSchema = z.strictObject({
  workload: z.strictObject({
    lv: lvPath,
    jobs: z.array(fioJobSchema).min(1).max(64),
  }),
});

/** An LVM2 command, run on the simulated machine as typed; `expectExit` defaults to 0. */
const lvmPhaseSchema = z.strictObject({
  lvm: commandLine,
  expectExit: z.int().min(0).max(255).default(0),
});

/**
 * A discard (`blkdiscard -o OFFSET -l LENGTH`) of an LV the workloads wrote, then a flush: on a
 * thin LV the pool unmaps every whole pool block the range covers and the flush's commit returns
 * them to the pool. `offset` and `length` are multiples of the workload's verify unit. With
 * `flush: false` no flush follows: the freed blocks stay in the pool's open transaction, where
 * they must not be handed out again before a commit.
 */
const discardPhaseSchema = z.strictObject({
  discard: z.strictObject({
    lv: lvPath,
    offset: z.union([z.literal("0"), sizeText]),
    length: sizeText,
    flush: z.boolean().default(true),
  }),
});

/** Run background work (pvmove copy, resync, merge) until it finishes or for a virtual time. */
const waitPhaseSchema = z.strictObject({
  wait: z.union([z.literal("background"), z.strictObject({ ns: z.int().positive() })]),
});

/**
 * An operator command run while the phases go on: `afterNs` after the `occurrence`th trace event
 * `event` (e.g. lvextend of a pool that went out of data space while a workload waits on it).
 */
const operatorActionSchema = z.strictObject({
  on: z.strictObject({ event: z.string().min(1), occurrence: z.int().positive().default(1) }),
  afterNs: z.int().nonnegative().default(0),
  lvm: commandLine,
  expectExit: z.int().min(0).max(255).default(0),
});

/** A phase of the run, in order. */
const phaseSchema = z.union([workloadPhaseSchema, lvmPhaseSchema, waitPhaseSchema, discardPhaseSchema]);

const damageClass = z.enum(["lost", "stale", "torn", "misdirected", "corrupt", "unreadable"]);

/** What must hold after recovery. Every field is checked when present. */
const expectationsSchema = z.strictObject({
  /** The oracle finds no acknowledged, flushed write lost, torn, corrupt, misdirected or unreadable. */
  noAcknowledgedDataLost: z.boolean().default(true),
  /** Damage the oracle must detect (not silently return): at least one block in each class. */
  detects: z.array(damageClass).default([]),
  /** Damage a fault may cause as a side effect (e.g. the block a misdirected write missed is lost). */
  tolerates: z.array(damageClass).default([]),
  /**
   * Tolerated damage that must also have happened (at least one block of each class), proving the
   * fault did something: e.g. `["torn"]` for a torn power cut. Not checked at explored crash points,
   * which the runner places anywhere (the scenario's own faults are replaced there).
   */
  damageSeen: z.array(damageClass).default([]),
  /**
   * Damage that must not be found at all (no block of each class), whatever `tolerates` allows: for
   * `expectAtOwnCut`, when a fault's damage is tolerated at explored points, which a cut may leave
   * half repaired, but the scenario's own run repairs all of it (e.g. rewrites heal every latent
   * bad sector).
   */
  damageAbsent: z.array(damageClass).default([]),
  /** Every PV's metadata areas agree (same seqno, valid checksums) after recovery. */
  metadataConsistent: z.boolean().default(true),
  /**
   * After a subset or torn power cut (which may keep a metadata header without its text, since LVM2
   * never flushes metadata): the VG read after the reboot must be the new VG of the commit in
   * flight or an old one the run committed, and copies are judged after `vgck --updatemetadata`.
   */
  metadataOldOrNew: z.boolean().default(false),
  /** These mirror LVs have identical legs after recovery and resync. */
  mirrorLegsIdentical: z.array(lvPath).default([]),
  /** These raid1 LVs have identical legs after recovery (and any repair or recovery it started). */
  raidLegsIdentical: z.array(lvPath).default([]),
  /** raid1 LVs' raid_mismatch_count after recovery (and its check/repair): "none" (0) or "some" (> 0). */
  raidMismatches: z.record(lvPath, z.enum(["none", "some"])).default({}),
  /** These raid1 LVs' legs differ only in regions whose write-intent bit is set on disk. */
  raidDivergenceOnlyInDirtyRegions: z.array(lvPath).default([]),
  /** These snapshots are invalid (reads fail with EIO) after recovery. */
  snapshotInvalid: z.array(lvPath).default([]),
  /** No pvmove LV is left in the VG after recovery. */
  noPvmoveLeft: z.boolean().default(false),
  /** These PVs hold no allocated extents after recovery. */
  pvsEmpty: z.array(z.string()).default([]),
  /** These LVs exist after recovery with exactly these segment types (`lvs -o segtype`). */
  segtypes: z.record(lvPath, z.array(z.string())).default({}),
  /** Snapshots merged into their origin (snapshot → origin): the origin must read as the snapshot did. */
  merged: z.record(lvPath, lvPath).default({}),
  /** These LVs have exactly this many logical extents after recovery. */
  lvExtents: z.record(lvPath, z.int().nonnegative()).default({}),
  /** Thin pools whose on-disk metadata must pass lvmlab's reference recount (what thin_check checks). */
  thinChecked: z.array(lvPath).default([]),
  /**
   * Thin LVs of pools that zero new blocks: every block of the LV is read back, and each one no
   * write reached must read as zeros, in provisioned blocks too (the rest of a block a partial
   * write provisioned was zeroed first, even when the pool reuses a block that held other data).
   */
  thinZeroed: z.array(lvPath).default([]),
  /**
   * Live thin pools that held writes while out of data space (queue_if_no_space), and what became
   * of every held write: "resumed" (the pool grew in time, each completed) or "timed-out" (each
   * failed with ENOSPC no_space_timeout after the pool filled).
   */
  thinHeldWrites: z.record(lvPath, z.enum(["resumed", "timed-out"])).default({}),
  /**
   * Live thin pools that ran out of metadata space the kernel's way: a commit found no free blocks
   * beyond the reserve, with at most one request's btree update taken from the reserve.
   */
  thinMetadataReserveKept: z.array(lvPath).default([]),
  /** Live thin pools' modes after recovery (`write`, `out-of-data-space`, `read-only`, …). */
  thinPoolMode: z.record(lvPath, z.string()).default({}),
  /**
   * Mirrored LVs (mirror, raid1) still resyncing or recovering when recovery ends: each is read
   * back then, before the background copy finishes (it must not be in sync yet), and every block
   * must read the same once it has: a read of a region the copy has not reached must come from
   * the leg the copy takes it from, never from one it will overwrite or has not written yet.
   */
  readsStableThroughResync: z.array(lvPath).default([]),
  /** Substrings expected among the warnings/errors the recovery commands printed. */
  messages: z.array(z.string()).default([]),
});

/**
 * An explore bound: a trace event name (its first occurrence in the window) or `name#N`, its Nth
 * occurrence counted from the arming of the faults, as crash points and fault triggers count.
 */
const exploreBound = z.string().min(1).max(200);

/** Largest occurrence an explore bound may name. */
const MAX_BOUND_OCCURRENCE = 1_000_000;

/** An explore bound split into its event name and occurrence (undefined: the first in the window). */
export interface ExploreBound {
  readonly event: string;
  readonly occurrence?: number;
}

/** Splits `name#N` into event and occurrence; throws a RangeError when N is not an occurrence. */
export function parseExploreBound(text: string): ExploreBound {
  const hash = text.lastIndexOf("#");
  if (hash < 0) return { event: text };
  const digits = text.slice(hash + 1);
  const occurrence = Number(digits);
  if (!/^[1-9][0-9]*$/.test(digits) || occurrence > MAX_BOUND_OCCURRENCE) {
    throw new RangeError(
      `Bad occurrence "${digits}" in "${text}": expected event#N with N from 1 to ${MAX_BOUND_OCCURRENCE}, e.g. "mirror.resync.step#3"`,
    );
  }
  return { event: text.slice(0, hash), occurrence };
}

/** Where `--explore` enumerates crash points: every trace event and block write between two events. */
const exploreSchema = z.strictObject({
  /** From this event (`name`, or `name#N` for its Nth occurrence since arming); default: arming. */
  from: exploreBound.optional(),
  /** Up to and including this event (`name` or `name#N`); default: the end of the phases. */
  to: exploreBound.optional(),
  /** Also cut at every block write, not only at trace events. */
  writes: z.boolean().default(true),
  /** Crash policy applied at each point. */
  policy: crashPolicySchema.default({ kind: "drop-all" }),
});

/** Every place a fault list names a trace event: `[path, name]` pairs, paths relative to the list. */
function faultEventNames(faults: readonly FaultSpec[]): [PropertyKey[], string][] {
  const names: [PropertyKey[], string][] = [];
  faults.forEach((fault, index) => {
    if (fault.at.event !== undefined) names.push([[index, "at", "event"], fault.at.event]);
    const window = "window" in fault ? fault.window : undefined;
    if (window?.untilEvent !== undefined) names.push([[index, "window", "untilEvent"], window.untilEvent]);
  });
  return names;
}

/** The same fields as {@link expectationsSchema}, every one optional and without defaults (a patch). */
const expectationsPatchSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(expectationsSchema.shape).map(([key, field]) => [key, field.unwrap().optional()]),
  ) as {
    [K in keyof typeof expectationsSchema.shape]: z.ZodOptional<
      ReturnType<(typeof expectationsSchema.shape)[K]["unwrap"]>
    >;
  },
);

/** An inclusive integer range `[min, max]` a seed draws from uniformly. */
const drawRange = z
  .tuple([z.int().positive(), z.int().positive()])
  .refine(([min, max]) => min <= max, "Expected [min, max] with min <= max");

/**
 * A swarm crash: each seed draws a power cut at an occurrence of `event` within `occurrence`, or
 * at a VG block write within `write`, and a crash policy from `policies`. It replaces the
 * scenario's own power cuts.
 */
const swarmCrashSchema = z
  .strictObject({
    event: z.string().min(1).optional(),
    occurrence: drawRange.optional(),
    write: drawRange.optional(),
    policies: z
      .array(crashPolicySchema)
      .min(1)
      .max(16)
      .default([{ kind: "drop-all" }]),
  })
  .superRefine((crash, ctx) => {
    if ((crash.event === undefined) === (crash.write === undefined)) {
      ctx.addIssue({ code: "custom", message: "Expected exactly one of event (with occurrence) or write" });
    }
    if (crash.event !== undefined && crash.occurrence === undefined) {
      ctx.addIssue({ code: "custom", path: ["occurrence"], message: "Required with event, e.g. [1, 40]" });
    }
    if (crash.occurrence !== undefined && crash.event === undefined) {
      ctx.addIssue({ code: "custom", path: ["occurrence"], message: "Only allowed together with event" });
    }
  });

/**
 * One alternative of a swarm dimension. `setup`, `phases`, `recovery` and `pvs` replace the
 * scenario's own; `faults` are added to the scenario's; `expect` fields override the scenario's.
 */
const swarmAlternativeSchema = z.strictObject({
  /** What the draw record says was picked, e.g. "cow-on-pv1". */
  label: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "Expected a short lower-case label"),
  pvs: z.array(pvSchema).min(1).max(64).optional(),
  setup: z.array(commandLine).max(1000).optional(),
  phases: z.array(phaseSchema).min(1).max(1000).optional(),
  faults: z.array(faultSpecSchema).max(64).optional(),
  recovery: z.array(commandLine).max(100).optional(),
  expect: expectationsPatchSchema.optional(),
});

/**
 * Swarm testing (TigerBeetle's VOPR, FoundationDB's simulation): the scenario declares a space of
 * faults and each seed draws its own point in it, so the nightly's seeds test different things.
 */
const swarmSchema = z.strictObject({
  crash: swarmCrashSchema.optional(),
  /** Named dimensions; each seed picks one alternative of each, independently. */
  choose: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/), z.array(swarmAlternativeSchema).min(1).max(64))
    .default({}),
});

/** A scenario. */
export const scenarioSchema = z
  .strictObject({
    name,
    description: z.string().min(1).max(2000),
    tags: z
      .array(z.string().regex(/^[a-z0-9-]+$/))
      .max(32)
      .default([]),
    pvs: z.array(pvSchema).min(1).max(64),
    buses: z.array(busSchema).max(16).default([]),
    /** LVM2 commands that build the starting state; data is flushed before faults are armed. */
    setup: z.array(commandLine).max(1000).default([]),
    phases: z.array(phaseSchema).min(1).max(1000),
    /** Commands the operator runs at trace events while the phases go on (not during setup). */
    operator: z.array(operatorActionSchema).max(16).default([]),
    faults: z.array(faultSpecSchema).max(64).default([]),
    /** What the operator runs after the reboot that follows a crash (or after the run without one). */
    recovery: z.array(commandLine).max(100).default([]),
    /** What must hold after recovery, at the scenario's own cut and at every point `--explore` places. */
    expect: expectationsSchema.prefault({}),
    /**
     * What must also hold, but only at the scenario's own faults (its declared or swarm-drawn cut):
     * what only that cut leaves, e.g. an orphan LV or a message. Not judged at explored crash
     * points, whose records list it under `notJudged` (scenarios/expectation-scope.ts).
     */
    expectAtOwnCut: expectationsPatchSchema.optional(),
    /** Crash points `--explore` enumerates for this scenario. */
    explore: exploreSchema.optional(),
    /** Seeds the nightly suite runs (e.g. "1..8"). */
    seeds: z.string().optional(),
    /** The fault space each seed draws its point from (see scenarios/swarm.ts). */
    swarm: swarmSchema.optional(),
  })
  .superRefine((scenario, ctx) => {
    // A misspelled event never fires and a case would pass doing nothing: refuse it at load.
    const named: [PropertyKey[], string][] = faultEventNames(scenario.faults).map(([path, name]) => [
      ["faults", ...path],
      name,
    ]);
    scenario.operator.forEach((action, index) => {
      named.push([["operator", index, "on", "event"], action.on.event]);
    });
    for (const bound of ["from", "to"] as const) {
      const text = scenario.explore?.[bound];
      if (text === undefined) continue;
      try {
        named.push([["explore", bound], parseExploreBound(text).event]);
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["explore", bound], message: (error as Error).message });
      }
    }
    checkOwnCutExpectations(scenario, ctx);
    if (scenario.swarm?.crash?.event !== undefined) {
      named.push([["swarm", "crash", "event"], scenario.swarm.crash.event]);
    }
    for (const [dimension, alternatives] of Object.entries(scenario.swarm?.choose ?? {})) {
      alternatives.forEach((alternative, index) => {
        for (const [path, name] of faultEventNames(alternative.faults ?? [])) {
          named.push([["swarm", "choose", dimension, index, "faults", ...path], name]);
        }
      });
    }
    for (const [path, name] of named) {
      if (!isKnownTraceEvent(name))
        ctx.addIssue({ code: "custom", path, message: unknownTraceEventMessage(name) });
    }
  });

/**
 * Own-cut expectations only add checks to `expect`: a `false` would loosen the scenario at its own
 * cut, and a key `expect` already names would be judged twice with two answers. A scenario that
 * declares `explore` must keep at least one expectation that holds at every point.
 */
function checkOwnCutExpectations(
  scenario: { expect: Expectations; expectAtOwnCut?: ExpectationsPatch | undefined; explore?: unknown },
  ctx: z.RefinementCtx,
): void {
  for (const [field, value] of Object.entries(scenario.expectAtOwnCut ?? {})) {
    const path = ["expectAtOwnCut", field];
    if (value === false) {
      ctx.addIssue({
        code: "custom",
        path,
        message: "Expected true: an own-cut expectation only adds a check",
      });
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const base = scenario.expect[field as keyof Expectations] as Record<string, unknown>;
      for (const key of Object.keys(value).filter((k) => k in base)) {
        ctx.addIssue({
          code: "custom",
          path: [...path, key],
          message: `Already expected at every point (expect.${field}); name it in one place`,
        });
      }
    }
  }
  checkDamageAbsent(scenario, ctx);
  const nothing = exploreJudgesNothing(scenario);
  if (scenario.explore !== undefined && nothing !== undefined) {
    ctx.addIssue({ code: "custom", path: ["explore"], message: `Cannot explore: ${nothing}` });
  }
}

/**
 * `damageAbsent` may not contradict the damage a scenario requires (`detects`, `damageSeen`, at
 * every point or its own cut), nor the damage `expect` tolerates at every point: forbidding what
 * every point tolerates is a plain omission from `tolerates`, and belongs to `expectAtOwnCut`.
 */
function checkDamageAbsent(
  scenario: { expect: Expectations; expectAtOwnCut?: ExpectationsPatch | undefined },
  ctx: z.RefinementCtx,
): void {
  const own = scenario.expectAtOwnCut ?? {};
  const required = new Set<string>([
    ...scenario.expect.detects,
    ...scenario.expect.damageSeen,
    ...(own.detects ?? []),
    ...(own.damageSeen ?? []),
  ]);
  const check = (where: "expect" | "expectAtOwnCut", absent: readonly string[]) => {
    for (const [index, kind] of absent.entries()) {
      let message: string | undefined;
      if (required.has(kind))
        message = `Cannot expect ${kind} damage absent and also detected or seen; name it in one place`;
      else if (where === "expect" && (scenario.expect.tolerates as readonly string[]).includes(kind))
        message = `Cannot tolerate ${kind} damage and expect it absent at every point; drop it from tolerates, or expect it absent in expectAtOwnCut`;
      if (message !== undefined)
        ctx.addIssue({ code: "custom", path: [where, "damageAbsent", index], message });
    }
  };
  check("expect", scenario.expect.damageAbsent);
  check("expectAtOwnCut", own.damageAbsent ?? []);
}

/** Fields that qualify others (damage they allow) rather than check anything themselves. */
const QUALIFIERS: ReadonlySet<string> = new Set(["tolerates"]);

function isSet(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return value !== undefined;
}

/** The expectations a (full or patch) `expect` turns on, by field name, in declaration order. */
export function expectationsSet(expect: Expectations | ExpectationsPatch): string[] {
  return Object.entries(expect)
    .filter(([field, value]) => !QUALIFIERS.has(field) && isSet(value))
    .map(([field]) => field);
}

/**
 * Why exploring this scenario would judge nothing, or undefined when `expect` sets at least one
 * expectation that holds at every crash point (`damageSeen` is judged at the own cut only).
 */
export function exploreJudgesNothing(scenario: Pick<Scenario, "expect">): string | undefined {
  if (expectationsSet(scenario.expect).some((field) => field !== "damageSeen")) return undefined;
  return "every expectation holds only at the scenario's own cut (expectAtOwnCut or damageSeen), so an explored crash point would judge nothing; move one that holds at every point to expect";
}

/** A validated scenario. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** What a scenario author writes. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** One phase. */
export type Phase = z.infer<typeof phaseSchema>;
/** An operator action. */
export type OperatorAction = z.infer<typeof operatorActionSchema>;
/** A swarm declaration. */
export type Swarm = z.infer<typeof swarmSchema>;
/** Expectations with defaults filled in. */
export type Expectations = z.infer<typeof expectationsSchema>;
/** Expectations as a patch: only the fields given (swarm alternatives' `expect`, `expectAtOwnCut`). */
export type ExpectationsPatch = z.infer<typeof expectationsPatchSchema>;
