/**
 * The shape every micro-benchmark suite in `bench/suites/` exports, so that `npm run bench` can
 * discover suites without a central list and print each with its in-run baseline ratio.
 */

/** One measured case. */
export interface BenchRow {
  /** Suite-local case name, e.g. "sparse write 4KiB random". */
  readonly name: string;
  /** Cases in one group are compared with the group's baseline. */
  readonly group: string;
  /** Mean CPU time per operation in nanoseconds. */
  readonly nsPerOp: number;
  /** Bytes moved per operation, when throughput is meaningful. */
  readonly bytesPerOp?: number;
  /** Name of the baseline case in the same group (absent on the baseline itself). */
  readonly baseline?: string;
  /** This case's throughput ÷ the baseline's throughput, measured in the same run. */
  readonly ratioToBaseline?: number;
}

/** Options every suite accepts. */
export interface BenchSuiteOptions {
  /** A short run for CI: fewer samples, same cases. */
  readonly quick: boolean;
}

/** A benchmark suite module's default export. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(options: BenchSuiteOptions): Promise<BenchRow[]>;
}
