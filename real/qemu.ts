import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, appendFileSync, constants, writeFileSync } from "node:fs";
import { join } from "node:path";
import { consoleLines } from "./console-lines.js";
import type { RealSetup } from "./setup.js";

/**
 * Boots the throw-away guest once: the control disk (`/dev/vda`) carries the script, the PV disks
 * follow as raw files. The console is read line by line; `onLine` may ask for the VM to be killed
 * (a power cut). The VM is always gone when the returned promise settles: powered off by the guest,
 * killed on request, on timeout, or on an error.
 */

/** Guest RAM: the initramfs (~100 MiB unpacked) plus fio and LVM2. */
const GUEST_MEMORY_MIB = 768;
const CONTROL_DISK_BYTES = 1 << 20;

/** One boot's disks and script. */
export interface BootSpec {
  readonly setup: RealSetup;
  readonly workDir: string;
  readonly script: string;
  /** Raw image files, in PV order (vdb, vdc, …). */
  readonly disks: readonly string[];
  /** Read-only raw images after the PV disks (the Node image of direct-in-vm.ts). */
  readonly readOnlyDisks?: readonly string[];
  /** Guest RAM; {@link GUEST_MEMORY_MIB} unless given (Node in the guest needs more). */
  readonly memoryMib?: number;
  /** QEMU I/O throttling per disk (bytes per second, reads and writes together). */
  readonly throttleBps?: number;
  /** QEMU I/O throttling per disk (requests per second, reads and writes together). */
  readonly throttleIops?: number;
  readonly timeoutMs: number;
  /** Called for every console line from the guest's markers on; return "kill" to cut the power. */
  readonly onLine?: (line: string) => "kill" | undefined;
  /** Append every console line here as it arrives (kept runs: a hung guest can be read live). */
  readonly consoleLog?: string;
}

/** What one boot printed and how it ended. */
export interface BootResult {
  /** Console lines that carry {@link MARK}, trimmed to start at it. */
  readonly lines: readonly string[];
  readonly ended: "poweroff" | "killed" | "timeout";
  /** How the scenario ran: a KVM or TCG guest, or direct mode on the host's own dm (direct.ts). */
  readonly accel: "kvm" | "tcg" | "direct";
  readonly wallMs: number;
  /** The last console lines (kernel messages included), for error reports. */
  readonly tail: readonly string[];
}

/** KVM when /dev/kvm can be opened read-write, else TCG (software emulation). */
export function chooseAccel(): "kvm" | "tcg" {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return "kvm";
  } catch {
    return "tcg";
  }
}

/** The QEMU command line of a boot. */
function qemuArgs(spec: BootSpec, control: string, accel: "kvm" | "tcg"): string[] {
  const args = [
    "-accel",
    accel,
    "-m",
    String(spec.memoryMib ?? GUEST_MEMORY_MIB),
    "-smp",
    "1",
    "-nographic",
    "-nodefaults",
    "-serial",
    "stdio",
    "-no-reboot",
    "-kernel",
    spec.setup.vmlinuz,
    "-initrd",
    spec.setup.paths.initramfs,
    "-append",
    "console=ttyS0 quiet loglevel=1 panic=-1",
    "-drive",
    `file=${control},format=raw,if=virtio,cache=writeback`,
  ];
  const throttle =
    (spec.throttleBps === undefined ? "" : `,throttling.bps-total=${spec.throttleBps}`) +
    (spec.throttleIops === undefined ? "" : `,throttling.iops-total=${spec.throttleIops}`);
  for (const disk of spec.disks) {
    args.push("-drive", `file=${disk},format=raw,if=virtio,cache=writeback${throttle}`);
  }
  for (const disk of spec.readOnlyDisks ?? [])
    args.push("-drive", `file=${disk},format=raw,if=virtio,readonly=on`);
  return args;
}

function killVm(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** Boots the guest and runs its script; resolves once QEMU has exited. */
export function bootGuest(spec: BootSpec): Promise<BootResult> {
  const control = join(spec.workDir, "control.img");
  const script = new TextEncoder().encode(spec.script);
  if (script.length >= CONTROL_DISK_BYTES)
    throw new RangeError(`Guest script of ${script.length} bytes is too long`);
  const image = new Uint8Array(CONTROL_DISK_BYTES);
  image.set(script);
  writeFileSync(control, image);
  const accel = chooseAccel();
  const started = performance.now();
  const child = spawn(spec.setup.qemu, qemuArgs(spec, control, accel), { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let ended: BootResult["ended"] = "poweroff";
  const reader = consoleLines({
    ...(spec.consoleLog === undefined
      ? {}
      : { onRaw: (raw: string) => appendFileSync(spec.consoleLog!, `${raw}\n`) }),
    onMarked: (line) => {
      if (ended !== "poweroff") return;
      lines.push(line);
      if (spec.onLine?.(line) === "kill") {
        ended = "killed";
        killVm(child);
      }
    },
  });
  const tail = reader.tail;
  child.stdout.setEncoding("utf8").on("data", reader.push);
  child.stderr
    .setEncoding("utf8")
    .on("data", (text: string) => tail.push(...text.split("\n").filter(Boolean)));
  const timer = setTimeout(() => {
    if (ended === "poweroff") ended = "timeout";
    killVm(child);
  }, spec.timeoutMs);
  const onExit = () => killVm(child);
  process.once("exit", onExit);
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(timer);
      process.removeListener("exit", onExit);
      reject(error);
    });
    child.once("close", () => {
      clearTimeout(timer);
      process.removeListener("exit", onExit);
      reader.end();
      resolve({ lines, ended, accel, wallMs: performance.now() - started, tail });
    });
  });
}
