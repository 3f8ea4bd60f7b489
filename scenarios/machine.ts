import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { VolatileCache } from "../engine/block/cache.js";
import type { BlockDevice } from "../engine/block/device.js";
import { FileDevice } from "../engine/block/file.js";
import { MemoryDevice } from "../engine/block/memory.js";
import { TimedDevice } from "../engine/block/timed.js";
import { Host, type HostFiles } from "../engine/lvm/host.js";
import { monitorRaid, type RaidMonitor } from "../engine/lvm/raid/monitor.js";
import { monitorThin } from "../engine/lvm/thin/mod.js";
import type { Mutations } from "../engine/sim/mutations.js";
import type { Rng } from "../engine/sim/rng.js";
import { Scheduler } from "../engine/sim/scheduler.js";
import { SyncGate } from "../engine/sim/sync-gate.js";
import { Bus } from "../engine/sim/timing/bus.js";
import { resolveProfile } from "../engine/sim/timing/resolve.js";
import { Trace } from "../engine/sim/trace.js";
import { FaultInjector } from "../faults/compose.js";
import type { FaultSpec } from "../faults/schema.js";
import type { Scenario } from "./schema.js";
import { parseSizeText } from "./size-text.js";

/** Where a case's PVs live. */
export interface MachineStorage {
  /** "memory" (default) or "file" images in `workDir`. */
  readonly kind: "memory" | "file";
  readonly workDir?: string;
}

/** One PV's stack, bottom to top: media → volatile cache → timing → fault wrapper. */
export interface PvStack {
  readonly name: string;
  /** What persisted: survives power cuts and reboots. */
  readonly media: BlockDevice;
  readonly cache: VolatileCache;
  readonly timed: TimedDevice;
  /** What the host sees. */
  readonly device: BlockDevice;
}

/**
 * The simulated machine of one case: disks (which persist across reboots), the trace bus and the
 * virtual clock (which run on through a reboot, so faults can also fire during recovery), and the
 * Host, which a reboot replaces with a fresh one that knows only what the disks hold.
 */
export class Machine {
  readonly trace = new Trace();
  readonly scheduler: Scheduler;
  readonly pvs: readonly PvStack[];
  readonly injector: FaultInjector;
  host: Host;
  reboots = 0;
  /** Gates on resync, pvmove copy and merge, by `vg/lv`; sync-stall faults close them. */
  readonly syncGate = new SyncGate();
  /** The root filesystem (`vgcfgbackup -f` files): it survives reboots, as /etc/lvm does. */
  readonly files = new Map<string, string>();
  readonly #idSeed: string;
  readonly #archiving: boolean;
  readonly #hostListeners: ((host: Host) => void)[] = [];

