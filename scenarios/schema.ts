import { z } from "zod";
import { crashPolicySchema, faultSpecSchema } from "../faults/schema.js";

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
export const pvSchema = z.strictObject({
  /** The device name LVM2 commands use for it, e.g. "pv0" (or "/dev/sdb"). */
  name: z.string().min(1).max(100),
  size: sizeText,
  /** Timing profile: nvme, sata-ssd, hdd, realdm-100mib or custom:… */
  profile: z.string().min(1).default("nvme"),
  /** Name of a shared bus this disk sits behind. */
  bus: z.string().optional(),
});

/** A shared bus or controller several PVs sit behind. */
export const busSchema = z.strictObject({
  name: z.string().min(1),
  /** Bandwidth like "200MiB" per second. */
  bandwidth: sizeText,
});

/** fio job options as fio spells them (`rw`, `bs`, `number_ios`, `fsync`, `verify`, …). */
export const fioJobSchema = z.record(
  z.string().regex(/^[a-z_0-9]+$/),
  z.union([z.string(), z.number(), z.boolean()]),
);

/** A workload phase: fio jobs against one LV (the oracle verifies every written block later). */
export const workloadPhaseSchema = z.strictObject({
  workload: z.strictObject({
    lv: lvPath,
    jobs: z.array(fioJobSchema).min(1).max(64),
  }),
});

/** An LVM2 command, run on the simulated machine as typed; `expectExit` defaults to 0. */
export const lvmPhaseSchema = z.strictObject({
  lvm: commandLine,
  expectExit: z.int().min(0).max(255).default(0),
});

/** Run background work (pvmove copy, resync, merge) until it finishes or for a virtual time. */
export const waitPhaseSchema = z.strictObject({
  wait: z.union([z.literal("background"), z.strictObject({ ns: z.int().positive() })]),
});

/** A phase of the run, in order. */
export const phaseSchema = z.union([workloadPhaseSchema, lvmPhaseSchema, waitPhaseSchema]);

/** What must hold after recovery. Every field is checked when present. */
export const expectationsSchema = z.strictObject({
  /** The oracle finds no acknowledged, flushed write lost, torn, corrupt, misdirected or unreadable. */
  noAcknowledgedDataLost: z.boolean().default(true),
  /** Damage the oracle must detect (not silently return): at least one block in each class. */
  detects: z.array(z.enum(["lost", "stale", "torn", "misdirected", "corrupt", "unreadable"])).default([]),
  /** Damage a fault may cause as a side effect (e.g. the block a misdirected write missed is lost). */
  tolerates: z.array(z.enum(["lost", "stale", "torn", "misdirected", "corrupt", "unreadable"])).default([]),
  /** Every PV's metadata areas agree (same seqno, valid checksums) after recovery. */
  metadataConsistent: z.boolean().default(true),
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
  /** Substrings expected among the warnings/errors the recovery commands printed. */
  messages: z.array(z.string()).default([]),
});

/** Where `--explore` enumerates crash points: every trace event and block write between two events. */
export const exploreSchema = z.strictObject({
  from: z.string().optional(),
  to: z.string().optional(),
  /** Also cut at every block write, not only at trace events. */
  writes: z.boolean().default(true),
  /** Crash policy applied at each point. */
  policy: crashPolicySchema.default({ kind: "drop-all" }),
});

/** A scenario. */
export const scenarioSchema = z.strictObject({
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
  faults: z.array(faultSpecSchema).max(64).default([]),
  /** What the operator runs after the reboot that follows a crash (or after the run without one). */
  recovery: z.array(commandLine).max(100).default([]),
  expect: expectationsSchema.prefault({}),
  /** Crash points `--explore` enumerates for this scenario. */
  explore: exploreSchema.optional(),
  /** Seeds the nightly suite runs (e.g. "1..8"). */
  seeds: z.string().optional(),
});

/** A validated scenario. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** What a scenario author writes. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** One phase. */
export type Phase = z.infer<typeof phaseSchema>;
/** Expectations with defaults filled in. */
export type Expectations = z.infer<typeof expectationsSchema>;
