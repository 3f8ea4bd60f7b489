/** The segment types lvcreate knows, by `--type` name; later work registers more (snapshot, …). */
import { mirrorType } from "./mirror.js";
import { raid1Type } from "./raid1.js";
import type { LvCreateType } from "./segtype.js";
import { stripedType } from "./striped.js";

const TYPES = new Map<string, LvCreateType>([
  ["linear", stripedType],
  ["striped", stripedType],
  ["mirror", mirrorType],
  ["raid1", raid1Type],
]);

/** The module for `--type name`, or undefined. */
export function lvCreateType(name: string): LvCreateType | undefined {
  return TYPES.get(name);
}

/** Adds or replaces a segment type (for activation/snapshot work layered on top). */
export function registerLvCreateType(type: LvCreateType, names: readonly string[] = [type.name]): void {
  for (const name of names) TYPES.set(name, type);
}
