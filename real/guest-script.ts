import { splitCommandLine } from "../scenarios/command-line.js";
import type { Scenario } from "../scenarios/schema.js";
import { parseSizeText } from "../scenarios/size-text.js";
import {
  type GuestFault,
  linearTable,
  type ModelFaultFacts,
  translateDeviceFault,
  UntranslatableError,
} from "./fault-translation.js";
import { MARK } from "./guest-init.js";

export { UntranslatableError };

/**
 * Translates a scenario into the shell scripts the guest runs. Each PV is a dm-linear device named
 * like the scenario's PV (`/dev/mapper/pv0`) over its own virtio disk, so a fault can swap its table
 * the way LVM2's test suite does (`aux disable_dev --error`: an `error` table; `aux delay_dev`: a
 * `delay` table). LVM2 commands run as typed with PV names turned into those device paths;
 * workloads run as real fio with `verify=`.
 *
 * Where the model fires a fault at "the Nth block write", the guest counts completed writes at the
 * PV devices (`/sys/block/dm-N/stat`, the same definition) with a polling watcher, so it fires a
 * few writes late. A power cut is the host killing QEMU when the guest reports the point.
 */

/** How the host ends the first boot for a power cut. */
export type CutRule =
  /** The guest's write watcher prints `CUT` when the write count is reached. */
  | { readonly kind: "writes"; readonly writes: number }
  /** Kill when a pvmove progress line at or past this percentage (and below 100) is printed. */
  | { readonly kind: "progress"; readonly percentAtLeast: number; readonly event: string };

/** A workload phase as the guest runs it (the recovery boot verifies the last one of each LV). */
export interface GuestWorkload {
  readonly phase: number;
  readonly lv: string;
  readonly dmName: string;
  /** fio's command line without the verify options. */
  readonly fioArgs: readonly string[];
  readonly iodepthTotal: number;
  /** The smallest `fsync` interval of its jobs (0: none): a flush counts as a write at the LV. */
  readonly fsyncEvery: number;
}

/** The translated scenario. */
export interface GuestPlan {
  readonly pvs: readonly { readonly name: string; readonly sizeBytes: number; readonly disk: string }[];
  /** The first boot: setup, faults, phases, and (when nothing cuts the power) recovery and collection. */
  readonly boot1: string;
  readonly cut?: CutRule;
  readonly workloads: readonly GuestWorkload[];
  /** How the scenario's faults map onto the real system, one line each. */
  readonly notes: readonly string[];
  /** The device faults as dm tables (power cuts are {@link GuestPlan.cut}). */
  readonly faults: readonly GuestFault[];
}

const MAX_PVS = 24;

/** The dm name LVM2 gives vg/lv (hyphens doubled). */
export function lvDmName(path: string): string {
  const [vg, lv] = path.split("/") as [string, string];
  return `${vg.replaceAll("-", "--")}-${lv.replaceAll("-", "--")}`;
}

/** Single-quotes a word for sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An LVM2 command line with PV names (and `pv:PE-range` arguments) turned into guest device paths. */
export function guestArgv(line: string, pvNames: ReadonlySet<string>): string[] {
  return splitCommandLine(line).map((word) => {
    const base = word.split(":")[0]!;
    return pvNames.has(base) ? `/dev/mapper/${word}` : word;
  });
}

/** The guest's lvm.conf: no udev, no dmeventd, no lvmpolld, and only the PV dm devices scanned. */
export function guestLvmConf(pvNames: readonly string[]): string {
  const accept = pvNames.map((n) => `"a|^/dev/mapper/${n}$|"`).join(", ");
  return `devices {
  obtain_device_list_from_udev = 0
  external_device_info_source = "none"
  use_devicesfile = 0
  global_filter = [ ${accept}, "r|.*|" ]
}
activation {
  udev_sync = 0
  udev_rules = 0
  verify_udev_operations = 1
  monitoring = 0
  polling_interval = 1
}
global {
  use_lvmpolld = 0
  event_activation = 0
}
backup {
  backup = 1
  archive = 0
}
`;
}

