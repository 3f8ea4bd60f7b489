/**
 * A case is one (scenario, seed[, crash point]) run. Its key is stable text, used for sharding,
 * resuming and merging, and it appears in the replay command.
 */

/** A crash point: the Nth trace event or the Nth block write of the run, counted from its start. */
export interface CrashPoint {
  readonly kind: "event" | "write";
  /** 1-based index among all trace events, or among all PV block writes. */
  readonly index: number;
  /** Human-readable place, e.g. "metadata.commit#3" or "write 57 on pv1". */
  readonly label: string;
}

/** What to run. */
export interface CaseSpec {
  readonly scenario: string;
  readonly seed: number;
  readonly crashPoint?: CrashPoint;
  /**
   * The crash policy at the crash point, as `--policies` names it (`drop-all`, `keep-all`,
   * `subset`, `torn`, `prefix:N`); default: the scenario's `explore.policy`.
   */
  readonly policy?: string;
}

/** Stable text key: `name@seed`, `name@seed/event:37` or, with a swept policy, `name@seed/event:37/torn`. */
export function caseKey(spec: CaseSpec): string {
  const base = `${spec.scenario}@${spec.seed}`;
  if (spec.crashPoint === undefined) return base;
  const point = `${base}/${spec.crashPoint.kind}:${spec.crashPoint.index}`;
  return spec.policy === undefined ? point : `${point}/${spec.policy}`;
}

/** Parses a key made by {@link caseKey} (the crash point's label is not part of the key). */
export function parseCaseKey(key: string): CaseSpec {
  const match =
    /^([a-z0-9][a-z0-9._-]*)@(\d+)(?:\/(event|write):(\d+)(?:\/(drop-all|keep-all|subset|torn|prefix:\d+))?)?$/.exec(
      key,
    );
  if (!match) {
    throw new RangeError(
      `Bad case "${key}": expected scenario@seed, scenario@seed/event:N or scenario@seed/write:N[/policy]`,
    );
  }
  const spec: CaseSpec = { scenario: match[1]!, seed: Number(match[2]) };
  if (match[3] === undefined) return spec;
  const kind = match[3] as CrashPoint["kind"];
  const index = Number(match[4]);
  const crashPoint = { kind, index, label: `${kind} ${index}` };
  return { ...spec, crashPoint, ...(match[5] === undefined ? {} : { policy: match[5] }) };
}

/** The one command that replays a case exactly. */
export function replayCommand(spec: CaseSpec): string {
  return `lvmlab replay ${caseKey(spec)}`;
}
