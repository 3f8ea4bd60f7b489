import { InvalidArgumentError, Option } from "commander";

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
