/**
 * `lvmlab real`: scenarios on real LVM2 and the real kernel's device-mapper in a throw-away QEMU
 * guest (Debian's cloud kernel, LVM2 2.03.16, fio), diffed against the model's run of the same
 * scenario and seed. Sits at the scenarios level: it imports scenarios and the engine, never the
 * other way round.
 */
export { type DiskThrottle, type GuestBenchRun, runGuestBench } from "./bench-run.js";
export { GuestBenchError, type GuestBenchPlan, type GuestBenchResult } from "./bench-script.js";
export { realCacheDir, realCachePaths } from "./cache.js";
export { runRealCli } from "./cli-run.js";
export { type Difference, diffRuns, type RealObserved } from "./diff.js";
export { DirectHost, directModeRefusal, guestDirectScript, thisHost } from "./direct.js";
export { FAULT_KIND_TRANSLATIONS, translateDeviceFault } from "./fault-translation.js";
export { type GuestPlan, translateScenario, UntranslatableError } from "./guest-script.js";
export { asQemuPowerCuts, type ModelResult, runModel } from "./model-run.js";
export { bootGuest, chooseAccel } from "./qemu.js";
export { type RealRunResult, realRunRecords, runReal } from "./run.js";
export { findQemu, type RealSetup, RealSetupError, readRealSetup, realSetup } from "./setup.js";
export { parseTranscript, type Transcript } from "./transcript.js";
