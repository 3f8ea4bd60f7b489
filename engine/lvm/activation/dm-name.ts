/**
 * Device-mapper names as LVM2 builds them (`dm_build_dm_name`): VG and LV joined by one dash, with
 * every dash inside either name doubled, and an optional layer suffix (`real`, `cow`).
 */
export function dmName(vgName: string, lvName: string, layer?: string): string {
  const double = (s: string) => s.replaceAll("-", "--");
  return `${double(vgName)}-${double(lvName)}${layer === undefined ? "" : `-${layer}`}`;
}
