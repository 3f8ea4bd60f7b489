import { z } from "zod";

/**
 * Schemas for fault specs as scenario files write them. Parsing fills every default, so the
 * parsed spec (and the NDJSON record made from it) replays exactly even if a default changes.
 * Errors name the field path the way a scenario author reads it: `faults[2].at.event: …`.
 */

const name = z.string().min(1, "Expected a non-empty name");
const ns = z.int().nonnegative();
const dataValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * Where a fault fires: exactly one of `timeNs` (virtual time), `write` (the Nth block write of
 * `device`, or of the whole VG when `device` is omitted), `event` (the Nth occurrence of a trace
 * event, optionally only events whose data match `where`), or `after` (another fault's id).
 */
const triggerSchema = z
  .strictObject({
    timeNs: ns.optional(),
    write: z.int().positive().optional(),
    device: name.optional(),
    event: name.optional(),
    occurrence: z.int().positive().optional(),
    where: z.record(z.string(), dataValue).optional(),
    after: name.optional(),
    edge: z.enum(["fired", "cleared"]).optional(),
    delayNs: ns.optional(),
  })
  .superRefine((t, ctx) => {
    const kinds = (["timeNs", "write", "event", "after"] as const).filter((k) => t[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `Expected exactly one of timeNs, write, event, after (got ${kinds.length === 0 ? "none" : kinds.join(", ")})`,
      });
      return;
    }
    const only = (field: keyof typeof t, owner: string) => {
      if (t[field] !== undefined && t[owner as keyof typeof t] === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `Only allowed together with ${owner}` });
      }
    };
    only("device", "write");
    only("occurrence", "event");
    only("where", "event");
    only("edge", "after");
    only("delayNs", "after");
  });

/** A parsed trigger. */
export type Trigger = z.infer<typeof triggerSchema>;

/**
 * How long a fault lasts once fired: `durationNs` of virtual time, or until the Nth occurrence
 * (counted from the firing) of `untilEvent`. Without a window a fault is permanent.
 */
const windowSchema = z
  .strictObject({
    durationNs: z.int().positive().optional(),
    untilEvent: name.optional(),
    occurrence: z.int().positive().optional(),
    where: z.record(z.string(), dataValue).optional(),
  })
  .superRefine((w, ctx) => {
    if ((w.durationNs === undefined) === (w.untilEvent === undefined)) {
      ctx.addIssue({ code: "custom", message: "Expected exactly one of durationNs, untilEvent" });
    }
    for (const field of ["occurrence", "where"] as const) {
      if (w[field] !== undefined && w.untilEvent === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: "Only allowed together with untilEvent" });
      }
    }
  });

/** A parsed window. */
export type Window = z.infer<typeof windowSchema>;

/** How a device's volatile write cache resolves at a power cut (the engine's crash policies). */
export const crashPolicySchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("drop-all") }),
  z.strictObject({ kind: z.literal("keep-all") }),
  z.strictObject({ kind: z.literal("prefix"), count: z.int().nonnegative() }),
  z.strictObject({ kind: z.literal("subset"), seed: z.int().nonnegative().optional() }),
  z.strictObject({ kind: z.literal("torn"), seed: z.int().nonnegative().optional() }),
]);

/** A crash policy as written in a spec; seeded kinds without a seed get one from the fault's stream. */
export type CrashPolicySpec = z.infer<typeof crashPolicySchema>;

const base = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/, "Expected an id of letters, digits, _ . : -")
    .optional(),
  at: triggerSchema,
};
const windowed = { ...base, window: windowSchema.optional() };
const ops = z.enum(["all", "read", "write"]);

const pvLoss = z.strictObject({
  ...windowed,
  kind: z.literal("pv-loss"),
  device: name,
  returnAs: z.enum(["intact", "blank"]).default("intact"),
});

const powerCut = z.strictObject({
  ...base,
  kind: z.literal("power-cut"),
  policy: crashPolicySchema.default({ kind: "subset" }),
  perDevice: z.record(z.string(), crashPolicySchema).default({}),
});

const tornWrite = z.strictObject({
  ...base,
  kind: z.literal("torn-write"),
  device: name.optional(),
  pattern: z.enum(["subset", "prefix"]).default("subset"),
  keepSectors: z.array(z.int().nonnegative()).max(65536).optional(),
});

const syncStall = z
  .strictObject({
    ...windowed,
    kind: z.literal("sync-stall"),
    mode: z.enum(["stall", "slow-leg"]).default("stall"),
    target: name.optional(),
    device: name.optional(),
    delayNs: z.int().positive().default(100_000_000),
  })
  .superRefine((s, ctx) => {
    if (s.mode === "stall" && s.target === undefined) {
      ctx.addIssue({ code: "custom", path: ["target"], message: "Required when mode is stall" });
    }
    if (s.mode === "slow-leg" && s.device === undefined) {
      ctx.addIssue({ code: "custom", path: ["device"], message: "Required when mode is slow-leg" });
    }
  });

