import { type FaultSpec, parseFaultSpec, type Trigger, type Window } from "./schema.js";
import type { FiredAt } from "./trigger.js";

/**
 * The NDJSON records faults write. A `fault` record is written the moment a fault fires and
 * carries the parsed spec (defaults filled), the seed and the seed path of the fault's random
 * stream, so {@link specFromRecord} plus `Rng.fromSeedPath(seedPath)` replay it exactly.
 * `effect` says what the fault did (sectors torn, policies chosen) so a report can show it.
 */

/** A JSON value, for `params` and `effect`. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Written when a fault fires. */
export interface FaultRecord {
  readonly type: "fault";
  readonly kind: FaultSpec["kind"];
  readonly id?: string;
  readonly at: Trigger;
  readonly window?: Window;
  readonly firedAt: FiredAt;
  /** Every other field of the parsed spec. */
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly seed: string | number;
  readonly seedPath: string;
  /** What the fault did, for reports; replay does not need it. */
  readonly effect: Readonly<Record<string, JsonValue>>;
}

/** Written when a windowed fault's window closes (the PV comes back, the stall ends). */
export interface FaultClearedRecord {
  readonly type: "fault-cleared";
  readonly kind: FaultSpec["kind"];
  readonly id?: string;
  readonly seedPath: string;
  readonly clearedAt: FiredAt;
  readonly effect: Readonly<Record<string, JsonValue>>;
}

/** Any record faults write. */
export type AnyFaultRecord = FaultRecord | FaultClearedRecord;

/** Where fault records go. */
export interface FaultSink {
  write(record: AnyFaultRecord): void;
}

/** A sink that keeps records in memory (tests, the runner's per-case summary). */
export class ArrayFaultSink implements FaultSink {
  readonly records: AnyFaultRecord[] = [];

  write(record: AnyFaultRecord): void {
    this.records.push(record);
  }

  /** Only the `fault` records, in firing order. */
  get fired(): FaultRecord[] {
    return this.records.filter((r): r is FaultRecord => r.type === "fault");
  }
}

/** A sink that writes one JSON line per record to a text stream (a file, stdout, an ndjson stream). */
export function ndjsonFaultSink(out: { write(chunk: string): unknown }): FaultSink {
  return { write: (record) => void out.write(`${JSON.stringify(record)}\n`) };
}

/** Longest list kept in an `effect` field; longer lists are cut and flagged, replay does not need them. */
export const EFFECT_LIST_MAX = 1024;

/** Cuts a long list for a record: `{ [key]: first items, [key+"Count"]: n, [key+"Truncated"]?: true }`. */
export function listForRecord(key: string, values: readonly number[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {
    [key]: values.slice(0, EFFECT_LIST_MAX),
    [`${key}Count`]: values.length,
  };
  if (values.length > EFFECT_LIST_MAX) out[`${key}Truncated`] = true;
  return out;
}

/** Builds the record for a spec that just fired. */
export function buildFaultRecord(
  spec: FaultSpec,
  fired: {
    readonly firedAt: FiredAt;
    readonly seed: string | number;
    readonly seedPath: string;
    readonly effect: Readonly<Record<string, JsonValue>>;
  },
): FaultRecord {
  const { kind, id, at, ...rest } = spec;
  const { window, ...params } = rest as typeof rest & { window?: Window };
  return {
    type: "fault",
    kind,
    ...(id === undefined ? {} : { id }),
    at,
    ...(window === undefined ? {} : { window }),
    firedAt: { ...fired.firedAt },
    params: JSON.parse(JSON.stringify(params)) as Record<string, JsonValue>,
    seed: fired.seed,
    seedPath: fired.seedPath,
    effect: fired.effect,
  };
}

/** Rebuilds (and re-validates) the spec a record was written from. */
export function specFromRecord(record: FaultRecord): FaultSpec {
  if (record.type !== "fault") {
    throw new TypeError(`Cannot replay a record of type "${String(record.type)}": expected "fault"`);
  }
  const input: Record<string, unknown> = { ...record.params, kind: record.kind, at: record.at };
  if (record.id !== undefined) input.id = record.id;
  if (record.window !== undefined) input.window = record.window;
  return parseFaultSpec(input, { path: ["record", "params"] });
}

/** Parses one NDJSON line into a fault record, checking only what replay relies on. */
export function parseFaultRecordLine(line: string): FaultRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new SyntaxError(`Fault record is not JSON (${(error as Error).message}); pass one NDJSON line`);
  }
  const record = value as Partial<FaultRecord>;
  if (record?.type !== "fault")
    throw new TypeError(`Fault record has type "${String(record?.type)}", expected "fault"`);
  if (
    typeof record.seedPath !== "string" ||
    (typeof record.seed !== "string" && typeof record.seed !== "number")
  ) {
    throw new TypeError("Fault record lacks seed or seedPath; it cannot be replayed");
  }
  specFromRecord(record as FaultRecord);
  return record as FaultRecord;
}
