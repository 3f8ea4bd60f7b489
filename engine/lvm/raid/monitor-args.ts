/** Records `--monitor y|n` and `--config activation/raid_fault_policy=…` of a command for the raid monitor. */
import { optionValue, type ParsedArgs } from "../args.js";
import type { CommandContext } from "../command.js";
import { configSetting } from "../config-setting.js";
import { setRaidMonitoring } from "./monitor-settings.js";

/** Applies the command's monitoring options to `vg/lv` (no-op when it gives none). */
export function noteRaidMonitoring(context: CommandContext, args: ParsedArgs, path: string): void {
  const monitor = optionValue(args, "monitor");
  const policy = configSetting(optionValue(args, "config"), "activation/raid_fault_policy");
  const monitoring = configSetting(optionValue(args, "config"), "activation/monitoring");
  const monitored =
    monitor !== undefined
      ? /^(y|yes|1)$/.test(monitor)
      : monitoring !== undefined
        ? String(monitoring) !== "0"
        : undefined;
  setRaidMonitoring(context.host, path, {
    ...(monitored !== undefined ? { monitored } : {}),
    ...(typeof policy === "string" ? { policy } : {}),
  });
}
