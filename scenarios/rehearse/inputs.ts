/**
 * Turns what the user gave `lvmlab rehearse` — a backup file (or PV images), a plan, device
 * profiles, new disks and a workload — into a checked {@link RehearsalInput}. Every problem is a
 * {@link RehearseInputError} naming the file and line or the option, raised before anything runs.
 */
import { FileDevice } from "../../engine/block/file.js";
import { Host } from "../../engine/lvm/host.js";
import { scanHost } from "../../engine/lvm/vg-read.js";
import { resolveProfile } from "../../engine/sim/mod.js";
import { jobsFromFioFile } from "../../workloads/fio-ini.js";
import type { JobSpec } from "../../workloads/job-spec.js";
import { parseSizeText } from "../size-text.js";
import { type BackupVg, REHEARSE_PV_BYTES_MAX, readBackup } from "./backup.js";
import { RehearseInputError } from "./input-error.js";
import { parsePlan } from "./plan.js";
import type { RehearsalInput, RehearseDisk } from "./world.js";

/** The profile a backup's PVs get unless `--profile` says otherwise. */
export const DEFAULT_PV_PROFILE = "sata-ssd";

/** The workload when no fio job file is given: verified 4 KiB random writes on every LV. */
export const DEFAULT_WORKLOAD_TEXT = [
  "; lvmlab rehearse's default workload, run on every LV before, during each pvmove, and after",
  "[randwrite-4k]",
  "rw=randwrite",
  "bs=4k",
  "iodepth=4",
  "number_ios=64",
  "fsync=16",
  "verify=xxh64",
  "",
].join("\n");

/** What the command line gave, as text. */
export interface RehearseRequest {
  /** The backup file's text and name, or undefined when PV images are given instead. */
  readonly backup?: { readonly file: string; readonly text: string };
  /** PV image files whose VG is read instead of a backup (only the layout is used). */
  readonly pvImages?: readonly string[];
  readonly plan: { readonly file: string; readonly text: string };
  /** `--profile NAME` (every PV of the backup) or `--profile DEV=NAME`, in order. */
  readonly profiles: readonly string[];
  /** `--new-disk DEV=SIZE[:PROFILE]`. */
  readonly newDisks: readonly string[];
  readonly workload?: { readonly file: string; readonly text: string };
  readonly seed: number;
  /** `--late DEV` or "none"; undefined: the first new disk, else the backup's first PV. */
  readonly late?: string;
}

/** A checked rehearsal input and the late disk. */
export interface CheckedRequest {
  readonly input: RehearsalInput;
  readonly latePv: string | undefined;
  /** The workload's name in records: the job file's base name or "default". */
  readonly workloadName: string;
}

function profileOrError(name: string, where: string): string {
  try {
    resolveProfile(name);
  } catch (error) {
    throw new RehearseInputError(`${where}: ${(error as Error).message}`);
  }
  return name;
}

/** Reads the VG of PV images as a backup file would describe it (the images are only read). */
export function backupFromImages(paths: readonly string[]): BackupVg {
  const devices: FileDevice[] = [];
  try {
    for (const path of paths) {
      try {
        devices.push(FileDevice.open(path, { name: path, readOnly: true }));
      } catch (error) {
        throw new RehearseInputError(`Cannot open PV image ${path}: ${(error as Error).message}`);
      }
    }
    const host = new Host({ devices: devices.map((d) => [d.name, d] as const) });
    const vgs = scanHost(host).result.vgs;
    if (vgs.length !== 1) {
      throw new RehearseInputError(
        `PV images ${paths.join(", ")} hold ${vgs.length === 0 ? "no VG" : `${vgs.length} VGs (${vgs.map((vg) => vg.vgName).join(", ")})`}; give the images of exactly one VG, or a vgcfgbackup file with --backup`,
      );
    }
    // The metadata text as the disks hold it: its device hints are the names LVM2 last saw the
    // PVs under (/dev/sdb1), which is what a plan names, not the image files' paths.
    const text = vgs[0]!.text;
    return readBackup(text, { file: paths.join(",") });
  } finally {
    for (const d of devices) d.close();
  }
}

