/**
 * The job engine: runs fio jobs against BlockDevices in virtual time.
 *
 * Each job keeps up to `iodepth` requests in flight. A request is issued at the job's current
 * virtual time; the device's return value is its completion time, and requests issued together
 * wait in the device's own queues. A completion frees a slot and the job issues the next request
 * at that instant, subject to `rate`/`rate_iops` (linear pacing from the job's start). Every
 * `fsync=N` writes the job stops issuing, waits for its in-flight writes, then flushes (fio
 * quiesces before a sync too). `verify_backlog=N` reads back and checks the last N written blocks
 * the same way. At the end a verifying job reads back every block it wrote.
 *
 * Trims (`rw=trim|randtrim|trimwrite|randtrimwrite`) are discards of the LV's device, queued and
 * timed like reads and writes. A trim waits until no queued write to its device is in flight, so
 * a discard never overtakes a write the target has not applied yet. On an LV the oracle tracks, the
 * oracle hears of a trim as a scenario's `discard` phase tells it: the range may read as its old
 * data or zeros from the moment the trim is issued, and units a thin pool unmaps whole read as
 * zeros once the next flush commits.
 *
 * Jobs run concurrently; `stonewall` starts a new group after every earlier job has finished.
 * Writes to an LV the oracle tracks carry verify headers and go through the oracle's
 * issue/ack/flush protocol, so a crash (a SimulationHalt thrown from inside a device call)
 * leaves the oracle exactly as the device was left.
 */

import type { BlockDevice, IoStats } from "../engine/block/device.js";
import { isBlockDeviceError } from "../engine/block/errors.js";
import { canQueueWrites } from "../engine/block/queued.js";
import { discardUnmapUnitBytes } from "../engine/lvm/mod.js";
import { Scheduler } from "../engine/sim/scheduler.js";
import type { BlockSizeChooser } from "./distributions.js";
import { createBlockSizeChooser } from "./distributions.js";
import type { Direction, JobSpec } from "./job-spec.js";
import { isTrimWrite, maxBlockBytes, minBlockBytes, writesData } from "./job-spec.js";
import type { CpuTime, DirectionStats, LatencySummary } from "./measure.js";
import { LatencyRecorder, startCpuMeasurement, writeAmplification } from "./measure.js";
import { OffsetGenerator, type Placement, resolveRegion } from "./offsets.js";
import type { VerifyExample } from "./oracle.js";
import { ShadowOracle } from "./oracle.js";
import { payloadPool } from "./payload.js";
import type { WorkloadRng } from "./random-source.js";
import { forkLabel } from "./random-source.js";
import type { Classification, HeaderVerifyKind } from "./verify-header.js";
import { CLASSIFICATIONS, fillBlock } from "./verify-header.js";

/** Default cap on I/Os one job may issue; a job that would go on forever is a bug. */
const DEFAULT_MAX_IOS_PER_JOB = 10_000_000;
/** Most verify failures kept per job for the report. */
const MAX_FAILURES_PER_JOB = 32;
/** Most jobs (after numjobs expansion) in one run. */
const MAX_JOBS = 4096;

/** Options of {@link runJobs}. */
export interface RunJobsOptions {
  /** The workload stream; each job forks "workload" / its name / its clone index. */
  readonly rng: WorkloadRng;
  /** Shadow model to record writes in; one is created when a job verifies and none is given. */
  readonly oracle?: ShadowOracle;
  /** Shared virtual clock; a private one starting at `startNs` otherwise. */
  readonly scheduler?: Scheduler;
  readonly startNs?: number;
  /** LV id per target (default: its index). */
  readonly lvIds?: readonly number[];
  /** PV devices under the targets, for device-level write amplification. */
  readonly pvs?: readonly BlockDevice[];
  readonly maxIosPerJob?: number;
}

/** One verify failure, with what fio would print. */
export interface VerifyFailure extends VerifyExample {
  readonly job: string;
  readonly file: string;
  /** The request the block was part of. */
  readonly requestOffsetBytes: number;
  readonly requestLengthBytes: number;
}

