import { configurePvmove } from "../engine/lvm/pvmove/kernel.js";
import type { Machine } from "./machine.js";
import type { FaultMarkerRecord, ProgressRecord, TimelineRecord } from "./records.js";

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
        onProgress: (sample) => this.#add("pvmove", sample.tNs, sample.percent, `${sample.vg}/${sample.lv}`),
      }),
    );
    machine.trace.subscribe((event) => {
      if (event.name === "mirror.resync.step") {
        const synced = Number(event.data.synced);
        const total = Number(event.data.total);
        if (total > 0)
          this.#add("resync", machine.scheduler.nowNs, (100 * synced) / total, String(event.data.mirror));
      } else if (event.name === "snapshot.merge.step") {
        this.#mergeSteps += 1;
        const steps = this.#mergeSteps;
        const remaining = Number(event.data.remaining ?? Number.NaN);
        const percent = Number.isFinite(remaining) ? 100 * (steps / (steps + remaining)) : steps;
        this.#add(
          "merge",
          machine.scheduler.nowNs,
          Math.min(100, percent),
          String(event.data.snapshot ?? ""),
        );
      }
    });
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