const slowDevice = z.strictObject({
  ...windowed,
  kind: z.literal("slow-device"),
  device: name,
  ops: ops.default("all"),
  factor: z.number().positive().max(1e6).default(1),
  addNs: ns.default(0),
  spikeProbability: z.number().min(0).max(1).default(0),
  spikeNs: ns.default(0),
});

const latentSectorErrors = z
  .strictObject({
    ...windowed,
    kind: z.literal("latent-sector-errors"),
    device: name,
    sectors: z
      .array(z.int().nonnegative())
      .max(1 << 20)
      .optional(),
    count: z
      .int()
      .positive()
      .max(1 << 20)
      .optional(),
    rangeStartSector: ns.default(0),
    rangeSectors: z.int().positive().optional(),
    healOnWrite: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    if ((s.sectors === undefined) === (s.count === undefined)) {
      ctx.addIssue({ code: "custom", message: "Expected exactly one of sectors (given) or count (seeded)" });
    }
  });

const bitRot = z
  .strictObject({
    ...windowed,
    kind: z.literal("bit-rot"),
    device: name,
    mode: z.enum(["at-rest", "on-read"]).default("at-rest"),
    offsetBytes: ns.default(0),
    lengthBytes: z.int().positive().optional(),
    bits: z.int().positive().max(65536).default(1),
  })
  .superRefine((s, ctx) => {
    if (s.mode === "at-rest" && s.window !== undefined) {
      ctx.addIssue({ code: "custom", path: ["window"], message: "Only allowed when mode is on-read" });
    }
  });

const misdirectedWrite = z.strictObject({
  ...base,
  kind: z.literal("misdirected-write"),
  device: name.optional(),
  targetOffsetBytes: ns.optional(),
  count: z.int().positive().max(1024).default(1),
});

const metadataCorruption = z
  .strictObject({
    ...base,
    kind: z.literal("metadata-corruption"),
    devices: z.array(name).min(1).optional(),
    scope: z.enum(["one", "several", "all-but-one", "all"]).default("one"),
    count: z.int().min(2).default(2),
    field: z.enum(["magic", "checksum", "text"]).default("checksum"),
    mdaIndex: z.int().min(0).max(1).default(0),
    mdaOffsetBytes: ns.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.mdaOffsetBytes !== undefined && s.mdaOffsetBytes % 512 !== 0) {
      ctx.addIssue({ code: "custom", path: ["mdaOffsetBytes"], message: "Must be a multiple of 512" });
    }
  });

const cowExhaustion = z
  .strictObject({
    ...windowed,
    kind: z.literal("cow-exhaustion"),
    snapshot: name,
    mode: z.enum(["fill", "limit"]).default("fill"),
    freeChunks: ns.default(0),
  })
  .superRefine((s, ctx) => {
    if (s.mode === "fill" && s.window !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["window"],
        message: "Only allowed when mode is limit (a fill cannot be undone)",
      });
    }
  });

const flakey = z
  .strictObject({
    ...windowed,
    kind: z.literal("flakey"),
    device: name,
    upNs: ns,
    downNs: z.int().positive(),
    errorReads: z.boolean().default(false),
    errorWrites: z.boolean().default(false),
    dropWrites: z.boolean().default(false),
    corruptBioByte: z
      .strictObject({
        nth: z.int().positive(),
        direction: z.enum(["r", "w"]),
        value: z.int().min(0).max(255),
        flags: z.literal(0).default(0),
      })
      .optional(),
  })
  .superRefine((f, ctx) => {
    if (f.dropWrites && f.errorWrites) {
      ctx.addIssue({ code: "custom", path: ["errorWrites"], message: "Cannot combine with dropWrites" });
    }
    if (f.dropWrites && f.corruptBioByte?.direction === "w") {
      ctx.addIssue({
        code: "custom",
        path: ["corruptBioByte", "direction"],
        message: "Cannot corrupt writes that dropWrites discards (dm-flakey refuses this too)",
      });
    }
  });

const thinMetadataCorruption = z.strictObject({
  ...base,
  kind: z.literal("thin-metadata-corruption"),
  pool: z.string().regex(/^[A-Za-z0-9+_.-]+\/[A-Za-z0-9+_.-]+$/, "Expected vg/pool, e.g. vg0/pool"),
  structure: z.enum(["superblock", "space-map", "details", "mapping"]).default("space-map"),
  bits: z.int().positive().max(4096).default(1),
});

