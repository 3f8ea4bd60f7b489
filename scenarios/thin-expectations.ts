/**
 * Thin-pool expectations: the pool's metadata as it is on disk passes lvmlab's reference recount
 * (the checks real `thin_check` makes), and the live pool is in the expected mode.
 */
import type { Host } from "../engine/lvm/host.js";
import { livePool } from "../engine/lvm/thin/status.js";
import { PoolMetadata } from "../engine/persistent-data/mod.js";
import type { Expectations } from "./schema.js";

/**
 * Each device's `mapped_blocks` in the details tree against the mappings its tree holds. thin_check
 * 0.9 does not compare them, but the kernel changes both in one transaction, so on disk they agree
 * at every commit, and LVM2's Data% of a thin LV is read from the count.
 */
function mappedBlockProblems(md: PoolMetadata): string[] {
  const problems: string[] = [];
  for (const id of md.devices()) {
    const said = md.details(id)?.mappedBlocks;
    const mapped = md.mappings(id).length;
    if (said !== mapped)
      problems.push(`device ${id}: details say ${said} mapped blocks, the mapping tree holds ${mapped}`);
  }
  return problems;
}

/** One line per violated thin expectation. */
export function checkThinPools(expect: Expectations, host: Host): string[] {
  const failures: string[] = [];
  const poolOf = (path: string) => {
    const [vgName, lvName] = path.split("/") as [string, string];
    return livePool(host, vgName, lvName);
  };
  for (const path of expect.thinChecked) {
    const pool = poolOf(path);
    if (pool === undefined) {
      failures.push(`thin pool ${path} is not active after recovery, so its metadata cannot be checked`);
      continue;
    }
    try {
      const md = PoolMetadata.open(pool.metadataDevice, { dataBlockSizeSectors: pool.blockSizeSectors });
      for (const problem of [...md.check(), ...mappedBlockProblems(md)].slice(0, 3))
        failures.push(`thin pool ${path}: ${problem}`);
    } catch (error) {
      failures.push(`thin pool ${path}: ${(error as Error).message}`);
    }
  }
  for (const [path, mode] of Object.entries(expect.thinPoolMode)) {
    const found = poolOf(path)?.mode ?? "inactive";
    if (found !== mode) failures.push(`thin pool ${path} is ${found} after recovery, expected ${mode}`);
  }
  return failures;
}
