/**
 * One `lvmlab lvm` invocation on a machine: open the images, bring the kernel back to where the
 * last invocation left it (active LVs, in-sync mirrors, clock, interrupted moves), run LVM2
 * commands, let background work advance in virtual time, and save the machine again. Read-only
 * commands (reports, displays, checks) see the restored machine through a copy-on-write layer
 * and change neither the images nor the state file (except the backup `vgcfgbackup` writes).
 */
import * as fs from "node:fs";
import { resolve } from "node:path";
import type { CrashOutcome, CrashPolicy, WriteJournal } from "../engine/block/mod.js";
import type { Host, HostFiles } from "../engine/lvm/host.js";
import type { LvmRunResult } from "../engine/lvm/mod.js";
import {
  defaultMachinePath,
  devicesForFile,
  devicesFromFile,
  listMachineDir,
  MACHINE_FILE_NAME,
  type MachineFile,
  MachineFileError,
  newMachine,
  readMachineFile,
  writeMachineFile,
} from "./lvm-machine-file.js";
import { openHost } from "./open-host.js";

/** What a session needs from the command line. */
export interface SessionOptions {
  /** Images given with --devices (before or after the command name). */
  readonly images: readonly string[];
  /** --machine FILE, when given. */
  readonly machinePath?: string;
  /** Virtual time background work may run after each command; undefined = until idle (bounded). */
  readonly elapseNs?: number;
  readonly allowBlockDevices: boolean;
  /** True when every command of the session only reads (the images open read-only). */
  readonly readOnly: boolean;
  /** Mixed into the id seed. */
  readonly seedText: string;
}

/** An open machine: run commands on it, then close (which saves it when it may change). */
export interface MachineSession {
  readonly host: Host;
  readonly machinePath: string;
  /** The state as stored when the session opened (with any disks the command line added). */
  readonly machine: MachineFile;
  run(argv: readonly string[]): LvmRunResult;
  /**
   * Ends the running machine: a clean reboot deactivates every VG first (mirrors write their
   * logs) and flushes every disk cache; a power cut does neither, and each disk keeps what its
   * crash policy (by image path) chooses from the writes it had not flushed. Either way the next
   * invocation starts with nothing active.
   */
  shutdown(
    how:
      | { readonly clean: true }
      | { readonly clean: false; readonly policyOf: (image: string) => CrashPolicy },
  ): { readonly result?: LvmRunResult; readonly crashes: readonly CrashOutcome[] };
  close(): void;
}

/** A session that cannot start: no devices, a bad state file, an image that cannot be opened. */
export class SessionError extends Error {
  override readonly name = "SessionError";
}

const ETC_LVM = "/etc/lvm/";

/** The disks' volatile caches live beside the state file: `lvmlab-machine.json` → `lvmlab-machine.wcache`. */
export function journalPath(machinePath: string): string {
  return `${machinePath.replace(/\.json$/, "")}.wcache`;
}

/** /etc/lvm lives in the machine's state; every other path is the real file system. */
function machineFiles(machine: MachineFile, changed: () => void): HostFiles {
  return {
    readText(path) {
      if (!path.startsWith(ETC_LVM)) return fs.readFileSync(path, "utf8");
      const text = machine.files[path];
      if (text === undefined) throw new Error(`No such file on this machine: ${path}`);
      return text;
    },
    writeText(path, text) {
      if (!path.startsWith(ETC_LVM)) {
        fs.writeFileSync(path, text);
        return;
      }
      machine.files[path] = text;
      changed();
    },
    list(dir) {
      if (`${dir}/`.startsWith(ETC_LVM)) return listMachineDir(machine, dir);
      try {
        return fs.readdirSync(dir);
      } catch {
        return [];
      }
    },
    createBytes(path, bytes) {
      if (!path.startsWith(ETC_LVM)) {
        fs.writeFileSync(path, bytes, { flag: "wx" });
        return;
      }
      if (machine.files[path] !== undefined) throw new Error(`File exists: ${path}`);
      machine.files[path] = new TextDecoder().decode(bytes);
      changed();
    },
    remove(path) {
      if (!path.startsWith(ETC_LVM)) {
        fs.rmSync(path, { force: true });
        return;
      }
      if (machine.files[path] !== undefined) {
        delete machine.files[path];
        changed();
      }
    },
  };
}

