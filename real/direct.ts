import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { consoleLines } from "./console-lines.js";
import { MARK } from "./guest-init.js";
import type { BootResult } from "./qemu.js";

/**
 * Direct mode (`lvmlab real run --direct`): the same translated scenario on a host whose kernel has
 * device-mapper, with loop devices (`losetup --direct-io=on`, so no page cache sits between dm and
 * the disk files, as QEMU's virtio disks have none in the guest) in place of the guest's virtio
 * disks. The guest's scripts run as they are under `sh`: `$D_<pv>` names each PV's loop device,
 * `LVM_SYSTEM_DIR` points LVM2 at the run's own lvm.conf (which scans only the PV devices), and
 * the scripts' `/tmp/` is the run's work directory. There is no machine to kill, so a power cut
 * stops the script's processes, loads an `error` table under every PV (nothing more reaches the
 * disks) and tears the run's dm devices down; the "reboot" creates the PV devices again and runs
 * the recovery, which scans and activates as after a boot.
 */

/** Why direct mode cannot run on this host, or undefined when it can. */
export function directModeRefusal(host: {
  readonly platform: string;
  readonly uid: number | undefined;
  readonly procMisc: string | undefined;
  readonly hasLosetup: boolean;
}): string | undefined {
  if (host.platform !== "linux") return "direct mode needs Linux; use the VM (drop --direct)";
  if (host.procMisc === undefined || !/\bdevice-mapper\b/.test(host.procMisc))
    return "this kernel has no device-mapper; use the VM (drop --direct)";
  if (host.uid !== 0)
    return "direct mode creates dm and loop devices and needs root; use the VM (drop --direct)";
  if (!host.hasLosetup)
    return "direct mode needs losetup (apt-get install mount); use the VM (drop --direct)";
  return undefined;
}

/** This host, as {@link directModeRefusal} reads it. */
export function thisHost(): Parameters<typeof directModeRefusal>[0] {
  let procMisc: string | undefined;
  try {
    procMisc = readFileSync("/proc/misc", "utf8");
  } catch {
    procMisc = undefined;
  }
  const path = (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":");
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    procMisc,
    hasLosetup: path.some((d) => d !== "" && existsSync(join(d, "losetup"))),
  };
}

/** `usleep` for hosts without busybox's (GNU sleep takes fractions of a second). */
const USLEEP_SHIM =
  'command -v usleep >/dev/null 2>&1 || usleep() { sleep "$(($1 / 1000000)).$(printf %06d $(($1 % 1000000)))"; }';

/** A guest script as direct mode runs it: the usleep shim first, `/tmp/` moved into the work dir. */
export function directScript(script: string, workDir: string): string {
  return `${USLEEP_SHIM}\n${script.replaceAll("/tmp/", `${workDir}/tmp/`)}`;
}

/**
 * The sh lines that end a run's devices: the scenario's VGs (read before anything else, while the
 * PVs still answer), optionally `error` tables under every PV first (the power cut), then every dm
 * device of those VGs that did not exist when the run started, deepest first (a device in use is
 * retried on the next pass), then the PV devices, and last the `/dev/<vg>/<lv>` links LVM2 made
 * (without udev it makes them itself, and only its own deactivation removes them): the ones left
 * dangling go, and the `/dev/<vg>` directory once empty, so the next run's `vgcreate` does not
 * fail with "/dev/vg0: already exists in filesystem". A link that still resolves (a device that
 * was there before the run) is kept.
 */
export function directTeardownScript(
  pvs: readonly { readonly name: string; readonly sizeBytes: number }[],
  options: { readonly powerCut: boolean; readonly before: readonly string[]; readonly devDir?: string },
): string {
  const devDir = options.devDir ?? "/dev";
  const lines = [
    "set -u",
    "vgnames_=$(vgs --noheadings -o vg_name 2>/dev/null)",
    `vgs_=$(for v in $vgnames_; do echo "$v"; done | sed 's/-/--/g')`,
    `before_=' ${options.before.join(" ")} '`,
  ];
  if (options.powerCut) {
    for (const pv of pvs) {
      lines.push(
        `dmsetup load ${pv.name} --table "0 ${pv.sizeBytes / 512} error" && dmsetup resume ${pv.name}`,
      );
    }
  }
  lines.push(
    "for pass in 1 2 3 4 5 6; do",
    "  left=",
    "  for n in $(dmsetup ls 2>/dev/null | awk '{print $1}'); do",
    '    case "$before_" in *" $n "*) continue ;; esac',
    '    for v in $vgs_; do case "$n" in "$v"-*) left="$left $n" ;; esac; done',
    "  done",
    '  [ -z "$left" ] && break',
    "  for n in $left; do dmsetup remove --force $n >/dev/null 2>&1; done",
    "done",
    ...pvs.map((pv) => `dmsetup remove --force ${pv.name} >/dev/null 2>&1`),
    "for v in $vgnames_; do",
    `  [ -d "${devDir}/$v" ] || continue`,
    `  for l in "${devDir}/$v"/*; do [ -L "$l" ] && [ ! -e "$l" ] && rm -f "$l"; done`,
    `  rmdir "${devDir}/$v" 2>/dev/null`,
    "done",
    "true",
  );
  return `${lines.join("\n")}\n`;
}

