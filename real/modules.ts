import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Which kernel modules the guest loads, and in what order: each module's `depends=` field (from
 * its `.modinfo` section) names the modules it needs, so the order is a dependency-first walk. The
 * host needs no `depmod`/`modinfo` for this, and the guest needs no `modprobe`.
 */

/** Modules the guest must load: virtio disks, device-mapper and the targets scenarios use. */
export const REQUIRED_MODULES = [
  "virtio_pci",
  "virtio_blk",
  "dm_mod",
  "dm_mirror",
  "dm_log",
  "dm_region_hash",
  "dm_snapshot",
  "dm_flakey",
  "dm_delay",
  "dm_zero",
  "dm_raid",
  "raid1",
  "dm_thin_pool",
  "dm_bufio",
  "dm_persistent_data",
] as const;

/**
 * Modules loaded when the kernel has them (Debian's cloud kernel is built without dm-dust); loop
 * is for direct mode's steps run in the guest.
 */
export const OPTIONAL_MODULES = ["dm_dust", "dm_log_writes", "loop"] as const;

/** A module's canonical name: the kernel treats `-` and `_` alike. */
export function moduleName(fileOrName: string): string {
  return fileOrName
    .replace(/^.*\//, "")
    .replace(/\.ko(\.xz|\.zst|\.gz)?$/, "")
    .replaceAll("-", "_");
}

/** Every `.ko` under a kernel's module tree, by canonical name. */
export function indexModules(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string, depth: number): void => {
    if (depth > 16) throw new RangeError(`Module tree too deep at ${dir}`);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.name.endsWith(".ko")) index.set(moduleName(entry.name), path);
    }
  };
  walk(modulesDir, 0);
  return index;
}

/** The modules a `.ko` file depends on, read from its `depends=` modinfo string. */
export function moduleDepends(ko: Buffer): string[] {
  const text = ko.toString("latin1");
  const match = /\0depends=([^\0]*)\0/.exec(text);
  if (!match || match[1] === "") return [];
  return match[1]!.split(",").map(moduleName);
}

/**
 * The load order for `wanted` (each module after everything it depends on), as paths. Optional
 * modules the kernel lacks are skipped; a missing required module or dependency is an error.
 */
export function moduleLoadOrder(
  index: ReadonlyMap<string, string>,
  options: { readonly required: readonly string[]; readonly optional?: readonly string[] },
): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, chain: readonly string[]): void => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting")
      throw new RangeError(`Module dependency cycle: ${[...chain, name].join(" -> ")}`);
    const path = index.get(name);
    if (path === undefined) {
      throw new RangeError(
        `Kernel module ${name} not found${chain.length > 0 ? ` (needed by ${chain.at(-1)})` : ""}; the kernel package may be incomplete`,
      );
    }
    state.set(name, "visiting");
    for (const dep of moduleDepends(readFileSync(path))) visit(dep, [...chain, name]);
    state.set(name, "done");
    order.push(path);
  };
  for (const name of options.required) visit(moduleName(name), []);
  for (const name of options.optional ?? []) if (index.has(moduleName(name))) visit(moduleName(name), []);
  return order;
}
