/**
 * The overhead configs as real LVM2 builds them (`lvmlab bench overhead --real`): for each config ×
 * workload, the lvcreate lines that lay the config out the way {@link buildLayout} models it (legs,
 * stripes, disk log and COW each on their own PV), the fio line of the workload, and the teardown.
 * Plain command lines over PV names `pv0…pv3`: the real layer runs them in its QEMU guest without
 * knowing the configs (bench may not import real, nor real bench; the CLI composes the two).
 */

import { REALDM_PROFILE } from "../../engine/sim/timing/profiles.js";
import {
  type ConfigDef,
  configByName,
  LINEAR_CONFIG,
  LV_SIZE_QUANTUM_BYTES,
  REGION_BYTES,
} from "./layouts.js";
import { THIN_CHUNK_BYTES } from "./thin-layout.js";
import { type OverheadWorkload, workloadByName, workloadReads } from "./workloads.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** LVM2's default extent size: a real LV must fill whole extents to match the modeled size. */
const EXTENT_BYTES = 4 * MiB;
/** Real LV sizes: whole extents and whole modeled quanta (stripes, regions, chunks). */
export const REAL_LV_QUANTUM_BYTES = 12 * MiB;
/** The VG every real cell builds in. */
const REAL_BENCH_VG = "bench";
/** The LV every workload runs on (`/dev/mapper/bench-lv`). */
const LV = "lv";
/** The PVs the real cells use: legs, stripes, origin and COW on the first, the disk log on the last. */
export const REAL_BENCH_PVS = ["pv0", "pv1", "pv2", "pv3"] as const;

/** One config × workload on real LVM2: build, measure, tear down. */
export interface RealBenchCell {
  readonly config: string;
  readonly workload: string;
  /** Command lines (LVM2 and fio fills) that build the config; PV names as in {@link RealBenchPlan.pvs}. */
  readonly setup: readonly string[];
  /** The measured fio line (`--minimal`: one terse line per job). */
  readonly fio: string;
  /** Command lines that leave the VG empty for the next cell. */
  readonly teardown: readonly string[];
}

/** Everything the guest runs: the PVs, the VG, then every cell in order. */
export interface RealBenchPlan {
  readonly pvs: readonly { readonly name: string; readonly sizeBytes: number }[];
  /** Once, before the first cell. */
  readonly setup: readonly string[];
  readonly cells: readonly RealBenchCell[];
}

/** What to build. */
export interface RealBenchOptions {
  readonly configs: readonly string[];
  readonly workloads: readonly string[];
  readonly lvBytes: number;
  readonly randomIos: number;
  /** fio's `randseed`, so every config sees the same offsets. */
  readonly seed: number;
}

/** A config or workload that real LVM2 cannot run as the model does; the message says why. */
export class RealBenchUnsupportedError extends Error {
  override readonly name = "RealBenchUnsupportedError";
}

/** COW size of one snapshot: the origin plus its exception tables, with slack (as the model). */
function cowBytes(lvBytes: number): number {
  return Math.ceil((lvBytes + lvBytes / 8 + 4 * 512 * KiB) / EXTENT_BYTES) * EXTENT_BYTES;
}

function lvDevice(): string {
  return `/dev/mapper/${REAL_BENCH_VG}-${LV}`;
}

/** One sequential 1 MiB pass over the LV: the model's prefill (reads find data; snapshot chunks copied). */
function fillLine(lvBytes: number): string {
  return `fio --minimal --name=fill --filename=${lvDevice()} --rw=write --bs=1m --iodepth=8 --direct=1 --ioengine=libaio --size=${lvBytes}`;
}