/** Shell helpers every boot defines, then the PVs as dm-linear devices over their disks. */
export function guestPreamble(plan: {
  readonly pvs: readonly { readonly name: string; readonly sizeBytes: number; readonly disk: string }[];
}): string {
  const names = plan.pvs.map((p) => p.name);
  const lines = [
    "set -u",
    `M='${MARK}'`,
    // The guest keeps LVM2's files in /etc/lvm; direct mode points LVM_SYSTEM_DIR at its work dir.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
    ': "${LVM_SYSTEM_DIR:=/etc/lvm}"; export LVM_SYSTEM_DIR; mkdir -p "$LVM_SYSTEM_DIR"',
    `cat > "$LVM_SYSTEM_DIR/lvm.conf" <<'LVMCONF'\n${guestLvmConf(names)}LVMCONF`,
    'lvmlab_sys() { for d in /sys/block/dm-*; do [ "$(cat $d/dm/name)" = "$1" ] && { echo $d; return; }; done; echo /nonexistent; }',
    // Field 5 of a block device's stat file: write requests completed.
    'lvmlab_writes() { s=$(lvmlab_sys "$1"); if [ -r $s/stat ]; then set -- $(cat $s/stat); echo $5; else echo 0; fi; }',
    // The PV devices' stat files, resolved once: the fault watcher polls them without forking.
    `lvmlab_pvstats() { for p in ${names.join(" ")}; do echo $(lvmlab_sys $p)/stat; done; }`,
    "lvmlab_pvwrites() { t=0; for f in $LVMLAB_PVSTATS; do read -r a b c d e rest < $f; t=$((t + e)); done; }",
    // Runs a command, each output line tagged with the step label; progress lines of a pvmove are
    // preceded by the workload LV's completed write count, so a cut there knows what was acknowledged.
    "lvmlab_run() {",
    "  l=$1; shift",
    '  echo "$M CMD $l $*"',
    '  { "$@" 2>&1; echo "$M EXIT $l $?"; } | while IFS= read -r line; do',
    '    case "$line" in',
    '      "$M "*) echo "$line" ;;',
    // fio's terse line of a workload phase: sum the KiB its jobs wrote (field 47), so the verify
    // knows whether the phase completed any write.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
    '      "3;fio-"*) case "$l" in phase.*) d=/tmp/fio-state/${l#phase.}; mkdir -p $d; echo $(( $(cat $d/written-kib 2>/dev/null || echo 0) + $(echo "$line" | cut -d";" -f47) )) > $d/written-kib ;; esac; echo "$M OUT $l $line" ;;',
    '      *Moved:*) [ -s /tmp/wlv ] && echo "$M WRITES $(lvmlab_writes $(cat /tmp/wlv))"; echo "$M OUT $l $line" ;;',
    '      *) echo "$M OUT $l $line" ;;',
    "    esac",
    "  done",
    "}",
    // Waits (bounded) until no pvmove LV is left and (unless $1 is 0) every LV with a copy
    // percentage is at 100: a degraded mirror before its repair never gets there.
    "lvmlab_settle() {",
    "  i=0",
    "  while [ $i -lt 240 ]; do",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
    '    busy=$(lvs -a --noheadings -o lv_name,copy_percent 2>/dev/null | awk -v all="${1:-1}" \'$1 ~ /pvmove/ || (all == 1 && $2 != "" && $2 != "100.00") {print}\')',
    '    [ -z "$busy" ] && return 0',
    "    usleep 250000; i=$((i + 1))",
    "  done",
    '  echo "$M WARN background work still running after 60 s: $busy"',
    "}",
    // Each PV's disk: a virtio disk in the guest; direct mode sets D_<pv> to its loop device.
    ...plan.pvs.map((pv) => `: "\${D_${pv.name}:=/dev/${pv.disk}}"`),
    "lvmlab_pvs() {",
  ];
  for (const pv of plan.pvs) {
    lines.push(`  dmsetup create ${pv.name} --table "${linearTable(pv)}"`);
  }
  lines.push("}", "lvmlab_pvs", "LVMLAB_PVSTATS=$(lvmlab_pvstats)");
  return `${lines.join("\n")}\n`;
}

