import { spawnSync } from "node:child_process";
import { realCacheDir } from "../../../real/cache.js";
import { type RealSetup, realSetup } from "../../../real/setup.js";

/**
 * The guest the VM tests boot, or why they are skipped: not Linux, no qemu-system-x86_64, or a
 * setup that failed (it is idempotent: the first run downloads the kernel, ~27 MiB, and builds the
 * initramfs, ~20 s).
 */
export function prepareGuest(): { setup?: RealSetup; skip?: string } {
  if (process.platform !== "linux") return { skip: "skipped: the QEMU guest needs Linux" };
  if (spawnSync("qemu-system-x86_64", ["--version"], { stdio: "ignore" }).error)
    return { skip: "skipped: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)" };
  try {
    return { setup: realSetup({ cacheDir: realCacheDir() }) };
  } catch (error) {
    return { skip: `skipped: lvmlab real setup failed: ${(error as Error).message}` };
  }
}
