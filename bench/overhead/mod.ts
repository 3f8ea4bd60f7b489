/**
 * The macro overhead benchmark (`lvmlab bench overhead`): mirror, snapshot, striped and pvmove
 * cost against linear, modeled from the device timing models, one `bench` record per sample.
 */

export { LatencyTap } from "./latency-tap.js";
export {
  buildLayout,
  CONFIGS,
  type ConfigDef,
  configByName,
  type Layout,
  type LayoutOptions,
  type LayoutSpec,
  LINEAR_CONFIG,
  LV_SIZE_QUANTUM_BYTES,
  prefill,
  REGION_BYTES,
  SHARED_BUS_FACTOR,
  STRIPE_BYTES,
} from "./layouts.js";
export { type OverheadNdjsonOptions, overheadMeta, overheadNdjson, writeOverheadNdjson } from "./ndjson.js";
export {
  describeBuiltinProfile,
  FULL_PLAN,
  MAX_REPETITIONS,
  MAX_SAMPLES,
  MAX_SEEDS,
  type OverheadPlan,
  parseList,
  parseProfiles,
  parseSeeds,
  planSamples,
  QUICK_PLAN,
  REALDM_PLAN,
  validatePlan,
} from "./plan.js";
export { type OverheadQuickOptions, runOverheadQuick } from "./quick.js";
export {
  REAL_LV_QUANTUM_BYTES,
  type RealBenchPlan,
  RealBenchUnsupportedError,
  realBenchPlan,
  throttledProfileSpec,
} from "./real-cells.js";
export {
  compareWithReference,
  REALDM_NOT_MODELLED,
  REALDM_REFERENCE,
  REFERENCE_TOLERANCE,
  type ReferenceComparison,
  type ReferenceFigure,
  referenceMarkdown,
} from "./reference.js";
export {
  type CellKey,
  type OverheadRecord,
  type RunOverheadOptions,
  runCell,
  runOrder,
  runOverhead,
  sampleRng,
} from "./run.js";
export {
  MAX_IOS_PER_CELL,
  type OverheadJobOptions,
  type OverheadWorkload,
  overheadJob,
  overheadJobs,
  WORKLOADS,
  workloadByName,
  workloadReads,
} from "./workloads.js";