/** Raised when direct mode cannot set up its devices; the message is one line for the user. */
export class DirectModeError extends Error {
  override readonly name = "DirectModeError";
}

/** Runs losetup; a failure carries losetup's own last stderr line. */
function losetup(args: readonly string[]): string {
  try {
    return execFileSync("losetup", [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`losetup ${args.join(" ")}: ${stderr.split("\n").at(-1) || (error as Error).message}`);
  }
}

/** Whether a loop device does direct I/O (`/sys/block/loopN/loop/dio`), undefined when unreadable. */
function loopDirectIo(loop: string): boolean | undefined {
  try {
    return readFileSync(`/sys/block/${basename(loop)}/loop/dio`, "utf8").trim() === "1";
  } catch {
    return undefined;
  }
}

/** The dm device names on the host now. */
function dmNames(): string[] {
  const out = execFileSync("dmsetup", ["ls"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (/^No devices found/.test(out.trim())) return [];
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n !== "");
}

/** One direct-mode run's loop devices and dm state; {@link DirectHost.close} undoes all of it. */
export class DirectHost {
  readonly #workDir: string;
  readonly #pvs: readonly { readonly name: string; readonly sizeBytes: number }[];
  readonly #loops: string[] = [];
  readonly #buffered: { readonly loop: string; readonly why: string }[] = [];
  readonly #before: readonly string[];

  constructor(workDir: string, pvs: readonly { readonly name: string; readonly sizeBytes: number }[]) {
    this.#workDir = workDir;
    this.#pvs = pvs;
    this.#before = dmNames();
    const clash = pvs.find((pv) => this.#before.includes(pv.name));
    if (clash !== undefined)
      throw new Error(
        `a dm device named ${clash.name} already exists on this host; direct mode will not touch it`,
      );
  }

  /**
   * Attaches each disk file to a loop device with direct I/O (once; later boots reuse them). A
   * filesystem without O_DIRECT (tmpfs before Linux 6.6, a common /tmp) makes `losetup
   * --direct-io=on` fail with EINVAL: the loop device is then attached buffered, and
   * {@link bufferedLoops} says so. The cut's outcome is the same (the error tables stop every write
   * above the loops, and what reached a loop stays in its file either way); only the timing has a
   * page cache in it.
   */
  attach(disks: readonly string[]): void {
    if (this.#loops.length > 0) return;
    for (const disk of disks) {
      let loop: string;
      try {
        loop = losetup(["--direct-io=on", "--find", "--show", disk]);
      } catch (direct) {
        try {
          loop = losetup(["--find", "--show", disk]);
        } catch (buffered) {
          throw new DirectModeError(`Cannot attach ${disk} to a loop device: ${(buffered as Error).message}`);
        }
        this.#buffered.push({
          loop,
          why: `losetup --direct-io=on: ${(direct as Error).message.replace(/^.*: /, "")}`,
        });
        this.#loops.push(loop);
        continue;
      }
      this.#loops.push(loop);
      // The kernel may also drop direct I/O quietly (a backing block size it cannot honour).
      if (loopDirectIo(loop) === false) this.#buffered.push({ loop, why: "the kernel kept it buffered" });
    }
  }

  /** The loop devices that run without direct I/O, each with why; empty when all have it. */
  get bufferedLoops(): readonly { readonly loop: string; readonly why: string }[] {
    return this.#buffered;
  }

  #env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LVM_SYSTEM_DIR: join(this.#workDir, "lvm"),
      DM_DISABLE_UDEV: "1",
      LVM_SUPPRESS_FD_WARNINGS: "1",
    };
    this.#pvs.forEach((pv, i) => {
      env[`D_${pv.name}`] = this.#loops[i];
    });
    return env;
  }

  #sh(script: string): void {
    execFileSync("sh", ["-c", script], { env: this.#env(), stdio: ["ignore", "ignore", "pipe"] });
  }

  /**
   * Runs one "boot": the script under `sh` in its own process group, its marked lines handed to
   * `onLine` (which may ask for a power cut); resolves when the script ended or was cut.
   */
  boot(spec: {
    readonly script: string;
    readonly disks: readonly string[];
    readonly timeoutMs: number;
    readonly onLine?: (line: string) => "kill" | undefined;
  }): Promise<BootResult> {
    this.attach(spec.disks);
    mkdirSync(join(this.#workDir, "tmp"), { recursive: true });
    const started = performance.now();
    const child = spawn("sh", ["-c", directScript(spec.script, this.#workDir)], {
      env: this.#env(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let ended: BootResult["ended"] = "poweroff";
    const stop = (c: ChildProcess) => {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    const reader = consoleLines({
      onMarked: (line) => {
        if (ended !== "poweroff") return;
        lines.push(line);
        if (spec.onLine?.(line) === "kill") {
          ended = "killed";
          stop(child);
        }
      },
    });
    const tail = reader.tail;
    child.stdout.setEncoding("utf8").on("data", reader.push);
    child.stderr.setEncoding("utf8").on("data", (t: string) => tail.push(...t.split("\n").filter(Boolean)));
    const timer = setTimeout(() => {
      if (ended === "poweroff") ended = "timeout";
      stop(child);
    }, spec.timeoutMs);
    return new Promise((resolve, reject) => {
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("close", () => {
        clearTimeout(timer);
        reader.end();
        // Every boot ends with the machine gone: a cut first fails every PV, then the devices go.
        try {
          this.#sh(directTeardownScript(this.#pvs, { powerCut: ended !== "poweroff", before: this.#before }));
        } catch (error) {
          reject(error);
          return;
        }
        resolve({ lines, ended, accel: "direct", wallMs: performance.now() - started, tail });
      });
    });
  }

  /** Tears down whatever is left and detaches this run's loop devices, by name. */
  close(): void {
    try {
      this.#sh(directTeardownScript(this.#pvs, { powerCut: false, before: this.#before }));
    } finally {
      for (const loop of this.#loops.splice(0)) {
        execFileSync("losetup", ["-d", loop], { stdio: "ignore" });
      }
    }
  }
}

/**
 * Direct mode's steps as one sh script, for a machine that has dm and loop devices but no Node:
 * the QEMU guest, where the VM test exercises direct mode (this host's kernel has no dm). Each PV
 * disk (`/dev/vdb`, …) is attached to a loop device with direct I/O and `$D_<pv>` points at it,
 * the script runs in its own session as {@link DirectHost.boot} runs it, a `CUT` line from its
 * watcher stops the whole session and runs the power-cut teardown, and every loop device is
 * detached at the end. Only write-count cuts are decided in the guest (a pvmove progress cut needs
 * the host's reading of the lines).
 */
export function guestDirectScript(
  pvs: readonly { readonly name: string; readonly sizeBytes: number; readonly disk: string }[],
  script: string,
): string {
  const dir = "/tmp/direct";
  const body = directScript(script, dir);
  if (body.includes("\nLVMLAB_DIRECT_EOF\n"))
    throw new RangeError("the script contains the heredoc delimiter");
  return [
    "set -u",
    `M='${MARK}'`,
    `mkdir -p ${dir}/tmp ${dir}/lvm`,
    `export LVM_SYSTEM_DIR=${dir}/lvm`,
    ...pvs.map(
      (pv) => `D_${pv.name}=$(losetup --direct-io=on --find --show /dev/${pv.disk}); export D_${pv.name}`,
    ),
    `cat > ${dir}/run.sh <<'LVMLAB_DIRECT_EOF'`,
    `echo $$ > ${dir}/pid`,
    body,
    "LVMLAB_DIRECT_EOF",
    `rm -f ${dir}/pid ${dir}/out`,
    `setsid sh ${dir}/run.sh 2>&1 | tee ${dir}/out &`,
    `while [ ! -s ${dir}/pid ]; do usleep 1000; done`,
    `pid=$(cat ${dir}/pid); cut=`,
    "while kill -0 $pid 2>/dev/null; do",
    `  if grep -q "^$M CUT " ${dir}/out; then kill -9 -$pid; cut=1; echo "$M DIRECTCUT"; break; fi`,
    "  usleep 20000",
    "done",
    "wait",
    'if [ -n "$cut" ]; then',
    directTeardownScript(pvs, { powerCut: true, before: [] }).trimEnd(),
    "else",
    directTeardownScript(pvs, { powerCut: false, before: [] }).trimEnd(),
    "fi",
    ...pvs.map((pv) => `losetup -d $D_${pv.name}`),
    `echo "$M LOOPS $(losetup -a | wc -l)"`,
  ].join("\n");
}
