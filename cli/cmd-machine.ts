import type { Command } from "commander";
import type { Host } from "../engine/lvm/host.js";

interface MachineFlags {
  readonly devices?: string[];
  readonly machine?: string;
  readonly allowBlockDevices?: boolean;
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
    .addHelpText(
      "after",
      [
        "",
        "Image files are written through (no volatile cache survives between invocations), so a",
        "power cut keeps every write that reached the images; use lvmlab run for crash policies.",
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
        const result = session.shutdown(action === "reboot");
        if (result !== undefined) {
          process.stdout.write(result.stdout);
          process.stderr.write(result.stderr);
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
