import type { FaultSpec } from "../faults/mod.js";
import type { Phase } from "../scenarios/schema.js";

/**
 * The model's device faults as device-mapper tables loaded under a PV, the way LVM2's own test
 * suite fails devices (test/lib/aux.sh): `disable_dev --error` loads an `error` table,
 * `enable_dev` the linear one again, `error_dev` a linear table with `error` segments over some
 * sectors, `delay_dev` a `delay` table, and flakey devices a `flakey` table. A PV in the guest (or
 * on a host with dm, in direct mode) is the dm device `<name>` over the disk whose path is in
 * `$D_<name>` (a virtio disk, or a loop device), so the same shell lines serve both. Latent sector
 * errors that heal on write become a `dust` table (dm-dust, built at setup: Debian's cloud kernel
 * lacks it). What has no dm equivalent is refused with an {@link UntranslatableError} naming the fault.
 */

/** A scenario the guest cannot run as asked; the message says what. */
export class UntranslatableError extends Error {
  override readonly name = "UntranslatableError";
}

/** A PV as the translation sees it. */
export interface TranslatedPv {
  readonly name: string;
  readonly sizeBytes: number;
}

/** What the model's run says about one fault (see model-run.ts). */
export interface ModelFaultFacts {
  /** Virtual time the fault fired at (absent: the model never fired it). */
  readonly firedTNs?: number;
  /** The phase that was running when it fired (absent: before the first or never). */
  readonly phase?: number;
  /** The fault's `effect` record (e.g. the latent sectors it drew). */
  readonly effect?: Readonly<Record<string, unknown>>;
}

/** When the guest fires a translated fault. */
export type GuestTrigger =
  /** A watcher counts completed writes at the PV devices (all of them, or `device` alone). */
  | { readonly kind: "writes"; readonly writes: number; readonly device?: string }
  /** Inline, once phase `phase` (a wait, where the model fired it) has finished. */
  | { readonly kind: "after-phase"; readonly phase: number }
  /** The model never fired it: nothing to do in the guest either. */
  | { readonly kind: "never" };

/** A translated device fault. */
export interface GuestFault {
  readonly index: number;
  readonly kind: FaultSpec["kind"];
  readonly device: string;
  readonly trigger: GuestTrigger;
  /** sh lines that load the fault's table under the PV. */
  readonly fire: string;
  /** sh lines that wait for the window to close and load the linear table again (absent: permanent). */
  readonly clear?: string;
  /** One line: what the fault became on real dm. */
  readonly note: string;
  /**
   * A dm-dust table (every I/O on the PV is split into 512-byte bios once it fires): the sh line that
   * prints a `DUST <pv> countbadblocks: N badblock(s) found <status>` event, and the N it arms.
   */
  readonly dust?: { readonly report: string; readonly badBlocks: number };
}

/** The dm-linear table of a whole PV over its disk, as `dmsetup --table` text (sh-expanded). */
export function linearTable(pv: TranslatedPv): string {
  return `0 ${pv.sizeBytes / 512} linear $D_${pv.name} 0`;
}

/**
 * Loads `table` (one line, or several joined by `\n` for dmsetup's stdin) under a PV, whose dm
 * name is the scenario's PV name (direct mode refuses a host that already has one so named).
 */
function loadTable(pv: TranslatedPv, table: string): string {
  const lines = table.split("\n");
  if (lines.length === 1) {
    return `dmsetup load ${pv.name} --table "${table}" && dmsetup resume ${pv.name}`;
  }
  return `printf '%s\\n' ${lines.map((l) => `"${l}"`).join(" ")} | dmsetup load ${pv.name} && dmsetup resume ${pv.name}`;
}

/**
 * A linear table with `error` segments over the given sectors (LVM2's `aux error_dev`): runs of
 * adjacent bad sectors become one segment.
 */
export function latentErrorTable(pv: TranslatedPv, sectors: readonly number[]): string {
  const total = pv.sizeBytes / 512;
  const sorted = [...new Set(sectors)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError("latentErrorTable needs at least one sector");
  if (sorted[0]! < 0 || sorted.at(-1)! >= total)
    throw new RangeError(`A bad sector lies outside ${pv.name} (${total} sectors)`);
  const lines: string[] = [];
  let at = 0;
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start + 1;
    while (i + 1 < sorted.length && sorted[i + 1] === end) {
      i += 1;
      end += 1;
    }
    if (start > at) lines.push(`${at} ${start - at} linear $D_${pv.name} ${at}`);
    lines.push(`${start} ${end - start} error`);
    at = end;
    i += 1;
  }
  if (at < total) lines.push(`${at} ${total - at} linear $D_${pv.name} ${at}`);
  return lines.join("\n");
}

