import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Scenario } from "../scenarios/schema.js";
import { drawCase } from "../scenarios/swarm.js";
import {
  type Difference,
  diffRuns,
  dustDifferences,
  normalizeRealText,
  type RealObserved,
  verifiedKib,
} from "./diff.js";
import { DirectHost, guestDirectScript } from "./direct.js";
import { MARK } from "./guest-init.js";
import {
  type GuestPlan,
  type GuestWorkload,
  recoveryBoot,
  translateScenario,
  UntranslatableError,
  verifyAndCollect,
} from "./guest-script.js";
import { explainDifference } from "./known-differences.js";
import { type ModelResult, reportRows, runModel } from "./model-run.js";
import { type BootResult, bootGuest } from "./qemu.js";
import type { RealSetup } from "./setup.js";
import { eventsOf, parseTranscript, type Transcript } from "./transcript.js";

/**
 * `lvmlab real run`: the model's case at a seed, then the same scenario in the guest — one boot,
 * or two around a power cut (QEMU killed at the translated point, then booted again on the same
 * disk files for the recovery) — and the differences between the two.
 */

/** QEMU throttling for runs that cut a pvmove at a progress line, so the move prints some. */
const PVMOVE_THROTTLE_BPS = 4 << 20;

/** Options of {@link runReal}. */
export interface RealRunOptions {
  /** The guest's kernel and initramfs (unused in direct mode). */
  readonly setup?: RealSetup;
  /** Run on this host's dm over loop devices instead of a VM (direct.ts); the caller checked the host. */
  readonly direct?: boolean;
  /**
   * Run direct mode's steps inside the VM (loop devices over its virtio disks, a power cut as the
   * guest's own error tables and teardown): how direct mode is tested on a host without dm.
   * Write-count cuts only.
   */
  readonly directInGuest?: boolean;
  readonly seed: number;
  /** Keep the disk images and the console transcript here instead of a deleted temp dir. */
  readonly keepDir?: string;
  /** Per boot. */
  readonly bootTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** One boot, summarized for the record. */
export interface BootSummary {
  readonly ended: BootResult["ended"];
  readonly wallMs: number;
}

/** The outcome of a real run. */
export interface RealRunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly accel: "kvm" | "tcg" | "direct";
  readonly boots: readonly BootSummary[];
  readonly notes: readonly string[];
  /** Where the power cut landed in the guest, if one was asked for. */
  readonly cut?: string;
  readonly model: ModelResult;
  readonly real: RealObserved;
  readonly differences: readonly Difference[];
}

const DEFAULT_BOOT_TIMEOUT_MS = 240_000;

/** One sparse raw image file per PV in `dir`, in PV order; returns their paths. */
export function makeDisks(
  dir: string,
  plan: { readonly pvs: readonly { name: string; sizeBytes: number }[] },
): string[] {
  return plan.pvs.map((pv) => {
    const path = join(dir, `${pv.name}.img`);
    const fd = openSync(path, "w");
    try {
      ftruncateSync(fd, pv.sizeBytes);
    } finally {
      closeSync(fd);
    }
    return path;
  });
}

/** Kills boot 1 at the plan's cut: the guest's CUT line, or the first pvmove line past the percentage. */
function cutWatcher(plan: GuestPlan): {
  onLine: (line: string) => "kill" | undefined;
  where: () => string | undefined;
} {
  let where: string | undefined;
  let running: { phase: number; start: number } | undefined;
  let lvWrites: number | undefined;
  const onLine = (line: string): "kill" | undefined => {
    const cut = plan.cut;
    if (cut === undefined || where !== undefined) return undefined;
    if (cut.kind === "writes" && line.includes(" CUT ")) {
      where = `after ${/writes=(\d+)/.exec(line)?.[1] ?? "?"} completed PV writes (model: write ${cut.writes})`;
      return "kill";
    }
    if (cut.kind === "progress") {
      const phase = / PHASE (\d+) \S+ (\d+)\s*$/.exec(line);
      if (phase !== null) running = { phase: Number(phase[1]), start: Number(phase[2]) };
      const writes = / WRITES (\d+)\s*$/.exec(line);
      if (writes !== null) lvWrites = Number(writes[1]);
      const match = /Moved: +([\d.]+)%/.exec(line);
      const percent = match === null ? Number.NaN : Number(match[1]);
      // A cut before the running workload surely completed a write leaves nothing to verify
      // (a loaded host can make the move outrun fio): hold the cut until something was acknowledged.
      const workload = plan.workloads.find((w) => w.phase === running?.phase);
      const acked =
        workload === undefined || running === undefined || lvWrites === undefined
          ? 1
          : surelyAcknowledged(workload, lvWrites - running.start);
      if (percent >= cut.percentAtLeast && percent < 100 && percent > 0 && acked > 0) {
        where = `at the pvmove progress line "${line.replace(/^\S+ OUT \S+ /, "")}" (model: ${cut.event} at ${cut.percentAtLeast.toFixed(2)}%)`;
        return "kill";
      }
    }
    return undefined;
  };
  return { onLine, where: () => where };
}

