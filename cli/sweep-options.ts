import { InvalidArgumentError, Option } from "commander";
import { EXPLORE_MODES } from "../scenarios/branch-explore.js";

/** `--workers N`: worker threads, 1 to 64; commander refuses anything else with exit code 2. */
export function workersOption(): Option {
  return new Option("-w, --workers <n>", "worker threads").default(1).argParser((text: string) => {
    const workers = Number(text);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new InvalidArgumentError(`must be a whole number from 1 to 64, got "${text}"`);
    }
    return workers;
  });
}

/** `--devices memory|file`: where the PVs of a case live. */
export function devicesOption(): Option {
  return new Option("--devices <kind>", "PV backing").choices(["memory", "file"]).default("memory");
}

/**
 * `--explore-mode branch|reexec`: run each (scenario, seed) once per worker and branch its crash
 * points from that run (default), or re-execute setup and workload for every point.
 */
export function exploreModeOption(): Option {
  return new Option(
    "--explore-mode <mode>",
    "with --explore: branch every point from one run of the case (default), or reexec each point from the start",
  ).choices([...EXPLORE_MODES]);
}

/** `--max-points N`: explored cases per (scenario, seed) before points × policies are sampled. */
export function maxPointsOption(): Option {
  return new Option(
    "--max-points <n>",
    "with --explore: most cases per scenario and seed; beyond it points × policies are sampled with the seed (default 10000)",
  ).argParser((text: string) => {
    const max = Number(text);
    if (!Number.isInteger(max) || max < 1 || max > 1_000_000) {
      throw new InvalidArgumentError(`must be a whole number from 1 to 1000000, got "${text}"`);
    }
    return max;
  });
}