/** The lvcreate lines of `config`, before any fill. */
function createLines(config: ConfigDef, lvBytes: number): { create: string[]; snapshots: string[] } {
  const size = `-L ${lvBytes / MiB}m`;
  const base = `lvcreate -y -Wn -Zn ${size} -n ${LV}`;
  const spec = config.spec;
  const pvs = (n: number) => REAL_BENCH_PVS.slice(0, n).join(" ");
  switch (spec.kind) {
    case "linear":
      return { create: [`${base} ${REAL_BENCH_VG} pv0`], snapshots: [] };
    case "striped":
      return {
        create: [`${base} -i ${spec.stripes} -I 64k ${REAL_BENCH_VG} ${pvs(spec.stripes)}`],
        snapshots: [],
      };
    case "mirror": {
      if (spec.sharedBus) {
        throw new RealBenchUnsupportedError(
          `${config.name}: QEMU throttles each disk on its own; a shared bus over two legs is not built on real disks`,
        );
      }
      // --nosync: every region in sync, the state the model starts from, without copying zeros.
      // A disk log goes on the last PV, which no leg uses, as the model gives it its own PV.
      const logPv = spec.log === "disk" ? ` ${REAL_BENCH_PVS[3]}` : "";
      return {
        create: [
          `${base} --type mirror -m ${spec.legs - 1} --mirrorlog ${spec.log} -R ${REGION_BYTES / MiB}m --nosync ${REAL_BENCH_VG} ${pvs(spec.legs)}${logPv}`,
        ],
        snapshots: [],
      };
    }
    case "raid1":
      return {
        create: [`${base} --type raid1 -m ${spec.legs - 1} --nosync ${REAL_BENCH_VG} ${pvs(spec.legs)}`],
        snapshots: [],
      };
    case "snapshot": {
      const chunk = `${spec.chunkBytes / KiB}k`;
      const snapshots = Array.from(
        { length: spec.snapshots },
        (_, i) =>
          `lvcreate -y -s -c ${chunk} -L ${cowBytes(lvBytes) / MiB}m -n snap${i} ${REAL_BENCH_VG}/${LV} pv1`,
      );
      return { create: [`${base} ${REAL_BENCH_VG} pv0`], snapshots };
    }
    case "pvmove":
      throw new RealBenchUnsupportedError(
        `${config.name}: the model's unthrottled background copy races the workload; not run on real disks`,
      );
    case "thin": {
      // As the model lays it out (thin-layout.ts): _tdata on pv0, _tmeta (one extent) on pv1,
      // 64 KiB chunks, new blocks zeroed; the pool is converted from two LVs so each has its PV.
      const dataBytes = lvBytes * (spec.snapshots > 0 ? 2 : 1);
      return {
        create: [
          `lvcreate -y -Wn -Zn -L ${dataBytes / MiB}m -n pool ${REAL_BENCH_VG} pv0`,
          `lvcreate -y -Wn -Zn -L 4m -n pmeta ${REAL_BENCH_VG} pv1`,
          `lvconvert -y --type thin-pool --poolmetadata ${REAL_BENCH_VG}/pmeta --poolmetadataspare n -c ${THIN_CHUNK_BYTES / KiB}k --zero y ${REAL_BENCH_VG}/pool`,
          `lvcreate -y -V ${lvBytes / MiB}m -T ${REAL_BENCH_VG}/pool -n ${LV}`,
        ],
        // Thin snapshots of the written LV: create_snap, no COW size; not activated (-k), as in the model.
        snapshots: Array.from(
          { length: spec.snapshots },
          (_, i) => `lvcreate -y -s -n snap${i} ${REAL_BENCH_VG}/${LV}`,
        ),
      };
    }
  }
}

/** The fio line of a workload: the model's job (same sizes, I/O counts, depth), no verify. */
export function realFioLine(
  workload: OverheadWorkload,
  options: Pick<RealBenchOptions, "lvBytes" | "randomIos" | "seed">,
): string {
  const sequential = !workload.rw.startsWith("rand");
  const words = [
    "fio",
    "--minimal",
    `--name=${workload.name}`,
    `--filename=${lvDevice()}`,
    `--rw=${workload.rw}`,
    `--bs=${workload.blockBytes / KiB}k`,
    `--iodepth=${workload.iodepth}`,
    "--direct=1",
    "--ioengine=libaio",
    `--size=${options.lvBytes}`,
    `--randseed=${options.seed}`,
  ];
  if (workload.rwmixread !== undefined) words.push(`--rwmixread=${workload.rwmixread}`);
  // Random jobs issue the model's count of distinct blocks (fio's random map); sequential ones one pass.
  if (!sequential) words.push(`--number_ios=${options.randomIos}`);
  return words.join(" ");
}