/**
 * fio writes surely acknowledged after `requests` completed LV write requests. The LV's stat counts
 * fio's flushes as writes too (bio-based dm accounts an empty flush as a write), so the count is
 * scaled down as if every completed request could be a flush's share, then the queue depth is
 * taken off: what remains was certainly acknowledged.
 */
function surelyAcknowledged(workload: GuestWorkload, requests: number): number {
  const writes =
    workload.fsyncEvery > 0
      ? Math.floor((requests * workload.fsyncEvery) / (workload.fsyncEvery + 1))
      : requests;
  return writes - workload.iodepthTotal;
}

/** fio I/Os of the cut phase that were surely acknowledged: completed LV writes less the queue depth. */
function acknowledgedIos(
  plan: GuestPlan,
  transcript: Transcript,
): { ran: Set<number>; ios: Map<number, number> } {
  const phases = eventsOf(transcript, "PHASE").map((e) => {
    const [phase, dmName, start] = e.text.split(" ");
    return { phase: Number(phase), dmName: dmName!, start: Number(start) };
  });
  const ran = new Set(phases.map((p) => p.phase));
  const ios = new Map<number, number>();
  const lastPhase = phases.at(-1);
  if (lastPhase === undefined) return { ran, ios };
  let lvWrites: number | undefined;
  const cut = eventsOf(transcript, "CUT").at(-1);
  if (cut !== undefined) lvWrites = Number(/lvwrites=(\d+)/.exec(cut.text)?.[1] ?? Number.NaN);
  else {
    const seen = eventsOf(transcript, "WRITES").at(-1);
    if (seen !== undefined) lvWrites = Number(seen.text);
  }
  const workload = plan.workloads.find((w) => w.phase === lastPhase.phase);
  if (workload !== undefined && lvWrites !== undefined && Number.isFinite(lvWrites)) {
    ios.set(lastPhase.phase, surelyAcknowledged(workload, lvWrites - lastPhase.start));
  } else if (workload !== undefined) {
    ios.set(lastPhase.phase, 0);
  }
  return { ran, ios };
}

/**
 * The JSON of a report step: LVM2's warnings go to stderr, which the guest merges into the step's
 * output (a PV gone prints "WARNING: Couldn't find device …" before the report), so only the lines
 * from the report's opening brace to its closing one are kept, warnings among them dropped.
 */
export function reportJson(text: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === "{");
  const end = lines.findLastIndex((l) => l.trim() === "}");
  if (start < 0 || end < start) return text;
  return lines
    .slice(start, end + 1)
    .filter((l) => !/^\s+WARNING: /.test(l))
    .join("\n");
}

function observe(transcript: Transcript, pvNames: readonly string[]): RealObserved {
  const text = (label: string) => (transcript.steps.get(label)?.output ?? []).join("\n");
  const sums = new Map<string, string>();
  for (const e of eventsOf(transcript, "SUM")) {
    const [name, sum] = e.text.split(" ");
    if (name !== undefined && sum !== undefined) sums.set(name, sum);
  }
  const lvsText = reportJson(text("collect.lvs"));
  const pvsText = reportJson(text("collect.pvs"));
  // Report values with the guest's PV device paths written as the scenario's PV names.
  const rows = (text: string, key: "lv" | "pv") =>
    text === ""
      ? []
      : reportRows(text, key, `real ${key}s`).map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normalizeRealText(v, pvNames)])),
        );
  return {
    steps: transcript.steps,
    lvs: rows(lvsText, "lv"),
    pvs: rows(pvsText, "pv"),
    sums,
    transcript,
  };
}

