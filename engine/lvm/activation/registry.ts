import type { MirrorTarget } from "../../dm/mirror/mirror.js";
import type { SnapshotTarget } from "../../dm/snapshot/snapshot.js";
import type { MappedDevice } from "../../dm/target.js";
import type { Host } from "../host.js";

/** What activation built for one LV: its top device and the targets reports and pollers need. */
export interface ActiveLv {
  readonly vgName: string;
  readonly lvName: string;
  readonly lvId: string;
  /** The device I/O to the LV goes through (the snapshot-origin for an origin). */
  readonly device: MappedDevice;
  /** Mirror targets of this LV's own segments (mirrors and pvmove), in segment order. */
  readonly mirrors: readonly MirrorTarget[];
  /** The snapshot target when this LV is a snapshot (its COW LV's name). */
  readonly snapshot?: SnapshotTarget;
}

/**
 * The kernel's table of mapped devices, for one simulated machine: every live dm device by name,
 * and which LV each top-level device belongs to. Dropped with the Host on reboot, as the kernel's
 * tables are.
 */
export class DeviceMapper {
  readonly #devices = new Map<string, MappedDevice>();
  readonly #lvs = new Map<string, ActiveLv>();

  /** A live device by dm name. */
  device(name: string): MappedDevice | undefined {
    return this.#devices.get(name);
  }

  /** All live dm device names, sorted as `dmsetup ls` lists them. */
  names(): string[] {
    return [...this.#devices.keys()].sort();
  }

  /** Registers a device; a name can only be loaded once. */
  load(name: string, device: MappedDevice): void {
    if (this.#devices.has(name))
      throw new Error(`Device-mapper device ${name} already exists; remove it first`);
    this.#devices.set(name, device);
  }

  /** Drops a device by name (no error when absent). */
  remove(name: string): void {
    this.#devices.delete(name);
  }

  /** Records an activated LV (by LV uuid). */
  setLv(active: ActiveLv): void {
    this.#lvs.set(active.lvId, active);
  }

  /** The activation of an LV by uuid. */
  lv(lvId: string): ActiveLv | undefined {
    return this.#lvs.get(lvId);
  }

  /** Every activated LV. */
  activeLvs(): ActiveLv[] {
    return [...this.#lvs.values()];
  }

  /** Forgets an LV's activation (its devices are removed separately). */
  dropLv(lvId: string): void {
    this.#lvs.delete(lvId);
  }
}

const registries = new WeakMap<Host, DeviceMapper>();

/** The device-mapper table registry of a machine (created on first use, dropped with the Host). */
export function deviceMapperOf(host: Host): DeviceMapper {
  let dm = registries.get(host);
  if (dm === undefined) {
    dm = new DeviceMapper();
    registries.set(host, dm);
  }
  return dm;
}
