/** Fault injection: the catalogue, schemas, triggers, device wrappers, kinds and the injector. */

export { type BackgroundHandle, type StallableDriver, stallableDriver } from "./adapters.js";
export {
  type CatalogueEntry,
  type CatalogueParam,
  COMMON_PARAMS,
  FAULT_CATALOGUE,
  formatCatalogue,
  formatCatalogueMarkdown,
} from "./catalogue.js";
export { type ArmedFault, FaultInjector, type FaultInjectorOptions } from "./compose.js";
export {
  type DeviceEffect,
  EffectStage,
  FaultyDevice,
  type IoRequest,
  type WriteAction,
} from "./device-wrapper.js";
export type { Activation, FaultContext, FaultKind } from "./kinds/context.js";
export { LATENT_NEVER_HEALS } from "./kinds/latent-sector-errors.js";
export {
  type PowerCutOutcome,
  type PowerCutPlan,
  resolvePolicy,
  resolvePowerCut,
} from "./kinds/power-cut.js";
export { missingDeviceEffect } from "./kinds/pv-loss.js";
export { FAULT_KINDS } from "./kinds/registry.js";
export { locateMdasFromLabel } from "./mda-locator.js";
export { rootSeedOf, sampleDistinct } from "./random.js";
export {
  type AnyFaultRecord,
  ArrayFaultSink,
  buildFaultRecord,
  type FaultClearedRecord,
  type FaultRecord,
  type FaultSink,
  ndjsonFaultSink,
  parseFaultRecordLine,
  specFromRecord,
} from "./record.js";
export {
  FAULT_KIND_NAMES,
  type FaultKindName,
  type FaultSpec,
  FaultSpecError,
  type FaultSpecInput,
  parseFaultSpec,
  parseFaultSpecs,
  type Trigger,
  type Window,
} from "./schema.js";
export type {
  CowSpace,
  CrashPolicy,
  FillableSnapshot,
  MdaLocation,
  MdaLocator,
  PowerCuttable,
  Throttleable,
} from "./targets.js";
export {
  FaultBus,
  type FiredAt,
  MUTATION_TRIGGER_ONE_LATE,
  type TappedWrite,
  TRIGGER_COUNTS_OTHER_DEVICES,
  TRIGGER_ONE_LATE,
  WriteTap,
} from "./trigger.js";