/** Runs a scenario on the model and in the guest, and compares them. */
export async function runReal(declared: Scenario, options: RealRunOptions): Promise<RealRunResult> {
  const log = options.log ?? (() => {});
  // A swarm scenario runs as its seed drew it (cut, policy, lost leg, …), on both sides.
  const scenario = drawCase(declared, options.seed).scenario;
  // Refuse an untranslatable scenario before spending time on the model.
  // Direct mode has no setup: the host's kernel has dm-dust or the dust table fails to load.
  const dust = options.setup?.dustMissing === undefined ? {} : { dustMissing: options.setup.dustMissing };
  translateScenario(scenario, { seed: options.seed, ...dust });
  const model = runModel(scenario, options.seed);
  log(`model: ${model.record.status} (${model.record.verdict})`);
  const plan = translateScenario(scenario, {
    seed: options.seed,
    modelPercentAtCut: model.pvmovePercentAtCut,
    faultFacts: model.faultFacts,
    ...dust,
  });
  const workDir = options.keepDir ?? mkdtempSync(join(tmpdir(), "lvmlab-real-"));
  if (options.keepDir !== undefined) mkdirSync(workDir, { recursive: true });
  const timeoutMs = options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
  const boots: BootSummary[] = [];
  const notes = [...plan.notes];
  let accel: RealRunResult["accel"] = options.direct === true ? "direct" : "tcg";
  let cutWhere: string | undefined;
  const consoleLog = (boot: number) =>
    options.keepDir === undefined ? {} : { consoleLog: join(workDir, `console-boot${boot}.txt`) };
  let host: DirectHost | undefined;
  try {
    const disks = makeDisks(workDir, plan);
    if (options.direct === true) host = new DirectHost(workDir, plan.pvs);
    else if (options.setup === undefined) throw new Error("runReal needs a guest setup unless direct");
    const setup = options.setup;
    /** One boot: of the VM, or of the scripts on this host's dm (no throttling there). */
    const boot = async (spec: Omit<Parameters<typeof bootGuest>[0], "setup">): Promise<BootResult> => {
      if (host !== undefined) return host.boot(spec);
      if (options.directInGuest !== true) return bootGuest({ ...spec, setup: setup! });
      if (plan.cut?.kind === "progress")
        throw new UntranslatableError("direct mode in the guest decides write-count cuts only");
      // The guest cuts itself at its CUT line; the host only notes where.
      const result = await bootGuest({
        ...spec,
        setup: setup!,
        script: guestDirectScript(plan.pvs, spec.script),
        onLine: (line) => void spec.onLine?.(line),
      });
      const cut = result.lines.some((l) => l.startsWith(`${MARK} DIRECTCUT`));
      return result.ended === "poweroff" && cut ? { ...result, ended: "killed" } : result;
    };
    if (options.directInGuest === true)
      notes.push(
        "direct mode's steps ran inside the VM: loop devices (losetup --direct-io=on) over its virtio disks; a power cut is the guest's own error tables under every PV and teardown",
      );
    if (options.direct === true)
      notes.push("direct mode: this host's dm over loop devices (losetup --direct-io=on)");
    const throttleBps = plan.cut?.kind === "progress" ? PVMOVE_THROTTLE_BPS : undefined;
    // Direct mode has no QEMU to throttle its loop devices (seen running it in the guest).
    if (throttleBps !== undefined && host === undefined)
      notes.push(`disks throttled to ${throttleBps >> 20} MiB/s by QEMU so the move prints progress`);
    if (host !== undefined && plan.cut !== undefined)
      notes.push(
        "direct mode: the power cut kills the script's process group, loads an error table under every PV and removes the run's dm devices; no QEMU is involved, and what reached the loop devices stays in the disk files",
      );
    const watcher = cutWatcher(plan);
    const boot1Script =
      plan.cut === undefined
        ? `${plan.boot1}${verifyAndCollect(scenario, plan, { sameBoot: true })}`
        : plan.boot1;
    log(
      `real: boot 1 (${plan.cut === undefined ? "setup, phases, recovery" : "setup and phases until the power cut"})`,
    );
    const first = await boot({
      workDir,
      script: boot1Script,
      disks,
      throttleBps,
      timeoutMs,
      onLine: watcher.onLine,
      ...consoleLog(1),
    });
    accel = first.accel;
    boots.push({ ended: first.ended, wallMs: Math.round(first.wallMs) });
    const transcript = parseTranscript(first.lines);
    if (first.ended === "timeout")
      throw new Error(
        `boot 1 timed out after ${timeoutMs} ms; last console lines:\n${first.tail.join("\n")}`,
      );
    if (plan.cut !== undefined) {
      cutWhere = watcher.where() ?? "not reached: the guest finished its phases first";
      log(`real: power cut ${cutWhere}`);
      const { ran, ios } = acknowledgedIos(plan, transcript);
      const verifyPlan = { ...plan, workloads: plan.workloads.filter((w) => ran.has(w.phase)) };
      const script = `${recoveryBoot(scenario, plan)}${verifyAndCollect(scenario, verifyPlan, { verifyIos: ios })}`;
      log("real: boot 2 (reboot on the same disks, recovery)");
      const second = await boot({
        workDir,
        script,
        disks,
        timeoutMs,
        ...consoleLog(2),
      });
      boots.push({ ended: second.ended, wallMs: Math.round(second.wallMs) });
      if (second.ended !== "poweroff")
        throw new Error(`boot 2 ended by ${second.ended}; last console lines:\n${second.tail.join("\n")}`);
      parseTranscript(second.lines, transcript);
    } else if (first.ended !== "poweroff") {
      throw new Error(`boot 1 ended by ${first.ended}; last console lines:\n${first.tail.join("\n")}`);
    }
    const real = observe(
      transcript,
      plan.pvs.map((p) => p.name),
    );
    const differences: Difference[] = diffRuns(scenario, model, real).map((d) => {
      const explained = explainDifference(d);
      return explained === undefined ? d : { ...d, explained };
    });
    differences.push(...dustDifferences(plan.faults, transcript));
    if (plan.cut !== undefined && watcher.where() === undefined) {
      differences.push({
        aspect: "fault",
        subject: "power cut",
        model: model.record.crashPoint ?? "fired",
        real: "not reached",
      });
    }
    if (host !== undefined && host.bufferedLoops.length > 0)
      notes.push(
        `direct mode: ${host.bufferedLoops.map((b) => `${b.loop} without direct I/O (${b.why})`).join(", ")}: a page cache sits between dm and the disk files (tmpfs before Linux 6.6 has no O_DIRECT; put TMPDIR on ext4 or xfs for direct I/O)`,
      );
    for (const e of eventsOf(transcript, "WARN")) notes.push(`guest: ${e.text}`);
    for (const e of eventsOf(transcript, "FAULT")) notes.push(`guest fault: ${e.text}`);
    for (const e of eventsOf(transcript, "DUST")) notes.push(`guest dm-dust: ${e.text}`);
    return {
      scenario: scenario.name,
      seed: options.seed,
      accel,
      boots,
      notes,
      cut: cutWhere,
      model,
      real,
      differences,
    };
  } finally {
    try {
      host?.close();
    } finally {
      if (options.keepDir === undefined) rmSync(workDir, { recursive: true, force: true });
    }
  }
}

/** The NDJSON records of a real run: one `real-run`, then one `real-diff` per difference. */
export function realRunRecords(result: RealRunResult): object[] {
  const base = { scenario: result.scenario, seed: result.seed };
  return [
    {
      type: "real-run",
      ...base,
      accel: result.accel,
      boots: result.boots,
      cut: result.cut ?? null,
      modelStatus: result.model.record.status,
      modelVerdict: result.model.record.verdict,
      realVerifiedKib: verifiedKib(result.real),
      differences: result.differences.length,
      unexplained: unexplained(result).length,
      notes: result.notes,
    },
    ...result.differences.map((d) => ({ type: "real-diff", ...base, ...d })),
  ];
}

/** The differences no known difference explains: what makes a run fail. */
export function unexplained(result: RealRunResult): Difference[] {
  return result.differences.filter((d) => d.explained === undefined);
}