/**
 * dm-dust's block size here: 512 bytes, one sector, so a bad block is exactly the model's bad
 * sector (dm-dust checks only a bio's first block and so caps every bio at one block: each I/O on
 * the PV is split into 512-byte bios, which `/sys/block/dm-N/stat` then counts one by one).
 */
const DUST_BLOCK_BYTES = 512;

/** Most bad blocks a dust fault adds: one `dmsetup message` each in the guest. */
export const DUST_BAD_BLOCKS_MAX = 4096;

/**
 * A `dust` table over a whole PV and the sh lines that arm it (kernel 6.1's dm-dust): load it,
 * suspend the PV (I/O waits), `quiet` (no log line per block), `addbadblock` each sector, `enable`
 * (until then dust passes reads and writes alike), resume. A read of a bad block fails (EIO); a
 * write over one removes it and goes through (write fail count 0), as `healOnWrite` does. dm-dust
 * sees every flush as a write at sector 0 (dm sends it an empty bio at the target's start), which
 * would heal a bad sector 0 that the model keeps: sector 0 is then an `error` segment and dust
 * covers the rest (offset 1). `$D_<pv>` is the disk under it.
 */
export function dustArming(
  pv: TranslatedPv,
  sectors: readonly number[],
): {
  readonly table: string;
  readonly arm: string;
  readonly report: string;
  readonly badBlocks: number;
  readonly sectorZeroError: boolean;
} {
  const total = pv.sizeBytes / 512;
  const sorted = [...new Set(sectors)].sort((a, b) => a - b);
  if (sorted.length > 0 && (sorted[0]! < 0 || sorted.at(-1)! >= total))
    throw new RangeError(`A bad sector lies outside ${pv.name} (${total} sectors)`);
  if (sorted.length > DUST_BAD_BLOCKS_MAX)
    throw new UntranslatableError(
      `${sorted.length} bad sectors on ${pv.name}: at most ${DUST_BAD_BLOCKS_MAX} are translated (one dmsetup message each)`,
    );
  const sectorZeroError = sorted[0] === 0;
  const blocks = sectorZeroError ? sorted.slice(1) : sorted;
  const start = sectorZeroError ? 1 : 0;
  const dust = `${start} ${total - start} dust $D_${pv.name} ${start} ${DUST_BLOCK_BYTES}`;
  const table = sectorZeroError ? `0 1 error\n${dust}` : dust;
  // dmsetup message goes to the target holding the given sector: the dust one.
  const message = `dmsetup message ${pv.name} ${start}`;
  const add =
    blocks.length === 0
      ? ""
      : `for b in ${blocks.join(" ")}; do ${message} addbadblock $b || exit 1; done && `;
  const arm = `dmsetup suspend ${pv.name} && ( ${message} quiet && ${add}${message} enable ); r=$?; dmsetup resume ${pv.name} && [ $r = 0 ]`;
  // What the guest armed, for the transcript: the count of bad blocks and the status (enabled or not).
  const report = `echo "$M DUST ${pv.name} $(${message} countbadblocks) $(dmsetup status ${pv.name} | tr '\\n' ' ')"`;
  return { table, arm, report, badBlocks: blocks.length, sectorZeroError };
}

/** Whole milliseconds of a nanosecond count, or undefined when it is not a whole number of them. */
function wholeMs(ns: number): number | undefined {
  return ns % 1_000_000 === 0 ? ns / 1_000_000 : undefined;
}

