/**
 * Runs Debian's real LVM2 against image files through loop devices, metadata only
 * (`--driverloaded n`: the kernel here has no device-mapper). Every loop device a test attaches
 * is detached again by its device name, whatever happens inside the test.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why real LVM2 cannot run here, or undefined when it can. */
export function realLvm2Unavailable(): string | undefined {
  if (process.platform !== "linux") return "skipped: real LVM2 interop needs Linux";
  if (spawnSync("lvm", ["version"], { stdio: "ignore" }).error)
    return "skipped: Debian's lvm2 is not installed";
  if (spawnSync("losetup", ["--version"], { stdio: "ignore" }).error)
    return "skipped: losetup is not installed";
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return "skipped: loop devices need root";
  // Probe once: attach and detach a tiny image, so a machine without loop support says so.
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-loop-probe-"));
  try {
    const image = join(dir, "probe.img");
    writeFileSync(image, new Uint8Array(1024 * 1024));
    const attached = spawnSync("losetup", ["-f", "--show", image], { encoding: "utf8" });
    if (attached.status !== 0) return `skipped: cannot attach a loop device (${attached.stderr.trim()})`;
    execFileSync("losetup", ["-d", attached.stdout.trim()]);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates sparse image files `<tag>-<name>.img` of `sizeBytes` in `dir`; returns their paths. */
export function sparseImages(
  dir: string,
  tag: string,
  options: { names: readonly string[]; sizeBytes: number },
): string[] {
  return options.names.map((n) => {
    const path = join(dir, `${tag}-${n}.img`);
    writeFileSync(path, "");
    truncateSync(path, options.sizeBytes);
    return path;
  });
}

/** A result of one LVM2 command. */
export interface LvmRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A set of image files attached as loop devices, with an LVM2 config that sees only them. */
export interface LoopSet {
  /** Loop device paths, in the order of the images. */
  readonly devices: readonly string[];
  /** Runs `lvm <command> --driverloaded n <args…>` restricted to these devices. */
  lvm(command: string, args: readonly string[]): LvmRun;
}

function lvmConfig(devices: readonly string[]): string {
  const accept = devices.map((d) => `"a|^${d}$|"`).join(", ");
  return [
    "devices {",
    `  filter = [ ${accept}, "r|.*|" ]`,
    `  global_filter = [ ${accept}, "r|.*|" ]`,
    "  use_devicesfile = 0",
    '  hints = "none"',
    "  obtain_device_list_from_udev = 0",
    "}",
    "activation {",
    "  udev_sync = 0",
    "  udev_rules = 0",
    "  monitoring = 0",
    "}",
    "backup {",
    "  backup = 0",
    "  archive = 0",
    "}",
    "global {",
    "  event_activation = 0",
    "}",
    "",
  ].join("\n");
}

/** Attaches the images, runs `body`, and always detaches every loop device it attached. */
export function withLoopDevices<T>(images: readonly string[], body: (set: LoopSet) => T): T {
  const devices: string[] = [];
  const configDir = mkdtempSync(join(tmpdir(), "lvmlab-lvmconf-"));
  try {
    for (const image of images) {
      devices.push(execFileSync("losetup", ["-f", "--show", image], { encoding: "utf8" }).trim());
    }
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, "lvm.conf"), lvmConfig(devices));
    const set: LoopSet = {
      devices,
      lvm(command, args) {
        const run = spawnSync("lvm", [command, "--driverloaded", "n", ...args], {
          encoding: "utf8",
          env: { ...process.env, LVM_SYSTEM_DIR: configDir, LVM_SUPPRESS_FD_WARNINGS: "1" },
        });
        return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
      },
    };
    return body(set);
  } finally {
    for (const device of devices) spawnSync("losetup", ["-d", device]);
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** Drops LVM2's "activation disabled" and backup warnings, which every metadata-only run prints. */
export function lvmNoise(line: string): boolean {
  return /WARNING: (Activation disabled|This metadata update is NOT backed up|Logical volume .* not zeroed|Skipping zeroing and wipping)/.test(
    line,
  );
}
