/** The metrics reports summarise and `compare` gates on, with the direction that counts as better. */
import type { BenchRecord, MicrobenchRecord } from "./records.js";

/** Whether a larger value of a metric is an improvement. */
export type Better = "higher" | "lower";

/** One benchmark metric: how to read it from a record and how to judge a change. */
export interface MetricDef<R> {
  /** Stable id used in JSON output and compare keys, e.g. "latNs.p99". */
  readonly id: string;
  /** Column heading for people. */
  readonly label: string;
  readonly unit: "IOPS" | "MB/s" | "ns" | "×" | "ns/op";
  readonly better: Better;
  /** Measured on this machine (CPU time) rather than modeled in virtual time. */
  readonly measured: boolean;
  /** The value, or undefined when the record does not carry this metric. */
  read(record: R): number | undefined;
}

/** Macro-benchmark metrics in report order. */
export const BENCH_METRICS: readonly MetricDef<BenchRecord>[] = [
  { id: "iops", label: "IOPS", unit: "IOPS", better: "higher", measured: false, read: (r) => r.iops },
  { id: "mbps", label: "MB/s", unit: "MB/s", better: "higher", measured: false, read: (r) => r.mbps },
  { id: "latNs.p50", label: "p50", unit: "ns", better: "lower", measured: false, read: (r) => r.latNs.p50 },
  { id: "latNs.p90", label: "p90", unit: "ns", better: "lower", measured: false, read: (r) => r.latNs.p90 },
  { id: "latNs.p99", label: "p99", unit: "ns", better: "lower", measured: false, read: (r) => r.latNs.p99 },
  {
    id: "latNs.p999",
    label: "p99.9",
    unit: "ns",
    better: "lower",
    measured: false,
    read: (r) => r.latNs.p999,
  },
  { id: "latNs.max", label: "max", unit: "ns", better: "lower", measured: false, read: (r) => r.latNs.max },
  {
    id: "writeAmplification",
    label: "write amp",
    unit: "×",
    better: "lower",
    measured: false,
    read: (r) => r.writeAmplification,
  },
  {
    id: "cpuNsPerOp",
    label: "CPU/op",
    unit: "ns/op",
    better: "lower",
    measured: true,
    read: (r) => r.cpuNsPerOp,
  },
];

/** The micro-benchmark metric (measured CPU time per operation). */
export const MICROBENCH_METRIC: MetricDef<MicrobenchRecord> = {
  id: "nsPerOp",
  label: "time/op",
  unit: "ns/op",
  better: "lower",
  measured: true,
  read: (r) => r.nsPerOp,
};

/** Latency percentiles in chart order, with the fraction each stands for (max drawn past p99.9). */
export const LATENCY_POINTS = [
  { id: "p50", label: "p50", fraction: 0.5 },
  { id: "p90", label: "p90", fraction: 0.9 },
  { id: "p99", label: "p99", fraction: 0.99 },
  { id: "p999", label: "p99.9", fraction: 0.999 },
  { id: "max", label: "max", fraction: 0.9999 },
] as const;