/** What each fault kind becomes on real dm, or why it cannot (README and `lvmlab real --help`). */
export const FAULT_KIND_TRANSLATIONS: Readonly<Record<FaultSpec["kind"], string>> = {
  "pv-loss":
    "an `error` table under the PV (aux disable_dev --error); with a window the linear table comes back (enable_dev); returnAs blank is refused",
  "power-cut":
    "the VM is killed at the point (direct mode: error tables on every PV, then the devices torn down); QEMU keeps every write it took, so the model runs it keep-all",
  "latent-sector-errors":
    "healOnWrite: a `dust` table with 512-byte blocks (dm-dust, built at setup: the cloud kernel lacks it), each bad sector added with addbadblock, then enable: reads of them fail and a write over one heals it, as in the model (a bad sector 0 stays an `error` segment: dm-dust takes every flush for a write at sector 0); without healOnWrite a linear table with `error` segments (aux error_dev): dm-dust either heals a block on write or fails the write, never accepts it and keeps the sector bad as the model does, so writes over them fail too",
  "slow-device":
    "a `delay` table (aux delay_dev) adding addNs as whole milliseconds to reads, writes or both; factor ≠ 1 and spikes are refused (dm-delay adds a fixed delay)",
  "sync-stall":
    "slow-leg: a `delay` table adding delayNs (whole milliseconds) under the leg's PV; stall is refused (no dm target stops a copy)",
  flakey:
    "a `flakey` table with upNs/downNs as whole seconds and drop_writes, error_writes or corrupt_bio_byte; errorReads is refused (kernel 6.1's dm-flakey has no error_reads)",
  "torn-write": "refused: no dm target persists part of a write and acknowledges it",
  "bit-rot": "refused: no dm target flips bits (dm-flakey corrupts a byte per bio, not at rest)",
  "misdirected-write": "refused: no dm target redirects one write",
  "metadata-corruption": "refused: damage at rest is not a dm table",
  "cow-exhaustion": "refused: a COW filled or capped from outside has no dm table",
  "thin-metadata-corruption": "refused: damage at rest is not a dm table",
  "thin-metadata-exhaustion": "refused: dm-thin's metadata cannot be capped from outside",
};

/** Where the model fired a non-write trigger, as a point the guest can reach: after a wait phase. */
function placeByModel(
  where: string,
  fault: FaultSpec,
  phases: readonly Phase[],
  facts: ModelFaultFacts | undefined,
): GuestTrigger {
  if (facts?.firedTNs === undefined) return { kind: "never" };
  const phase = facts.phase;
  if (phase === undefined || phases[phase] === undefined || !("wait" in phases[phase]!)) {
    throw new UntranslatableError(
      `${where}: ${JSON.stringify(fault.at)} fired ${phase === undefined ? "outside the phases" : `during phases[${phase}]`} in the model, where the guest cannot observe it (write counts, and triggers the model fired during a wait phase, are translated)`,
    );
  }
  return { kind: "after-phase", phase };
}

function trigger(
  where: string,
  fault: FaultSpec,
  pvs: readonly TranslatedPv[],
  phases: readonly Phase[],
  facts: ModelFaultFacts | undefined,
): GuestTrigger {
  const at = fault.at;
  if (at.write !== undefined) {
    if (at.device !== undefined && !pvs.some((p) => p.name === at.device))
      throw new UntranslatableError(`${where}.at.device "${at.device}" is not a PV`);
    return { kind: "writes", writes: at.write, ...(at.device === undefined ? {} : { device: at.device }) };
  }
  if (at.after !== undefined)
    throw new UntranslatableError(`${where}: a trigger after another fault is not translated`);
  return placeByModel(where, fault, phases, facts);
}

/** The sh lines that wait for a window to close. */
function windowWait(where: string, window: NonNullable<FaultSpec & { window?: unknown }>["window"]): string {
  const w = window as { durationNs?: number; untilEvent?: string; occurrence?: number } | undefined;
  if (w === undefined) return "";
  if (w.durationNs !== undefined) {
    const us = Math.max(1, Math.round(w.durationNs / 1000));
    return `usleep ${us}`;
  }
  if (w.untilEvent === "raid.leg.fail" && (w.occurrence ?? 1) === 1) {
    // dm-raid's status shows a failed leg as `D` among its health characters (<type> <#devs> <health>).
    // With several devices dmsetup prefixes each line with its name, so the field is found after "raid".
    return `i=0; while [ $i -lt 600 ] && ! dmsetup status --target raid 2>/dev/null | awk '{for (i = 1; i + 3 <= NF; i++) if ($i == "raid" && $(i + 3) ~ /D/) f = 1} END {exit !f}'; do usleep 100000; i=$((i + 1)); done`;
  }
  throw new UntranslatableError(
    `${where}.window: ${JSON.stringify(window)} has no observable end in the guest (durationNs, and untilEvent raid.leg.fail, are translated)`,
  );
}

