/**
 * The state file that makes the PV images one running machine across `lvmlab lvm` invocations
 * (`lvmlab-machine.json` beside the first image): the images it is made of, what its kernel
 * holds (active LVs, in-sync core-log mirrors, the virtual clock) and its /etc/lvm (automatic
 * backups and archives, `backup_dir`/`archive_dir`). Written atomically (temp file + rename),
 * validated on read with errors that name the file and the field.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";

/** The state file's name, beside the first image. */
export const MACHINE_FILE_NAME = "lvmlab-machine.json";
/** Files under /etc/lvm a machine may hold at most (archives are bounded per VG as well). */
const MACHINE_FILES_MAX = 4096;

const machineSchema = z.strictObject({
  format: z.literal("lvmlab-machine"),
  version: z.literal(1),
  devices: z.array(z.string().min(1)).max(256),
  clockNs: z.number().int().nonnegative(),
  invocations: z.number().int().nonnegative(),
  activeLvIds: z.array(z.string().length(38)).max(65_536),
  mirrorsInSync: z.array(z.string().regex(/^[^/]+\/[^/]+$/)).max(65_536),
  files: z
    .record(z.string().regex(/^\/etc\/lvm\/[^\0]+$/), z.string())
    .refine((files) => Object.keys(files).length <= MACHINE_FILES_MAX, {
      message: `at most ${MACHINE_FILES_MAX} files`,
    }),
});

/** The machine's state as stored. Device paths are relative to the state file's folder. */
export type MachineFile = z.infer<typeof machineSchema>;

/** A machine that has never run a command. */
export function newMachine(devicesRelative: readonly string[]): MachineFile {
  return {
    format: "lvmlab-machine",
    version: 1,
    devices: [...devicesRelative],
    clockNs: 0,
    invocations: 0,
    activeLvIds: [],
    mirrorsInSync: [],
    files: {},
  };
}

/** A state file that cannot be used; the message names the file and the field. */
export class MachineFileError extends Error {
  override readonly name = "MachineFileError";
}

/** Reads and validates a state file; undefined when it does not exist. */
export function readMachineFile(path: string): MachineFile | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new MachineFileError(
      `Cannot read machine state ${path}: ${(error as Error).message}; remove the file to start a fresh machine (every LV inactive)`,
    );
  }
  const parsed = machineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length === 0 ? "(top level)" : issue.path.map(String).join(".");
    throw new MachineFileError(
      `Cannot read machine state ${path}: field ${field}: ${issue.message}; remove the file to start a fresh machine (every LV inactive)`,
    );
  }
  return parsed.data;
}

/** Writes the state file atomically: a crash never leaves half a file. */
export function writeMachineFile(path: string, machine: MachineFile): void {
  const temp = join(dirname(path), `.${MACHINE_FILE_NAME}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(machine, null, 2)}\n`);
  renameSync(temp, path);
}

/** Where the state file of a machine made of `images` lives, unless `--machine` says. */
export function defaultMachinePath(images: readonly string[]): string {
  const first = images[0];
  return first === undefined ? resolve(MACHINE_FILE_NAME) : join(dirname(resolve(first)), MACHINE_FILE_NAME);
}

/** Image paths as stored: relative to the state file's folder (absolute ones stay absolute). */
export function devicesForFile(machinePath: string, images: readonly string[]): string[] {
  const base = dirname(resolve(machinePath));
  return images.map((image) => (isAbsolute(image) ? image : relative(base, resolve(image))));
}

/** Stored image paths as the command line would name them: relative to the working folder. */
export function devicesFromFile(machinePath: string, machine: MachineFile): string[] {
  const base = dirname(resolve(machinePath));
  return machine.devices.map((device) => {
    if (isAbsolute(device)) return device;
    const path = relative(process.cwd(), resolve(base, device));
    return path === "" ? "." : path;
  });
}

/** The folder listing of the machine's /etc/lvm: names directly inside `dir`. */
export function listMachineDir(machine: MachineFile, dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return Object.keys(machine.files)
    .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes("/"))
    .map((path) => path.slice(prefix.length))
    .sort();
}
