/**
 * The comments LVM2 adds when it writes metadata to a backup file (`f->with_comment`,
 * `lib/format_text/export.c`): `# informational`, `# Hint only`, sizes such as `# 4 Megabytes`
 * (`_sectors_to_units`, C's `%g`), `# linear`, `# None` and creation timestamps. Raw on-disk
 * metadata carries none of them.
 */
import type { ConfigAssignment, ConfigNode, ConfigSection } from "../format/config-tree.js";

const UNITS = ["Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Petabytes", "Exabytes"] as const;

/** C's `%g` (six significant digits, trailing zeros dropped) for the magnitudes sizes reach here. */
function formatG(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** `# 4 Megabytes` for a size in sectors, without the `#`. */
export function sizeComment(sectors: number): string {
  let d = sectors / 2;
  let i = 0;
  for (; d > 1024 && i < UNITS.length - 1; i++) d /= 1024;
  return ` ${formatG(d)} ${UNITS[i]}`;
}

function timestampComment(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  return ` ${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function intValue(node: ConfigNode | undefined): number | undefined {
  return node?.kind === "assign" && node.value.kind === "int" ? node.value.value : undefined;
}

function find(section: ConfigSection, key: string): ConfigNode | undefined {
  return section.items.find((n) => n.key === key);
}

type Commenter = (node: ConfigAssignment, section: ConfigSection) => string | undefined;

function annotate(section: ConfigSection, commenter: Commenter): ConfigSection {
  return {
    ...section,
    items: section.items.map((node) => {
      if (node.kind !== "assign") return node;
      const comment = commenter(node, section);
      return comment === undefined ? node : { ...node, comment };
    }),
  };
}

/** The exported VG section with the comments LVM2 writes into backup files. */
export function withBackupComments(vg: ConfigSection): ConfigSection {
  const extent = intValue(find(vg, "extent_size")) ?? 0;
  const pvComments: Commenter = (node) => {
    if (node.key === "device") return " Hint only";
    if (node.key === "dev_size" && node.value.kind === "int") return sizeComment(node.value.value);
    if (node.key === "pe_count" && node.value.kind === "int") return sizeComment(node.value.value * extent);
    return undefined;
  };
  const segComments: Commenter = (node, seg) => {
    if (node.value.kind !== "int") return undefined;
    if (node.key === "extent_count" || node.key === "reshape_count" || node.key === "extents_moved") {
      return sizeComment(node.value.value * extent);
    }
    if (node.key === "stripe_count" && node.value.value === 1 && find(seg, "stripes") !== undefined)
      return " linear";
    if (node.key === "stripe_size") return sizeComment(node.value.value);
    return undefined;
  };
  const lvComments: Commenter = (node) => {
    if (node.key === "creation_time" && node.value.kind === "int") return timestampComment(node.value.value);
    if (node.key === "read_ahead" && node.value.kind === "int" && node.value.value === -1) return " None";
    return undefined;
  };
  const top = annotate(vg, (node) => {
    if (node.key === "format") return " informational";
    if (node.key === "extent_size" && node.value.kind === "int") return sizeComment(node.value.value);
    return undefined;
  });
  return {
    ...top,
    items: top.items.map((node) => {
      if (node.kind !== "section") return node;
      if (node.key === "physical_volumes") {
        return {
          ...node,
          items: node.items.map((pv) => (pv.kind === "section" ? annotate(pv, pvComments) : pv)),
        };
      }
      if (node.key === "logical_volumes") {
        return {
          ...node,
          items: node.items.map((lv) => {
            if (lv.kind !== "section") return lv;
            const annotated = annotate(lv, lvComments);
            return {
              ...annotated,
              items: annotated.items.map((seg) =>
                seg.kind === "section" ? annotate(seg, segComments) : seg,
              ),
            };
          }),
        };
      }
      return node;
    }),
  };
}
