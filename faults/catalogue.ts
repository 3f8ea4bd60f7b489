import type { FaultKindName } from "./schema.js";

/**
 * The fault catalogue: every kind with a one-line description and its parameters, for
 * `lvmlab faults --list` and the README. A test checks it against the schemas, so it cannot
 * drift from what scenario files may write.
 */

/** One parameter of a fault kind. */
export interface CatalogueParam {
  readonly name: string;
  readonly type: string;
  /** The default as text; "required" or "—" (optional, no default). */
  readonly default: string;
  readonly meaning: string;
}

/** One fault kind in the catalogue. */
export interface CatalogueEntry {
  readonly kind: FaultKindName;
  readonly description: string;
  /** True when the kind takes a `window` (it can end and be undone). */
  readonly windowed: boolean;
  readonly params: readonly CatalogueParam[];
}

const p = (name: string, type: string, dflt: string, meaning: string): CatalogueParam => ({
  name,
  type,
  default: dflt,
  meaning,
});

const crashPolicy = "drop-all|keep-all|prefix{count}|subset{seed?}|torn{seed?}";

/** Fields every fault has: where it fires, and (windowed kinds) how long it lasts. */
export const COMMON_PARAMS: readonly CatalogueParam[] = [
  p("id", "string", "—", "Name for `after` triggers and records; also keys the fault's seed path"),
  p("at.timeNs", "int ns", "—", "Fire at this virtual time"),
  p(
    "at.write + at.device?",
    "int, string",
    "—",
    "Fire at the Nth block write of the device, or of the whole VG",
  ),
  p(
    "at.event + at.occurrence? + at.where?",
    "string, int, object",
    "occurrence 1",
    "Fire at the Nth matching trace event",
  ),
  p(
    "at.after + at.edge? + at.delayNs?",
    "id, fired|cleared, int ns",
    "edge fired",
    "Fire when another fault fires/clears",
  ),
  p(
    "window.durationNs | window.untilEvent",
    "int ns | string",
    "permanent",
    "How long a windowed fault lasts",
  ),
];

