import { type Command, Option } from "commander";
import type { OverheadPlan } from "../bench/overhead/mod.js";

/** Output formats of `lvmlab bench overhead`. */
const BENCH_FORMATS = ["terminal", "md"] as const;

interface OverheadFlags {
  readonly profile?: string;
  readonly config?: string;
  readonly workload?: string;
  readonly seeds?: string;
  readonly repetitions?: string;
  readonly lvSize?: string;
  readonly randomIos?: string;
  readonly quick?: boolean;
  readonly realdm?: boolean;
  readonly ndjson?: string;
  readonly format: (typeof BENCH_FORMATS)[number];
  readonly list?: boolean;
  readonly real?: boolean;
  readonly throttleIops?: string;
  readonly throttleBw?: string;
  readonly cache?: string;
  readonly timeout?: string;
}

const MiB = 1024 * 1024;

/** The command line as typed, for the meta record's `command` (so the file says how to reproduce it). */
function commandLine(flags: OverheadFlags): string {
  const parts = ["lvmlab bench overhead"];
  if (flags.quick) parts.push("--quick");
  if (flags.realdm) parts.push("--realdm");
  if (flags.real) parts.push("--real");
  for (const [flag, value] of [
    ["--profile", flags.profile],
    ["--config", flags.config],
    ["--workload", flags.workload],
    ["--seeds", flags.seeds],
    ["--repetitions", flags.repetitions],
    ["--lv-size", flags.lvSize],
    ["--random-ios", flags.randomIos],
    ["--throttle-iops", flags.throttleIops],
    ["--throttle-bw", flags.throttleBw],
  ] as const) {
    if (value !== undefined) parts.push(flag, JSON.stringify(value));
  }
  return parts.join(" ");
}

/**
 * Registers `lvmlab bench overhead`: mirror, snapshot, striped and pvmove cost against linear,
 * modeled in virtual time on each device profile, printed as the overhead table of reports/.
 */
