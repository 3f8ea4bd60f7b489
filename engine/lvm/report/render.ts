/** Printing a report as LVM2 does: aligned columns (or a separator), optional headings, or JSON. */
import { formatSize, type Units } from "../units.js";
import type { FieldDef } from "./fields.js";

/** How to print. */
export interface RenderOptions {
  readonly units: Units;
  readonly headings: boolean;
  /** `--separator`; undefined means aligned columns separated by one space. */
  readonly separator?: string;
  readonly aligned: boolean;
  readonly json: boolean;
  /** JSON object name: "pv", "vg", "lv", "seg", "pvseg". */
  readonly reportName: string;
  /** `--nameprefixes`: each cell as `LVM2_FIELD_NAME='value'`, nothing aligned. */
  readonly nameprefixes?: boolean;
  /** `--unquoted` (with --nameprefixes): values without quotes. */
  readonly unquoted?: boolean;
}

/** The printed text of one cell. */
function cellText(field: FieldDef, value: string | number | undefined, units: Units): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (field.kind === "size") return formatSize(value, units);
  if (field.kind === "pct") return value.toFixed(2);
  return String(value);
}

/** Renders rows of raw values (one array per row, in field order) into output lines. */
export function renderReport(
  fields: readonly FieldDef[],
  rows: readonly (readonly (string | number | undefined)[])[],
  options: RenderOptions,
): string[] {
  const cells = rows.map((row) => row.map((v, i) => cellText(fields[i]!, v, options.units)));
  if (options.json) return renderJson(fields, cells, options.reportName);
  const lines: string[] = [];
  if (options.nameprefixes) {
    // _output_field with DM_REPORT_OUTPUT_FIELD_NAME_PREFIX: no alignment, values quoted.
    const sep = options.separator ?? " ";
    const quote = options.unquoted ? "" : "'";
    if (options.headings) lines.push(`  ${fields.map((f) => f.heading).join(sep)}`);
    for (const row of cells) {
      lines.push(
        `  ${row.map((text, i) => `LVM2_${fields[i]!.name.toUpperCase()}=${quote}${text}${quote}`).join(sep)}`,
      );
    }
    return lines;
  }
  const align = options.separator === undefined || options.aligned;
  const sep = options.separator ?? " ";
  const widths = fields.map((f, i) =>
    align ? Math.max(f.minWidth, f.heading.length, ...cells.map((c) => c[i]!.length)) : 0,
  );
  if (options.headings) {
    lines.push(`  ${fields.map((f, i) => (align ? f.heading.padEnd(widths[i]!) : f.heading)).join(sep)}`);
  }
  for (const row of cells) {
    const parts = row.map((text, i) => {
      if (!align) return text;
      // libdm aligns strings and percentages left, numbers and sizes right.
      return fields[i]!.kind === "str" || fields[i]!.kind === "pct"
        ? text.padEnd(widths[i]!)
        : text.padStart(widths[i]!);
    });
    lines.push(`  ${parts.join(sep)}`);
  }
  return lines;
}

function renderJson(
  fields: readonly FieldDef[],
  cells: readonly (readonly string[])[],
  name: string,
): string[] {
  const lines = ["  {", '      "report": [', "          {", `              "${name}": [`];
  cells.forEach((row, r) => {
    const body = row
      .map((text, i) => `${JSON.stringify(fields[i]!.name)}:${JSON.stringify(text)}`)
      .join(", ");
    lines.push(`                  {${body}}${r < cells.length - 1 ? "," : ""}`);
  });
  lines.push("              ]", "          }", "      ]", "  }");
  return lines;
}
