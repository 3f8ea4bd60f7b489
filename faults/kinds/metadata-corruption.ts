import { SECTOR_BYTES } from "../../engine/block/device.js";
import { MDA_HEADER_BYTES, parseMdaHeader } from "../../engine/format/mda-header.js";
import type { FaultyDevice } from "../device-wrapper.js";
import { sampleDistinct } from "../random.js";
import type { JsonValue } from "../record.js";
import type { FaultContext, FaultKind } from "./context.js";

/**
 * `metadata-corruption`: damage one metadata area on one PV, several, all but one, or all. The
 * field is the mda_header's magic (LVM2 will not auto-repair it), its checksum (repairable by
 * `vgck --updatemetadata`), or one bit of the committed text that slot 0 points at (text checksum
 * mismatch). The mda is located by the format layer when the injector has a locator, else at
 * `mdaOffsetBytes`, else at 4096 (LVM2's default first mda). Written below the fault wrapper with
 * FUA: it is damage at rest, not a write anyone issued.
 */
export const metadataCorruption: FaultKind<"metadata-corruption"> = {
  kind: "metadata-corruption",
  activate(spec, context) {
    const candidates = spec.devices ?? [...context.deviceNames()];
    const n = candidates.length;
    const wanted = { one: 1, several: spec.count, "all-but-one": n - 1, all: n }[spec.scope];
    if (wanted < 1 || wanted > n) {
      throw new RangeError(
        `Fault ${context.label} scope ${spec.scope} needs ${wanted} of ${n} candidate PVs (${candidates.join(", ")}); ` +
          "list more devices or pick another scope",
      );
    }
    const chosen = sampleDistinct(context.random, wanted, n).map((i) => candidates[i]!);
    const damaged: JsonValue[] = chosen.map((name) => damage(context.device(name), spec, context));
    return { effect: { field: spec.field, damaged } };
  },
};

const HEADER_CHECKSUM_BYTES = 4;
const HEADER_MAGIC_OFFSET = 4;
const HEADER_MAGIC_BYTES = 16;

function damage(
  device: FaultyDevice,
  spec: {
    readonly field: "magic" | "checksum" | "text";
    readonly mdaIndex: number;
    readonly mdaOffsetBytes?: number | undefined;
  },
  context: FaultContext,
): JsonValue {
  const mdaOffsetBytes = mdaOffsetOf(device, spec, context);
  const media = device.inner;
  const issueNs = context.firedAt.tNs;
  const header = new Uint8Array(MDA_HEADER_BYTES);
  media.read(mdaOffsetBytes, header, { issueNs });
  let byteOffset: number;
  if (spec.field === "checksum") byteOffset = mdaOffsetBytes + context.random.int(HEADER_CHECKSUM_BYTES);
  else if (spec.field === "magic")
    byteOffset = mdaOffsetBytes + HEADER_MAGIC_OFFSET + context.random.int(HEADER_MAGIC_BYTES);
  else byteOffset = textByteOffset(device.name, mdaOffsetBytes, header, context);
  const bit = context.random.int(8);
  const sectorOffset = byteOffset - (byteOffset % SECTOR_BYTES);
  const sector = new Uint8Array(SECTOR_BYTES);
  media.read(sectorOffset, sector, { issueNs });
  sector[byteOffset - sectorOffset]! ^= 1 << bit;
  media.write(sectorOffset, sector, { issueNs, fua: true });
  return { device: device.name, mdaOffsetBytes, byteOffset, bit };
}

function mdaOffsetOf(
  device: FaultyDevice,
  spec: { readonly mdaIndex: number; readonly mdaOffsetBytes?: number | undefined },
  context: FaultContext,
): number {
  if (spec.mdaOffsetBytes !== undefined) return spec.mdaOffsetBytes;
  const located = context.locateMdas(device);
  if (located !== undefined) {
    const mda = located[spec.mdaIndex];
    if (mda === undefined) {
      throw new RangeError(
        `Fault ${context.label} wants mda ${spec.mdaIndex} on ${device.name}, which has ${located.length} metadata area(s)`,
      );
    }
    return mda.offsetBytes;
  }
  if (spec.mdaIndex === 0) return 4096;
  throw new RangeError(
    `Fault ${context.label} cannot locate mda ${spec.mdaIndex} on ${device.name}: set mdaOffsetBytes or give the injector an mda locator`,
  );
}

// A byte of the committed text (slot 0), excluding its trailing NUL, following the wrap.
function textByteOffset(
  deviceName: string,
  mdaOffsetBytes: number,
  headerBytes: Uint8Array,
  context: FaultContext,
): number {
  const { header } = parseMdaHeader(headerBytes, { device: deviceName, expectedStartBytes: mdaOffsetBytes });
  const text = header.committed;
  if (text.sizeBytes < 2 || text.offsetBytes < MDA_HEADER_BYTES || text.offsetBytes >= header.sizeBytes) {
    throw new RangeError(
      `Fault ${context.label} found no committed metadata text on ${deviceName} (mda at ${mdaOffsetBytes}: ` +
        `slot 0 offset ${text.offsetBytes}, size ${text.sizeBytes}, mda size ${header.sizeBytes}); fire it after the VG is written`,
    );
  }
  const logical = text.offsetBytes + context.random.int(text.sizeBytes - 1);
  const physical = logical < header.sizeBytes ? logical : MDA_HEADER_BYTES + (logical - header.sizeBytes);
  return mdaOffsetBytes + physical;
}
