/**
 * LVM2's automatic metadata backups (`lib/format_text/archiver.c`, `archive.c`): before a command
 * first writes a VG, the metadata it is about to replace goes to
 * `/etc/lvm/archive/<vg>_<NNNNN>-<rand>.vg` ("Created *before* executing '…'"); after the command
 * the new metadata goes to `/etc/lvm/backup/<vg>` ("Created *after* executing '…'").
 * `vgcfgrestore -l VG` lists both. Only hosts made with `archiving: true` keep them.
 */
import { parseConfig } from "../format/config-parse.js";
import { printConfig } from "../format/config-print.js";
import { lvmCrc } from "../format/crc.js";
import { backupFileTree, ctimeUtc } from "../format/vg-text.js";
import { exportVg } from "../metadata/export.js";
import type { VolumeGroup } from "../metadata/model.js";
import { withBackupComments } from "./backup-comments.js";
import type { CommandContext } from "./command.js";

/** `backup/backup_dir`'s default. */
export const BACKUP_DIR = "/etc/lvm/backup";
/** `backup/archive_dir`'s default. */
const ARCHIVE_DIR = "/etc/lvm/archive";
/**
 * Archives kept per VG at most. LVM2 keeps at least `retain_min` (10) and drops those older than
 * `retain_days` (30); virtual time rarely passes 30 days, so a count bounds the directory instead.
 */
const ARCHIVES_PER_VG_MAX = 200;

const encoder = new TextEncoder();

/** The backup-file text of `vg` with `description` in its header block. */
function backupFileText(context: CommandContext, vg: VolumeGroup, description: string): string {
  return printConfig(
    backupFileTree(withBackupComments(exportVg(vg)), {
      description,
      creationHost: context.host.hostname,
      creationTimeUnix: context.host.nowSeconds(),
    }),
    { style: "file" },
  );
}

/** `<vg>_<NNNNN>-<rand>.vg` archive names of `vgName` in `names`, oldest (lowest index) first. */
function archivesOf(names: readonly string[], vgName: string): { name: string; index: number }[] {
  const pattern = /^(.+)_(\d{5})-(-?\d+)\.vg$/;
  const out: { name: string; index: number }[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (m !== null && m[1] === vgName) out.push({ name, index: Number(m[2]) });
  }
  return out.sort((a, b) => a.index - b.index || (a.name < b.name ? -1 : 1));
}

/** Archives `committed` (the metadata a command is about to replace), as `archive()` does. */
export function archiveVg(context: CommandContext, committed: VolumeGroup): void {
  const files = context.host.files;
  if (!context.host.archiving || files?.list === undefined) return;
  const existing = archivesOf(files.list(ARCHIVE_DIR), committed.name);
  const index = (existing.at(-1)?.index ?? -1) + 1;
  // rand_r() in LVM2; here a hash of what makes this archive unique, so a seed replays the name.
  const rnum =
    lvmCrc(encoder.encode(`${committed.name}:${index}:${committed.seqno}:${context.commandLine}`)) &
    0x7fffffff;
  const path = `${ARCHIVE_DIR}/${committed.name}_${String(index).padStart(5, "0")}-${rnum}.vg`;
  files.writeText(
    path,
    backupFileText(context, committed, `Created *before* executing '${context.commandLine}'`),
  );
  const drop = existing.length + 1 - ARCHIVES_PER_VG_MAX;
  for (const old of existing.slice(0, Math.max(0, drop))) files.remove?.(`${ARCHIVE_DIR}/${old.name}`);
}

/** Writes `/etc/lvm/backup/<vg>` after a command changed the VG, as `backup()` does. */
export function backupVg(context: CommandContext, vg: VolumeGroup): void {
  const files = context.host.files;
  if (!context.host.archiving || files === undefined) return;
  files.writeText(
    `${BACKUP_DIR}/${vg.name}`,
    backupFileText(context, vg, `Created *after* executing '${context.commandLine}'`),
  );
}

/** Removes `/etc/lvm/backup/<vg>` (vgremove), as `backup_remove()` does. */
export function removeBackup(context: CommandContext, vgName: string): void {
  if (!context.host.archiving) return;
  context.host.files?.remove?.(`${BACKUP_DIR}/${vgName}`);
}

/** The description and time recorded in a backup or archive file's header block. */
function fileHeader(text: string, path: string): { vgName: string; description: string; when: number } {
  const tree = parseConfig(text, { fileName: path });
  let description = "<No description>";
  let when = 0;
  let vgName = "";
  for (const item of tree.items) {
    if (item.kind === "assign" && item.key === "description" && item.value.kind === "string")
      description = item.value.value;
    else if (item.kind === "assign" && item.key === "creation_time" && item.value.kind === "int")
      when = item.value.value;
    else if (item.kind === "section" && vgName === "") vgName = item.key;
  }
  return { vgName, description, when };
}

/** The lines `vgcfgrestore -l VG` prints: every archive, newest last, then the backup file. */
export function listArchives(context: CommandContext, vgName: string): string[] {
  const files = context.host.files;
  const lines: string[] = [];
  const show = (path: string): void => {
    const header = fileHeader(files!.readText(path), path);
    // _display_archive: log_print(" "), then ctime()'s own newline leaves an empty line. LVM2
    // 2.03.16 prints the file name twice ("…/archive/vg0_00000-1.vg/vg0_00000-1.vg"); so do we.
    const name = path.slice(path.lastIndexOf("/") + 1);
    lines.push(" ", `File:\t\t${path}/${name}`, `VG name:    \t${header.vgName}`);
    lines.push(`Description:\t${header.description}`, `Backup Time:\t${ctimeUtc(header.when)}\n`);
  };
  const archives = files?.list === undefined ? [] : archivesOf(files.list(ARCHIVE_DIR), vgName);
  if (archives.length === 0) lines.push(`No archives found in ${ARCHIVE_DIR}.`);
  for (const a of archives) show(`${ARCHIVE_DIR}/${a.name}`);
  const backup = `${BACKUP_DIR}/${vgName}`;
  if (files?.list?.(BACKUP_DIR).includes(vgName)) show(backup);
  return lines;
}
