/**
 * One setting from a `--config` string, as LVM2 reads it: either the section form
 * (`global { mirror_segtype_default = "mirror" }`) or the path form
 * (`global/mirror_segtype_default="mirror"`). Unset settings fall back to the caller's default.
 */
import { parseConfig } from "../format/config-parse.js";
import type { ConfigNode } from "../format/config-tree.js";

function find(nodes: readonly ConfigNode[], path: readonly string[]): ConfigNode | undefined {
  const [head, ...rest] = path;
  for (const node of nodes) {
    if (node.key !== head) continue;
    if (rest.length === 0) return node;
    if (node.kind === "section") {
      const hit = find(node.items, rest);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** The value of `section/key` in `configText` (a string or an integer), or undefined when unset. */
export function configSetting(
  configText: string | undefined,
  path: `${string}/${string}`,
): string | number | undefined {
  if (configText === undefined || configText.trim() === "") return undefined;
  // The path form `a/b=c` becomes `a { b = c }`, quoting bare words.
  const text = configText.replace(
    /\b(\w+)\/(\w+)\s*=\s*("[^"]*"|[\w.-]+)/g,
    (_, section: string, key: string, value: string) =>
      `${section} { ${key} = ${/^"|^-?\d+$/.test(value) ? value : `"${value}"`} }`,
  );
  const file = parseConfig(text, { fileName: "--config" });
  const node = find(file.items, path.split("/"));
  if (node?.kind !== "assign") return undefined;
  if (node.value.kind === "string" || node.value.kind === "int") return node.value.value;
  return undefined;
}
