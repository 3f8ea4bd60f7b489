import { SECTOR_BYTES } from "../../engine/block/device.js";
import { BlockDeviceError } from "../../engine/block/errors.js";
import type { MutationInfo } from "../../engine/sim/mutations.js";
import { EffectStage } from "../device-wrapper.js";
import { sampleDistinct } from "../random.js";
import { listForRecord } from "../record.js";
import type { FaultKind } from "./context.js";

/**
 * `latent-sector-errors`: reads touching a bad sector fail with EIO, like dm-dust with 512-byte
 * blocks. The bad sectors are given (`sectors`) or a seeded set of `count` sectors inside
 * `[rangeStartSector, rangeStartSector + rangeSectors)`. With `healOnWrite` a write over a bad
 * sector removes it (the drive remaps it), as dm-dust does.
 */
/** Mutation: a write over a bad sector goes through but leaves it bad, even with `healOnWrite`. */
const MUTATION_LATENT_NEVER_HEALS = "faults.latent-sector-errors.never-heals";

/** Catalogue entry for {@link MUTATION_LATENT_NEVER_HEALS}. */
export const LATENT_NEVER_HEALS: MutationInfo = {
  name: MUTATION_LATENT_NEVER_HEALS,
  description:
    "A write over a latent bad sector does not heal it (healOnWrite ignored): rewritten data still reads as EIO",
};

export const latentSectorErrors: FaultKind<"latent-sector-errors"> = {
  kind: "latent-sector-errors",
  activate(spec, context) {
    const device = context.device(spec.device);
    const deviceSectors = device.sizeBytes / SECTOR_BYTES;
    let chosen: number[];
    if (spec.sectors !== undefined) {
      chosen = [...new Set(spec.sectors)].sort((a, b) => a - b);
      const outside = chosen.find((s) => s >= deviceSectors);
      if (outside !== undefined) {
        throw new RangeError(
          `Fault ${context.label} sector ${outside} is past the end of ${spec.device} (${deviceSectors} sectors)`,
        );
      }
    } else {
      const rangeSectors = spec.rangeSectors ?? deviceSectors - spec.rangeStartSector;
      if (spec.rangeStartSector + rangeSectors > deviceSectors || rangeSectors <= 0) {
        throw new RangeError(
          `Fault ${context.label} range [${spec.rangeStartSector}, +${rangeSectors}) is outside ${spec.device} (${deviceSectors} sectors)`,
        );
      }
      chosen = sampleDistinct(context.random, spec.count ?? 1, rangeSectors).map(
        (s) => s + spec.rangeStartSector,
      );
    }
    const bad = new Set(chosen);
    const heals = spec.healOnWrite && context.mutations?.has(MUTATION_LATENT_NEVER_HEALS) !== true;
    const label = context.label;
    let healed = 0;
    const remove = device.addEffect({
      label,
      stage: EffectStage.latent,
      check(request) {
        if (request.op !== "read" || bad.size === 0) return;
        const first = firstBadSector(bad, request.offsetBytes, request.lengthBytes);
        if (first === undefined) return;
        throw new BlockDeviceError(
          "EIO",
          request.device,
          first * SECTOR_BYTES,
          SECTOR_BYTES,
          `latent sector error at sector ${first} (fault ${label})`,
        );
      },
      afterWrite(_request, landedOffsetBytes, lengthBytes) {
        if (!heals || bad.size === 0) return;
        const start = landedOffsetBytes / SECTOR_BYTES;
        const end = start + lengthBytes / SECTOR_BYTES;
        for (let s = start; s < end; s += 1) if (bad.delete(s)) healed += 1;
      },
    });
    return {
      effect: { device: spec.device, ...listForRecord("sectors", chosen) },
      clear() {
        remove();
        return { device: spec.device, healed, stillBad: bad.size };
      },
    };
  },
};

// Walk whichever is smaller: the request's sectors or the bad set.
function firstBadSector(
  bad: ReadonlySet<number>,
  offsetBytes: number,
  lengthBytes: number,
): number | undefined {
  const start = offsetBytes / SECTOR_BYTES;
  const end = start + lengthBytes / SECTOR_BYTES;
  if (end - start <= bad.size) {
    for (let s = start; s < end; s += 1) if (bad.has(s)) return s;
    return undefined;
  }
  let first: number | undefined;
  for (const s of bad) if (s >= start && s < end && (first === undefined || s < first)) first = s;
  return first;
}