function fioArgs(
  jobs: readonly Readonly<Record<string, string | number | boolean>>[],
  dmName: string,
  seed: number,
): { args: string[]; iodepthTotal: number; fsyncEvery: number } {
  const args = ["fio", "--minimal", "--direct=1", "--ioengine=libaio", `--randseed=${seed}`];
  let iodepthTotal = 0;
  let fsyncEvery = 0;
  jobs.forEach((job, index) => {
    args.push(`--name=${typeof job.name === "string" ? job.name : `job${index}`}`);
    args.push(`--filename=/dev/mapper/${dmName}`);
    for (const [key, value] of Object.entries(job)) {
      if (key === "name") continue;
      // lvmlab accepts xxh64 as a name for fio's xxhash; real fio knows only "xxhash".
      const text = key === "verify" && value === "xxh64" ? "xxhash" : value;
      args.push(`--${key}=${text === true ? 1 : text === false ? 0 : text}`);
    }
    iodepthTotal += Number(job.iodepth ?? 1);
    const fsync = Number(job.fsync ?? 0);
    if (fsync > 0) fsyncEvery = fsyncEvery === 0 ? fsync : Math.min(fsyncEvery, fsync);
  });
  return { args, iodepthTotal, fsyncEvery };
}

/**
 * Activates an LV a step needs, quietly and only when it is not active yet: the model activates
 * such LVs without a command, so nothing of this may show in the comparison. `--monitor n` loads
 * mirrors without `handle_errors`, as the model does: with it and no dmeventd (LVM2's
 * `monitoring = 0` still means "ignore", not "off") the kernel would hold every write after a leg
 * failure forever.
 */
function activateLine(lv: string): string {
  return `[ -b /dev/mapper/${lvDmName(lv)} ] || timeout 60 lvchange -ay --monitor n ${shellQuote(lv)} >/dev/null 2>&1`;
}

/** One boot's steps after the preamble, as sh lines. */
export function runLine(label: string, argv: readonly string[]): string {
  return `lvmlab_run ${label} ${argv.map(shellQuote).join(" ")}`;
}

/** Where fio keeps a workload phase's verify state in the guest (tmpfs: gone after a reboot). */
function fioStateDir(phase: number): string {
  return `/tmp/fio-state/${phase}`;
}

/**
 * The fault watcher line: fires `action` once the PVs (or the one PV `device`) completed `writes`
 * more writes.
 */
function watcher(writes: number, action: string, device?: string): string {
  const count = device === undefined ? "lvmlab_pvwrites" : `t=$(lvmlab_writes ${device})`;
  return [
    `${count}; LVMLAB_BASE=$t`,
    `( while :; do ${count}; w=$((t - LVMLAB_BASE)); if [ $w -ge ${writes} ]; then ${action}; break; fi; usleep 1000; done ) &`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
    'LVMLAB_WATCHERS="${LVMLAB_WATCHERS:-} $!"',
  ].join("\n");
}

/**
 * dm-dust splits every I/O on its PV into 512-byte bios and the kernel counts each in
 * `/sys/block/dm-N/stat`, so a write count that includes a dust PV runs ahead of the model's once
 * the dust table is live. A write-count trigger is kept only when it surely fires first: it counts
 * the same writes as the dust fault's own trigger, and no more of them.
 */
function refuseCountsThroughDust(
  faults: readonly GuestFault[],
  cut: CutRule | undefined,
  specs: Scenario["faults"],
): void {
  const counters: { where: string; writes: number; device?: string }[] = faults.flatMap((f) =>
    f.trigger.kind === "writes"
      ? [
          {
            where: `faults[${f.index}]`,
            writes: f.trigger.writes,
            ...(f.trigger.device === undefined ? {} : { device: f.trigger.device }),
          },
        ]
      : [],
  );
  if (cut?.kind === "writes") {
    const index = specs.findIndex((f) => f.kind === "power-cut");
    counters.push({ where: `faults[${index}]`, writes: cut.writes });
  }
  for (const dust of faults.filter((f) => f.dust !== undefined && f.trigger.kind !== "never")) {
    const own = dust.trigger.kind === "writes" ? dust.trigger : undefined;
    for (const c of counters) {
      if (c.where === `faults[${dust.index}]`) continue;
      if (c.device !== undefined && c.device !== dust.device) continue;
      if (own !== undefined && own.device === c.device && c.writes <= own.writes) continue;
      throw new UntranslatableError(
        `${c.where}: its write count includes ${dust.device}, where faults[${dust.index}]'s dm-dust table may already split every I/O into 512-byte bios that the kernel counts one by one`,
      );
    }
  }
}

/** Options of {@link translateScenario}. */
export interface TranslateOptions {
  readonly seed: number;
  /** The model's pvmove percentage when its event-triggered power cut fired (0 when none was seen). */
  readonly modelPercentAtCut?: number;
  /** The model's run of each fault, by index: where it fired, what it drew. */
  readonly faultFacts?: ReadonlyMap<number, ModelFaultFacts>;
  /** Why the guest has no dm-dust (absent: it has); a fault that needs it is refused. */
  readonly dustMissing?: string;
}

