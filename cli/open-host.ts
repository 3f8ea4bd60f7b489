import type { FileDevice as FileDeviceType } from "../engine/block/file.js";
import type { WriteJournal } from "../engine/block/mod.js";
import type { Host, HostFiles } from "../engine/lvm/host.js";

/** Options for {@link openHost}. */
export interface OpenHostOptions {
  readonly readOnly: boolean;
  readonly allowBlockDevices: boolean;
  /** Mixed into the id seed with the images' label areas, so each state and command gets fresh ids. */
  readonly seedText: string;
  /** Files the commands read and write (backups); node:fs when absent. */
  readonly files?: HostFiles;
  /** Keep LVM2's automatic backups and archives (a machine's /etc/lvm). */
  readonly archiving?: boolean;
  /** `files` is the machine's own /etc/lvm: keep lvm.conf settings there (see HostOptions). */
  readonly lvmConfInFiles?: boolean;
  /** Put a copy-on-write memory layer over each image: activation may write, the images never change. */
  readonly overlay?: boolean;
  /**
   * Each disk's volatile write cache, by image path: writes go through to the image and are
   * journaled here until a flush, so a later power cut can take them away (`lvmlab machine`).
   * Missing entries are created.
   */
  readonly journals?: Map<string, WriteJournal>;
}

/**
 * Opens image files as FileDevices (named by the paths as given) and builds a Host over them,
 * seeded from the command and the images' first 8 KiB (labels and mda headers). Loads the engine
 * lazily so `lvmlab --help` stays fast.
 */
export async function openHost(
  images: readonly string[],
  options: OpenHostOptions,
): Promise<{ host: Host; close: () => void }> {
  const [
    { FileDevice },
    { Host: HostClass },
    fs,
    { lvmCrc },
    { OverlayDevice },
    { JournalingDevice, emptyJournal },
  ] = await Promise.all([
    import("../engine/block/file.js"),
    import("../engine/lvm/host.js"),
    import("node:fs"),
    import("../engine/format/crc.js"),
    import("../engine/lvm/commands/inspect-table.js"),
    import("../engine/block/mod.js"),
  ]);
  const devices: FileDeviceType[] = [];
  try {
    for (const image of images) {
      devices.push(
        FileDevice.open(image, {
          name: image,
          readOnly: options.readOnly,
          allowBlockDevice: options.allowBlockDevices,
        }),
      );
    }
  } catch (error) {
    for (const d of devices) d.close();
    throw error;
  }
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(options.seedText)];
  for (const device of devices) {
    const head = new Uint8Array(Math.min(8192, device.sizeBytes));
    device.read(0, head);
    parts.push(encoder.encode(`${device.name}:${device.sizeBytes}`), head);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  // Two CRCs over different orders give a 64-bit seed; ids only need to differ between states.
  const a = lvmCrc(all);
  const b = lvmCrc(all.slice().reverse());
  const host = new HostClass({
    devices: devices.map((d) => {
      if (options.overlay) return [d.name, new OverlayDevice(d)] as const;
      const journals = options.journals;
      if (journals === undefined) return [d.name, d] as const;
      const journal = journals.get(d.name) ?? emptyJournal();
      journals.set(d.name, journal);
      return [d.name, new JournalingDevice(d, journal)] as const;
    }),
    seed: `${a.toString(16)}${b.toString(16)}`,
    files: options.files ?? {
      readText: (path) => fs.readFileSync(path, "utf8"),
      writeText: (path, text) => fs.writeFileSync(path, text),
    },
    archiving: options.archiving ?? false,
    lvmConfInFiles: options.lvmConfInFiles ?? false,
  });
  return {
    host,
    close: () => {
      for (const d of devices) d.close();
    },
  };
}
