import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MARK } from "./guest-init.js";
import {
  buildNodeImage,
  guestLvmlabCommand,
  guestNodeCommand,
  makeExt4Image,
  mountNodeImageScript,
  NODE_IMAGE_MOUNT,
  type NodeImage,
} from "./node-image.js";
import { type BootResult, bootGuest } from "./qemu.js";
import type { RealSetup } from "./setup.js";

/**
 * Direct mode's Node side on a real dm kernel: one QEMU guest boot that mounts the Node image
 * (node-image.ts: the host's node, this checkout's dist/ and runtime packages) and runs the real
 * `lvmlab real run --direct <scenario> --seed N` for each case, one after the other, with TMPDIR
 * on a tmpfs or an ext4 scratch disk. `DirectHost` there spawns `sh`, attaches loop devices, kills the script's process
 * group at a power cut and tears its devices down exactly as on a dm host; this module reads back
 * each run's exit code, output and NDJSON records, and what the guest still had afterwards
 * (`dmsetup ls`, `losetup -a`, `/dev` nodes and links, work dirs). It is how direct mode is proven
 * on a host whose kernel has no dm (`lvmlab real run --direct-in-vm`, test/real/vm/direct-in-vm.test.ts).
 */

/** Guest RAM for a Node run: the ~100 MiB initramfs, node (~150 MiB), the PVs on tmpfs. */
const DIRECT_IN_VM_MEMORY_MIB = 1536;

/**
 * Where the runs work (their TMPDIR): a tmpfs (PV images are sparse: only what the scenario writes
 * costs RAM; no O_DIRECT, so the loops run buffered), or an empty ext4 disk (the loops get direct
 * I/O, as on a host whose TMPDIR is on ext4).
 */
const SCRATCH = { tmpfs: "/scratch", ext4: "/scratch-ext4" } as const;
const SCRATCH_MIB = 768;

/** The ext4 scratch disk comes first (/dev/vdb) when a case wants it, the Node image after it. */
function devices(withExt4: boolean): { readonly ext4?: string; readonly image: string } {
  return withExt4 ? { ext4: "/dev/vdb", image: "/dev/vdc" } : { image: "/dev/vdb" };
}

/** The ext4 scratch disk: sparse, so only what the runs write costs host disk. */
const EXT4_SCRATCH_BYTES = 1 << 30;

/** One run inside the guest. */
export interface DirectInVmCase {
  readonly scenario: string;
  readonly seed: number;
  /** The filesystem of the run's TMPDIR (default tmpfs). */
  readonly scratch?: keyof typeof SCRATCH;
}

/** What one run inside the guest did and left behind. */
export interface DirectInVmOutcome {
  readonly scenario: string;
  readonly seed: number;
  /** `lvmlab real run`'s exit code: 0 agrees with the model, 1 differs, 2 refused; undefined when it never ended. */
  readonly exitCode: number | undefined;
  /** Guest time the run took (TCG: read beside the host's wall time). */
  readonly guestMs: number | undefined;
  /** Its stdout and stderr lines, in order. */
  readonly output: readonly string[];
  /** Its `--ndjson` records (`real-run`, then one `real-diff` per difference). */
  readonly records: readonly Record<string, unknown>[];
  /** `dmsetup ls` afterwards, "No devices found" dropped: must be empty. */
  readonly dmLeft: readonly string[];
  /** `losetup -a` afterwards: must be empty. */
  readonly loopsLeft: readonly string[];
  /** `lvmlab-real-*` work dirs left in the scratch dir: must be empty. */
  readonly workDirsLeft: readonly string[];
  /** `/dev/mapper` nodes and `/dev/<vg>/<lv>` links left afterwards: must be empty. */
  readonly devNodesLeft: readonly string[];
}

