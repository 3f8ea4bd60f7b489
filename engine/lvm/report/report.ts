/**
 * `pvs`, `vgs` and `lvs`: choose fields (`-o`, `+field`), rows (per PV, VG, LV, segment or PV
 * segment, `-a` for hidden LVs), sort (`-O`, LVM2's defaults) and print. Never writes.
 */

import { hasOption, type OptionSpec, optionValue, type ParsedArgs } from "../args.js";
import { type CommandContext, ECMD_PROCESSED, EINVALID_CMD_LINE, LvmCommandError } from "../command.js";
import { scanWithWarnings } from "../commands/common.js";
import { runtimeOf } from "../runtime.js";
import { SizeArgError } from "../sizes.js";
import { tagOf } from "../tags.js";
import { DEFAULT_UNITS, parseUnits, type Units } from "../units.js";
import { findVg, type HostScan, vgNames } from "../vg-read.js";
import { fieldHelpLines } from "./field-help.js";
import { type FieldDef, findField } from "./fields.js";
import { renderReport } from "./render.js";
import {
  type PvInfo,
  pvInfos,
  pvSegments,
  type ReportEnv,
  type ReportRow,
  type VgInfo,
  vgInfo,
} from "./rows.js";
import { parseSelection } from "./select.js";

/** Which report. */
export type ReportKind = "pvs" | "vgs" | "lvs";

/** Options the report commands accept. */
export const REPORT_OPTIONS: readonly OptionSpec[] = [
  { long: "options", short: "o", value: true },
  { long: "sort", short: "O", value: true },
  { long: "all", short: "a", value: false },
  { long: "segments", value: false },
  { long: "units", value: true },
  { long: "nosuffix", value: false },
  { long: "noheadings", value: false },
  { long: "separator", value: true },
  { long: "aligned", value: false },
  { long: "reportformat", value: true },
  { long: "unbuffered", value: false },
  { long: "nameprefixes", value: false },
  { long: "select", short: "S", value: true },
  { long: "unquoted", value: false },
  { long: "readonly", value: false },
];

const DEFAULTS: Readonly<Record<string, string>> = {
  pvs: "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free",
  "pvs-seg": "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free,pvseg_start,pvseg_size",
  vgs: "vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free",
  lvs: "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,move_pv,mirror_log,copy_percent,convert_lv",
  "lvs-seg": "lv_name,vg_name,lv_attr,stripes,segtype,seg_size",
};
const DEFAULT_SORT: Readonly<Record<string, string>> = {
  pvs: "pv_name",
  "pvs-seg": "pv_name,pvseg_start",
  vgs: "vg_name",
  lvs: "vg_name,lv_name",
  "lvs-seg": "vg_name,lv_name,seg_start",
};
const PREFIXES: Readonly<Record<ReportKind, readonly string[]>> = {
  pvs: ["pv", "vg"],
  vgs: ["vg"],
  lvs: ["lv", "vg", "seg"],
};

function fieldList(kind: ReportKind, names: string, key: string): FieldDef[] {
  const out: FieldDef[] = [];
  for (const raw of names.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    const field = findField(name, PREFIXES[kind]);
    if (!field) throw new LvmCommandError(`Unrecognised field: ${name}`);
    if (kind === "vgs" && field.scope !== "vg") throw new LvmCommandError(`Unrecognised field: ${name}`);
    if (kind === "pvs" && (field.scope === "lv" || field.scope === "seg")) {
      throw new LvmCommandError(`Unrecognised field: ${name}`);
    }
    out.push(field);
  }
  void key;
  return out;
}

function selectFields(kind: ReportKind, key: string, args: ParsedArgs): FieldDef[] {
  let fields = fieldList(kind, DEFAULTS[key]!, key);
  for (const spec of args.options.get("options") ?? []) {
    if (spec.startsWith("+")) fields = [...fields, ...fieldList(kind, spec.slice(1), key)];
    else fields = fieldList(kind, spec, key);
  }
  return fields;
}

