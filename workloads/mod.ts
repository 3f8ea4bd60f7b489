/**
 * Workloads: fio-like job specs and job files, offset and block-size generators, verify headers,
 * the shadow-model oracle, the job engine and fio-style output.
 */

export type { BlockSizeChooser, IndexSampler } from "./distributions.js";
export { createBlockSizeChooser, createIndexSampler } from "./distributions.js";
export type { FioJobFile, IniOption, IniSection } from "./fio-ini.js";
export {
  FioSyntaxError,
  formatFioJobFile,
  jobsFromFioFile,
  PASSTHROUGH_OPTIONS,
  parseFioIni,
} from "./fio-ini.js";
export {
  formatFioJson,
  formatFioNormal,
  formatVerifyFailure,
  LVMLAB_FIO_VERSION,
  num2str,
} from "./fio-output.js";
export type {
  BlockSizeSpec,
  Direction,
  JobInput,
  JobSpec,
  PerDirection,
  RandomDistribution,
  RwMode,
  SizeOrPercent,
  VerifyKind,
} from "./job-spec.js";
export {
  DIRECTIONS,
  defineJob,
  isRandom,
  isTrimWrite,
  JobSpecError,
  maxBlockBytes,
  minBlockBytes,
  RW_MODES,
  writesData,
} from "./job-spec.js";
export type { CpuTime, DirectionStats, LatencySummary } from "./measure.js";
export { LatencyRecorder, startCpuMeasurement, writeAmplification } from "./measure.js";
export type { JobRegion, Placement } from "./offsets.js";
export { OffsetGenerator, resolveRegion } from "./offsets.js";
export type { LvRegistration, VerifyExample, VerifyOptions, VerifyReport } from "./oracle.js";
export {
  MUTATION_ORACLE_ACK_IS_DURABLE,
  MUTATION_ORACLE_ZEROS_ALWAYS_ALLOWED,
  ShadowOracle,
} from "./oracle.js";
export { FeistelPermutation } from "./permutation.js";
export type { WorkloadRng } from "./random-source.js";
export type { JobResult, JobVerifyResult, RunJobsOptions, RunResult, VerifyFailure } from "./runner.js";
export { runJobs } from "./runner.js";
export type { KbBase } from "./units.js";
export { parseSizeBytes, parseTimeNs } from "./units.js";
export type {
  BlockCheck,
  BlockExpectation,
  BlockIdentity,
  Classification,
  HeaderVerifyKind,
  SectorRun,
  VerifyHeader,
} from "./verify-header.js";
export {
  CLASSIFICATIONS,
  checkBlock,
  fillBlock,
  HEADER_BYTES,
  readHeader,
} from "./verify-header.js";
