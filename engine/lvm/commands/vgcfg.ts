/**
 * `vgcfgbackup [-f FILE] [VG...]` writes LVM2's backup file (header block first, description
 * "Created *after* executing '<command>'"); `vgcfgrestore -f FILE VG` writes a backup's VG back to
 * its PVs (found by uuid) with a seqno above both the file's and the disk's.
 */
import { parseConfig } from "../../format/config-parse.js";
import { isConfigParseError } from "../../format/config-parse-error.js";
import { printConfig } from "../../format/config-print.js";
import { parseUuid } from "../../format/uuid.js";
import { backupFileTree } from "../../format/vg-text.js";
import { exportVg } from "../../metadata/export.js";
import { findVgSection, importVg, isMetadataImportError } from "../../metadata/import.js";
import type { VolumeGroup } from "../../metadata/model.js";
import { BACKUP_DIR, listArchives } from "../archive.js";
import { hasOption, optionValue } from "../args.js";
import { withBackupComments } from "../backup-comments.js";
import { type CommandContext, ECMD_PROCESSED, type LvmCommandDef, LvmCommandError } from "../command.js";
import type { HostFiles } from "../host.js";
import { findVg, requireVg, vgNames } from "../vg-read.js";
import { writeVg } from "../vg-write.js";
import { scanWithWarnings } from "./common.js";

function files(context: CommandContext): HostFiles {
  const f = context.host.files;
  if (f === undefined)
    throw new LvmCommandError("No file system on this host: backup files cannot be read or written here");
  return f;
}

/** The backup-file text of `vg`. */
function backupText(context: CommandContext, vg: VolumeGroup): string {
  return printConfig(
    backupFileTree(withBackupComments(exportVg(vg)), {
      // vgcfgbackup describes the file by its command line; automatic backups say "Created *after*".
      description: context.commandLine,
      creationHost: context.host.hostname,
      creationTimeUnix: context.host.nowSeconds(),
    }),
    { style: "file" },
  );
}

/** The vgcfgbackup command. */
export const vgcfgbackupCommand: LvmCommandDef = {
  name: "vgcfgbackup",
  readOnly: true,
  options: [{ long: "file", short: "f", value: true }],
  run(context, args) {
    const scan = scanWithWarnings(context);
    const names = args.positionals.length > 0 ? args.positionals : vgNames(scan);
    const file = optionValue(args, "file");
    if (file !== undefined && names.length > 1 && !file.includes("%s")) {
      throw new LvmCommandError(
        "VGs must be backed up into different files. Use %s in filename for VG name.",
      );
    }
    for (const name of names) {
      const handle = requireVg(scan, name, { allowExported: true, allowMissing: true });
      const path = (file ?? `${BACKUP_DIR}/${handle.vg.name}`).replace("%s", handle.vg.name);
      files(context).writeText(path, backupText(context, handle.vg));
      context.out.message(`Volume group "${handle.vg.name}" successfully backed up.`);
    }
    return ECMD_PROCESSED;
  },
};

/** The vgcfgrestore command. */
export const vgcfgrestoreCommand: LvmCommandDef = {
  name: "vgcfgrestore",
  readOnly: false,
  options: [
    { long: "file", short: "f", value: true },
    { long: "list", short: "l", value: false },
  ],
  run(context, args) {
    const [name] = args.positionals;
    if (hasOption(args, "list")) {
      if (name === undefined)
        throw new LvmCommandError("Please specify a *single* volume group to restore.", 3);
      files(context);
      for (const line of listArchives(context, name)) context.out.message(line);
      return ECMD_PROCESSED;
    }
    if (name === undefined)
      throw new LvmCommandError("Please specify a *single* volume group to restore.", 3);
    // Without -f, LVM2 restores the automatic backup `backup_dir/<vg>`.
    const file = optionValue(args, "file") ?? `${BACKUP_DIR}/${name}`;
    let vg: VolumeGroup;
    try {
      const text = files(context).readText(file);
      vg = importVg(findVgSection(parseConfig(text, { fileName: file })));
    } catch (error) {
      if (isConfigParseError(error) || isMetadataImportError(error)) {
        throw new LvmCommandError(
          `Couldn't read volume group metadata from file ${file}: ${(error as Error).message}\n  Restore failed.`,
        );
      }
      if (error instanceof LvmCommandError) throw error;
      throw new LvmCommandError(
        `Couldn't read backup file ${file}: ${(error as Error).message}\n  Restore failed.`,
      );
    }
    if (vg.name !== name)
      throw new LvmCommandError(`Backup file ${file} holds VG ${vg.name}, not ${name}\n  Restore failed.`);
    const scan = scanWithWarnings(context);
    const missing = vg.pvs.filter((pv) => !scan.deviceOf.has(parseUuid(pv.id)));
    if (missing.length > 0) {
      for (const pv of missing) context.out.error(`Couldn't find device with uuid ${pv.id}.`);
      throw new LvmCommandError(
        `Cannot restore Volume Group ${name} with ${missing.length} PVs marked as missing.\n  Restore failed.`,
      );
    }
    const current = findVg(scan, name);
    const base = Math.max(vg.seqno, current?.scanned.seqno ?? 0);
    const pvs = vg.pvs.map((pv) => ({ ...pv, deviceHint: scan.deviceOf.get(parseUuid(pv.id))! }));
    // vgcfgrestore rewrites every mda whose header is sound, including ones whose text is damaged
    // (research §1.7: only a bad header — magic, start — keeps it from a PV).
    writeVg(context, scan, { ...vg, seqno: base, pvs }, { ignoreBadFields: 0 });
    context.out.message(`Restored volume group ${name}.`);
    return ECMD_PROCESSED;
  },
};
