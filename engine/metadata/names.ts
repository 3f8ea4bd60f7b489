/**
 * LVM2's naming rules (`lib/misc/lvm-string.c`: `_validate_name`, `apply_lvname_restrictions`) and
 * its way of picking the next free generated name (`generate_lv_name`, `lib/metadata/lv_manip.c`:
 * one more than the highest number already used, not the first gap).
 */

import type { VolumeGroup } from "./model.js";

/** `NAME_LEN`: the longest VG or LV name LVM2 accepts, in bytes (including the NUL it counts). */
export const NAME_LEN_MAX = 128;

/** Prefixes reserved for LVs LVM2 creates itself (`_lvname_has_reserved_prefix`). */
export const RESERVED_LV_PREFIXES: readonly string[] = ["pvmove", "snapshot"];

/** Substrings reserved for component LVs and internal LVs (`_lvname_has_reserved_*string`). */
export const RESERVED_LV_SUBSTRINGS: readonly string[] = [
  "_cdata",
  "_cmeta",
  "_corig",
  "_cpool",
  "_cvol",
  "_wcorig",
  "_mimage",
  "_mlog",
  "_rimage",
  "_rmeta",
  "_tdata",
  "_tmeta",
  "_vdata",
  "_imeta",
  "_iorig",
  "_pmspare",
  "_vorigin",
];

/** Why a name is unacceptable, or undefined when it is fine as a VG/LV name (`_validate_name`). */
export function nameProblem(name: string): string | undefined {
  if (name === "") return "the name is empty";
  if (name.startsWith("-")) return "the name starts with a hyphen";
  if (name === "." || name === "..") return `the name is "${name}"`;
  const bad = /[^A-Za-z0-9._+-]/.exec(name);
  if (bad) return `the name contains ${JSON.stringify(bad[0])}; only A-Z a-z 0-9 . _ - + are allowed`;
  // LVM2 counts the terminating NUL against NAME_LEN.
  if (name.length + 1 > NAME_LEN_MAX) return `the name is longer than ${NAME_LEN_MAX - 1} characters`;
  return undefined;
}

/** Why a user-chosen LV name is reserved, or undefined (`apply_lvname_restrictions`). */
export function reservedLvNameProblem(name: string): string | undefined {
  const prefix = RESERVED_LV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `names starting "${prefix}" are reserved`;
  const underscore = name.indexOf("_");
  if (underscore >= 0) {
    const tail = name.slice(underscore);
    const sub = RESERVED_LV_SUBSTRINGS.find((s) => tail.includes(s));
    if (sub) return `names including "${sub}" are reserved`;
  }
  return undefined;
}

/**
 * Throws unless `name` is acceptable for a new user LV in `vg`: valid characters, not reserved,
 * not already used. The message follows LVM2's wording plus what to do.
 */
export function assertNewLvName(vg: VolumeGroup, name: string): void {
  const problem = nameProblem(name) ?? reservedLvNameProblem(name);
  if (problem)
    throw new Error(`Invalid LV name ${JSON.stringify(name)}: ${problem}; choose a different LV name`);
  if (vg.lvs.some((lv) => lv.name === name)) {
    throw new Error(
      `Logical Volume "${name}" already exists in volume group "${vg.name}"; choose another name`,
    );
  }
}

/**
 * The next generated name for `prefix` + number + `suffix` (`lvol%d`, `pvmove%d`, `snapshot%d`,
 * `<lv>_mimage_%d`): one above the highest number in use, as `generate_lv_name` does with `sscanf`
 * (which also matches names that merely start with the pattern, such as `lvol3x`).
 */
export function nextLvName(vg: VolumeGroup, prefix: string, options: { suffix?: string } = {}): string {
  let high = -1;
  for (const lv of vg.lvs) {
    if (!lv.name.startsWith(prefix)) continue;
    const m = /^[+-]?\d+/.exec(lv.name.slice(prefix.length));
    if (m) high = Math.max(high, Number(m[0]));
  }
  return `${prefix}${high + 1}${options.suffix ?? ""}`;
}