/** Opens the machine the images (or the state file in this folder) make up. */
export async function openSession(options: SessionOptions): Promise<MachineSession> {
  const machinePath = resolve(options.machinePath ?? defaultMachinePath(options.images));
  let stored: MachineFile | undefined;
  try {
    stored = readMachineFile(machinePath);
  } catch (error) {
    if (error instanceof MachineFileError) throw new SessionError(error.message);
    throw error;
  }
  let images = [...options.images];
  if (images.length === 0) {
    if (stored === undefined) {
      throw new SessionError(
        `No devices given and no ${MACHINE_FILE_NAME} here: name the PV images with --devices a.img,b.img (create them with truncate -s 64M a.img)`,
      );
    }
    images = devicesFromFile(machinePath, stored);
  }
  const machine: MachineFile = stored ?? newMachine([]);
  // A disk added on the command line joins the machine; the machine keeps the disks it had.
  const known = new Set(machine.devices);
  for (const device of devicesForFile(machinePath, images))
    if (!known.has(device)) machine.devices.push(device);
  let filesChanged = false;
  const [engine, journaling] = await Promise.all([
    import("../engine/lvm/mod.js"),
    import("../engine/block/mod.js"),
  ]);
  // Each disk's unflushed writes, by the image path this invocation uses (stored by machine name).
  const journals = new Map<string, WriteJournal>();
  const storedNames = devicesForFile(machinePath, images);
  const cachePath = journalPath(machinePath);
  if (fs.existsSync(cachePath)) {
    let stored: Map<string, WriteJournal>;
    try {
      stored = journaling.decodeJournals(new Uint8Array(fs.readFileSync(cachePath)));
    } catch (error) {
      throw new SessionError(
        `Cannot read the disks' write caches ${cachePath}: ${(error as Error).message}; remove the file to treat every write as flushed`,
      );
    }
    for (const [i, image] of images.entries()) {
      const journal = stored.get(storedNames[i]!);
      if (journal !== undefined) journals.set(image, journal);
    }
  }
  let opened: Awaited<ReturnType<typeof openHost>>;
  try {
    opened = await openHost(images, {
      readOnly: options.readOnly,
      allowBlockDevices: options.allowBlockDevices,
      seedText: `${machine.invocations}\0${options.seedText}`,
      files: machineFiles(machine, () => {
        filesChanged = true;
      }),
      archiving: true,
      lvmConfInFiles: true,
      overlay: options.readOnly,
      ...(options.readOnly ? {} : { journals }),
    });
  } catch (error) {
    throw new SessionError((error as Error).message);
  }
  const { host } = opened;
  engine.restoreRuntime(host, {
    clockNs: machine.clockNs,
    activeLvIds: machine.activeLvIds,
    mirrorsInSync: machine.mirrorsInSync,
  });
  let ran = false;
  let ended = false;
  const saveJournals = (): void => {
    const byName = new Map<string, WriteJournal>();
    for (const [i, image] of images.entries()) {
      const journal = journals.get(image);
      if (journal !== undefined && (journal.entries.length > 0 || journal.preimages.size > 0))
        byName.set(storedNames[i]!, journal);
    }
    if (byName.size === 0) {
      fs.rmSync(cachePath, { force: true });
      return;
    }
    const temp = `${cachePath}.${process.pid}.tmp`;
    fs.writeFileSync(temp, journaling.encodeJournals(byName));
    fs.renameSync(temp, cachePath);
  };
  return {
    host,
    machinePath,
    machine,
    shutdown(how) {
      ran = true;
      ended = true;
      if (how.clean) {
        const result = engine.runLvm(host, ["vgchange", "-an"]);
        // A clean shutdown syncs every disk: nothing is left to lose.
        for (const image of images) host.device(image)?.flush();
        return { result, crashes: [] };
      }
      const crashes: CrashOutcome[] = [];
      for (const image of images) {
        const journal = journals.get(image);
        const device = host.device(image);
        if (journal === undefined || !(device instanceof journaling.JournalingDevice)) continue;
        crashes.push(journaling.powerCutJournal(device.backing, journal, how.policyOf(image)));
      }
      return { crashes };
    },
    run(argv) {
      const result = engine.runLvm(host, argv);
      if (!options.readOnly) engine.settleBackground(host, options.elapseNs ?? engine.SETTLE_NS_MAX);
      ran = true;
      return result;
    },
    close() {
      try {
        if (!ran) return;
        if (!options.readOnly) {
          const runtime = ended
            ? { ...engine.BOOTED_RUNTIME, clockNs: host.scheduler.nowNs }
            : engine.captureRuntime(host);
          machine.clockNs = runtime.clockNs;
          machine.activeLvIds = [...runtime.activeLvIds];
          machine.mirrorsInSync = [...runtime.mirrorsInSync];
          machine.invocations += 1;
          writeMachineFile(machinePath, machine);
          saveJournals();
        } else if (filesChanged) {
          writeMachineFile(machinePath, machine);
        }
      } finally {
        opened.close();
      }
    },
  };
}
