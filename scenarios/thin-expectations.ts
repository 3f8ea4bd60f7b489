/**
 * Thin-pool expectations: the pool's metadata as it is on disk passes lvmlab's reference recount
 * (the checks real `thin_check` makes), and the live pool is in the expected mode.
 */

import { type HeldWriteCounts, THIN_NO_SPACE_TIMEOUT_NS } from "../engine/dm/thin/mod.js";
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

/**
 * Metadata blocks one request's insert may take from the reserve after the commit that found the
 * metadata full: the shadowed path of a two-level mapping tree (top leaf, subtree root, an internal
 * node, a leaf) plus a leaf split and a new root.
 */
const RESERVE_SLACK_BLOCKS = 8;

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
  for (const [path, outcome] of Object.entries(expect.thinHeldWrites)) {
    const pool = poolOf(path);
    if (pool === undefined) {
      failures.push(`thin pool ${path} is not active after recovery, so its held writes cannot be counted`);
      continue;
    }
    failures.push(...heldWriteFailures(path, pool.heldWrites(), outcome));
  }
  for (const path of expect.thinMetadataReserveKept) {
    const pool = poolOf(path);
    const full = pool?.metadataFullAt();
    if (full === undefined) {
      failures.push(`thin pool ${path} never ran out of metadata space (no commit found the metadata full)`);
      continue;
    }
    if (full.freeBlocks < full.reserveBlocks - RESERVE_SLACK_BLOCKS) {
      failures.push(
        `thin pool ${path} ran out of metadata space with ${full.freeBlocks} free blocks: it spent more than one request's ${RESERVE_SLACK_BLOCKS} blocks of its ${full.reserveBlocks}-block reserve before switching`,
      );
    }
  }
  for (const [path, mode] of Object.entries(expect.thinPoolMode)) {
    const found = poolOf(path)?.mode ?? "inactive";
    if (found !== mode) failures.push(`thin pool ${path} is ${found} after recovery, expected ${mode}`);
  }
  return failures;
}

/** Whether a pool held writes and every one was resumed, or every one timed out after no_space_timeout. */
function heldWriteFailures(
  path: string,
  counts: HeldWriteCounts,
  outcome: "resumed" | "timed-out",
): string[] {
  if (counts.held === 0)
    return [
      `thin pool ${path} held no write while out of data space (queue_if_no_space), expected some ${outcome}`,
    ];
  const failures: string[] = [];
  const other = outcome === "resumed" ? counts.timedOut : counts.resumed;
  const wanted = outcome === "resumed" ? counts.resumed : counts.timedOut;
  if (wanted !== counts.held || other !== 0) {
    failures.push(
      `thin pool ${path} held ${counts.held} writes: ${counts.resumed} resumed, ${counts.timedOut} timed out; expected every one ${outcome}`,
    );
  }
  if (outcome === "timed-out" && counts.timeoutAfterNs !== THIN_NO_SPACE_TIMEOUT_NS) {
    failures.push(
      `thin pool ${path} failed its held writes ${counts.timeoutAfterNs ?? "never"} ns after it filled, expected no_space_timeout (${THIN_NO_SPACE_TIMEOUT_NS} ns)`,
    );
  }
  return failures;
}
