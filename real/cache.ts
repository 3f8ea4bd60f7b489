import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where `lvmlab real setup` keeps what it downloads and builds: `$LVMLAB_REAL_CACHE`, else
 * `~/.cache/lvmlab/real`. Nothing here is ever installed into the host's /boot or /lib/modules.
 */
export function realCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.LVMLAB_REAL_CACHE;
  if (given !== undefined && given !== "") return given;
  return join(env.HOME ?? homedir(), ".cache", "lvmlab", "real");
}

/** The files of a built cache. */
export interface RealCachePaths {
  readonly dir: string;
  /** The Debian kernel packages as downloaded. */
  readonly debsDir: string;
  /** The kernel package unpacked with `dpkg-deb -x`. */
  readonly kernelRoot: string;
  /** The guest's initramfs (newc cpio, uncompressed: TCG decompresses slowly). */
  readonly initramfs: string;
  /** What the cache was built from (kernel version, tool versions); its presence marks a finished setup. */
  readonly stamp: string;
}

/** The paths inside a cache directory. */
export function realCachePaths(dir: string): RealCachePaths {
  return {
    dir,
    debsDir: join(dir, "debs"),
    kernelRoot: join(dir, "kernel"),
    initramfs: join(dir, "initramfs.cpio"),
    stamp: join(dir, "setup.json"),
  };
}