/** Scenario names go into the guest's shell as they are. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The guest's control script: mount the image and the scratch dirs, run each case, report what is left. */
export function directInVmScript(
  cases: readonly DirectInVmCase[],
  options: { readonly loader: string; readonly timeoutS: number },
): string {
  if (cases.length === 0) throw new RangeError("No cases to run in the guest");
  const lvmlab = guestLvmlabCommand(options.loader);
  const dev = devices(cases.some((c) => c.scratch === "ext4"));
  const lines = [
    "set -u",
    `M='${MARK}'`,
    "up() { cut -d' ' -f1 /proc/uptime; }",
    `${mountNodeImageScript(dev.image)} || { echo "$M DV FAIL mount ${dev.image}"; exit 1; }`,
    `mkdir -p ${SCRATCH.tmpfs} && mount -t tmpfs -o size=${SCRATCH_MIB}m tmpfs ${SCRATCH.tmpfs}`,
    ...(dev.ext4 === undefined
      ? []
      : [
          `mkdir -p ${SCRATCH.ext4} && mount -t ext4 ${dev.ext4} ${SCRATCH.ext4} || echo "$M DV FAIL mount ${dev.ext4}"`,
        ]),
    // How long node takes to start under TCG, for the report.
    `t0=$(up); v=$(${guestNodeCommand(options.loader)} --version); echo "$M DV NODE $v $t0 $(up)"`,
  ];
  cases.forEach((c, i) => {
    if (!SAFE_NAME.test(c.scenario))
      throw new RangeError(`Unsafe scenario name ${JSON.stringify(c.scenario)}`);
    if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new RangeError(`Bad seed ${c.seed}`);
    const scratch = SCRATCH[c.scratch ?? "tmpfs"];
    const out = `${SCRATCH.tmpfs}/run${i}`;
    lines.push(
      `echo "$M DV ${i} START $(up)"`,
      `{ TMPDIR=${scratch} ${lvmlab} real run --direct ${c.scenario} --seed ${c.seed} --timeout ${options.timeoutS} --ndjson ${out}.ndjson; echo $? > ${out}.rc; } 2>&1 | while IFS= read -r l; do echo "$M DV ${i} OUT $l"; done`,
      `echo "$M DV ${i} EXIT $(cat ${out}.rc 2>/dev/null || echo none) $(up)"`,
      `[ -f ${out}.ndjson ] && while IFS= read -r l; do echo "$M DV ${i} REC $l"; done < ${out}.ndjson`,
      `dmsetup ls 2>&1 | while IFS= read -r l; do echo "$M DV ${i} DM $l"; done`,
      `losetup -a 2>&1 | while IFS= read -r l; do echo "$M DV ${i} LOOP $l"; done`,
      `for d in ${scratch}/lvmlab-real-*; do [ -e "$d" ] && echo "$M DV ${i} WORKDIR $d"; done`,
      // Device nodes and LVM2's /dev/<vg>/<lv> links the run made (without udev, nobody else removes them).
      `for f in /dev/mapper/* /dev/*/*; do case "$f" in /dev/mapper/control) ;; /dev/mapper/*) echo "$M DV ${i} DEVNODE $f" ;; *) [ -L "$f" ] && case "$(readlink "$f")" in *mapper/*|*dm-*) echo "$M DV ${i} DEVNODE $f" ;; esac ;; esac; done`,
      `echo "$M DV ${i} DONE"`,
    );
  });
  lines.push(`umount ${SCRATCH.tmpfs}; umount ${NODE_IMAGE_MOUNT}`);
  if (dev.ext4 !== undefined) lines.push(`umount ${SCRATCH.ext4}`);
  return `${lines.join("\n")}\n`;
}

