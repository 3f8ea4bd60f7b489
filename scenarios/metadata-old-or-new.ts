/**
 * `expect.metadataOldOrNew`: LVM2 writes metadata with O_DIRECT and never flushes the disk cache,
 * so a power cut whose crash policy keeps an arbitrary part of the cache (subset, torn) may persist
 * a header without its text, or a commit on some PVs only. What real LVM2 guarantees then is that
 * the VG read after the reboot is the new VG of the commit in flight or an old one — any VG the
 * run committed since the faults were armed, since several unflushed commits in a row can all
 * vanish (seen: two lvcreates, the VG back as before both) — never a seqno no command wrote, and
 * that `vgck --updatemetadata` brings every copy back in line. This module checks exactly that.
 */
import { METADATA_EVENTS } from "../engine/format/commit.js";
import { scanHost } from "../engine/lvm/vg-read.js";
import type { Machine } from "./machine.js";

/** Crash policies that may keep part of a metadata commit (a header without its text). */
const PARTIAL_POLICIES: ReadonlySet<string> = new Set(["subset", "torn"]);

/** Watches a case's metadata commits and judges the VG a power cut left. */
export class MetadataCommitWatch {
  /** Lowest and highest seqno whose commit began (`metadata.write`), by VG name. */
  readonly #begun = new Map<string, { first: number; last: number }>();
  /** The begun seqnos at the cut, when its policy may keep part of a commit. */
  #atCut: Map<string, { first: number; last: number }> | undefined;

  constructor(machine: Machine) {
    machine.trace.subscribe((event) => {
      if (event.name !== METADATA_EVENTS.write) return;
      const { vg, seqno } = event.data;
      if (typeof vg !== "string" || typeof seqno !== "number") return;
      const seen = this.#begun.get(vg);
      this.#begun.set(vg, {
        first: Math.min(seqno, seen?.first ?? seqno),
        last: Math.max(seqno, seen?.last ?? 0),
      });
    });
  }

  /** Take over the commits `other` has seen (crash-point branching). */
  adoptStateOf(other: MetadataCommitWatch): void {
    this.#begun.clear();
    for (const [vg, seen] of other.#begun) this.#begun.set(vg, { ...seen });
    this.#atCut = other.#atCut === undefined ? undefined : new Map(other.#atCut);
  }

  /** Call after a power cut halted the run: notes the commits in flight if the cut was partial. */
  noteCut(machine: Machine): void {
    const cut = machine.injector.records.at(-1);
    const policies = cut?.kind === "power-cut" ? cut.effect.policies : undefined;
    const kinds = Object.values((policies ?? {}) as Record<string, { kind?: string }>).map((p) => p.kind);
    if (kinds.some((kind) => kind !== undefined && PARTIAL_POLICIES.has(kind)))
      this.#atCut = new Map(this.#begun);
  }

  /** True when the cut may have left part of a commit (the repair and the old-or-new check apply). */
  get partialCut(): boolean {
    return this.#atCut !== undefined;
  }

  /**
   * After the reboot, before recovery: every VG must read as the new VG of the commit in flight
   * (seqno S) or an old one the run had committed (seqno F−1 … S−1, F the first commit since the
   * faults were armed). Returns one line per VG that came back as anything else.
   */
  checkAfterReboot(machine: Machine): string[] {
    if (this.#atCut === undefined) return [];
    const failures: string[] = [];
    const vgs = new Map(scanHost(machine.host).result.vgs.map((v) => [v.vgName, v.seqno]));
    for (const [vg, { first, last }] of this.#atCut) {
      const seqno = vgs.get(vg);
      if (seqno === undefined || seqno < first - 1 || seqno > last) {
        const old = first - 1 === last - 1 ? `${last - 1}` : `${first - 1}…${last - 1}`;
        failures.push(
          `VG ${vg} came back at ${seqno === undefined ? "no seqno (not found)" : `seqno ${seqno}`} after the cut; expected an old (${old}) or the new (${last}) VG`,
        );
      }
    }
    return failures;
  }

  /** After recovery: the operator's `vgck --updatemetadata` for every VG the cut may have torn. */
  repair(state: { lvm(line: string): unknown }): void {
    for (const vg of this.#atCut?.keys() ?? []) state.lvm(`vgck --updatemetadata ${vg}`);
  }
}
