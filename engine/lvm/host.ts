import type { BlockDevice } from "../block/device.js";
import type { Mutations } from "../sim/mutations.js";
import { NO_MUTATIONS } from "../sim/mutations.js";
import { Rng } from "../sim/rng.js";
import { Scheduler } from "../sim/scheduler.js";
import { SyncGate } from "../sim/sync-gate.js";
import { Trace } from "../sim/trace.js";

/**
 * Unix time lvmlab's virtual clock starts at (2026-01-01T00:00:00Z). Metadata records creation
 * times; taking them from virtual time keeps the same seed producing the same bytes.
 */
export const VIRTUAL_EPOCH_SECONDS = 1_767_225_600;

/** File access for vgcfgbackup/vgcfgrestore; the CLI passes node:fs, simulations a Map. */
export interface HostFiles {
  readText(path: string): string;
  writeText(path: string, text: string): void;
  /** File names (not paths) directly inside `dir`; absent when the host cannot list directories. */
  list?(dir: string): string[];
  /** Removes a file; a missing file is not an error. */
  remove?(path: string): void;
  /** Creates a new file with these bytes, failing if it exists (`fopen(path, "wx")`: pvck --dump -f). */
  createBytes?(path: string, bytes: Uint8Array): void;
}

/** What a simulated machine is made of, as the commands see it. */
export interface HostOptions {
  /** The block devices LVM2 may scan, by the name commands use for them (e.g. "a.img", "/dev/sdb"). */
  readonly devices: ReadonlyArray<readonly [string, BlockDevice]>;
  readonly trace?: Trace;
  readonly scheduler?: Scheduler;
  readonly mutations?: Mutations;
  /** Host name written into metadata (`creation_host`). */
  readonly hostname?: string;
  /** Gates on background work (resync, pvmove copy, merge); the machine's, kept across reboots. */
  readonly syncGate?: SyncGate;
  /** Seed for new PV, VG and LV ids; the same seed and commands give the same bytes. */
  readonly seed?: string;
  /** Where backup files are read and written; absent means those commands fail with a clear message. */
  readonly files?: HostFiles;
  /**
   * Keep LVM2's automatic metadata backups (`backup/backup = 1`, `backup/archive = 1`): before a
   * command changes a VG its old metadata goes to `/etc/lvm/archive`, after it the new metadata to
   * `/etc/lvm/backup`. Off by default: simulations need not pay for it.
   */
  readonly archiving?: boolean;
  /**
   * `files` is the machine's own root filesystem (a simulated machine's, or a `lvmlab lvm`
   * machine's /etc/lvm): the lvm.conf settings lvmlab keeps are read from and written to
   * `/etc/lvm/lvm.conf` there, so they survive reboots. Off for files on the real host.
   */
  readonly lvmConfInFiles?: boolean;
}

/**
 * The simulated machine the LVM2 commands run on: its disks, trace bus, virtual clock and the
 * active mutations. Dropped whole on reboot; everything that must survive lives on the devices.
 */
export class Host {
  readonly devices: ReadonlyMap<string, BlockDevice>;
  readonly trace: Trace;
  readonly scheduler: Scheduler;
  readonly mutations: Mutations;
  readonly hostname: string;
  readonly syncGate: SyncGate;
  /** The stream new ids are drawn from. */
  readonly ids: Rng;
  readonly files: HostFiles | undefined;
  readonly archiving: boolean;
  /** See {@link HostOptions.lvmConfInFiles}. */
  readonly lvmConfInFiles: boolean;
  /**
   * Core-log mirrors ("vg/lv") the running kernel still holds in sync: a machine restored between
   * two `lvmlab lvm` invocations reloads them with every region in sync, as the kernel kept them.
   */
  readonly mirrorsKnownInSync = new Set<string>();
  /**
   * LV ids (38-character uuids) that are active. Kept in memory only, like the kernel's tables:
   * a reboot (a fresh Host) starts with nothing active.
   */
  readonly activeLvs = new Set<string>();

  constructor(options: HostOptions) {
    const devices = new Map<string, BlockDevice>();
    for (const [name, device] of options.devices) {
      if (devices.has(name)) throw new Error(`Device ${name} is listed twice; give each device once`);
      devices.set(name, device);
    }
    this.devices = devices;
    this.trace = options.trace ?? new Trace();
    this.scheduler = options.scheduler ?? new Scheduler();
    this.mutations = options.mutations ?? NO_MUTATIONS;
    this.hostname = options.hostname ?? "lvmlab";
    this.syncGate = options.syncGate ?? new SyncGate();
    this.files = options.files;
    this.archiving = options.archiving ?? false;
    this.lvmConfInFiles = (options.lvmConfInFiles ?? false) && options.files !== undefined;
    // Rng seeds may not contain "/" (it separates seed-path levels); any text is accepted here.
    this.ids = Rng.fromSeed((options.seed ?? "lvmlab").replaceAll("/", "_") || "lvmlab").fork("ids");
  }

  /** Virtual wall-clock time in whole Unix seconds, for metadata timestamps. */
  nowSeconds(): number {
    return VIRTUAL_EPOCH_SECONDS + Math.floor(this.scheduler.nowNs / 1e9);
  }

  /** The device with this name, or undefined. */
  device(name: string): BlockDevice | undefined {
    return this.devices.get(name);
  }
}
