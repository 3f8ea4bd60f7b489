/**
 * The fixed workload set of the overhead benchmark, as fio jobs with fio's option names: sequential
 * read and write at 1 MiB, random read and write at 4 KiB, and a 70/30 random mix. Each job issues
 * a bounded number of I/Os, so a cell costs a bounded amount of CPU whatever the device profile.
 */

import { defineJob, type JobSpec, type RwMode } from "../../workloads/job-spec.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** One workload of the set. */
export interface OverheadWorkload {
  /** Name in records and tables, e.g. "randwrite-4k-qd32". */
  readonly name: string;
  /** fio's `rw`. */
  readonly rw: RwMode;
  readonly blockBytes: number;
  readonly iodepth: number;
  /** fio's `rwmixread` for mixed modes. */
  readonly rwmixread?: number;
  /**
   * Concurrent jobs, each with `iodepth` of its own on its own slice of the LV (fio `numjobs` with
   * `offset_increment`); 1 when absent. Shows md raid1's read balancing, which spreads separate
   * streams over the legs while one sequential stream sticks to one leg.
   */
  readonly streams?: number;
}

/** The workloads, in table order. */
export const WORKLOADS: readonly OverheadWorkload[] = [
  { name: "read-1m-qd8", rw: "read", blockBytes: MiB, iodepth: 8 },
  { name: "write-1m-qd8", rw: "write", blockBytes: MiB, iodepth: 8 },
  { name: "randread-4k-qd32", rw: "randread", blockBytes: 4 * KiB, iodepth: 32 },
  { name: "randwrite-4k-qd32", rw: "randwrite", blockBytes: 4 * KiB, iodepth: 32 },
  { name: "randrw70-4k-qd32", rw: "randrw", blockBytes: 4 * KiB, iodepth: 32, rwmixread: 70 },
  { name: "read-1m-4streams-qd2", rw: "read", blockBytes: MiB, iodepth: 2, streams: 4 },
  { name: "randread-4k-4streams-qd8", rw: "randread", blockBytes: 4 * KiB, iodepth: 8, streams: 4 },
];

/** Most I/Os one cell's job may issue; keeps every cell to well under a second of CPU. */
export const MAX_IOS_PER_CELL = 65_536;

/** The workload called `name`; throws naming the known ones when there is none. */
export function workloadByName(name: string): OverheadWorkload {
  const found = WORKLOADS.find((w) => w.name === name);
  if (found === undefined) {
    throw new RangeError(
      `Unknown overhead workload "${name}"; use one of ${WORKLOADS.map((w) => w.name).join(", ")}`,
    );
  }
  return found;
}

/** True when the workload reads, so the LV must hold data before it runs. */
export function workloadReads(workload: OverheadWorkload): boolean {
  return (
    workload.rw === "read" || workload.rw === "randread" || workload.rw === "randrw" || workload.rw === "rw"
  );
}

/** Options of {@link overheadJob}. */
export interface OverheadJobOptions {
  /** Size of the LV the job covers. */
  readonly lvBytes: number;
  /** I/Os for the small-block (4 KiB) workloads; sequential ones make one pass over the LV. */
  readonly randomIos: number;
}

/**
 * The fio jobs for `workload` on an LV of `lvBytes`, one per stream, each on its own equal slice:
 * sequential jobs make one pass over their slice, random ones share `randomIos` I/Os covering
 * distinct blocks (fio's random map), no verify.
 */
export function overheadJobs(workload: OverheadWorkload, options: OverheadJobOptions): JobSpec[] {
  const streams = workload.streams ?? 1;
  if (streams === 1) return [overheadJob(workload, options)];
  const sliceBytes = options.lvBytes / streams;
  if (!Number.isInteger(sliceBytes / workload.blockBytes)) {
    throw new RangeError(
      `Workload ${workload.name}: a ${options.lvBytes}-byte LV does not split into ${streams} slices of whole ${workload.blockBytes}-byte blocks`,
    );
  }
  return Array.from({ length: streams }, (_, i) => {
    const job = overheadJob(workload, {
      lvBytes: sliceBytes,
      randomIos: Math.max(1, Math.floor(options.randomIos / streams)),
    });
    return {
      ...job,
      name: `${workload.name}.${i}`,
      offset: { bytes: i * sliceBytes },
      size: { bytes: sliceBytes },
    };
  });
}

/**
 * The fio job for `workload` on an LV of `lvBytes`: sequential jobs make one pass over the LV,
 * random ones issue `randomIos` I/Os covering distinct blocks (fio's random map), no verify.
 */
export function overheadJob(workload: OverheadWorkload, options: OverheadJobOptions): JobSpec {
  const sequential = !workload.rw.startsWith("rand");
  const ios = sequential ? Math.floor(options.lvBytes / workload.blockBytes) : options.randomIos;
  if (!Number.isSafeInteger(ios) || ios < 1 || ios > MAX_IOS_PER_CELL) {
    throw new RangeError(
      `Workload ${workload.name} would issue ${ios} I/Os on a ${options.lvBytes}-byte LV; ` +
        `keep it between 1 and ${MAX_IOS_PER_CELL} (lower --random-ios or the LV size)`,
    );
  }
  if (!sequential && ios * workload.blockBytes > options.lvBytes) {
    throw new RangeError(
      `Workload ${workload.name}: ${ios} distinct ${workload.blockBytes}-byte blocks do not fit a ${options.lvBytes}-byte LV; ` +
        "lower the random I/O count",
    );
  }
  const bs = { kind: "fixed" as const, bytes: workload.blockBytes };
  return defineJob({
    name: workload.name,
    rw: workload.rw,
    bs: { read: bs, write: bs },
    iodepth: workload.iodepth,
    numberIos: ios,
    ...(workload.rwmixread === undefined ? {} : { rwmixread: workload.rwmixread }),
    passthrough: { ioengine: "libaio", direct: "1" },
  });
}
