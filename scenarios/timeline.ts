import { configurePvmove } from "../engine/lvm/pvmove/kernel.js";
import type { Machine } from "./machine.js";
import type { FaultMarkerRecord, ProgressRecord, TimelineRecord } from "./records.js";

/** One thing a timeline was told: a pvmove sample, a resync step or a merge step. */
export type TimelineInput =
  | { readonly kind: "pvmove"; readonly tNs: number; readonly percent: number; readonly lv: string }
  | {
      readonly kind: "resync";
      readonly tNs: number;
      readonly synced: number;
      readonly total: number;
      readonly lv: string;
    }
  | { readonly kind: "merge"; readonly tNs: number; readonly remaining: number; readonly lv: string };

/** Most samples one case keeps per series; charts need the shape, not every step. */
const MAX_SAMPLES_PER_SERIES = 200;

/**
 * Collects a case's progress over virtual time — pvmove copy_percent from the poller, mirror
 * resync from `mirror.resync.step` events, snapshot merge from `snapshot.merge.step` — and marks
 * where faults fired, for the HTML report's charts.
 */
export class Timeline {
  readonly #progress: ProgressRecord[] = [];
  readonly #perSeries = new Map<string, number>();
  readonly #machine: Machine;
  readonly #id: { readonly scenario: string; readonly seed: number };
  #mergeSteps = 0;

  constructor(machine: Machine, id: { readonly scenario: string; readonly seed: number }) {
    this.#machine = machine;
    this.#id = id;
    machine.onHost((host) =>
      configurePvmove(host, {
        onProgress: (sample) =>
          this.#input({
            kind: "pvmove",
            tNs: sample.tNs,
            percent: sample.percent,
            lv: `${sample.vg}/${sample.lv}`,
          }),
      }),
    );
    machine.trace.subscribe((event) => {
      if (event.name === "mirror.resync.step") {
        this.#input({
          kind: "resync",
          tNs: machine.scheduler.nowNs,
          synced: Number(event.data.synced),
          total: Number(event.data.total),
          lv: String(event.data.mirror),
        });
      } else if (event.name === "snapshot.merge.step") {
        this.#input({
          kind: "merge",
          tNs: machine.scheduler.nowNs,
          remaining: Number(event.data.remaining ?? Number.NaN),
          lv: String(event.data.snapshot ?? ""),
        });
      }
    });
  }

  #capture: TimelineInput[] | undefined;

  /**
   * Start keeping what this timeline is told, until {@link endCapture}: crash exploration replays a
   * recovery it shares into the timelines of the other points that recover the same way.
   */
  startCapture(): void {
    this.#capture = [];
  }

  /** What this timeline was told since {@link startCapture}. */
  endCapture(): readonly TimelineInput[] {
    const captured = this.#capture ?? [];
    this.#capture = undefined;
    return captured;
  }

  /** Takes in what another timeline captured, as if this machine had run it. */
  replay(inputs: readonly TimelineInput[]): void {
    for (const input of inputs) this.#input(input);
  }

  #input(input: TimelineInput): void {
    this.#capture?.push(input);
    if (input.kind === "pvmove") this.#add("pvmove", input.tNs, input.percent, input.lv);
    else if (input.kind === "resync") {
      if (input.total > 0) this.#add("resync", input.tNs, (100 * input.synced) / input.total, input.lv);
    } else {
      this.#mergeSteps += 1;
      const steps = this.#mergeSteps;
      const percent = Number.isFinite(input.remaining) ? 100 * (steps / (steps + input.remaining)) : steps;
      this.#add("merge", input.tNs, Math.min(100, percent), input.lv);
    }
  }

  /** Take over `other`'s samples and counts (crash-point branching: the branch goes on from them). */
  adoptStateOf(other: Timeline): void {
    this.#progress.splice(0, this.#progress.length, ...other.#progress);
    this.#perSeries.clear();
    for (const [key, count] of other.#perSeries) this.#perSeries.set(key, count);
    this.#mergeSteps = other.#mergeSteps;
  }

  #add(kind: ProgressRecord["kind"], tNs: number, percent: number, lv: string): void {
    const key = `${kind}/${lv}`;
    const count = (this.#perSeries.get(key) ?? 0) + 1;
    this.#perSeries.set(key, count);
    if (count > MAX_SAMPLES_PER_SERIES && percent < 100) return;
    this.#progress.push({
      type: "progress",
      ...this.#id,
      kind,
      tNs,
      percent: Math.max(0, Math.min(100, percent)),
      lv,
    });
  }

  /**
   * The samples and the fault markers, ordered by virtual time (stable); empty for a case with no
   * background work, whose chart would show nothing but markers.
   */
  records(): TimelineRecord[] {
    if (this.#progress.length === 0) return [];
    const faults: FaultMarkerRecord[] = this.#machine.injector.records.map((r) => {
      const fired = (r as { firedAt?: { tNs?: number; device?: string; event?: string } }).firedAt;
      return {
        type: "fault",
        ...this.#id,
        kind: r.kind,
        tNs: fired?.tNs ?? 0,
        ...(fired?.device === undefined ? {} : { target: fired.device }),
        ...(fired?.event === undefined ? {} : { detail: fired.event }),
      };
    });
    return [...this.#progress, ...faults].sort((a, b) => a.tNs - b.tNs);
  }
}