/** Verification outcome of one job. */
export interface JobVerifyResult {
  readonly kind: HeaderVerifyKind | "none";
  readonly blocksChecked: number;
  readonly counts: Readonly<Record<Classification, number>>;
  readonly failed: number;
  readonly failures: readonly VerifyFailure[];
}

/** Results of one job (one numjobs clone). */
export interface JobResult {
  readonly name: string;
  readonly cloneIndex: number;
  readonly groupId: number;
  readonly spec: JobSpec;
  readonly file: string;
  readonly startNs: number;
  readonly endNs: number;
  readonly runtimeNs: number;
  readonly read: DirectionStats;
  readonly write: DirectionStats;
  /** Trims (discards) the job issued; all zero unless its mode trims. */
  readonly trim: DirectionStats;
  readonly sync: { readonly ios: number; readonly latency: LatencySummary };
  readonly fuaWrites: number;
  readonly verify: JobVerifyResult;
  /** First device error that stopped the job (fio's err=). */
  readonly error?: { readonly code: string; readonly message: string };
  /** I/Os issued per queue depth level reached at issue time (fio's "IO depths"). */
  readonly depthHistogram: readonly number[];
}

/** Results of a whole run. */
export interface RunResult {
  readonly jobs: readonly JobResult[];
  readonly groups: readonly { readonly groupId: number; readonly startNs: number; readonly endNs: number }[];
  readonly startNs: number;
  readonly endNs: number;
  /** PV bytes written ÷ job bytes written, when PVs were given and jobs wrote. */
  readonly writeAmplification?: number;
  readonly pvBytesWritten?: number;
  /** Engine CPU time measured on this machine (measured, not modelled). */
  readonly cpu: CpuTime;
  /** Total verify failures across jobs; a CLI exits non-zero when this is above 0. */
  readonly verifyFailures: number;
}

interface Target {
  readonly device: BlockDevice;
  readonly lvId: number;
}

/**
 * Queued writes in flight per device, across every job of a run: a trim waits until its device has
 * none, then the waiting jobs are woken.
 */
class QueuedWrites {
  readonly #inflight = new Map<BlockDevice, number>();
  readonly #waiters = new Map<BlockDevice, (() => void)[]>();