/** Turns a scenario into the guest's first boot. */
export function translateScenario(scenario: Scenario, options: TranslateOptions): GuestPlan {
  if (scenario.pvs.length > MAX_PVS) throw new UntranslatableError(`At most ${MAX_PVS} PVs run in the guest`);
  const pvs = scenario.pvs.map((pv, index) => {
    if (!/^[a-z][a-z0-9_]{0,30}$/.test(pv.name)) {
      throw new UntranslatableError(
        `pvs[${index}].name "${pv.name}" is not a plain name the guest can use as a dm device`,
      );
    }
    const sizeBytes = parseSizeText(pv.size);
    if (sizeBytes % 512 !== 0)
      throw new UntranslatableError(`pvs[${index}].size is not a whole number of sectors`);
    return { name: pv.name, sizeBytes, disk: `vd${String.fromCharCode(98 + index)}` };
  });
  const pvNames = new Set(pvs.map((p) => p.name));
  const notes: string[] = [];
  const out: string[] = [];
  const deviceFaults: GuestFault[] = [];
  scenario.setup.forEach((line, i) => {
    out.push(runLine(`setup.${i}`, guestArgv(line, pvNames)));
  });
  out.push("sync");
  let cut: CutRule | undefined;
  for (const [index, fault] of scenario.faults.entries()) {
    const at = fault.at;
    const where = `faults[${index}]`;
    if (fault.kind === "power-cut") {
      if (cut !== undefined)
        throw new UntranslatableError(`${where}: only one power cut per run is translated`);
      if (at.write !== undefined && at.device === undefined) {
        cut = { kind: "writes", writes: at.write };
        out.push(
          watcher(
            at.write,
            'echo "$M CUT writes=$w lvwrites=$(lvmlab_writes $(cat /tmp/wlv 2>/dev/null))"; sleep 3600',
          ),
        );
        notes.push(
          `${where} power-cut at write ${at.write}: QEMU is killed when the guest's watcher has counted ${at.write} completed writes at the PV devices (a few more may complete before the kill); QEMU's writeback cache is the host's page cache, so every write QEMU took survives: the model runs this cut with keep-all instead of "${fault.policy.kind}"`,
        );
      } else if (at.event !== undefined && /^(pvmove\.|mirror\.resync)/.test(at.event)) {
        const percent = options.modelPercentAtCut ?? 0;
        cut = { kind: "progress", percentAtLeast: percent, event: `${at.event}#${at.occurrence ?? 1}` };
        notes.push(
          `${where} power-cut at ${at.event}#${at.occurrence ?? 1}: not observable on the real system; QEMU is killed at the first pvmove progress line at or past ${percent.toFixed(2)}% (the model's progress at its cut) and below 100%; the model runs this cut with keep-all instead of "${fault.policy.kind}", as QEMU keeps every write it took`,
        );
      } else {
        throw new UntranslatableError(
          `${where}: a power cut at ${JSON.stringify(at)} has no observable point in the guest (write counts of the whole VG and pvmove events are translated)`,
        );
      }
    } else {
      const translated = translateDeviceFault(fault, index, {
        pvs,
        phases: scenario.phases,
        ...(options.faultFacts?.has(index) ? { facts: options.faultFacts.get(index)! } : {}),
        ...(options.dustMissing === undefined ? {} : { dustMissing: options.dustMissing }),
      });
      deviceFaults.push(translated);
      notes.push(translated.note);
      const t = translated.trigger;
      const action =
        translated.clear === undefined ? translated.fire : `${translated.fire}; ${translated.clear}`;
      if (t.kind === "writes") out.push(watcher(t.writes, action, t.device));
    }
  }
  refuseCountsThroughDust(deviceFaults, cut, scenario.faults);
  /** Device faults the model fired during a wait phase, fired in the guest once that phase is done. */
  const afterPhase = (phase: number): string[] =>
    deviceFaults
      .filter((f) => f.trigger.kind === "after-phase" && f.trigger.phase === phase)
      .map((f) =>
        f.clear === undefined
          ? f.fire
          : `( ${f.fire}; ${f.clear} ) &\nLVMLAB_WATCHERS="\${LVMLAB_WATCHERS:-} $!"`,
      );
  const workloads: GuestWorkload[] = [];
  let background = false;
  for (const [index, phase] of scenario.phases.entries()) {
    if ("workload" in phase) {
      const dmName = lvDmName(phase.workload.lv);
      const { args, iodepthTotal, fsyncEvery } = fioArgs(phase.workload.jobs, dmName, options.seed);
      // fio saves which writes completed when a write job ends (verify_state_save, on by default),
      // even when an I/O error stopped it; a verify in the same boot loads that state so it checks
      // only writes fio saw complete, as the model's oracle checks only acknowledged writes.
      args.push(`--aux-path=${fioStateDir(index)}`);
      workloads.push({
        phase: index,
        lv: phase.workload.lv,
        dmName,
        fioArgs: args,
        iodepthTotal,
        fsyncEvery,
      });
      out.push(
        `echo ${dmName} > /tmp/wlv`,
        // The model activates an LV a workload needs without a command; so does the guest (quietly).
        activateLine(phase.workload.lv),
        `mkdir -p ${fioStateDir(index)}`,
        `echo "$M PHASE ${index} ${dmName} $(lvmlab_writes ${dmName})"`,
        runLine(`phase.${index}`, args),
      );
    } else if ("lvm" in phase) {
      const argv = guestArgv(phase.lvm, pvNames);
      if (argv[0] === "pvmove" && argv.includes("-b")) {
        // A foreground pvmove in the background prints its progress lines (a -b one prints none).
        const fg = argv.filter((a) => a !== "-b");
        if (!fg.some((a) => a === "-i" || a.startsWith("--interval"))) fg.splice(1, 0, "-i", "1");
        out.push(`${runLine(`phase.${index}`, fg)} &`);
        background = true;
      } else {
        out.push(runLine(`phase.${index}`, argv));
      }
    } else if ("discard" in phase) {
      // The model's discard step is a discard then a flush: blkdiscard, then sync the LV.
      const { lv, offset, length } = phase.discard;
      const offsetBytes = offset === "0" ? 0 : parseSizeText(offset);
      const dev = `/dev/${lv}`;
      out.push(
        activateLine(lv),
        runLine(`phase.${index}`, [
          "blkdiscard",
          "-o",
          String(offsetBytes),
          "-l",
          String(parseSizeText(length)),
          dev,
        ]),
        runLine(`phase.${index}`, ["sync", dev]),
      );
    } else {
      out.push(background ? "wait" : ":", "lvmlab_settle 0");
      // A timed wait lasts as long in wall-clock time (the kernel's own timers, like dm-raid's
      // bitmap daemon, run meanwhile), at most a minute.
      if (phase.wait !== "background")
        out.push(`usleep ${Math.min(60_000_000, Math.ceil(phase.wait.ns / 1000))}`);
      background = false;
    }
    out.push(...afterPhase(index));
  }
  if (background) out.push("wait");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
  out.push("for p in ${LVMLAB_WATCHERS:-}; do kill $p 2>/dev/null; done", "lvmlab_settle 0");
  if (cut !== undefined) {
    out.push('echo "$M NOCUT the run ended before the power cut point"');
  } else {
    out.push(recoverySteps(scenario, pvNames));
  }
  return {
    pvs,
    boot1: `${guestPreamble({ pvs })}${out.join("\n")}\n`,
    cut,
    workloads,
    notes,
    faults: deviceFaults,
  };
}

