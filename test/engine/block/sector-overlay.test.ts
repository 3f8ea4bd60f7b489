import { describe, expect, it } from "vitest";
import { SectorOverlay } from "../../../engine/block/sector-overlay.js";

// A plain per-sector map: what the overlay must answer, one sector at a time.
class ModelOverlay {
  readonly seqs = new Map<number, number>();
  mark(first: number, end: number, seq: number): void {
    for (let s = first; s < end; s++) this.seqs.set(s, seq);
  }
  clean(first: number, end: number): void {
    for (let s = first; s < end; s++) this.seqs.delete(s);
  }
  cleanSeq(first: number, end: number, seq: number): void {
    for (let s = first; s < end; s++) if (this.seqs.get(s) === seq) this.seqs.delete(s);
  }
  anyIn(first: number, end: number): boolean {
    for (let s = first; s < end; s++) if (this.seqs.has(s)) return true;
    return false;
  }
  allIn(first: number, end: number): boolean {
    for (let s = first; s < end; s++) if (!this.seqs.has(s)) return false;
    return true;
  }
}

// The runs nextRun walks, merged where a chunk boundary split one, so they compare by sector.
function runs(overlay: SectorOverlay, first: number, end: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  const run = { firstSector: 0, endSector: 0, seq: 0 };
  let from = first;
  while (overlay.nextRun(from, end, run)) {
    const last = out.at(-1);
    if (last !== undefined && last[1] === run.firstSector && last[2] === run.seq) last[1] = run.endSector;
    else out.push([run.firstSector, run.endSector, run.seq]);
    from = run.endSector;
  }
  return out;
}

function modelRuns(model: ModelOverlay, first: number, end: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let s = first; s < end; s++) {
    const seq = model.seqs.get(s);
    if (seq === undefined) continue;
    const last = out.at(-1);
    if (last !== undefined && last[1] === s && last[2] === seq) last[1] = s + 1;
    else out.push([s, s + 1, seq]);
  }
  return out;
}

describe("SectorOverlay", () => {
  it("marks, cleans and reports runs across chunk boundaries", () => {
    const overlay = new SectorOverlay();
    expect(overlay.isEmpty).toBe(true);
    overlay.mark(2040, 2056, 1);
    overlay.mark(2044, 2048, 2);
    expect(overlay.cachedSectors).toBe(16);
    expect(overlay.seqAt(2045)).toBe(2);
    expect(overlay.allIn(2040, 2056)).toBe(true);
    expect(overlay.allIn(2039, 2056)).toBe(false);
    expect(runs(overlay, 0, 4096)).toEqual([
      [2040, 2044, 1],
      [2044, 2048, 2],
      [2048, 2056, 1],
    ]);
    overlay.cleanSeq(2040, 2056, 1);
    expect(runs(overlay, 0, 4096)).toEqual([[2044, 2048, 2]]);
    overlay.clean(0, 2 ** 40);
    expect(overlay.isEmpty).toBe(true);
    expect(overlay.anyIn(0, 2 ** 40)).toBe(false);
  });

  it("agrees with a per-sector model over random requests, chunks reused after clear", () => {
    const overlay = new SectorOverlay();
    const model = new ModelOverlay();
    let state = 12345;
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    let seq = 0;
    for (let step = 0; step < 3000; step++) {
      const first = next(8192);
      const end = first + 1 + next(step % 7 === 0 ? 3000 : 24);
      const op = next(10);
      if (op < 5) {
        seq += 1;
        overlay.mark(first, end, seq);
        model.mark(first, end, seq);
      } else if (op < 7) {
        overlay.clean(first, end);
        model.clean(first, end);
      } else if (op < 9) {
        const target = Math.max(1, seq - next(4));
        overlay.cleanSeq(first, end, target);
        model.cleanSeq(first, end, target);
      } else if (next(20) === 0) {
        overlay.clear();
        model.seqs.clear();
      }
      expect(overlay.cachedSectors).toBe(model.seqs.size);
      expect(overlay.anyIn(first, end)).toBe(model.anyIn(first, end));
      expect(overlay.allIn(first, end)).toBe(model.allIn(first, end));
      if (step % 50 === 0) {
        expect(runs(overlay, 0, 12000)).toEqual(modelRuns(model, 0, 12000));
        expect(runs(overlay, first, end)).toEqual(modelRuns(model, first, end));
      }
    }
    expect(seq).toBeGreaterThan(1000);
  });

  it("refuses a seq of 0, which means clean", () => {
    expect(() => new SectorOverlay().mark(0, 8, 0)).toThrow(/seq must be positive/);
  });
});