const thinMetadataExhaustion = z.strictObject({
  ...base,
  kind: z.literal("thin-metadata-exhaustion"),
  pool: z.string().regex(/^[A-Za-z0-9+_.-]+\/[A-Za-z0-9+_.-]+$/, "Expected vg/pool, e.g. vg0/pool"),
  freeBlocks: ns.default(0),
});

/** Every fault kind's schema, discriminated by `kind`. */
export const faultSpecSchema = z.discriminatedUnion("kind", [
  pvLoss,
  powerCut,
  tornWrite,
  syncStall,
  slowDevice,
  latentSectorErrors,
  bitRot,
  misdirectedWrite,
  metadataCorruption,
  cowExhaustion,
  flakey,
  thinMetadataCorruption,
  thinMetadataExhaustion,
]);

/** A parsed fault spec with every default filled. */
export type FaultSpec = z.infer<typeof faultSpecSchema>;
/** The input form of a fault spec (defaults optional). */
export type FaultSpecInput = z.input<typeof faultSpecSchema>;
/** A fault kind's name. */
export type FaultKindName = FaultSpec["kind"];
/** The parsed spec of one kind. */
export type SpecOf<K extends FaultKindName> = Extract<FaultSpec, { kind: K }>;

/** Every fault kind name, in catalogue order. */
export const FAULT_KIND_NAMES: readonly FaultKindName[] = faultSpecSchema.options.map(
  (o) => o.shape.kind.value,
);

/** The schema of one kind, e.g. for the catalogue's parameter check. */
export function schemaOfKind(kind: FaultKindName): (typeof faultSpecSchema.options)[number] {
  const schema = faultSpecSchema.options.find((o) => o.shape.kind.value === kind);
  if (schema === undefined) throw new RangeError(`Unknown fault kind "${kind}"`);
  return schema;
}

/** Bad fault specs; `issues` holds one `path: message` line per problem. */
export class FaultSpecError extends Error {
  override readonly name = "FaultSpecError";

  constructor(readonly issues: readonly string[]) {
    super(`Invalid fault spec: ${issues.join("; ")}`);
  }
}

/** Formats a zod issue path as a scenario author writes it: `faults[2].at.event`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text;
}

function issuesOf(error: z.ZodError, prefix: readonly PropertyKey[]): string[] {
  return error.issues.map((issue) => {
    const where = formatIssuePath([...prefix, ...issue.path]);
    return where === "" ? issue.message : `${where}: ${issue.message}`;
  });
}

/** Parses one spec; `path` prefixes error paths (e.g. `["faults", 2]`). */
export function parseFaultSpec(input: unknown, options: { path?: readonly PropertyKey[] } = {}): FaultSpec {
  const result = faultSpecSchema.safeParse(input);
  if (!result.success) throw new FaultSpecError(issuesOf(result.error, options.path ?? []));
  return result.data;
}

/**
 * Parses a list of specs and checks what one spec cannot: ids are unique and every `after`
 * names a fault earlier in the list (so composition is acyclic and ordered).
 */
export function parseFaultSpecs(input: unknown, options: { path?: string } = {}): FaultSpec[] {
  const root = options.path ?? "faults";
  if (!Array.isArray(input)) throw new FaultSpecError([`${root}: Expected an array of fault specs`]);
  if (input.length > 1024)
    throw new FaultSpecError([`${root}: At most 1024 faults per run (got ${input.length})`]);
  const issues: string[] = [];
  const specs: FaultSpec[] = [];
  input.forEach((item, index) => {
    const result = faultSpecSchema.safeParse(item);
    if (result.success) specs.push(result.data);
    else issues.push(...issuesOf(result.error, [root, index]));
  });
  if (issues.length > 0) throw new FaultSpecError(issues);
  issues.push(...checkReferences(specs, root));
  if (issues.length > 0) throw new FaultSpecError(issues);
  return specs;
}

/** Cross-spec checks: unique ids, `after` points backwards. Returns issue lines. */
export function checkReferences(specs: readonly FaultSpec[], root = "faults"): string[] {
  const issues: string[] = [];
  const seen = new Set<string>();
  specs.forEach((spec, index) => {
    if (spec.at.after !== undefined && !seen.has(spec.at.after)) {
      issues.push(
        `${root}[${index}].at.after: No earlier fault has id "${spec.at.after}"; give that fault an id and list it first`,
      );
    }
    if (spec.id !== undefined) {
      if (seen.has(spec.id)) issues.push(`${root}[${index}].id: Duplicate id "${spec.id}"`);
      seen.add(spec.id);
    }
  });
  return issues;
}