/** Reads the cases' outcomes back from the guest's marked console lines. */
export function parseDirectInVm(
  lines: readonly string[],
  cases: readonly DirectInVmCase[],
): DirectInVmOutcome[] {
  const prefix = `${MARK} DV `;
  const byCase = cases.map(() => ({
    exitCode: undefined as number | undefined,
    start: undefined as number | undefined,
    end: undefined as number | undefined,
    output: [] as string[],
    records: [] as Record<string, unknown>[],
    dmLeft: [] as string[],
    loopsLeft: [] as string[],
    workDirsLeft: [] as string[],
    devNodesLeft: [] as string[],
  }));
  for (const line of lines) {
    if (!line.startsWith(prefix)) continue;
    const match = /^(\d+) (START|OUT|EXIT|REC|DM|LOOP|WORKDIR|DEVNODE|DONE)(?: (.*))?$/.exec(
      line.slice(prefix.length),
    );
    if (match === null) continue;
    const at = byCase[Number(match[1])];
    if (at === undefined) continue;
    const text = match[3] ?? "";
    switch (match[2]) {
      case "START":
        at.start = Number(text);
        break;
      case "OUT":
        at.output.push(text);
        break;
      case "EXIT": {
        const [code, end] = text.split(" ");
        at.exitCode = code === undefined || !/^\d+$/.test(code) ? undefined : Number(code);
        at.end = Number(end);
        break;
      }
      case "REC":
        at.records.push(JSON.parse(text) as Record<string, unknown>);
        break;
      case "DM":
        if (text.trim() !== "" && !/^No devices found/.test(text)) at.dmLeft.push(text);
        break;
      case "LOOP":
        if (text.trim() !== "") at.loopsLeft.push(text);
        break;
      case "WORKDIR":
        at.workDirsLeft.push(text);
        break;
      case "DEVNODE":
        at.devNodesLeft.push(text);
        break;
    }
  }
  return cases.map((c, i) => {
    const at = byCase[i]!;
    const guestMs =
      at.start !== undefined && at.end !== undefined && Number.isFinite(at.start) && Number.isFinite(at.end)
        ? Math.round((at.end - at.start) * 1000)
        : undefined;
    return {
      scenario: c.scenario,
      seed: c.seed,
      exitCode: at.exitCode,
      guestMs,
      output: at.output,
      records: at.records,
      dmLeft: at.dmLeft,
      loopsLeft: at.loopsLeft,
      workDirsLeft: at.workDirsLeft,
      devNodesLeft: at.devNodesLeft,
    };
  });
}

/** One boot's worth of direct-mode runs in the guest. */
export interface DirectInVmResult {
  readonly outcomes: readonly DirectInVmOutcome[];
  readonly boot: Pick<BootResult, "ended" | "accel" | "wallMs" | "tail">;
  /** `node --version` in the guest and how long it took to start (guest ms). */
  readonly node?: { readonly version: string; readonly startMs: number };
  readonly image: Pick<NodeImage, "sizeBytes" | "contentBytes" | "files">;
}

/**
 * Builds the Node image in a temp dir, boots the guest once with it, runs every case, and removes
 * the temp dir (image included) once the VM is gone. `timeoutMs` bounds the whole boot; each inner
 * run's own boots get `caseTimeoutMs`.
 */
export async function runDirectInVm(
  setup: RealSetup,
  options: {
    readonly cases: readonly DirectInVmCase[];
    readonly timeoutMs: number;
    readonly caseTimeoutMs?: number;
    readonly log?: (line: string) => void;
    /** Every console line as it arrives (a slow guest can be followed). */
    readonly onLine?: (line: string) => void;
  },
): Promise<DirectInVmResult> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-direct-vm-"));
  try {
    const image = buildNodeImage({ dir });
    log(
      `real: Node image ${image.sizeBytes >> 20} MiB (${image.files} files, ${(image.contentBytes / 2 ** 20).toFixed(0)} MiB)`,
    );
    const disks: string[] = [];
    if (options.cases.some((c) => c.scratch === "ext4")) {
      disks.push(join(dir, "scratch.img"));
      makeExt4Image(disks[0]!, { sizeBytes: EXT4_SCRATCH_BYTES, label: "lvmlab-scratch" });
    }
    const script = directInVmScript(options.cases, {
      loader: image.loader,
      timeoutS: Math.ceil((options.caseTimeoutMs ?? options.timeoutMs) / 1000),
    });
    const boot = await bootGuest({
      setup,
      workDir: dir,
      script,
      disks,
      readOnlyDisks: [image.path],
      memoryMib: DIRECT_IN_VM_MEMORY_MIB,
      timeoutMs: options.timeoutMs,
      onLine: (line) => {
        options.onLine?.(line);
        return undefined;
      },
    });
    const nodeLine = boot.lines.find((l) => l.startsWith(`${MARK} DV NODE `));
    const nodeMatch = nodeLine === undefined ? null : /NODE (\S+) ([\d.]+) ([\d.]+)$/.exec(nodeLine);
    return {
      outcomes: parseDirectInVm(boot.lines, options.cases),
      boot: { ended: boot.ended, accel: boot.accel, wallMs: boot.wallMs, tail: boot.tail },
      ...(nodeMatch === null
        ? {}
        : {
            node: {
              version: nodeMatch[1]!,
              startMs: Math.round((Number(nodeMatch[3]) - Number(nodeMatch[2])) * 1000),
            },
          }),
      image: { sizeBytes: image.sizeBytes, contentBytes: image.contentBytes, files: image.files },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
