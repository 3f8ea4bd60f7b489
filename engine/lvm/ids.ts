/** New PV, VG and LV ids, drawn from the host's seeded stream so a run replays byte for byte. */
import { formatUuid, generateUuid } from "../format/uuid.js";
import type { Host } from "./host.js";

/** A fresh 32-character id. */
export function newRawUuid(host: Host): string {
  return generateUuid(() => host.ids.next());
}

/** A fresh 38-character dashed id, as metadata stores it. */
export function newUuid(host: Host): string {
  return formatUuid(newRawUuid(host));
}