  constructor(
    readonly scenario: Scenario,
    options: {
      readonly rng: Rng;
      readonly faults: readonly FaultSpec[];
      readonly storage: MachineStorage;
      readonly mutations: Mutations;
      /** Keep LVM2's automatic /etc/lvm backups and archives in {@link files} (off by default). */
      readonly archiving?: boolean;
      /** Virtual time past which pending background work fails the case (see SchedulerOptions). */
      readonly virtualDeadlineNs?: number;
    },
  ) {
    this.scheduler = new Scheduler(
      options.virtualDeadlineNs === undefined ? {} : { deadlineNs: options.virtualDeadlineNs },
    );
    this.#archiving = options.archiving ?? false;
    this.injector = new FaultInjector(options.faults, {
      rng: options.rng.fork("faults"),
      trace: this.trace,
      scheduler: this.scheduler,
      // Harness mutations (fault triggers) reach the injector, so the library must catch them too.
      mutations: options.mutations,
    });
    // A stall fault acts on the machine's sync gate, so it holds whatever the tables are reloaded to.
    for (const fault of options.faults) {
      if (fault.kind !== "sync-stall" || fault.mode !== "stall" || fault.target === undefined) continue;
      const target = fault.target;
      this.injector.registerSyncTarget(target, {
        setSyncStalled: (stalled) => (stalled ? this.syncGate.close(target) : this.syncGate.open(target)),
      });
    }
    const buses = new Map(
      scenario.buses.map((b) => [
        b.name,
        new Bus(b.name, { bandwidthBytesPerSec: parseSizeText(b.bandwidth) }),
      ]),
    );
    const timingRng = options.rng.fork("timing");
    this.#idSeed = options.rng.fork("ids").seedPath;
    this.pvs = scenario.pvs.map((pv) => {
      const sizeBytes = parseSizeText(pv.size);
      const media = makeMedia(pv.name, sizeBytes, options.storage, options.mutations);
      const cache = new VolatileCache(media, { name: pv.name, mutations: options.mutations });
      const bus = pv.bus === undefined ? undefined : buses.get(pv.bus);
      if (pv.bus !== undefined && bus === undefined) {
        throw new RangeError(`PV ${pv.name} names bus "${pv.bus}", which the scenario does not define`);
      }
      const timed = new TimedDevice(cache, resolveProfile(pv.profile), {
        rng: timingRng.fork(pv.name.replaceAll("/", "_")),
        mutations: options.mutations,
        ...(bus === undefined ? {} : { bus }),
      });
      const device = this.injector.wrap(timed, { cache });
      return { name: pv.name, media, cache, timed, device };
    });
    this.mutations = options.mutations;
    this.host = this.#newHost();
    // dmeventd's raid plugin: LVM2 monitors raid LVs by default (activation/monitoring = 1).
    this.#raidMonitor = monitorRaid(() => this.host);
    // dmeventd's thin plugin: warnings, and lvextend --use-policies when autoextend is configured.
    // A branch needs nothing of the run's: a reboot starts it afresh with the new host's pools.
    monitorThin(() => this.host);
  }

  readonly #raidMonitor: RaidMonitor;

  /**
   * Crash-point branching: make this fresh machine (same scenario, seed and faults, never run) the
   * one `run` would leave at a power cut happening now — its clock and event numbering, each PV's
   * persisted layer (borrowed: valid until `run` writes again), volatile log (to be resolved by the
   * cut), timing state and write counts, its files, reboots and sync gates. What a reboot keeps
   * but this cannot carry (faults of the run's own, a pending raid repair, an event that would
   * survive the reboot) is refused, so a branch is never silently different from a re-execution.
   */
  adoptStateAtCut(run: Machine): void {
    if (run.#raidMonitor.log.length > 0 || run.#raidMonitor.repairs.length > 0) {
      throw new Error("Cannot branch from a run whose raid monitor has acted");
    }
    this.scheduler.adoptClockOf(run.scheduler, this.#survivesReboot());
    this.trace.adoptCountsOf(run.trace);
    this.injector.adoptCountsOf(run.injector);
    for (const [index, pv] of this.pvs.entries()) {
      const from = run.pvs[index];
      if (from === undefined || from.name !== pv.name)
        throw new Error(`Cannot branch: the run has no PV ${pv.name}`);
      if (!(pv.media instanceof MemoryDevice) || !(from.media instanceof MemoryDevice)) {
        throw new Error("Crash-point branching needs in-memory PVs");
      }
      pv.media.borrowContentsOf(from.media);
      pv.cache.adoptLogForPowerCut(from.cache);
      pv.timed.queue.adoptStateOf(from.timed.queue);
      const bus = pv.timed.queue.bus;
      if (bus !== undefined && from.timed.queue.bus !== undefined) bus.adoptStateOf(from.timed.queue.bus);
    }
    this.files.clear();
    for (const [path, text] of run.files) this.files.set(path, text);
    this.reboots = run.reboots;
    this.syncGate.adoptStateOf(run.syncGate);
  }

  // The events a reboot keeps: the fault injector's own timers.
  #survivesReboot(): (event: { readonly label: string }) => boolean {
    const faultLabels = this.injector.faults.map((f) => f.label);
    return (event) =>
      faultLabels.some((label) => event.label === label || event.label.startsWith(`${label} `));
  }

  readonly mutations: Mutations;