function sortKeys(kind: ReportKind, key: string, args: ParsedArgs): { field: FieldDef; desc: boolean }[] {
  const spec = optionValue(args, "sort") ?? DEFAULT_SORT[key]!;
  return spec
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s) => {
      const desc = s.startsWith("-");
      const name = s.replace(/^[+-]/, "");
      const field = findField(name, PREFIXES[kind]);
      if (!field) throw new LvmCommandError(`dm_report: Unrecognised field: ${name}`);
      return { field, desc };
    });
}

// Sort values: the raw value, with LV names compared without their brackets.
function sortValue(field: FieldDef, row: ReportRow, env: ReportEnv): string | number {
  if (field.name === "lv_name" && row.lv) return row.lv.name;
  return field.get(row, env) ?? "";
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function readVgs(scan: HostScan, names: readonly string[] | undefined, context: CommandContext): VgInfo[] {
  const wanted = names ?? vgNames(scan);
  const out: VgInfo[] = [];
  for (const name of wanted) {
    const handle = findVg(scan, name);
    if (!handle) {
      context.out.error(`Volume group "${name}" not found`);
      context.out.error(`Cannot process volume group ${name}`);
      continue;
    }
    out.push(vgInfo(scan, handle));
  }
  return out;
}

function unitsOption(text: string, nosuffix: boolean): Units {
  try {
    return parseUnits(text, { nosuffix });
  } catch (error) {
    if (error instanceof SizeArgError)
      throw new LvmCommandError("Invalid units specification", EINVALID_CMD_LINE);
    throw error;
  }
}

/** Runs one report command. */
export function runReport(
  context: CommandContext,
  args: ParsedArgs,
  options: { readonly kind: ReportKind },
): number {
  const { kind } = options;
  const segments = hasOption(args, "segments");
  const key = segments && kind !== "vgs" ? `${kind}-seg` : kind;
  // `-o help` (or `-o ?`): the field list on stderr, and nothing else.
  if ((optionValue(args, "options") ?? "").split(/[,\s]+/).some((name) => name === "help" || name === "?")) {
    for (const line of fieldHelpLines()) context.out.error(line);
    return ECMD_PROCESSED;
  }
  const fields = selectFields(kind, key, args);
  const sorts = sortKeys(kind, key, args);
  const unitsText = optionValue(args, "units");
  const units = unitsText === undefined ? DEFAULT_UNITS : unitsOption(unitsText, hasOption(args, "nosuffix"));
  const format = optionValue(args, "reportformat") ?? "basic";
  if (format !== "basic" && format !== "json") {
    throw new LvmCommandError(`Unknown report format: ${format}; use basic or json`, EINVALID_CMD_LINE);
  }
  const scan = scanWithWarnings(context);
  const env: ReportEnv = { runtime: runtimeOf(context) };
  const rows: ReportRow[] = [];
  let failed = false;
  // `@tag` arguments select by tag; the rest name objects (tagOf).
  const tags = args.positionals.flatMap((p) => tagOf(p) ?? []);
  const names = args.positionals.filter((p) => tagOf(p) === undefined);
  const byTag = tags.length > 0;
  if (kind === "vgs") {
    const named = readVgs(scan, names.length > 0 ? names : undefined, context);
    failed = named.length < names.length;
    const vgs = byTag
      ? [
          ...(names.length > 0 ? named : []),
          ...readVgs(scan, undefined, context).filter(
            (vg) => !names.includes(vg.vg.name) && vg.vg.tags.some((t) => tags.includes(t)),
          ),
        ]
      : named;
    for (const vg of vgs) rows.push({ vg });
  } else if (kind === "pvs") {
    const vgs = readVgs(scan, undefined, context);
    let infos: PvInfo[] = pvInfos(scan, vgs);
    for (const info of infos) {
      if (!info.inUseNoVg) continue;
      context.out.warn(`PV ${info.device} is marked in use but no VG was found using it.`);
      context.out.warn(`PV ${info.device} might need repairing.`);
    }
    if (args.positionals.length > 0) {
      for (const name of names) {
        if (!infos.some((i) => i.device === name)) {
          context.out.error(`Failed to find physical volume "${name}".`);
          failed = true;
        }
      }
      infos = infos.filter(
        (i) => names.includes(i.device) || (i.pv?.tags.some((t) => tags.includes(t)) ?? false),
      );
    }
    for (const pv of infos) {
      const base = { pv, ...(pv.vg ? { vg: pv.vg } : {}) };
      if (segments || fields.some((f) => f.scope === "pvseg")) {
        for (const pvseg of pvSegments(pv)) rows.push({ ...base, pvseg });
      } else rows.push(base);
    }
  } else {
    const targets = names.map((p) => p.replace(/^\/dev\//, ""));
    const vgNamesWanted = targets.length > 0 ? [...new Set(targets.map((t) => t.split("/")[0]!))] : undefined;
    const vgs = readVgs(scan, byTag ? undefined : vgNamesWanted, context);
    failed = !byTag && vgNamesWanted !== undefined && vgs.length < vgNamesWanted.length;
    const perSegment =
      segments || fields.some((f) => f.scope === "seg") || sorts.some((s) => s.field.scope === "seg");
    for (const vg of vgs) {
      if (vg.vg.status.includes("EXPORTED")) continue;
      for (const lv of vg.vg.lvs) {
        const visible = vg.kinds.get(lv.name)?.visible ?? false;
        const named = targets.filter((t) => t.includes("/") && t.split("/")[0] === vg.vg.name);
        const tagged = byTag && [...lv.tags, ...vg.vg.tags].some((t) => tags.includes(t));
        if (byTag && !tagged && !(vgNamesWanted?.includes(vg.vg.name) ?? false)) continue;
        if (!tagged && named.length > 0 && !named.some((t) => t.split("/")[1] === lv.name)) continue;
        if (!visible && !hasOption(args, "all")) continue;
        // The internal snapshotN LVs never appear, even with -a.
        if (vg.kinds.get(lv.name)?.snapshot) continue;
        if (perSegment) for (const seg of lv.segments) rows.push({ vg, lv, seg });
        else rows.push({ vg, lv });
      }
    }
  }
  const selectText = optionValue(args, "select");
  if (selectText !== undefined) {
    const selection = parseSelection(selectText, (name) => findField(name, PREFIXES[kind]));
    const kept = rows.filter((row) => selection(row, env));
    rows.length = 0;
    rows.push(...kept);
  }
  const keyed = rows.map((row, index) => ({
    row,
    index,
    keys: sorts.map((s) => sortValue(s.field, row, env)),
  }));
  keyed.sort((a, b) => {
    for (let i = 0; i < sorts.length; i++) {
      const c = compare(a.keys[i]!, b.keys[i]!);
      if (c !== 0) return sorts[i]!.desc ? -c : c;
    }
    return a.index - b.index;
  });
  const values = keyed.map(({ row }) => fields.map((f) => f.get(row, env)));
  const json = format === "json";
  if (rows.length > 0 || json) {
    const separator = optionValue(args, "separator");
    const lines = renderReport(fields, values, {
      units,
      headings: !hasOption(args, "noheadings"),
      ...(separator !== undefined ? { separator } : {}),
      aligned: hasOption(args, "aligned"),
      nameprefixes: hasOption(args, "nameprefixes"),
      unquoted: hasOption(args, "unquoted"),
      json,
      reportName: key === "lvs-seg" ? "seg" : key === "pvs-seg" ? "pvseg" : kind.slice(0, 2),
    });
    for (const line of lines) context.out.print(line);
  }
  return failed ? 5 : ECMD_PROCESSED;
}