/** The real plan of `options`: linear first (every ratio's baseline), then each config × workload. */
export function realBenchPlan(options: RealBenchOptions): RealBenchPlan {
  if (options.lvBytes % REAL_LV_QUANTUM_BYTES !== 0 || options.lvBytes <= 0) {
    throw new RealBenchUnsupportedError(
      `LV size ${options.lvBytes / MiB} MiB: real runs need a multiple of ${REAL_LV_QUANTUM_BYTES / MiB} MiB (whole 4 MiB extents and ${LV_SIZE_QUANTUM_BYTES / MiB} MiB quanta)`,
    );
  }
  const configs = [LINEAR_CONFIG, ...options.configs.filter((c) => c !== LINEAR_CONFIG)].map(configByName);
  const workloads = options.workloads.map(workloadByName);
  if (workloads.length === 0) throw new RealBenchUnsupportedError("no workload to run");
  const maxSnapshots = Math.max(
    1,
    ...configs.map((c) => (c.spec.kind === "snapshot" ? c.spec.snapshots : 1)),
  );
  // Every PV holds the LV (plus a raid leg's 4 MiB rmeta); pv1 also every COW of the snapshot configs.
  const pvBytes = options.lvBytes + EXTENT_BYTES * 4 + maxSnapshots * cowBytes(options.lvBytes);
  const cells: RealBenchCell[] = [];
  for (const workload of workloads) {
    for (const config of configs) {
      const { create, snapshots } = createLines(config, options.lvBytes);
      const reads = workloadReads(workload);
      const spec = config.spec;
      const overwrite = (spec.kind === "snapshot" || spec.kind === "thin") && spec.pass === "overwrite";
      // A fresh thin LV stays unprovisioned for a first write pass (as the model's layout); a thin
      // LV with snapshots or an overwrite pass is written before them.
      const thinFilled = spec.kind === "thin" && (spec.snapshots > 0 || spec.pass === "overwrite");
      const setup = [
        ...create,
        // Reads find data written before the snapshots exist, as the model's prefill.
        ...(reads || thinFilled ? [fillLine(options.lvBytes)] : []),
        ...snapshots,
        // The model's overwrite pass: every chunk copied before the measured workload.
        ...(overwrite ? [fillLine(options.lvBytes)] : []),
      ];
      cells.push({
        config: config.name,
        workload: workload.name,
        setup,
        fio: realFioLine(workload, options),
        teardown: [`lvremove -y -f ${REAL_BENCH_VG}`],
      });
    }
  }
  return {
    pvs: REAL_BENCH_PVS.map((name) => ({ name, sizeBytes: pvBytes })),
    setup: [
      `pvcreate -y ${REAL_BENCH_PVS.join(" ")}`,
      `vgcreate ${REAL_BENCH_VG} ${REAL_BENCH_PVS.join(" ")}`,
    ],
    cells,
  };
}

/**
 * The device profile the model runs beside a real run: the realdm reference profile (latencies,
 * flush cost, depth, merge limit of the disks research/realdm-observations.md measured) with the
 * bandwidth and IOPS limits QEMU puts on each real disk, as a `custom:` spec for records and tables.
 */
export function throttledProfileSpec(throttle: {
  readonly iops: number;
  readonly bytesPerSec: number;
}): string {
  const p = REALDM_PROFILE;
  if (p.readLatencyNs !== p.writeLatencyNs) throw new Error("realdm profile: one latency expected");
  return [
    `custom:bw=${throttle.bytesPerSec}B`,
    `iops=${throttle.iops}`,
    // QEMU's throttle keeps the request rate and the bytes in separate buckets.
    "buckets=separate",
    `lat=${p.readLatencyNs / 1000}us`,
    `flat=${p.flushLatencyNs / 1000}us`,
    `par=${p.parallelism}`,
    `cache=${p.volatileCache ? "on" : "off"}`,
    `barrier=${p.flushIsBarrier === true ? "on" : "off"}`,
    `merge=${p.mergeLimitBytes ?? 0}B`,
  ].join(",");
}