export function register(program: Command): void {
  const bench = program.command("bench").description("Benchmarks: the modeled overhead table of LV layouts");
  bench
    .command("overhead")
    .description(
      "Run the same workloads on linear, striped, mirror, snapshot and pvmove layouts per device profile; " +
        "print MB/s, IOPS, latency and write amplification, absolute and relative to linear",
    )
    .option(
      "-p, --profile <list>",
      "device profiles, comma-separated (default: nvme,sata-ssd,hdd,realdm-100mib-1kiops)",
    )
    .option(
      "-c, --config <list>",
      "configs, comma-separated (default: all; linear always runs as the baseline)",
    )
    .option("-w, --workload <list>", "workloads, comma-separated (default: all seven)")
    .option("-s, --seeds <list>", "seeds, e.g. 1..5 or 1,2,7 (default: 1..5, --quick: 1,2)")
    .option("-r, --repetitions <n>", "independent repetitions per seed (default 1)")
    .option("--lv-size <MiB>", "LV size in MiB, a multiple of 6 (default 48, --quick: 12)")
    .option(
      "--random-ios <n>",
      "I/Os of the 4 KiB random workloads (default 2048, --quick: 512, --realdm: 4096)",
    )
    .option("--quick", "the small CI matrix: key configs on realdm-100mib-1kiops, 2 seeds, 12 MiB LVs")
    .option(
      "--realdm",
      "reproduce research/realdm-observations.md: its configs, workloads and sizes on realdm-100mib-1kiops, 5 seeds, compared with the real figures (exit 1 when one is off by more than 15%)",
    )
    .option("--ndjson <file>", "also write one bench record per sample (meta first) to FILE")
    .addOption(new Option("-f, --format <format>", "table format").choices(BENCH_FORMATS).default("terminal"))
    .option("--list", "list the configs and workloads and exit")
    .option(
      "--real",
      "also run the configs on real LVM2 and kernel dm in one QEMU guest (lvmlab real setup first), disks throttled by QEMU, and print real ratios to linear beside the modeled ones (default: the realdm configs that real LVM2 builds, randwrite-4k-qd32 and write-1m-qd8, 24 MiB LVs, 512 random I/Os, seed 1)",
    )
    .option("--throttle-iops <n>", "--real: QEMU IOPS limit per disk (default 250)")
    .option("--throttle-bw <MiB/s>", "--real: QEMU bandwidth limit per disk (default 8)")
    .option("--cache <dir>", "--real: guest cache set up by `lvmlab real setup`")
    .option("--timeout <seconds>", "--real: limit of the guest boot (default 600)")
    .action(async (flags: OverheadFlags) => {
      const [{ UsageError }, overhead, reports] = await Promise.all([
        import("./errors.js"),
        import("../bench/overhead/mod.js"),
        import("../reports/mod.js"),
      ]);
      if (flags.list) {
        const width = Math.max(...overhead.CONFIGS.map((c) => c.name.length));
        process.stdout.write("Configs:\n");
        for (const c of overhead.CONFIGS)
          process.stdout.write(`  ${c.name.padEnd(width)}  ${c.description}\n`);
        process.stdout.write("Workloads:\n");
        for (const w of overhead.WORKLOADS) {
          const mix = w.rwmixread === undefined ? "" : ` rwmixread=${w.rwmixread}`;
          process.stdout.write(
            `  ${w.name.padEnd(width)}  rw=${w.rw} bs=${w.blockBytes} iodepth=${w.iodepth}${mix}\n`,
          );
        }
        return;
      }
      if (flags.real) {
        const { overheadRealAction } = await import("./overhead-real.js");
        const refused = (
          [
            ["--profile", flags.profile],
            ["--quick", flags.quick],
            ["--realdm", flags.realdm],
            ["--repetitions", flags.repetitions],
          ] as const
        )
          .filter(([, value]) => value !== undefined)
          .map(([flag]) => flag);
        await overheadRealAction({ ...flags, refused, command: commandLine(flags) });
        return;
      }
      if (flags.quick && flags.realdm) throw new UsageError("Give --quick or --realdm, not both");
      const base = flags.realdm
        ? overhead.REALDM_PLAN
        : flags.quick
          ? overhead.QUICK_PLAN
          : overhead.FULL_PLAN;
      let plan: OverheadPlan;
      try {
        const repetitions = flags.repetitions === undefined ? base.repetitions : Number(flags.repetitions);
        const lvMiB = flags.lvSize === undefined ? base.lvBytes / MiB : Number(flags.lvSize);
        const randomIos = flags.randomIos === undefined ? base.randomIos : Number(flags.randomIos);
        if (!Number.isInteger(lvMiB))
          throw new RangeError(`--lv-size "${flags.lvSize}" is not a whole number of MiB`);
        plan = overhead.validatePlan({
          ...base,
          ...(flags.profile === undefined ? {} : { profiles: overhead.parseProfiles(flags.profile) }),
          ...(flags.config === undefined ? {} : { configs: overhead.parseList(flags.config) }),
          ...(flags.workload === undefined ? {} : { workloads: overhead.parseList(flags.workload) }),
          ...(flags.seeds === undefined ? {} : { seeds: overhead.parseSeeds(flags.seeds) }),
          repetitions,
          lvBytes: lvMiB * MiB,
          randomIos,
        });
      } catch (error) {
        if (error instanceof RangeError) throw new UsageError(error.message);
        throw error;
      }
      if (flags.ndjson !== undefined) {
        // Refuse a path that cannot be written before spending minutes on the run.
        const { existsSync, statSync } = await import("node:fs");
        const { dirname } = await import("node:path");
        const parent = dirname(flags.ndjson);
        if (!existsSync(parent) || !statSync(parent).isDirectory()) {
          throw new UsageError(
            `Cannot write --ndjson ${flags.ndjson}: directory ${parent} does not exist; create it first`,
          );
        }
      }
      const total = overhead.planSamples(plan);
      const progress = process.stderr.isTTY === true;
      const started = performance.now();
      const records = overhead.runOverhead(plan, {
        onRecord: (_record, done) => {
          if (progress && (done % 10 === 0 || done === total)) {
            process.stderr.write(`\rbench overhead: ${done}/${total} samples`);
          }
        },
      });
      if (progress) process.stderr.write("\n");
      const options = {
        command: commandLine(flags),
        ...(plan.seeds[0] === undefined ? {} : { seed: plan.seeds[0] }),
      };
      const text = overhead.overheadNdjson(records, options);
      if (flags.ndjson !== undefined) {
        try {
          overhead.writeOverheadNdjson(flags.ndjson, records, options);
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        }
      }
      // Through the record reader, so what is printed is exactly what a later `lvmlab report` of the file shows.
      const model = reports.summarizeRecords(reports.parseRecords(text, { source: "bench overhead" }));
      process.stdout.write(
        flags.format === "md"
          ? reports.renderMarkdown(model, { title: "lvmlab bench overhead" })
          : reports.renderTerminal(model, { color: reports.shouldUseColor(process.stdout, process.env) }),
      );
      if (flags.realdm) {
        const rows = overhead.compareWithReference(records);
        const profile = overhead.describeBuiltinProfile(plan.profiles[0] ?? "realdm-100mib-1kiops");
        process.stdout.write(`\n${overhead.referenceMarkdown(rows, profile)}`);
        if (rows.some((r) => !r.within)) process.exitCode = 1;
      }
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(
        `${records.length} samples in ${seconds.toFixed(1)} s` +
          `${flags.ndjson === undefined ? "" : `; records written to ${flags.ndjson}`}\n`,
      );
    });
}
