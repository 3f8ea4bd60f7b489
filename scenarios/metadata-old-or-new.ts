/**
 * `expect.metadataOldOrNew`: LVM2 writes metadata with O_DIRECT and never flushes the disk cache,
 * so a power cut whose crash policy keeps an arbitrary part of the cache (subset, torn) may persist
 * a header without its text, or a commit on some PVs only. What real LVM2 guarantees then is that
 * the VG read after the reboot is the new VG of the commit in flight or an old one — any VG the
 * run committed since the faults were armed, since several unflushed commits in a row can all
 * vanish (seen: two lvcreates, the VG back as before both) — never a seqno no command wrote, and
 * that `vgck --updatemetadata` brings every copy back in line. This module checks exactly that,
 * by seqno and by content: the text read back must be the very text some command wrote with that
 * seqno (its checksum), so a commit that mixes versions (a new seqno over an old body) fails too.
 * The content check applies after every power cut; the repair only after subset and torn ones.
 */
import { METADATA_EVENTS } from "../engine/format/commit.js";
import { lvmCrc } from "../engine/format/mod.js";
import { scanHost } from "../engine/lvm/vg-read.js";
import type { TraceEvent } from "../engine/sim/trace.js";
import type { Machine } from "./machine.js";

/** Crash policies that may keep part of a metadata commit (a header without its text). */
const PARTIAL_POLICIES: ReadonlySet<string> = new Set(["subset", "torn"]);

/** Watches a case's metadata commits and judges the VG a power cut left. */
export class MetadataCommitWatch {
  /** Lowest and highest seqno whose commit began (`metadata.write`), by VG name. */
  readonly #begun = new Map<string, { first: number; last: number }>();
  /** Checksums of the texts written, by `vg:seqno` (one, unless a failed write was retried). */
  readonly #texts = new Map<string, Set<number>>();
  /** The begun seqnos at the cut. */
  #atCut: Map<string, { first: number; last: number }> | undefined;
  /** Each VG's seqno as the reboot found it. */
  #afterReboot: Map<string, number> | undefined;
  /** The cut's policy may have kept part of a commit (subset, torn). */
  #partial = false;
  readonly #machine: Machine;
  readonly #repairDisagreeing: boolean;

  /**
   * With `repairDisagreeing`, the repair also runs after a cut that kept whole writes when the VG's
   * copies still disagree after recovery: LVM2 never flushes a commit, so a cut may keep it on the
   * PVs whose caches other writes flushed and lose it elsewhere, and LVM2 then warns ("ignoring
   * metadata seqno") until a command writes the VG. Crash points `--explore` places use it.
   */
  constructor(machine: Machine, options: { readonly repairDisagreeing?: boolean } = {}) {
    this.#machine = machine;
    this.#repairDisagreeing = options.repairDisagreeing ?? false;
    machine.trace.subscribe((event) => this.noteEvent(event));
  }

