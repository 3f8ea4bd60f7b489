import { SECTOR_BYTES } from "../../engine/block/device.js";
import type { Rng } from "../../engine/sim/rng.js";
import { EffectStage } from "../device-wrapper.js";
import { sampleDistinct } from "../random.js";
import { type FaultKind, writeFaultDevice } from "./context.js";

/**
 * `torn-write`: one write only partly reaches the media — some of its 512-byte sectors persist,
 * the rest keep their old contents, and the caller is told it succeeded. Sectors are atomic, as
 * on real disks. The torn write is the triggering write when the trigger is a block write,
 * otherwise the next write to `device`. `keepSectors` gives the surviving sectors (indexes within
 * the write); else `subset` keeps a seeded subset and `prefix` a seeded prefix, always losing
 * at least one sector.
 */
export const tornWrite: FaultKind<"torn-write"> = {
  kind: "torn-write",
  activate(spec, context) {
    const name = writeFaultDevice(spec, context);
    const device = context.device(name);
    const wantIndex = context.firedAt.writeIndex;
    let remove: () => void = () => {};
    remove = device.addEffect({
      label: context.label,
      stage: EffectStage.torn,
      survivesReboot: false,
      planWrite(request, data) {
        if (wantIndex !== undefined && request.writeIndex !== wantIndex) return { kind: "pass" };
        remove();
        const sectors = data.length / SECTOR_BYTES;
        const kept = keptSectors(spec, sectors, context.random);
        const keptSet = new Set(kept);
        const lost = [];
        for (let s = 0; s < sectors; s += 1) if (!keptSet.has(s)) lost.push(s);
        context.consumed({
          device: name,
          writeIndex: request.writeIndex,
          offsetBytes: request.offsetBytes,
          lengthBytes: data.length,
          keptSectors: kept,
          lostSectors: lost,
        });
        return { kind: "keep-sectors", sectors: kept };
      },
    });
    return {
      effect: { device: name, ...(wantIndex === undefined ? { pending: true } : { writeIndex: wantIndex }) },
    };
  },
};

function keptSectors(
  spec: { readonly pattern: "subset" | "prefix"; readonly keepSectors?: readonly number[] | undefined },
  sectors: number,
  random: Rng,
): number[] {
  if (spec.keepSectors !== undefined) {
    return [...new Set(spec.keepSectors.filter((s) => s < sectors))].sort((a, b) => a - b);
  }
  // Keep 0..sectors-1 sectors so at least one is lost: a tear that keeps everything is no tear.
  const count = random.int(sectors);
  if (spec.pattern === "prefix") return Array.from({ length: count }, (_, s) => s);
  return sampleDistinct(random, count, sectors);
}