/** Recovery, then verification and collection: the end of the last boot. */
function recoverySteps(scenario: Scenario, pvNames: ReadonlySet<string>): string {
  const out = scenario.recovery.map((line, i) => runLine(`recovery.${i}`, guestArgv(line, pvNames)));
  out.push("lvmlab_settle");
  return out.join("\n");
}

/**
 * The verify of an LV whose workloads ran in this boot: fio's saved state limits it to the writes
 * fio saw complete. Only the last phase that completed a write can be verified (fio checks a
 * phase's whole pattern, and a later phase overwrites an earlier one's blocks), so phases that
 * completed none (a write error stopped fio at once) fall back to the one before.
 */
function sameBootVerify(lv: string, phases: readonly GuestWorkload[]): string {
  const branches = [...phases].reverse().map((w, i) => {
    const test = `[ "$(cat ${fioWrittenFile(w.phase)} 2>/dev/null || echo 0)" -gt 0 ]`;
    const run = runLine(`verify.${lv}`, [...w.fioArgs, "--verify_only=1", "--verify_state_load=1"]);
    return `${i === 0 ? "if" : "elif"} ${test}; then\n  ${run}\n`;
  });
  return `${branches.join("")}else\n  echo "$M SKIPVERIFY ${lv} no workload phase completed a write"\nfi`;
}