  #newHost(): Host {
    const files: HostFiles = {
      readText: (path) => {
        const text = this.files.get(path);
        if (text === undefined) throw new Error(`No such file ${path}`);
        return text;
      },
      writeText: (path, text) => {
        this.files.set(path, text);
      },
      list: (dir) => {
        const prefix = dir.endsWith("/") ? dir : `${dir}/`;
        return [...this.files.keys()]
          .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes("/"))
          .map((path) => path.slice(prefix.length))
          .sort();
      },
      remove: (path) => {
        this.files.delete(path);
      },
    };
    return new Host({
      devices: this.pvs.map((pv) => [pv.name, pv.device] as const),
      trace: this.trace,
      scheduler: this.scheduler,
      mutations: this.mutations,
      syncGate: this.syncGate,
      // Each boot draws ids from its own stream, so ids never repeat across reboots.
      seed: `${this.#idSeed}/boot${this.reboots}`,
      files,
      archiving: this.#archiving,
      lvmConfInFiles: true,
    });
  }

  /**
   * Closes image files (file storage), and gives in-memory disks' and caches' pages back to this
   * thread's pools for the next machine. Call once the case is judged; the disks are unusable after.
   */
  close(): void {
    for (const pv of this.pvs) {
      if (pv.media instanceof FileDevice) pv.media.close();
      else if (pv.media instanceof MemoryDevice) pv.media.release();
      pv.cache.release();
    }
  }

  /** Calls `listener` with the current host and with every host a reboot brings up. */
  onHost(listener: (host: Host) => void): void {
    this.#hostListeners.push(listener);
    listener(this.host);
  }

  /** Makes every PV's cache durable (used after setup, which is not under test). */
  syncAll(): void {
    for (const pv of this.pvs) pv.cache.flush();
  }

  /**
   * Reboots after a crash: every in-memory object of the old kernel is dropped (tables, mirrors,
   * pollers and their scheduled steps), and a fresh Host scans the disks. The clock, the trace bus
   * and the fault injector's own timers run on, so faults can also fire during recovery.
   */
  reboot(): void {
    this.reboots += 1;
    const survives = this.#survivesReboot();
    this.scheduler.cancelWhere((event) => !survives(event));
    // The fault injector's own timers due while the machine boots fire at their times.
    this.scheduler.run(bootInstantNs(this.scheduler.nowNs));
    for (const pv of this.pvs) {
      pv.timed.queue.restartForBoot(this.reboots);
      pv.timed.queue.bus?.restartForBoot();
    }
    this.host = this.#newHost();
    for (const listener of this.#hostListeners) listener(this.host);
  }
}

/** Boots end on this grid of virtual time (see {@link bootInstantNs}). */
export const BOOT_GRID_NS = 1_000_000_000;
/** The least virtual time a reboot takes, from the cut to the boot's end. */
export const MIN_BOOT_NS = 1_000_000_000;

/**
 * When a machine cut at `cutNs` is back up and recovery may start: at least {@link MIN_BOOT_NS}
 * later, on the next whole second of virtual time. The boot itself is not modelled (a real one
 * takes a minute or more; a second or two keeps the report's timelines readable). The grid makes
 * the boot's end the same for every cut within one second, so two crash points that left the same
 * bytes on the disks recover identically, to the nanosecond (the device queues also restart idle,
 * on each boot's own timing stream): crash exploration shares one recovery between them.
 */
export function bootInstantNs(cutNs: number): number {
  return Math.ceil((cutNs + MIN_BOOT_NS) / BOOT_GRID_NS) * BOOT_GRID_NS;
}

function makeMedia(
  name: string,
  sizeBytes: number,
  storage: MachineStorage,
  mutations: Mutations,
): BlockDevice {
  if (storage.kind === "memory") return new MemoryDevice(name, sizeBytes, { mutations });
  const dir = storage.workDir ?? ".lvmlab-work";
  mkdirSync(dir, { recursive: true });
  // A rerun of the same case starts from blank images, as a fresh in-memory disk would.
  return FileDevice.open(join(dir, `${name.replaceAll("/", "_")}.img`), {
    name,
    create: { sizeBytes, overwrite: true },
  });
}
