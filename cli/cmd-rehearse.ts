import type { Command } from "commander";

interface RehearseFlags {
  readonly backup?: string;
  readonly pvImage?: string[];
  readonly plan: string;
  readonly profile?: string[];
  readonly newDisk?: string[];
  readonly workload?: string;
  readonly seed: string;
  readonly maxPoints: string;
  readonly late?: string;
  readonly policy: string;
  readonly cell?: string;
  readonly ndjson?: string;
  readonly md?: string;
  readonly html?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Registers `lvmlab rehearse`: a migration plan on the user's VG, every crash window, every recovery. */
export function register(program: Command): void {
  program
    .command("rehearse")
    .description(
      "Rehearse a migration plan on your VG: every step, every crash window, every recovery path, judged safe / data lost / needs manual repair / destructive",
    )
    .option("--backup <file>", "the VG as vgcfgbackup wrote it (real LVM2's or lvmlab's)")
    .option(
      "--pv-image <image>",
      "instead of --backup: a PV image of the VG (repeat for each PV; only read)",
      collect,
    )
    .requiredOption(
      "--plan <file>",
      "the plan: one LVM2 command per line (pvcreate, vgextend, pvmove, vgreduce, pvremove)",
    )
    .option(
      "--profile <[dev=]name>",
      "device profile of every PV of the backup (default sata-ssd), or of one PV with DEV=NAME; repeatable",
      collect,
    )
    .option(
      "--new-disk <dev=size[:profile]>",
      "a disk the plan adds, e.g. /dev/sdc1=64MiB:nvme; repeatable",
      collect,
    )
    .option("--workload <fio-file>", "fio job file run on every LV before, during each pvmove, and after")
    .option("--seed <n>", "seed of the rehearsal (ids, workload, sampling)", "1")
    .option("--max-points <n>", "most crash windows tried per step; more are sampled with the seed", "6")
    .option(
      "--late <dev>",
      "the disk that is late at boot in the late-PV cases (default: the first new disk), or none",
    )
    .option(
      "--policy <policy>",
      "what the disks' volatile caches keep at the crash: keep-all, drop-all, subset, torn, prefix:N",
      "keep-all",
    )
    .option(
      "--cell <key>",
      "replay one cell (STEP/WINDOW/present|late/PATH, as printed) and show its commands",
    )
    .option("--ndjson <file>", "write the records (merge, report and compare read them)")
    .option("--md <file>", "write the Markdown report")
    .option("--html <file>", "write the self-contained HTML report")
    .addHelpText(
      "after",
      [
        "",
        "Example:",
        "  lvmlab rehearse --backup vg_data.vg --plan replace-sdb.plan --profile hdd \\",
        "    --new-disk /dev/sdc1=64MiB:sata-ssd --md rehearsal.md",
        "",
        "The VG is restored onto simulated disks (pvcreate --uuid, vgcfgrestore), filled with verified",
        "data, and taken through the plan with the workload running during each pvmove. Each crash",
        "window of each step is cut, rebooted, and recovered every way that applies (resume,",
        "pvmove --abort, vgck --updatemetadata, vgcfgrestore from the archive or the pre-step backup,",
        "lvconvert --repair, vgreduce --removemissing [--force]), with every disk present and with",
        "the late disk missing at boot; then the plan continues and the result is judged.",
      ].join("\n"),
    )
    .action(async (flags: RehearseFlags) => {
      const [
        { UsageError },
        fs,
        rehearseMod,
        { shellQuote },
        { lvmlabVersion },
        { parsePolicyText },
        reports,
      ] = await Promise.all([
        import("./errors.js"),
        import("node:fs"),
        import("../scenarios/rehearse/mod.js"),
        import("../scenarios/provenance.js"),
        import("../scenarios/version.js"),
        import("../scenarios/policy-text.js"),
        import("../reports/mod.js"),
      ]);
      const read = (path: string, what: string) => {
        try {
          return { file: path, text: fs.readFileSync(path, "utf8") };
        } catch (error) {
          throw new UsageError(
            `Cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        }
      };
      const whole = (text: string, option: string, min: number) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n) || n < min)
          throw new UsageError(`${option} must be a whole number ≥ ${min}, got "${text}"`);
        return n;
      };
      if ((flags.backup === undefined) === (flags.pvImage === undefined))
        throw new UsageError("Give the VG with exactly one of --backup FILE or --pv-image IMAGE…");
      const seed = whole(flags.seed, "--seed", 0);
      const maxPoints = whole(flags.maxPoints, "--max-points", 1);
      let policy: ReturnType<typeof parsePolicyText>;
      try {
        policy = parsePolicyText(flags.policy);
      } catch (error) {
        throw new UsageError(`--policy: ${(error as Error).message}`);
      }
      let checked: ReturnType<typeof rehearseMod.checkRequest>;
      try {
        checked = rehearseMod.checkRequest({
          ...(flags.backup === undefined ? {} : { backup: read(flags.backup, "backup file") }),
          ...(flags.pvImage === undefined ? {} : { pvImages: flags.pvImage }),
          plan: read(flags.plan, "plan"),
          profiles: flags.profile ?? [],
          newDisks: flags.newDisk ?? [],
          ...(flags.workload === undefined ? {} : { workload: read(flags.workload, "workload file") }),
          seed,
          ...(flags.late === undefined ? {} : { late: flags.late }),
        });
      } catch (error) {
        if (error instanceof rehearseMod.RehearseInputError) throw new UsageError(error.message);
        throw error;
      }
      const words = ["lvmlab", "rehearse"];
      if (flags.backup !== undefined) words.push("--backup", flags.backup);
      for (const image of flags.pvImage ?? []) words.push("--pv-image", image);
      words.push("--plan", flags.plan);
      for (const p of flags.profile ?? []) words.push("--profile", p);
      for (const d of flags.newDisk ?? []) words.push("--new-disk", d);
      if (flags.workload !== undefined) words.push("--workload", flags.workload);
      words.push("--seed", String(seed), "--max-points", String(maxPoints), "--policy", flags.policy);
      if (flags.late !== undefined) words.push("--late", flags.late);
      const command = words.map(shellQuote).join(" ");
      let result: ReturnType<typeof rehearseMod.rehearse>;
      try {
        result = rehearseMod.rehearse(checked.input, {
          maxPoints,
          latePv: checked.latePv,
          policy,
          replayBase: command,
          ...(flags.cell === undefined ? {} : { only: flags.cell }),
        });
      } catch (error) {
        if (error instanceof RangeError) throw new UsageError(error.message);
        throw error;
      }
      if (flags.cell !== undefined) {
        for (const cell of result.cells) {
          process.stdout.write(
            `${cell.log.join("\n")}\n\n${cell.key}: ${cell.verdict.outcome}: ${cell.verdict.detail}\n`,
          );
        }
        return;
      }
      const records = rehearseMod.rehearsalRecords(checked.input, result, {
        command,
        version: lvmlabVersion(),
        name: `rehearse-${checked.input.backup.vgName}`,
        workload: checked.workloadName,
        policy: flags.policy,
        ...(checked.latePv === undefined ? {} : { lateDisk: checked.latePv }),
      });
      const ndjson = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
      const view = reports.rehearsalFromRecords(reports.parseRecords(ndjson, { source: "rehearse" }));
      if (view === undefined) throw new Error("A rehearsal wrote no rehearsal records");
      if (flags.ndjson !== undefined) reports.writeFileAtomic(flags.ndjson, ndjson);
      if (flags.md !== undefined) reports.writeFileAtomic(flags.md, reports.renderRehearsalMarkdown(view));
      if (flags.html !== undefined) reports.writeFileAtomic(flags.html, reports.renderRehearsalHtml(view));
      const paint = reports.createPainter(reports.shouldUseColor(process.stdout, process.env));
      process.stdout.write(reports.renderRehearsalTerminal(view, { paint }));
    });
}
