/**
 * Device-mapper names as LVM2 builds them (`dm_build_dm_name`): VG and LV joined by one dash, with
 * every dash inside either name doubled, and an optional layer suffix (`real`, `cow`).
 */
export function dmName(vgName: string, lvName: string, layer?: string): string {
  const double = (s: string) => s.replaceAll("-", "--");
  return `${double(vgName)}-${double(lvName)}${layer === undefined ? "" : `-${layer}`}`;
}

/**
 * The `vg/lv` a top-level dm name belongs to (`my--vg-lv0` → `my-vg/lv0`), or undefined for a
 * layer device (`-real`, `-cow`) or a name that is not LVM2's.
 */
export function pathOfDmName(name: string): string | undefined {
  const parts = name.split(/(?<!-)-(?!-)/);
  if (parts.length !== 2) return undefined;
  const [vg, lv] = parts.map((p) => p.replaceAll("--", "-")) as [string, string];
  return vg === "" || lv === "" ? undefined : `${vg}/${lv}`;
}