/** Checks a request and builds the rehearsal input. */
export function checkRequest(request: RehearseRequest): CheckedRequest {
  let backup: BackupVg;
  if (request.backup !== undefined) backup = readBackup(request.backup.text, { file: request.backup.file });
  else if (request.pvImages !== undefined && request.pvImages.length > 0)
    backup = backupFromImages(request.pvImages);
  else throw new RehearseInputError("Give the VG with --backup FILE (from vgcfgbackup) or --pv-image IMAGE…");
  const known = new Set(backup.pvs.map((pv) => pv.device));
  let defaultProfile = DEFAULT_PV_PROFILE;
  const profileOf = new Map<string, string>();
  for (const text of request.profiles) {
    // `custom:bw=…` is a profile for every PV; `DEV=NAME` (NAME may be `custom:…`) is one PV's.
    const eq = text.startsWith("custom:") ? -1 : text.indexOf("=");
    if (eq < 0) {
      defaultProfile = profileOrError(text, `--profile ${text}`);
      continue;
    }
    const device = text.slice(0, eq);
    if (!known.has(device)) {
      throw new RehearseInputError(
        `--profile ${text}: ${device} is not a PV of ${backup.file} (its PVs are ${[...known].join(", ")}); give a new disk's profile with --new-disk ${device}=SIZE:PROFILE`,
      );
    }
    profileOf.set(device, profileOrError(text.slice(eq + 1), `--profile ${text}`));
  }
  const disks: RehearseDisk[] = backup.pvs.map((pv) => ({
    device: pv.device,
    sizeBytes: pv.sizeBytes,
    profile: profileOf.get(pv.device) ?? defaultProfile,
    isNew: false,
  }));
  for (const text of request.newDisks) {
    const match = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(text);
    if (match === null)
      throw new RehearseInputError(
        `--new-disk ${text}: expected DEVICE=SIZE[:PROFILE], e.g. /dev/sdc1=64MiB:sata-ssd`,
      );
    const device = match[1]!;
    if (disks.some((d) => d.device === device))
      throw new RehearseInputError(`--new-disk ${text}: ${device} is already a disk of the rehearsal`);
    let sizeBytes: number;
    try {
      sizeBytes = parseSizeText(match[2]!);
    } catch (error) {
      throw new RehearseInputError(`--new-disk ${text}: ${(error as Error).message}`);
    }
    if (sizeBytes > REHEARSE_PV_BYTES_MAX || sizeBytes < 4 * 1024 * 1024) {
      throw new RehearseInputError(
        `--new-disk ${text}: size must be between 4MiB and ${REHEARSE_PV_BYTES_MAX / 1024 ** 3}GiB`,
      );
    }
    const profile = profileOrError(match[3] ?? defaultProfile, `--new-disk ${text}`);
    disks.push({ device, sizeBytes, profile, isNew: true });
  }
  const steps = parsePlan(request.plan.text, {
    file: request.plan.file,
    vgName: backup.vgName,
    devices: disks.map((d) => d.device),
  });
  let jobs: JobSpec[];
  const workloadFile = request.workload?.file ?? "(default workload)";
  try {
    jobs = jobsFromFioFile(request.workload?.text ?? DEFAULT_WORKLOAD_TEXT, { file: workloadFile });
  } catch (error) {
    throw new RehearseInputError((error as Error).message);
  }
  let latePv: string | undefined;
  if (request.late === "none") latePv = undefined;
  else if (request.late !== undefined) {
    if (!disks.some((d) => d.device === request.late))
      throw new RehearseInputError(
        `--late ${request.late}: not a disk of the rehearsal (${disks.map((d) => d.device).join(", ")}); or --late none`,
      );
    latePv = request.late;
  } else latePv = disks.find((d) => d.isNew)?.device ?? disks[0]?.device;
  const workloadName =
    request.workload === undefined ? "default" : (request.workload.file.split("/").at(-1) ?? "workload");
  return { input: { backup, steps, disks, jobs, seed: request.seed }, latePv, workloadName };
}
