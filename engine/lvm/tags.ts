/**
 * LVM2 tags (`--addtag`, `--deltag`, `@tag` arguments, `lv_tags`/`vg_tags`/`pv_tags`): strings
 * kept in the metadata's `tags = [...]` lists. A tag is 1..1024 characters of `A-Za-z0-9_+.-/=!:&#`
 * and does not start with a hyphen (`validate_tag`).
 */
import { ArgValueError, type ParsedArgs } from "./args.js";

/** LVM2's `NAME_LEN`-style bound on one tag. */
const TAG_CHARS_MAX = 1024;

/** True when `tag` is a tag LVM2 accepts. */
function isValidTag(tag: string): boolean {
  return (
    tag.length > 0 &&
    tag.length <= TAG_CHARS_MAX &&
    !tag.startsWith("-") &&
    /^[A-Za-z0-9_+.\-/=!:&#]+$/.test(tag)
  );
}

/** Every value of `--addtag` or `--deltag`, checked; an `@` in front is dropped as LVM2 does. */
export function tagArgs(args: ParsedArgs, option: "addtag" | "deltag"): string[] {
  const values = args.options.get(option) ?? [];
  return values.map((value) => {
    const tag = value.startsWith("@") ? value.slice(1) : value;
    if (!isValidTag(tag)) throw new ArgValueError(`Invalid argument for --${option}: ${value}`);
    return tag;
  });
}

/** `tags` with `add` appended (once each, in order) and `del` removed. */
export function changeTags(
  tags: readonly string[],
  add: readonly string[],
  del: readonly string[],
): string[] {
  const out = tags.filter((t) => !del.includes(t));
  for (const tag of add) if (!out.includes(tag)) out.push(tag);
  return out;
}

/** Whether an argument names a tag (`@tag`) rather than an object. */
export function tagOf(arg: string): string | undefined {
  return arg.startsWith("@") && arg.length > 1 ? arg.slice(1) : undefined;
}