/** Every fault kind, in catalogue order. */
export const FAULT_CATALOGUE: readonly CatalogueEntry[] = [
  {
    kind: "pv-loss",
    description: "A PV disappears: every request fails with ENXIO; with a window it comes back",
    windowed: true,
    params: [
      p("device", "string", "required", "The PV that disappears"),
      p("returnAs", "intact|blank", "intact", "At window end: back intact, or replaced by a blank disk"),
    ],
  },
  {
    kind: "power-cut",
    description:
      "Every device loses power at once; each volatile cache resolves by a crash policy; halt and reboot",
    windowed: false,
    params: [
      p(
        "policy",
        crashPolicy,
        "subset",
        "Crash policy for every device; missing seeds come from the fault's stream",
      ),
      p("perDevice", "{device: policy}", "{}", "Per-device overrides of policy"),
    ],
  },
  {
    kind: "torn-write",
    description: "One write persists only some of its sectors (the caller is told it succeeded)",
    windowed: false,
    params: [
      p("device", "string", "—", "Needed unless the trigger is a block write (then that write is torn)"),
      p(
        "pattern",
        "subset|prefix",
        "subset",
        "Seeded subset or seeded prefix of sectors survives; at least one is lost",
      ),
      p("keepSectors", "int[]", "—", "Exact sector indexes (within the write) that survive"),
    ],
  },
  {
    kind: "sync-stall",
    description:
      "Mirror resync, pvmove copy or snapshot merge stops progressing; or one leg becomes very slow",
    windowed: true,
    params: [
      p("mode", "stall|slow-leg", "stall", "Stop the copy, or add delay to one leg like dm-delay"),
      p("target", "string", "—", "Registered mirror/pvmove/merge name (mode stall)"),
      p("device", "string", "—", "The slow leg's PV (mode slow-leg)"),
      p("delayNs", "int ns", "100000000", "Delay added to every request on the slow leg"),
    ],
  },
  {
    kind: "slow-device",
    description: "Latency multiplied, raised, or spiking with a given probability",
    windowed: true,
    params: [
      p("device", "string", "required", "The slow PV"),
      p("ops", "all|read|write", "all", "Which requests are slowed (write includes flush and discard)"),
      p("factor", "number", "1", "Service time multiplier"),
      p("addNs", "int ns", "0", "Added to every affected request"),
      p("spikeProbability", "0..1", "0", "Seeded chance per request of a spike"),
      p("spikeNs", "int ns", "0", "Length of a spike"),
    ],
  },
  {
    kind: "latent-sector-errors",
    description: "Reads of bad sectors fail with EIO (like dm-dust); writes may heal them",
    windowed: true,
    params: [
      p("device", "string", "required", "The PV with bad sectors"),
      p("sectors", "int[]", "—", "The bad sectors (exactly one of sectors, count)"),
      p("count", "int", "—", "How many seeded bad sectors"),
      p("rangeStartSector", "int", "0", "Start of the range seeded sectors are drawn from"),
      p("rangeSectors", "int", "rest of device", "Length of that range"),
      p("healOnWrite", "boolean", "true", "A write over a bad sector remaps it"),
    ],
  },
  {
    kind: "bit-rot",
    description: "Silent corruption: seeded bits flip on the media, or in every read that covers them",
    windowed: true,
    params: [
      p("device", "string", "required", "The rotting PV"),
      p("mode", "at-rest|on-read", "at-rest", "Flip on the media once, or in reads until the window ends"),
      p("offsetBytes", "int", "0", "Start of the range"),
      p("lengthBytes", "int", "rest of device", "Length of the range"),
      p("bits", "int", "1", "How many distinct bits flip"),
    ],
  },
  {
    kind: "misdirected-write",
    description: "A write lands at another offset of the same device",
    windowed: false,
    params: [
      p("device", "string", "—", "Needed unless the trigger is a block write (then that write moves)"),
      p(
        "targetOffsetBytes",
        "int",
        "—",
        "Where it lands; else a seeded sector-aligned offset, never the intended one",
      ),
      p("count", "int", "1", "How many consecutive writes are misdirected"),
    ],
  },
  {
    kind: "metadata-corruption",
    description: "One metadata area's header magic, header checksum or text is damaged, on one PV or several",
    windowed: false,
    params: [
      p("devices", "string[]", "all PVs", "Candidate PVs"),
      p("scope", "one|several|all-but-one|all", "one", "How many candidates are damaged (seeded choice)"),
      p("count", "int", "2", "How many for scope several"),
      p("field", "magic|checksum|text", "checksum", "What is damaged: one seeded bit in it"),
      p("mdaIndex", "0|1", "0", "Which metadata area of the PV"),
      p("mdaOffsetBytes", "int", "located, else 4096", "Explicit byte offset of the mda header"),
    ],
  },
  {
    kind: "cow-exhaustion",
    description: "A snapshot's COW space runs out: filled (or capped) until freeChunks are left",
    windowed: true,
    params: [
      p("snapshot", "string", "required", "Registered snapshot name"),
      p(
        "mode",
        "fill|limit",
        "fill",
        "Copy unchanged origin chunks into the COW, or cap a store that has a limit hook",
      ),
      p("freeChunks", "int", "0", "Chunks still allocatable after the fault"),
    ],
  },
  {
    kind: "flakey",
    description: "dm-flakey: up/down intervals; while down errors, dropped writes or a corrupted byte",
    windowed: true,
    params: [
      p("device", "string", "required", "The flakey PV"),
      p("upNs", "int ns", "required", "Healthy time per cycle, starting at the firing"),
      p("downNs", "int ns", "required", "Faulty time per cycle"),
      p("errorReads", "boolean", "false", "Reads fail with EIO while down"),
      p("errorWrites", "boolean", "false", "Writes fail with EIO while down"),
      p("dropWrites", "boolean", "false", "Writes are acknowledged and discarded while down"),
      p(
        "corruptBioByte",
        "{nth, direction r|w, value, flags 0}",
        "—",
        "Set byte nth of matching requests while down",
      ),
    ],
  },
  {
    kind: "thin-metadata-corruption",
    description:
      "Bits flip at rest in one block of a thin pool's metadata structure; fire it while the pool is inactive",
    windowed: false,
    params: [
      p("pool", "vg/pool", "required", "The thin pool whose _tmeta is damaged"),
      p(
        "structure",
        "superblock|space-map|details|mapping",
        "space-map",
        "Which structure's blocks (of the committed superblock) one seeded block is drawn from",
      ),
      p("bits", "int", "1", "How many distinct bits of that block flip"),
    ],
  },
  {
    kind: "thin-metadata-exhaustion",
    description:
      "A live thin pool's metadata runs out: only freeBlocks more blocks can be allocated, so dm-thin aborts to read-only with needs_check",
    windowed: false,
    params: [
      p("pool", "vg/pool", "required", "The active thin pool"),
      p("freeBlocks", "int", "0", "Metadata blocks still allocatable after the fault"),
    ],
  },
];

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** The catalogue as a plain-text table (what `lvmlab faults --list` prints). */
export function formatCatalogue(entries: readonly CatalogueEntry[] = FAULT_CATALOGUE): string {
  const lines: string[] = [];
  for (const entry of entries) {
    lines.push(`${entry.kind}${entry.windowed ? " (windowed)" : ""}`);
    lines.push(`  ${entry.description}`);
    const nameWidth = Math.max(...entry.params.map((x) => x.name.length), 4);
    const typeWidth = Math.max(...entry.params.map((x) => x.type.length), 4);
    const defaultWidth = Math.max(...entry.params.map((x) => x.default.length), 7);
    for (const param of entry.params) {
      lines.push(
        `  ${pad(param.name, nameWidth)}  ${pad(param.type, typeWidth)}  ${pad(param.default, defaultWidth)}  ${param.meaning}`,
      );
    }
    lines.push("");
  }
  lines.push("Every fault:");
  for (const param of COMMON_PARAMS) lines.push(`  ${param.name}: ${param.meaning} (${param.type})`);
  return `${lines.join("\n")}\n`;
}

/** The catalogue as a Markdown section for the README. */
export function formatCatalogueMarkdown(entries: readonly CatalogueEntry[] = FAULT_CATALOGUE): string {
  const lines = ["| kind | what it does | parameters (default) |", "| --- | --- | --- |"];
  for (const entry of entries) {
    const params = entry.params.map((x) => `\`${x.name}\` (${x.default})`).join(", ");
    lines.push(
      `| \`${entry.kind}\` | ${entry.description}${entry.windowed ? "; windowed" : ""} | ${params} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
