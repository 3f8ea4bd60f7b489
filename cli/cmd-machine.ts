import type { Command } from "commander";
import type { Host } from "../engine/lvm/host.js";

interface MachineFlags {
  readonly devices?: string[];
  readonly machine?: string;
  readonly allowBlockDevices?: boolean;
  readonly policy?: string;
  readonly seed?: string;
}

/**
 * Registers `lvmlab machine status|reboot|power-cut`: look at or end the machine that
 * `lvmlab lvm` keeps across invocations (images + lvmlab-machine.json).
 */
export function register(program: Command): void {
  program
    .command("machine")
    .description("Show or end the machine lvmlab lvm keeps across invocations: status, reboot, power-cut")
    .argument(
      "<action>",
      "status | reboot (deactivate cleanly, then boot) | power-cut (lose what the kernel held)",
    )
    .option(
      "--devices <images>",
      "comma-separated PV images (default: those remembered in ./lvmlab-machine.json)",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(",")],
    )
    .option(
      "--machine <file>",
      "the machine's state file (default: lvmlab-machine.json beside the first image)",
    )
    .option("--allow-block-devices", "allow real block devices such as /dev/sdb (refused by default)")
    .option(
      "--policy <policy>",
      "power-cut: what each disk keeps of the writes it had not flushed: drop-all, keep-all, subset, torn, prefix:N",
      "keep-all",
    )
    .option("--seed <n>", "power-cut: seed of the subset and torn choices (forked per disk)", "1")
    .addHelpText(
      "after",
      [
        "",
        "Each disk has a volatile write cache that lasts across invocations: writes reach the image",
        "at once (so real LVM2 tools see them, as on a running machine) and are remembered in",
        "lvmlab-machine.wcache until the disk is flushed. A reboot flushes every disk; a power cut",
        "keeps what --policy chooses from each disk's unflushed writes (LVM2 never flushes its",
        "metadata writes, so drop-all can take a whole command's metadata away), with the same",
        "crash policies as lvmlab run.",
      ].join("\n"),
    )
    .action(async (action: string, flags: MachineFlags) => {
      const [{ UsageError }, { openSession, SessionError }] = await Promise.all([
        import("./errors.js"),
        import("./lvm-session.js"),
      ]);
      if (action !== "status" && action !== "reboot" && action !== "power-cut") {
        throw new UsageError(`Unknown machine action ${action}: use status, reboot or power-cut`);
      }
      const [{ parsePolicyText }, { resolvePolicy }, { Rng }] = await Promise.all([
        import("../scenarios/policy-text.js"),
        import("../faults/mod.js"),
        import("../engine/sim/mod.js"),
      ]);
      let policy: ReturnType<typeof parsePolicyText>;
      try {
        policy = parsePolicyText(flags.policy ?? "keep-all");
      } catch (error) {
        throw new UsageError(`--policy: ${(error as Error).message}`);
      }
      const seed = Number(flags.seed ?? "1");
      if (!/^\d{1,10}$/.test(flags.seed ?? "1") || seed > 0xffffffff) {
        throw new UsageError(
          `--seed must be an integer from 0 to 4294967295, not ${JSON.stringify(flags.seed)}`,
        );
      }
      let session: Awaited<ReturnType<typeof openSession>>;
      try {
        session = await openSession({
          images: flags.devices ?? [],
          ...(flags.machine === undefined ? {} : { machinePath: flags.machine }),
          allowBlockDevices: flags.allowBlockDevices === true,
          readOnly: action === "status",
          seedText: `machine ${action}`,
        });
      } catch (error) {
        if (error instanceof SessionError) throw new UsageError(error.message);
        throw error;
      }
      try {
        if (action === "status") {
          const { machine } = session;
          const lines = [
            `machine     ${session.machinePath}`,
            `devices     ${machine.devices.join(", ")}`,
            `clock       ${(machine.clockNs / 1e9).toFixed(3)} s of virtual time, ${machine.invocations} commands`,
            `active LVs  ${await activeNames(session.host)}`,
            `in sync     ${machine.mirrorsInSync.join(", ") || "-"}`,
            `/etc/lvm    ${Object.keys(machine.files).length} files (vgcfgrestore -l VG lists them)`,
          ];
          process.stdout.write(`${lines.join("\n")}\n`);
          return;
        }
        // Seeded policies get one seed per disk, forked from --seed by the disk's name.
        const rng = Rng.fromSeed(seed).fork("machine-power-cut");
        const { result, crashes } =
          action === "reboot"
            ? session.shutdown({ clean: true })
            : session.shutdown({
                clean: false,
                policyOf: (image) => resolvePolicy(policy, () => rng.fork(image).uint32()),
              });
        if (result !== undefined) {
          process.stdout.write(result.stdout);
          process.stderr.write(result.stderr);
        }
        for (const crash of crashes) {
          const torn = crash.tornWrites > 0 ? `, ${crash.tornWrites} torn` : "";
          process.stdout.write(
            `${crash.device}: ${crash.policy.kind}${"seed" in crash.policy ? ` (seed ${crash.policy.seed})` : ""} kept ${crash.keptWrites} of ${crash.pendingWrites} unflushed writes${torn}\n`,
          );
        }
        process.stdout.write(
          action === "reboot"
            ? "Machine rebooted: every LV deactivated cleanly; activate them again with vgchange -ay\n"
            : "Power cut: the kernel's state is lost (active LVs, in-memory mirror logs); vgchange -ay recovers\n",
        );
      } finally {
        session.close();
      }
    });
}

/** "vg0/lv0, vg0/m" for the visible LVs the machine has active. */
async function activeNames(host: Host): Promise<string> {
  if (host.activeLvs.size === 0) return "-";
  const [{ findVg, scanHost }, { lvKinds }] = await Promise.all([
    import("../engine/lvm/mod.js"),
    import("../engine/metadata/mod.js"),
  ]);
  const scan = scanHost(host);
  const names: string[] = [];
  for (const scanned of scan.result.vgs) {
    let handle: ReturnType<typeof findVg>;
    try {
      handle = findVg(scan, scanned.vgName);
    } catch {
      continue;
    }
    if (handle === undefined) continue;
    const kinds = lvKinds(handle.vg);
    for (const lv of handle.vg.lvs) {
      if (host.activeLvs.has(lv.id) && kinds.get(lv.name)?.visible)
        names.push(`${handle.vg.name}/${lv.name}`);
    }
  }
  return names.join(", ") || "-";
}