/** Where the guest sums the KiB a phase's fio jobs wrote (field 47 of fio's terse lines). */
function fioWrittenFile(phase: number): string {
  return `${fioStateDir(phase)}/written-kib`;
}

/**
 * The verification and collection steps: fio `--verify_only` of the last workload phase of each
 * LV (limited to the I/Os acknowledged before a cut, or to the writes fio saw complete when the
 * verify runs in the same boot), a read of each snapshot expected invalid,
 * checksums, then `lvs`/`pvs` JSON and `dmsetup table`/`status`.
 */
export function verifyAndCollect(
  scenario: Scenario,
  plan: GuestPlan,
  options: {
    /** After a power cut: how many I/Os of each phase were surely acknowledged. */
    readonly verifyIos?: ReadonlyMap<number, number>;
    /** The workloads ran in this boot, so fio's saved verify state is there to load. */
    readonly sameBoot?: boolean;
  },
): string {
  const out: string[] = ["rm -f /tmp/wlv"];
  const byLv = new Map<string, GuestWorkload[]>();
  for (const w of plan.workloads) byLv.set(w.lv, [...(byLv.get(w.lv) ?? []), w]);
  for (const [lv, phases] of byLv) {
    if (scenario.expect.snapshotInvalid.includes(lv) || scenario.expect.merged[lv] !== undefined) continue;
    const w = phases[phases.length - 1]!;
    if (options.sameBoot === true && options.verifyIos === undefined) {
      out.push(activateLine(lv), sameBootVerify(lv, phases));
      continue;
    }
    const ios = options.verifyIos?.get(w.phase);
    const args = [...w.fioArgs, "--verify_only=1"];
    if (ios !== undefined) {
      if (ios <= 0) {
        out.push(
          `echo "$M SKIPVERIFY ${lv} no I/O of phase ${w.phase} was surely acknowledged before the cut"`,
        );
        continue;
      }
      args.push(`--number_ios=${ios}`);
    }
    out.push(activateLine(lv), runLine(`verify.${lv}`, args));
  }
  for (const lv of scenario.expect.snapshotInvalid) {
    out.push(
      activateLine(lv),
      runLine(`readcheck.${lv}`, [
        "timeout",
        "30",
        "dd",
        `if=/dev/mapper/${lvDmName(lv)}`,
        "of=/dev/null",
        "bs=4096",
        "count=1",
      ]),
    );
  }
  out.push(
    // Every active device of the scenario's VGs (only those: direct mode shares /dev/mapper with the host).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion, not a template
    'for v in $(vgs --noheadings -o vg_name 2>/dev/null); do for d in /dev/mapper/$(echo $v | sed s/-/--/g)-*; do [ -b "$d" ] && echo "$M SUM ${d##*/} $(timeout 60 md5sum < $d 2>/dev/null | cut -c1-32)"; done; done',
    // What is left of each dm-dust fault's bad blocks (a reboot loads the linear tables again).
    ...plan.faults.flatMap((f) =>
      f.dust === undefined ? [] : [`dmsetup table ${f.device} | grep -q " dust " && ${f.dust.report}`],
    ),
    runLine("collect.lvs", LVS_REPORT),
    runLine("collect.pvs", PVS_REPORT),
    runLine("collect.table", ["dmsetup", "table"]),
    runLine("collect.status", ["dmsetup", "status"]),
  );
  return `${out.join("\n")}\n`;
}

/** The `lvs` report both sides print (the model runs the same argv). */
export const LVS_REPORT = [
  "lvs",
  "-a",
  "--reportformat",
  "json",
  "-o",
  "vg_name,lv_name,lv_attr,lv_size,segtype,devices,lv_health_status,kernel_discards",
];
/** The `pvs` report both sides print. */
export const PVS_REPORT = ["pvs", "--reportformat", "json", "-o", "pv_name,vg_name,pv_size,pv_free,pv_used"];

/** The recovery boot: the PVs again (plain linear tables: a reboot drops the fault tables), recovery. */
export function recoveryBoot(scenario: Scenario, plan: GuestPlan): string {
  const pvNames = new Set(plan.pvs.map((p) => p.name));
  return `${guestPreamble(plan)}${recoverySteps(scenario, pvNames)}\n`;
}