  busy(device: BlockDevice): boolean {
    return (this.#inflight.get(device) ?? 0) > 0;
  }

  begin(device: BlockDevice): void {
    this.#inflight.set(device, (this.#inflight.get(device) ?? 0) + 1);
  }

  end(device: BlockDevice): void {
    const left = (this.#inflight.get(device) ?? 0) - 1;
    if (left < 0) throw new Error(`Queued write count of ${device.name} went below zero`);
    this.#inflight.set(device, left);
    if (left > 0) return;
    const waiters = this.#waiters.get(device) ?? [];
    this.#waiters.delete(device);
    for (const wake of waiters) wake();
  }

  /** Call `wake` once the device has no queued write in flight. */
  whenIdle(device: BlockDevice, wake: () => void): void {
    const waiters = this.#waiters.get(device) ?? [];
    waiters.push(wake);
    this.#waiters.set(device, waiters);
  }
}

interface Op {
  readonly direction: Direction;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly fua: boolean;
}

const DEPTH_LEVELS = [1, 2, 4, 8, 16, 32, 64] as const;

function depthLevel(depth: number): number {
  let level = 0;
  while (level < DEPTH_LEVELS.length - 1 && depth >= DEPTH_LEVELS[level + 1]!) level += 1;
  return level;
}

class JobRun {
  readonly recorders: Record<Direction, LatencyRecorder> = {
    read: new LatencyRecorder(),
    write: new LatencyRecorder(),
    trim: new LatencyRecorder(),
  };
  readonly syncRecorder = new LatencyRecorder();
  readonly depthHistogram: number[] = new Array(DEPTH_LEVELS.length).fill(0);
  readonly counts: Record<Classification, number> = Object.fromEntries(
    CLASSIFICATIONS.map((c) => [c, 0]),
  ) as Record<Classification, number>;
  readonly failures: VerifyFailure[] = [];
  readonly #written = new Set<number>();
  #backlog: number[] = [];
  readonly #offsets: OffsetGenerator;
  readonly #bs: Record<Direction, BlockSizeChooser>;
  readonly #rng: WorkloadRng;
  readonly #buffer: Uint8Array;
  readonly #unitBytes: number;
  readonly #tracked: boolean;
  readonly #totalBytes: number;
  /** I/Os the job itself asks for (number_ios, twice over in trimwrite modes). */
  readonly #ownIos: number;
  readonly #maxIos: number;
  readonly #queued: QueuedWrites;
  #startNs = 0;
  endNs = 0;
  #issuedIos = 0;
  #issuedBytes = 0;
  readonly #issuedPerDir: Record<Direction, { ios: number; bytes: number }> = {
    read: { ios: 0, bytes: 0 },
    write: { ios: 0, bytes: 0 },
    trim: { ios: 0, bytes: 0 },
  };
  /** trimwrite/randtrimwrite: the trim just chosen, whose write comes next (fio alternates them). */
  #trimAwaitingWrite: Placement | undefined;
  #waitingForQueue = false;
  #inflight = 0;
  #writesSinceSync = 0;
  #syncing = false;
  #waiting = false;
  #pendingOp: Op | undefined;
  #stopped = false;
  #finished = false;
  fuaWrites = 0;
  error: { code: string; message: string } | undefined;
  onFinish: (() => void) | undefined;

  constructor(
    readonly spec: JobSpec,
    readonly cloneIndex: number,
    readonly groupId: number,
    readonly target: Target,
    readonly scheduler: Scheduler,
    readonly oracle: ShadowOracle | undefined,
    options: { rng: WorkloadRng; maxIos: number; queued: QueuedWrites },
  ) {
    this.#queued = options.queued;
    this.#rng = options.rng;
    this.#tracked = oracle?.has(target.lvId) === true;
    this.#unitBytes = this.#tracked ? oracle!.registration(target.lvId).blockBytes : minBlockBytes(spec);
    const region = resolveRegion(spec, target.device.sizeBytes, minBlockBytes(spec));
    if (
      this.#tracked &&
      (region.startBytes % this.#unitBytes !== 0 || minBlockBytes(spec) % this.#unitBytes !== 0)
    ) {
      throw new RangeError(
        `Job "${spec.name}": blocks of ${minBlockBytes(spec)} bytes at ${region.startBytes} do not align to the ` +
          `${this.#unitBytes}-byte verify unit of ${target.device.name}; use the same verify_interval on every job of an LV`,
      );
    }
    this.#offsets = new OffsetGenerator(spec, region, { rng: this.#rng.fork("offsets") });
    this.#bs = {
      read: createBlockSizeChooser(spec.bs.read, { rng: this.#rng.fork("bs-read") }),
      write: createBlockSizeChooser(spec.bs.write, { rng: this.#rng.fork("bs-write") }),
      trim: createBlockSizeChooser(spec.bs.trim, { rng: this.#rng.fork("bs-trim") }),
    };
    this.#buffer = new Uint8Array(maxBlockBytes(spec));
    // Untracked writes still carry non-zero data; a seed-derived pool slice costs one copy.
    const pool = payloadPool(0);
    for (let at = 0; at < this.#buffer.length; at += pool.length) {
      this.#buffer.set(pool.subarray(0, Math.min(pool.length, this.#buffer.length - at)), at);
    }
    const regionIo = region.lengthBytes * spec.loops;
    // fio (backend.c): in trimwrite modes every byte is trimmed and then written, so the job may
    // move twice its size and issue twice number_ios.
    const pairs = isTrimWrite(spec.rw) ? 2 : 1;
    this.#totalBytes = spec.timeBased ? Number.POSITIVE_INFINITY : (spec.ioSizeBytes ?? regionIo) * pairs;
    this.#ownIos = (spec.numberIos ?? Number.POSITIVE_INFINITY) * pairs;
    this.#maxIos = Math.min(this.#ownIos, options.maxIos);
  }

  get startNs(): number {
    return this.#startNs;
  }

  start(atNs: number): void {
    this.#startNs = atNs;
    this.endNs = atNs;
    this.scheduler.at(atNs, (now) => this.#pump(now), `job ${this.spec.name} start`);
  }

  #limitReached(now: number): boolean {
    if (this.#stopped) return true;
    if (this.#issuedBytes >= this.#totalBytes) return true;
    if (this.#issuedIos >= this.#maxIos) {
      // Only the safety cap, not the job's own number_ios, is worth an error.
      if (this.#maxIos < this.#ownIos) {
        this.error ??= {
          code: "ELIMIT",
          message: `job issued ${this.#maxIos} I/Os, the per-job cap; set number_ios, size or runtime`,
        };
      }
      return true;
    }
    if (this.spec.runtimeNs !== undefined && now >= this.#startNs + this.spec.runtimeNs) return true;
    return false;
  }

  #chooseOp(): Op {
    const rw = this.spec.rw;
    let direction: Direction;
    if (rw === "read" || rw === "randread") direction = "read";
    else if (rw === "write" || rw === "randwrite") direction = "write";
    else if (rw === "trim" || rw === "randtrim") direction = "trim";
    else if (isTrimWrite(rw)) direction = this.#trimAwaitingWrite === undefined ? "trim" : "write";
    else direction = this.#rng.next() * 100 < this.spec.rwmixread ? "read" : "write";
    const trimmed = this.#trimAwaitingWrite;
    let placement: Placement;
    if (direction === "write" && trimmed !== undefined && rw === "randtrimwrite") {
      // fio 3.33 (io_u.c): randtrimwrite writes exactly the range it just trimmed.
      placement = trimmed;
    } else {
      const wanted = this.#bs[direction]();
      const remaining = this.#totalBytes - this.#issuedBytes;
      const clipped = Math.max(
        this.#unitBytes,
        Math.min(wanted, Math.floor(remaining / this.#unitBytes) * this.#unitBytes),
      );
      placement = this.#offsets.next(direction, clipped);
    }
    if (isTrimWrite(rw)) this.#trimAwaitingWrite = direction === "trim" ? placement : undefined;
    const fua =
      direction === "write" &&
      this.spec.fuaPercentage > 0 &&
      this.#rng.next() * 100 < this.spec.fuaPercentage;
    return { direction, offsetBytes: placement.offsetBytes, lengthBytes: placement.lengthBytes, fua };
  }

  #rateDelayUntil(op: Op): number {
    const dir = op.direction;
    let until = 0;
    const bytesRate = this.spec.rateBytesPerSec[dir];
    if (bytesRate > 0)
      until = Math.max(until, this.#startNs + (this.#issuedPerDir[dir].bytes / bytesRate) * 1e9);
    const iopsRate = this.spec.rateIops[dir];
    if (iopsRate > 0) until = Math.max(until, this.#startNs + (this.#issuedPerDir[dir].ios / iopsRate) * 1e9);
    return Math.ceil(until);
  }

  #syncEvery(): number {
    const { fsync, fdatasync } = this.spec;
    if (fsync > 0 && fdatasync > 0) return Math.min(fsync, fdatasync);
    return fsync > 0 ? fsync : fdatasync;
  }

  #pump(now: number): void {
    this.#waiting = false;
    if (this.#finished || this.#syncing) return;
    for (let guard = 0; guard <= this.spec.iodepth; guard++) {
      if (this.#needsQuiesce()) {
        if (this.#inflight === 0) this.#quiescedWork(now);
        return;
      }
      if (this.#inflight >= this.spec.iodepth) return;
      if (this.#limitReached(now)) {
        this.#pendingOp = undefined;
        if (this.#inflight === 0) this.#finish(now);
        return;
      }
      const op = this.#pendingOp ?? this.#chooseOp();
      const notBefore = this.#rateDelayUntil(op);
      if (notBefore > now) {
        this.#pendingOp = op;
        if (!this.#waiting) {
          this.#waiting = true;
          this.scheduler.at(notBefore, (t) => this.#pump(t), `job ${this.spec.name} rate`);
        }
        return;
      }
      if (op.direction === "trim" && this.#queued.busy(this.target.device)) {
        this.#pendingOp = op;
        if (!this.#waitingForQueue) {
          this.#waitingForQueue = true;
          this.#queued.whenIdle(this.target.device, () =>
            this.scheduler.at(
              this.scheduler.nowNs,
              (t) => {
                this.#waitingForQueue = false;
                this.#pump(t);
              },
              `job ${this.spec.name} trim`,
            ),
          );
        }
        return;
      }
      this.#pendingOp = undefined;
      this.#issue(op, now);
      if (this.#stopped && this.#inflight === 0) {
        this.#finish(now);
        return;
      }
    }
  }

  #needsQuiesce(): boolean {
    const every = this.#syncEvery();
    if (every > 0 && this.#writesSinceSync >= every) return true;
    return this.spec.verifyBacklog > 0 && this.#backlog.length >= this.spec.verifyBacklog;
  }

  #quiescedWork(now: number): void {
    const every = this.#syncEvery();
    if (every > 0 && this.#writesSinceSync >= every) {
      this.#writesSinceSync = 0;
      this.#flush(now, () => this.#pump(this.scheduler.nowNs));
      return;
    }
    const done = this.#verifyBacklog(now);
    this.scheduler.at(done, (t) => this.#pump(t), `job ${this.spec.name} backlog verified`);
  }

  #flush(now: number, then: () => void): void {
    this.#syncing = true;
    let done: number;
    try {
      done = this.target.device.flush({ issueNs: now });
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      this.#fail(error.code, error.message);
      done = now;
    }
    this.scheduler.at(
      done,
      (t) => {
        this.#syncing = false;
        if (this.error === undefined) {
          this.syncRecorder.record(t - now, 0);
          if (this.#tracked) this.oracle!.flush(this.target.lvId);
        }
        then();
      },
      `job ${this.spec.name} flush`,
    );
  }

  #fail(code: string, message: string): void {
    this.error ??= { code, message };
    this.#stopped = true;
  }

  #issue(op: Op, now: number): void {
    const { device, lvId } = this.target;
    const data = this.#buffer.subarray(0, op.lengthBytes);
    this.depthHistogram[depthLevel(this.#inflight + 1)]! += 1;
    this.#issuedIos += 1;
    this.#issuedBytes += op.lengthBytes;
    this.#issuedPerDir[op.direction].ios += 1;
    this.#issuedPerDir[op.direction].bytes += op.lengthBytes;
    // fio counts fsync=N against writes issued, then quiesces before the sync.
    if (op.direction === "write") this.#writesSinceSync += 1;
    let generation = 0;
    let completion: number;
    try {
      if (op.direction === "write") {
        if (this.#tracked) {
          const oracle = this.oracle!;
          const reg = oracle.registration(lvId);
          generation = oracle.nextGeneration();
          for (let at = 0; at < op.lengthBytes; at += this.#unitBytes) {
            fillBlock(data.subarray(at, at + this.#unitBytes), {
              lvId,
              offsetBytes: op.offsetBytes + at,
              generation,
              seed: reg.seed,
              verify: reg.verify,
              ...(reg.pattern === undefined ? {} : { pattern: reg.pattern }),
            });
          }
          oracle.issueWrite(lvId, op.offsetBytes, op.lengthBytes, generation);
        }
        if (canQueueWrites(device)) {
          // The target's worker batches this write with the others queued in its pass.
          this.#inflight += 1;
          this.#queued.begin(device);
          const writeGeneration = generation;
          try {
            device.submitWrite(op.offsetBytes, data, { issueNs: now, fua: op.fua }, (done) => {
              this.#queued.end(device);
              if (done.error !== undefined) {
                this.#inflight -= 1;
                this.#fail(done.error.code, done.error.message);
                if (this.#inflight === 0) this.#finish(done.completeNs);
                return;
              }
              this.#complete(op, now, done.completeNs, writeGeneration);
            });
          } catch (error) {
            // Refused at submission: nothing is in flight.
            this.#queued.end(device);
            this.#inflight -= 1;
            throw error;
          }
          return;
        }
        completion = device.write(op.offsetBytes, data, { issueNs: now, fua: op.fua });
      } else if (op.direction === "trim") {
        completion = this.#trim(op, now);
      } else {
        completion = device.read(op.offsetBytes, data, { issueNs: now });
        if (this.#tracked && this.spec.verify !== "none") this.#checkRead(op, data);
      }
    } catch (error) {
      if (!isBlockDeviceError(error)) throw error;
      // fio names the trim that failed (io_u error … trim offset=…); the device says why.
      const message =
        op.direction === "trim"
          ? `trim of ${op.lengthBytes} bytes at ${op.offsetBytes} on ${device.name} failed: ${error.message}`
          : error.message;
      this.#fail(error.code, message);
      return;
    }
    if (!(completion >= now)) {
      throw new Error(
        `Device ${device.name} completed a request at ${completion} ns, before its issue at ${now} ns`,
      );
    }
    this.#inflight += 1;
    this.scheduler.at(completion, (t) => this.#complete(op, now, t, generation), `job ${this.spec.name} io`);
  }

  /** A discard of the op's range; the oracle hears of it as `runDiscard` in scenarios/executor.ts tells it. */
  #trim(op: Op, now: number): number {
    const { device, lvId } = this.target;
    const oracle = this.#tracked ? this.oracle! : undefined;
    // From its issue on the range may read as old data or zeros, even if the power fails mid-way.
    oracle?.discard(lvId, op.offsetBytes, op.lengthBytes);
    const done = device.discard(op.offsetBytes, op.lengthBytes, { issueNs: now });
    if (oracle === undefined) return done;
    const unmapUnitBytes = discardUnmapUnitBytes(device);
    if (unmapUnitBytes !== undefined && unmapUnitBytes % this.#unitBytes === 0) {
      oracle.discard(lvId, op.offsetBytes, op.lengthBytes, { unmapUnitBytes });
    }
    // fio drops trimmed blocks from its verify list: what they read now is the oracle's to judge.
    const first = op.offsetBytes / this.#unitBytes;
    const last = (op.offsetBytes + op.lengthBytes) / this.#unitBytes;
    for (let block = first; block < last; block++) this.#written.delete(block);
    if (this.#backlog.length > 0) this.#backlog = this.#backlog.filter((b) => b < first || b >= last);
    return done;
  }

  #checkRead(op: Op, data: Uint8Array): void {
    const oracle = this.oracle!;
    const tally = oracle.checkBuffer(this.target.lvId, op.offsetBytes, data, {
      mode: "latest",
      onlyWritten: true,
      maxExamples: MAX_FAILURES_PER_JOB,
    });
    this.#addTally(tally, op);
  }

  #addTally(
    tally: { counts: Record<Classification, number>; examples: readonly VerifyExample[] },
    op: { offsetBytes: number; lengthBytes: number } | undefined,
  ): void {
    for (const c of CLASSIFICATIONS) this.counts[c] += tally.counts[c];
    for (const example of tally.examples) {
      if (this.failures.length >= MAX_FAILURES_PER_JOB) break;
      this.failures.push({
        ...example,
        job: this.spec.name,
        file: this.target.device.name,
        requestOffsetBytes: op?.offsetBytes ?? example.offsetBytes,
        requestLengthBytes: op?.lengthBytes ?? example.lengthBytes,
      });
    }
    const failed = CLASSIFICATIONS.reduce((sum, c) => sum + (c === "ok" ? 0 : tally.counts[c]), 0);
    if (failed > 0 && this.spec.verifyFatal) this.#fail("EILSEQ", "verify failed and verify_fatal is set");
  }

  #complete(op: Op, issuedNs: number, now: number, generation: number): void {
    this.#inflight -= 1;
    this.recorders[op.direction].record(now - issuedNs, op.lengthBytes);
    this.endNs = Math.max(this.endNs, now);
    if (op.direction === "write") {
      if (op.fua) this.fuaWrites += 1;
      if (this.#tracked) {
        this.oracle!.ackWrite(this.target.lvId, op.offsetBytes, op.lengthBytes, { generation, fua: op.fua });
        for (let at = 0; at < op.lengthBytes; at += this.#unitBytes) {
          const block = (op.offsetBytes + at) / this.#unitBytes;
          this.#written.add(block);
          if (this.spec.verifyBacklog > 0 && this.spec.verify !== "none") this.#backlog.push(block);
        }
      }
    }
    this.#pump(now);
  }

  #verifyBacklog(now: number): number {
    const blocks = [...new Set(this.#backlog)].sort((a, b) => a - b);
    this.#backlog = [];
    return this.#verifyBlocks(blocks, now);
  }

  #verifyBlocks(blocks: readonly number[], now: number): number {
    if (blocks.length === 0 || !this.#tracked || this.spec.verify === "none") return now;
    const report = this.oracle!.verifyDevice(this.target.device, this.target.lvId, {
      mode: "latest",
      blocks,
      issueNs: now,
      maxExamples: MAX_FAILURES_PER_JOB,
    });
    this.#addTally(report, undefined);
    return Math.max(now, report.completionNs);
  }

  #finish(now: number): void {
    if (this.#finished) return;
    this.#finished = true;
    this.endNs = Math.max(this.endNs, now);
    const verifyAll = (t: number): void => {
      const blocks = this.spec.doVerify ? [...this.#written].sort((a, b) => a - b) : [];
      // The verify phase is not part of the job's run time, as in fio.
      const done = this.error === undefined ? this.#verifyBlocks(blocks, t) : t;
      this.scheduler.at(done, () => this.onFinish?.(), `job ${this.spec.name} done`);
    };
    if (this.spec.endFsync && this.error === undefined && writesData(this.spec.rw)) {
      this.#flush(now, () => {
        this.endNs = Math.max(this.endNs, this.scheduler.nowNs);
        verifyAll(this.scheduler.nowNs);
      });
    } else {
      verifyAll(now);
    }
  }

  result(): JobResult {
    const runtimeNs = Math.max(0, this.endNs - this.#startNs);
    const failed = CLASSIFICATIONS.reduce((sum, c) => sum + (c === "ok" ? 0 : this.counts[c]), 0);
    const checked = CLASSIFICATIONS.reduce((sum, c) => sum + this.counts[c], 0);
    return {
      name: this.spec.name,
      cloneIndex: this.cloneIndex,
      groupId: this.groupId,
      spec: this.spec,
      file: this.target.device.name,
      startNs: this.#startNs,
      endNs: this.endNs,
      runtimeNs,
      read: this.recorders.read.stats(runtimeNs),
      write: this.recorders.write.stats(runtimeNs),
      trim: this.recorders.trim.stats(runtimeNs),
      sync: { ios: this.syncRecorder.count, latency: this.syncRecorder.summary() },
      fuaWrites: this.fuaWrites,
      verify: {
        kind: this.spec.verify,
        blocksChecked: checked,
        counts: { ...this.counts },
        failed,
        failures: this.failures,
      },
      ...(this.error === undefined ? {} : { error: this.error }),
      depthHistogram: this.depthHistogram,
    };
  }
}

function pickTarget(job: JobSpec, targets: readonly Target[]): Target {
  if (targets.length === 1) return targets[0]!;
  const match = targets.find((t) => t.device.name === job.filename);
  if (match === undefined) {
    throw new RangeError(
      `Job "${job.name}": filename=${job.filename ?? "(none)"} names none of the targets ` +
        `${targets.map((t) => t.device.name).join(", ")}; set filename to one of them`,
    );
  }
  return match;
}

function registerTargets(
  jobs: readonly JobSpec[],
  targets: readonly Target[],
  oracle: ShadowOracle,
  rng: WorkloadRng,
): void {
  for (const job of jobs) {
    if (job.verify === "none") continue;
    const target = pickTarget(job, targets);
    const unit = job.verifyIntervalBytes ?? minBlockBytes(job);
    if (!oracle.has(target.lvId)) {
      oracle.registerLv(target.lvId, {
        blockBytes: unit,
        sizeBytes: Math.floor(target.device.sizeBytes / unit) * unit,
        seed: rng.fork("verify").fork(`lv${target.lvId}`).uint32(),
        verify: job.verify,
        ...(job.verifyPattern === undefined ? {} : { pattern: Uint8Array.from(job.verifyPattern) }),
        name: target.device.name,
      });
      continue;
    }
    const reg = oracle.registration(target.lvId);
    if (reg.verify !== job.verify || unit % reg.blockBytes !== 0) {
      throw new RangeError(
        `Job "${job.name}": verify=${job.verify} with ${unit}-byte units conflicts with verify=${reg.verify} ` +
          `${reg.blockBytes}-byte units already used on ${target.device.name}; use one verify setup per LV`,
      );
    }
  }
}

/**
 * Run `jobs` against `target` (one device, or several chosen by each job's `filename`) in
 * virtual time and return fio-style results. Device errors end the job that hit them (fio's
 * err=); a SimulationHalt or any other error propagates.
 */
export function runJobs(
  jobs: readonly JobSpec[],
  target: BlockDevice | readonly BlockDevice[],
  options: RunJobsOptions,
): RunResult {
  const measureCpu = startCpuMeasurement();
  const devices = Array.isArray(target) ? (target as readonly BlockDevice[]) : [target as BlockDevice];
  if (devices.length === 0) throw new RangeError("runJobs needs at least one target device");
  const targets: Target[] = devices.map((device, i) => ({ device, lvId: options.lvIds?.[i] ?? i }));
  const needsOracle = jobs.some((job) => job.verify !== "none");
  const oracle = options.oracle ?? (needsOracle ? new ShadowOracle() : undefined);
  if (oracle !== undefined) registerTargets(jobs, targets, oracle, options.rng);
  const scheduler = options.scheduler ?? new Scheduler();
  const startNs = options.startNs ?? scheduler.nowNs;
  if (options.scheduler === undefined && startNs > 0) scheduler.advanceTo(startNs);
  const pvBefore = options.pvs?.map((pv) => ({ ...pv.stats }) as IoStats);
  const workload = options.rng.fork("workload");
  const queued = new QueuedWrites();

  const groups: JobRun[][] = [];
  for (const spec of jobs) {
    if (spec.stonewall || groups.length === 0) groups.push([]);
    const group = groups.at(-1)!;
    for (let clone = 0; clone < spec.numjobs; clone++) {
      if (groups.reduce((n, g) => n + g.length, 0) >= MAX_JOBS) {
        throw new RangeError(`More than ${MAX_JOBS} jobs after numjobs expansion; lower numjobs`);
      }
      const rng = workload.fork(forkLabel(spec.name)).fork(`clone${clone}`);
      group.push(
        new JobRun(spec, clone, groups.length - 1, pickTarget(spec, targets), scheduler, oracle, {
          rng,
          maxIos: options.maxIosPerJob ?? DEFAULT_MAX_IOS_PER_JOB,
          queued,
        }),
      );
    }
  }

  const groupTimes: { groupId: number; startNs: number; endNs: number }[] = [];
  let groupStart = startNs;
  for (const [groupId, group] of groups.entries()) {
    let running = group.length;
    for (const run of group) {
      run.onFinish = () => {
        running -= 1;
      };
      run.start(groupStart);
    }
    while (running > 0) {
      if (!scheduler.step()) {
        throw new Error(`Jobs of group ${groupId} stalled with ${running} running and no events left`);
      }
    }
    const endNs = Math.max(groupStart, ...group.map((run) => run.endNs), scheduler.nowNs);
    groupTimes.push({ groupId, startNs: groupStart, endNs });
    groupStart = endNs;
  }

  const results = groups.flat().map((run) => run.result());
  const jobBytesWritten = results.reduce((sum, r) => sum + r.write.bytes, 0);
  const pvAfter = options.pvs?.map((pv) => pv.stats);
  const amplification =
    pvBefore !== undefined && pvAfter !== undefined
      ? writeAmplification(pvBefore, pvAfter, { jobBytesWritten })
      : undefined;
  const pvBytesWritten =
    pvBefore !== undefined && pvAfter !== undefined
      ? pvAfter.reduce((sum, s) => sum + s.writeBytes, 0) - pvBefore.reduce((sum, s) => sum + s.writeBytes, 0)
      : undefined;
  return {
    jobs: results,
    groups: groupTimes,
    startNs,
    endNs: groupStart,
    ...(amplification === undefined ? {} : { writeAmplification: amplification }),
    ...(pvBytesWritten === undefined ? {} : { pvBytesWritten }),
    cpu: measureCpu(),
    verifyFailures: results.reduce((sum, r) => sum + r.verify.failed, 0),
  };
}
