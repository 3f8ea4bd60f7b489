import { measure } from "mitata";
import type { BenchSuiteOptions } from "./suite.js";

/**
 * Mean time per call of `op` with mitata: a short run for `--quick`, otherwise at least
 * `minCpuMs` of CPU time so the in-run ratios are stable on a noisy 2-core machine.
 */
export async function nsPerOp(
  op: () => void,
  options: BenchSuiteOptions & { readonly minCpuMs?: number },
): Promise<number> {
  const stats = await measure(
    op,
    options.quick
      ? { min_cpu_time: 50 * 1e6, min_samples: 8, max_samples: 2_000 }
      : { min_cpu_time: (options.minCpuMs ?? 400) * 1e6 },
  );
  return stats.avg;
}
