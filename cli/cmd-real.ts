import type { Command } from "commander";

interface SetupFlags {
  readonly cache?: string;
  readonly force?: boolean;
}

interface RunFlags {
  readonly cache?: string;
  readonly seed: string;
  readonly file: string[];
  readonly ndjson?: string;
  readonly keep?: string;
  readonly timeout: string;
  readonly direct?: boolean;
  readonly directInVm?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Registers `lvmlab real setup` and `lvmlab real run <scenario>`. */
export function register(program: Command): void {
  const real = program
    .command("real")
    .description(
      "Run scenarios on real LVM2 and the real kernel's device-mapper in a throw-away QEMU guest, and diff them against the model",
    );
  real
    .command("setup")
    .description(
      "Download Debian's cloud kernel (unpacked into the cache, never installed), build dm-dust.ko for it from Debian's headers and kernel source (needs make and the kernel's gcc; without them the guest has no dm-dust), and build the guest's initramfs; idempotent",
    )
    .option("--cache <dir>", "cache directory (default: $LVMLAB_REAL_CACHE or ~/.cache/lvmlab/real)")
    .option("--force", "rebuild even when the cache is complete")
    .action(async (flags: SetupFlags) => {
      const { UsageError } = await import("./errors.js");
      const { realCacheDir, realSetup, RealSetupError } = await import("../real/mod.js");
      try {
        const ready = realSetup({
          cacheDir: flags.cache ?? realCacheDir(),
          force: flags.force === true,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${ready.paths.dir}\n`);
      } catch (error) {
        if (error instanceof RealSetupError) throw new UsageError(error.message);
        throw error;
      }
    });
  real
    .command("run")
    .description(
      "Run one scenario on the model and in the guest at a seed, print what differs; faults become dm tables under the PVs (pv-loss, latent-sector-errors, slow-device, sync-stall slow-leg, flakey; power cuts kill the VM), other kinds are refused (exit 2)",
    )
    .argument("<scenario>", "a library scenario's name (or one from --file)")
    .option("--seed <n>", "seed of the case", "1")
    .option("--file <path>", "also load this JSON/YAML scenario file (repeatable)", collect, [])
    .option("--cache <dir>", "cache directory set up by `lvmlab real setup`")
    .option("--ndjson <file>", "write the real-run and real-diff records here")
    .option("--keep <dir>", "keep the disk images and console transcripts in this directory")
    .option("--timeout <seconds>", "per boot of the guest", "300")
    .option(
      "--direct",
      "run on this host's device-mapper over loop devices (losetup --direct-io=on) instead of a VM; needs root and a kernel with dm, and creates and removes dm and loop devices",
    )
    .option(
      "--direct-in-vm",
      "run this checkout's `lvmlab real run --direct` (the host's node, an ext4 image of dist/) inside the guest: direct mode on a real dm kernel from a host without one; fails if it leaves a dm device, loop device or /dev link behind",
    )
    .action(async (name: string, flags: RunFlags) => {
      const { UsageError } = await import("./errors.js");
      const { runRealCli } = await import("../real/mod.js");
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new UsageError(`--seed must be a whole number, got "${flags.seed}"`);
      const timeoutS = Number(flags.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0)
        throw new UsageError(`--timeout must be a positive number of seconds, got "${flags.timeout}"`);
      const code = await runRealCli(name, {
        seed,
        files: flags.file,
        ...(flags.cache !== undefined ? { cacheDir: flags.cache } : {}),
        ...(flags.ndjson !== undefined ? { ndjson: flags.ndjson } : {}),
        ...(flags.keep !== undefined ? { keepDir: flags.keep } : {}),
        bootTimeoutMs: timeoutS * 1000,
        direct: flags.direct === true,
        directInVm: flags.directInVm === true,
        usageError: (message) => new UsageError(message),
      });
      process.exitCode = code;
    });
}