function windowNote(window: unknown): string {
  const w = window as { durationNs?: number; untilEvent?: string } | undefined;
  if (w === undefined) return "permanent";
  if (w.durationNs !== undefined)
    return `for ${w.durationNs / 1e6} ms of wall-clock time (the model's is virtual), then the linear table again`;
  return "until dmsetup status shows a raid leg failed (D), then the linear table again";
}

function triggerNote(t: GuestTrigger): string {
  if (t.kind === "writes")
    return `once the watcher counts ${t.writes} completed writes at ${t.device ?? "the PV devices"}`;
  if (t.kind === "after-phase") return `once phases[${t.phase}] (where the model fired it) is done`;
  return "never (the model did not fire it)";
}

/**
 * Translates one device fault (not a power cut). `facts` is the model's run of the same case:
 * where it fired event-triggered faults, and which sectors a seeded fault drew.
 */
export function translateDeviceFault(
  fault: FaultSpec,
  index: number,
  context: {
    readonly pvs: readonly TranslatedPv[];
    readonly phases: readonly Phase[];
    readonly facts?: ModelFaultFacts;
    /** Why the guest has no dm-dust (absent: it has, or the host's kernel decides in direct mode). */
    readonly dustMissing?: string;
  },
): GuestFault {
  const where = `faults[${index}]`;
  const device = "device" in fault && typeof fault.device === "string" ? fault.device : undefined;
  if (fault.kind === "power-cut") throw new RangeError("power cuts are translated by the guest script");
  if (
    device === undefined ||
    !["pv-loss", "latent-sector-errors", "slow-device", "sync-stall", "flakey"].includes(fault.kind)
  ) {
    throw new UntranslatableError(
      `${where}: fault kind ${fault.kind} has no device-mapper translation (${FAULT_KIND_TRANSLATIONS[fault.kind]})`,
    );
  }
  const pv = context.pvs.find((p) => p.name === device);
  if (pv === undefined) throw new UntranslatableError(`${where}.device "${device}" is not a PV`);
  const sectors = pv.sizeBytes / 512;
  const dev = `$D_${pv.name}`;
  let table: string;
  let what: string;
  /** dm-dust's messages, run once the table is live, and the line reporting what they armed. */
  let dustLines: { readonly arm: string; readonly report: string; readonly badBlocks: number } | undefined;
  switch (fault.kind) {
    case "pv-loss":
      if (fault.returnAs !== "intact")
        throw new UntranslatableError(
          `${where}.returnAs: "${fault.returnAs}" is not translated (only intact)`,
        );
      table = `0 ${sectors} error`;
      what = `pv-loss of ${pv.name}: an error table (aux disable_dev --error)`;
      break;
    case "latent-sector-errors": {
      let bad: readonly number[];
      if (fault.sectors !== undefined) bad = fault.sectors;
      else {
        const effect = context.facts?.effect;
        if (effect === undefined) {
          if (context.facts?.firedTNs === undefined) {
            bad = [];
          } else throw new UntranslatableError(`${where}: the model did not record which sectors it drew`);
        } else {
          if (effect.sectorsTruncated === true)
            throw new UntranslatableError(`${where}: the model drew more sectors than its record keeps`);
          bad = (effect.sectors as number[] | undefined) ?? [];
        }
      }
      if (fault.healOnWrite) {
        if (context.dustMissing !== undefined)
          throw new UntranslatableError(
            `${where}: latent-sector-errors with healOnWrite needs dm-dust, which the guest lacks: ${context.dustMissing}`,
          );
        const dust = dustArming(pv, bad);
        table = dust.table;
        dustLines = dust;
        what = `latent-sector-errors on ${pv.name}: a dust table (512-byte blocks) with ${bad.length} bad sectors, enabled: reads of them fail, a write over one heals it${dust.sectorZeroError ? "; sector 0 is an error segment, writes to it fail (dm-dust takes every flush for a write at sector 0 and would heal it)" : ""}; I/O on ${pv.name} is split into 512-byte bios from then on`;
      } else {
        table = bad.length === 0 ? `0 ${sectors} error` : latentErrorTable(pv, bad);
        what = `latent-sector-errors on ${pv.name}: ${bad.length} sectors as error segments in a linear table (aux error_dev; writes over them fail too, the model accepts them: dm-dust either heals a block on write or fails the write)`;
      }
      break;
    }
    case "slow-device": {
      if (fault.factor !== 1 || fault.spikeProbability > 0)
        throw new UntranslatableError(
          `${where}: slow-device factor ${fault.factor} and spikeProbability ${fault.spikeProbability} have no dm-delay equivalent (it adds a fixed delay; use factor 1 and addNs)`,
        );
      const ms = wholeMs(fault.addNs);
      if (ms === undefined || ms < 1)
        throw new UntranslatableError(
          `${where}.addNs: dm-delay delays by whole milliseconds (got ${fault.addNs} ns)`,
        );
      const r = fault.ops === "write" ? 0 : ms;
      const w = fault.ops === "read" ? 0 : ms;
      table =
        r === w ? `0 ${sectors} delay ${dev} 0 ${ms}` : `0 ${sectors} delay ${dev} 0 ${r} ${dev} 0 ${w}`;
      what = `slow-device ${pv.name}: a delay table (aux delay_dev) of ${ms} ms on ${fault.ops === "all" ? "reads and writes" : `${fault.ops}s`}`;
      break;
    }
    case "sync-stall": {
      if (fault.mode !== "slow-leg")
        throw new UntranslatableError(
          `${where}: sync-stall mode ${fault.mode} has no dm table (only slow-leg)`,
        );
      const ms = wholeMs(fault.delayNs);
      if (ms === undefined || ms < 1)
        throw new UntranslatableError(
          `${where}.delayNs: dm-delay delays by whole milliseconds (got ${fault.delayNs} ns)`,
        );
      table = `0 ${sectors} delay ${dev} 0 ${ms}`;
      what = `sync-stall slow-leg ${pv.name}: a delay table of ${ms} ms`;
      break;
    }
    case "flakey": {
      if (fault.upNs % 1e9 !== 0 || fault.downNs % 1e9 !== 0)
        throw new UntranslatableError(
          `${where}: dm-flakey's up and down intervals are whole seconds (got upNs ${fault.upNs}, downNs ${fault.downNs})`,
        );
      if (fault.errorReads)
        throw new UntranslatableError(
          `${where}.errorReads: kernel 6.1's dm-flakey has no error_reads feature`,
        );
      const features: string[] = [];
      if (fault.dropWrites) features.push("drop_writes");
      if (fault.errorWrites) features.push("error_writes");
      const c = fault.corruptBioByte;
      if (c !== undefined)
        features.push("corrupt_bio_byte", String(c.nth), c.direction, String(c.value), String(c.flags));
      table = `0 ${sectors} flakey ${dev} 0 ${fault.upNs / 1e9} ${fault.downNs / 1e9}${features.length === 0 ? "" : ` ${features.length} ${features.join(" ")}`}`;
      what = `flakey ${pv.name}: a flakey table (up ${fault.upNs / 1e9} s, down ${fault.downNs / 1e9} s${features.length === 0 ? ", every I/O fails while down" : `, ${features.join(" ")}`})`;
      break;
    }
    default:
      throw new UntranslatableError(`${where}: fault kind ${fault.kind} has no device-mapper translation`);
  }
  const t = trigger(where, fault, context.pvs, context.phases, context.facts);
  const window = "window" in fault ? fault.window : undefined;
  const wait = windowWait(where, window);
  const fired = `echo "$M FAULT ${fault.kind} ${pv.name} writes=\${w:-}"`;
  const fire =
    dustLines === undefined
      ? `${loadTable(pv, table)}; ${fired}`
      : // A dust table that did not arm (no dust target, a refused block) says so in the transcript.
        `if ${loadTable(pv, table)} && ${dustLines.arm}; then ${fired}; ${dustLines.report}; else echo "$M WARN dust table under ${pv.name} failed"; fi`;
  const clear =
    window === undefined
      ? undefined
      : `${wait}; ${loadTable(pv, linearTable(pv))}; echo "$M FAULT cleared ${fault.kind} ${pv.name}"`;
  return {
    index,
    kind: fault.kind,
    device: pv.name,
    trigger: t,
    fire,
    ...(clear === undefined ? {} : { clear }),
    note: `${where} ${what}, ${triggerNote(t)}, ${windowNote(window)}`,
    ...(dustLines === undefined
      ? {}
      : { dust: { report: dustLines.report, badBlocks: dustLines.badBlocks } }),
  };
}
