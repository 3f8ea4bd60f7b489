import { jobsFromFioFile } from "../workloads/fio-ini.js";
import type { JobSpec } from "../workloads/job-spec.js";

/**
 * Turns a scenario's fio jobs (objects with fio's option names) into validated JobSpecs by writing
 * them as a fio job file and parsing that, so scenarios and `lvmlab fio` accept exactly the same
 * options with the same errors.
 */
export function jobsFromOptions(
  jobs: readonly Readonly<Record<string, string | number | boolean>>[],
  where: string,
): JobSpec[] {
  const lines: string[] = [];
  jobs.forEach((job, index) => {
    const name = typeof job.name === "string" ? job.name : `job${index}`;
    lines.push(`[${name}]`);
    for (const [key, value] of Object.entries(job)) {
      if (key === "name") continue;
      if (value === true) lines.push(key);
      else if (value !== false) lines.push(`${key}=${value}`);
    }
  });
  return jobsFromFioFile(`${lines.join("\n")}\n`, { file: where });
}
