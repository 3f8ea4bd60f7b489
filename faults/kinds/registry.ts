import type { FaultKindName } from "../schema.js";
import { bitRot } from "./bit-rot.js";
import type { FaultKind } from "./context.js";
import { cowExhaustion } from "./cow-exhaustion.js";
import { flakey } from "./flakey.js";
import { latentSectorErrors } from "./latent-sector-errors.js";
import { metadataCorruption } from "./metadata-corruption.js";
import { misdirectedWrite } from "./misdirected-write.js";
import { powerCut } from "./power-cut.js";
import { pvLoss } from "./pv-loss.js";
import { slowDevice } from "./slow-device.js";
import { syncStall } from "./sync-stall.js";
import { thinMetadataCorruption } from "./thin-metadata-corruption.js";
import { thinMetadataExhaustion } from "./thin-metadata-exhaustion.js";
import { tornWrite } from "./torn-write.js";

/** Every fault kind's implementation, by name; the type makes a missing kind a compile error. */
export const FAULT_KINDS: { readonly [K in FaultKindName]: FaultKind<K> } = {
  "pv-loss": pvLoss,
  "power-cut": powerCut,
  "torn-write": tornWrite,
  "sync-stall": syncStall,
  "slow-device": slowDevice,
  "latent-sector-errors": latentSectorErrors,
  "bit-rot": bitRot,
  "misdirected-write": misdirectedWrite,
  "metadata-corruption": metadataCorruption,
  "cow-exhaustion": cowExhaustion,
  flakey,
  "thin-metadata-corruption": thinMetadataCorruption,
  "thin-metadata-exhaustion": thinMetadataExhaustion,
};