  /** Takes in one trace event of the case (a subscriber, or a shared recovery replayed). */
  noteEvent(event: Pick<TraceEvent, "name" | "data">): void {
    if (event.name !== METADATA_EVENTS.write) return;
    const { vg, seqno, checksum } = event.data;
    if (typeof vg !== "string" || typeof seqno !== "number") return;
    if (typeof checksum === "number") {
      const key = `${vg}:${seqno}`;
      this.#texts.set(key, (this.#texts.get(key) ?? new Set()).add(checksum));
    }
    const seen = this.#begun.get(vg);
    this.#begun.set(vg, {
      first: Math.min(seqno, seen?.first ?? seqno),
      last: Math.max(seqno, seen?.last ?? 0),
    });
  }

  /**
   * What the repair after recovery depends on besides the disks (see {@link repair}): two cases
   * with the same disks and the same key run the same repair.
   */
  get repairKey(): string {
    if (this.#atCut === undefined) return "no cut";
    return `${this.#partial} ${this.#repairDisagreeing} ${[...this.#atCut.keys()].join(",")}`;
  }

  /** Take over the commits `other` has seen (crash-point branching). */
  adoptStateOf(other: MetadataCommitWatch): void {
    this.#begun.clear();
    for (const [vg, seen] of other.#begun) this.#begun.set(vg, { ...seen });
    this.#texts.clear();
    for (const [key, sums] of other.#texts) this.#texts.set(key, new Set(sums));
    this.#atCut = other.#atCut === undefined ? undefined : new Map(other.#atCut);
    this.#partial = other.#partial;
  }

  /** Call after a power cut halted the run: notes the commits in flight and whether the cut was partial. */
  noteCut(machine: Machine): void {
    const cut = machine.injector.records.at(-1);
    if (cut?.kind !== "power-cut") return;
    const policies = cut.effect.policies;
    const kinds = Object.values((policies ?? {}) as Record<string, { kind?: string }>).map((p) => p.kind);
    this.#atCut = new Map(this.#begun);
    this.#partial = kinds.some((kind) => kind !== undefined && PARTIAL_POLICIES.has(kind));
  }

  /** The seqno each VG read at after the reboot, before recovery (see {@link checkAfterReboot}). */
  seqnoAfterReboot(vg: string): number | undefined {
    return this.#afterReboot?.get(vg);
  }

  /** True when the cut may have left part of a commit (the repair applies). */
  get partialCut(): boolean {
    return this.#partial;
  }

  /**
   * After the reboot, before recovery: every VG must read as the new VG of the commit in flight
   * (seqno S) or an old one the run had committed (seqno F−1 … S−1, F the first commit since the
   * faults were armed). Returns one line per VG that came back as anything else.
   */
  checkAfterReboot(machine: Machine): string[] {
    if (this.#atCut === undefined) return [];
    const failures: string[] = [];
    const vgs = new Map(scanHost(machine.host).result.vgs.map((v) => [v.vgName, v]));
    this.#afterReboot = new Map([...vgs].map(([name, v]) => [name, v.seqno]));
    for (const [vg, { first, last }] of this.#atCut) {
      const read = vgs.get(vg);
      const seqno = read?.seqno;
      if (seqno === undefined || seqno < first - 1 || seqno > last) {
        const old = first - 1 === last - 1 ? `${last - 1}` : `${first - 1}…${last - 1}`;
        failures.push(
          `VG ${vg} came back at ${seqno === undefined ? "no seqno (not found)" : `seqno ${seqno}`} after the cut; expected an old (${old}) or the new (${last}) VG`,
        );
        continue;
      }
      const written = this.#texts.get(`${vg}:${seqno}`);
      const checksum = lvmCrc(new TextEncoder().encode(`${read!.text}\0`));
      if (written !== undefined && !written.has(checksum)) {
        failures.push(
          `VG ${vg} came back at seqno ${seqno} from ${read!.source.device} with text no command wrote (checksum 0x${checksum.toString(16).padStart(8, "0")}, written ${[...written].map((c) => `0x${c.toString(16).padStart(8, "0")}`).join(", ")}); expected the old or the new VG`,
        );
      }
    }
    return failures;
  }

  /**
   * After recovery: the operator's `vgck --updatemetadata` for every VG the cut may have torn, or
   * (with `repairDisagreeing`) whose copies the cut left disagreeing.
   */
  repair(state: { lvm(line: string): unknown }): void {
    if (this.#atCut === undefined) return;
    if (this.#partial) {
      for (const vg of this.#atCut.keys()) state.lvm(`vgck --updatemetadata ${vg}`);
      return;
    }
    if (!this.#repairDisagreeing) return;
    for (const vg of scanHost(this.#machine.host).result.vgs) {
      if (vg.inconsistent && this.#atCut.has(vg.vgName)) state.lvm(`vgck --updatemetadata ${vg.vgName}`);
    }
  }
}
