/**
 * `lvm help` and `lvm version`, as LVM2 2.03.16 prints them: the command list with LVM2's own
 * one-line descriptions (only the commands lvmlab models), and the version lines of the Debian
 * build whose behaviour lvmlab follows, with kernel 6.1's device-mapper driver version.
 */
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";

/** LVM2's descriptions (`command-lines.in`), for the commands lvmlab runs. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  help: "Display help for commands",
  lvchange: "Change the attributes of logical volume(s)",
  lvconvert: "Change logical volume layout",
  lvcreate: "Create a logical volume",
  lvdisplay: "Display information about a logical volume",
  lvextend: "Add space to a logical volume",
  lvreduce: "Reduce the size of a logical volume",
  lvremove: "Remove logical volume(s) from the system",
  lvrename: "Rename a logical volume",
  lvresize: "Resize a logical volume",
  lvs: "Display information about logical volumes",
  pvchange: "Change attributes of physical volume(s)",
  pvck: "Check metadata on physical volumes",
  pvcreate: "Initialize physical volume(s) for use by LVM",
  pvdisplay: "Display various attributes of physical volume(s)",
  pvmove: "Move extents from one physical volume to another",
  pvremove: "Remove LVM label(s) from physical volume(s)",
  pvresize: "Resize physical volume(s)",
  pvs: "Display information about physical volumes",
  version: "Display software and driver version information",
  vgcfgbackup: "Backup volume group configuration(s)",
  vgcfgrestore: "Restore volume group configuration",
  vgchange: "Change volume group attributes",
  vgck: "Check the consistency of volume group(s)",
  vgcreate: "Create a volume group",
  vgdisplay: "Display volume group information",
  vgexport: "Unregister volume group(s) from the system",
  vgextend: "Add physical volumes to a volume group",
  vgimport: "Register exported volume group with system",
  vgmerge: "Merge volume groups",
  vgreduce: "Remove physical volume(s) from a volume group",
  vgremove: "Remove volume group(s)",
  vgrename: "Rename a volume group",
  vgs: "Display information about volume groups",
  vgsplit: "Move physical volumes into a new or existing volume group",
};

/** `lvm help [COMMAND]`: the command list, or one command's usage via its `--help`. */
export function helpCommand(names: () => readonly string[]): LvmCommandDef {
  return {
    name: "help",
    readOnly: true,
    options: [],
    run(context: CommandContext, args) {
      const [topic] = args.positionals;
      if (topic !== undefined) {
        if (!names().includes(topic))
          throw new LvmCommandError(`No such command '${topic}'.  Try 'help'.`, 2);
        context.out.message(`${topic}: ${DESCRIPTIONS[topic] ?? topic}`);
        context.out.message(`Run \`${topic} --help' for its options.`);
        return ECMD_PROCESSED;
      }
      context.out.message("Available lvm commands:");
      context.out.message("Use 'lvm help <command>' for more information");
      context.out.message(" ");
      for (const name of [...names()].sort()) {
        context.out.message(`${name.padEnd(15)} ${DESCRIPTIONS[name] ?? ""}`.trimEnd());
      }
      return ECMD_PROCESSED;
    },
  };
}

/** `lvm version`: Debian's LVM2 2.03.16 build and kernel 6.1's dm driver version. */
export const versionCommand: LvmCommandDef = {
  name: "version",
  readOnly: true,
  options: [],
  run(context: CommandContext) {
    context.out.message("LVM version:     2.03.16(2) (2022-05-18)");
    context.out.message("Library version: 1.02.185 (2022-05-18)");
    if (context.driverLoaded !== false) context.out.message("Driver version:  4.47.0");
    context.out.message(
      "Configuration:   lvmlab's user-space model of LVM2 2.03.16 and device-mapper (kernel 6.1)",
    );
    return ECMD_PROCESSED;
  },
};
