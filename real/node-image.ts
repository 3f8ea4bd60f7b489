import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { sharedLibraries } from "./ldd.js";

/**
 * A read-only ext4 image that lets the QEMU guest run this checkout's `lvmlab`: the host's `node`
 * binary, the shared libraries and loader `ldd` names for it (and for the native addons among the
 * runtime packages), the project's `dist/`, `package.json` and the runtime `node_modules`. It is
 * built with `mkfs.ext4 -d` (e2fsprogs) from a staging directory, so nothing is mounted on the
 * host; the guest kernel has ext4 built in and no 9p, so a disk image is how files get in.
 *
 * In the guest the image is mounted at {@link NODE_IMAGE_MOUNT} and `node` runs through the
 * image's own loader (`ld-linux-x86-64.so.2 --library-path <mnt>/lib <mnt>/bin/node`): the guest's
 * own libraries are not touched, and the processes Node spawns (`sh`, LVM2, fio) inherit nothing.
 * The price: `process.execPath` names the loader, which lvmlab never reads.
 */

/** Where the guest mounts the image. */
export const NODE_IMAGE_MOUNT = "/opt/lvmlab";

/** Where the project sits inside the image. */
const APP_DIR = "app";

/** Raised when the image cannot be built; the message says what is missing. */
export class NodeImageError extends Error {
  override readonly name = "NodeImageError";
}

/** The fields of a package.json the resolver reads. */
export interface PackageManifest {
  readonly name?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/** Bound on the dependency walk: a project with more runtime packages than this is not ours. */
const MAX_PACKAGES = 2000;

/**
 * The runtime packages of a project, as directories relative to its root (`node_modules/a`,
 * `node_modules/a/node_modules/b`), sorted: `dependencies` and the `optionalDependencies` that are
 * installed (a platform's native addon), followed transitively, each resolved as Node resolves a
 * bare import (the nearest `node_modules/<name>` from the requiring package up to the root).
 * `read` returns a directory's package.json, or undefined when there is none. A missing required
 * dependency is an error naming who needs it.
 */
export function runtimePackages(read: (dir: string) => PackageManifest | undefined): string[] {
  const root = read(".");
  if (root === undefined) throw new NodeImageError("The project has no package.json");
  const found = new Set<string>();
  const resolveFrom = (from: string, name: string): string | undefined => {
    let at = from;
    for (let depth = 0; depth < 64; depth++) {
      if (posix.basename(at) !== "node_modules") {
        const candidate = at === "." ? `node_modules/${name}` : `${at}/node_modules/${name}`;
        if (read(candidate) !== undefined) return candidate;
      }
      if (at === ".") return undefined;
      const up = posix.dirname(at);
      at = up === "" ? "." : up;
    }
    throw new NodeImageError(`Package path ${from} is nested too deep`);
  };
  const visit = (dir: string, manifest: PackageManifest): void => {
    const wanted: [string, boolean][] = [
      ...Object.keys(manifest.dependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(manifest.optionalDependencies ?? {}).map((n): [string, boolean] => [n, false]),
    ];
    for (const [name, required] of wanted) {
      const at = resolveFrom(dir, name);
      if (at === undefined) {
        if (required)
          throw new NodeImageError(
            `${manifest.name ?? dir} needs ${name}, which is not installed; run npm ci`,
          );
        continue;
      }
      if (found.has(at)) continue;
      found.add(at);
      if (found.size > MAX_PACKAGES)
        throw new NodeImageError(`More than ${MAX_PACKAGES} runtime packages; refusing to build the image`);
      visit(at, read(at)!);
    }
  };
  visit(".", root);
  return [...found].sort();
}

/** One copy into the staging directory: a file, or a directory without its nested node_modules. */
export interface ImageEntry {
  /** Absolute host path. */
  readonly from: string;
  /** Path inside the image, relative. */
  readonly to: string;
  readonly kind: "file" | "dir";
}

/**
 * What the image holds: `bin/node`, every library flat in `lib/` by its file name (the loader
 * too, so the guest runs node through it), and the project in `app/`: `package.json`, `dist/` and
 * each runtime package. Two libraries with one file name are an error (a flat `lib/` would keep
 * one of them).
 */
export function nodeImageEntries(input: {
  readonly projectRoot: string;
  readonly nodeBinary: string;
  readonly libraries: readonly string[];
  readonly packages: readonly string[];
}): ImageEntry[] {
  const entries: ImageEntry[] = [{ from: input.nodeBinary, to: "bin/node", kind: "file" }];
  const byName = new Map<string, string>();
  for (const lib of input.libraries) {
    const name = basename(lib);
    const seen = byName.get(name);
    if (seen === lib) continue;
    if (seen !== undefined)
      throw new NodeImageError(`Two libraries named ${name} (${seen} and ${lib}); the image's lib/ is flat`);
    byName.set(name, lib);
    entries.push({ from: lib, to: `lib/${name}`, kind: "file" });
  }
  entries.push(
    { from: join(input.projectRoot, "package.json"), to: `${APP_DIR}/package.json`, kind: "file" },
    { from: join(input.projectRoot, "dist"), to: `${APP_DIR}/dist`, kind: "dir" },
    ...input.packages.map(
      (p): ImageEntry => ({ from: join(input.projectRoot, p), to: `${APP_DIR}/${p}`, kind: "dir" }),
    ),
  );
  return entries;
}

/** The file name of the loader among `ldd`'s libraries (the one at /lib64 or named ld-linux). */
export function loaderName(libraries: readonly string[]): string {
  const loader = libraries.find((l) => /\/ld-linux[^/]*\.so/.test(l));
  if (loader === undefined) throw new NodeImageError("ldd named no loader (ld-linux*.so) for node");
  return basename(loader);
}

/** The sh words that run the image's node in the guest (its loader, its libraries). */
export function guestNodeCommand(loader: string, mount: string = NODE_IMAGE_MOUNT): string {
  return `${mount}/lib/${loader} --library-path ${mount}/lib ${mount}/bin/node`;
}

/** The sh words that run this checkout's CLI in the guest: `<node> <mnt>/app/dist/cli/main.js`. */
export function guestLvmlabCommand(loader: string, mount: string = NODE_IMAGE_MOUNT): string {
  return `${guestNodeCommand(loader, mount)} ${mount}/${APP_DIR}/dist/cli/main.js`;
}

/** The sh lines that mount the image read-only in the guest (busybox mount, ext4 built into the kernel). */
export function mountNodeImageScript(device: string, mount: string = NODE_IMAGE_MOUNT): string {
  return `mkdir -p ${mount} && mount -t ext4 -o ro ${device} ${mount}`;
}

/**
 * The project root of this checkout: the nearest directory above this module whose package.json
 * is lvmlab's (two levels up from `dist/real/`, one from `real/` when the sources run under vitest).
 */
function thisProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as PackageManifest).name === "lvmlab"
    )
      return dir;
    dir = dirname(dir);
  }
  throw new NodeImageError(`No lvmlab package.json above ${fileURLToPath(import.meta.url)}`);
}

/**
 * Writes an ext4 filesystem into a (sparse) file with `mkfs.ext4`, filled from `from` when given
 * (`-d`: e2fsprogs copies the tree itself, so nothing is mounted on the host).
 */
export function makeExt4Image(
  path: string,
  options: {
    readonly sizeBytes: number;
    readonly label: string;
    readonly from?: string;
    readonly inodes?: number;
    readonly journal?: boolean;
  },
): void {
  const args = ["-q", "-F", "-m", "0", "-L", options.label];
  if (options.journal === false) args.push("-O", "^has_journal");
  if (options.inodes !== undefined) args.push("-N", String(options.inodes));
  if (options.from !== undefined) args.push("-d", options.from);
  args.push(path, `${Math.ceil(options.sizeBytes / 1024)}k`);
  try {
    execFileSync("mkfs.ext4", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new NodeImageError(
      `mkfs.ext4 ${args.join(" ")} failed (e2fsprogs 1.43+ has -d): ${stderr || (error as Error).message}`,
    );
  }
}

/** A built image: its file, the loader's name, and what went in. */
export interface NodeImage {
  readonly path: string;
  readonly loader: string;
  readonly sizeBytes: number;
  readonly contentBytes: number;
  readonly files: number;
}

/** Regular files and bytes under a path (a file counts as one). */
function tally(path: string): { files: number; bytes: number } {
  const st = statSync(path);
  if (!st.isDirectory()) return { files: 1, bytes: st.size };
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(path)) {
    const t = tally(join(path, entry));
    files += t.files + 1;
    bytes += t.bytes;
  }
  return { files, bytes };
}

/** Native addons (`*.node`) under a directory: their libraries go into the image too. */
function nativeAddons(dir: string, depth = 0): string[] {
  if (depth > 12) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "node_modules") out.push(...nativeAddons(path, depth + 1));
    else if (entry.isFile() && entry.name.endsWith(".node")) out.push(path);
  }
  return out;
}

/**
 * Builds the image as `<dir>/node.img` from a staging directory under `dir` (removed once the image
 * is written): `mkfs.ext4 -d`, no journal (it is mounted read-only), sized to its content. The
 * caller owns `dir` and deletes it, image included, after the guest is gone.
 */
export function buildNodeImage(options: {
  readonly dir: string;
  readonly projectRoot?: string;
  readonly nodeBinary?: string;
}): NodeImage {
  const projectRoot = options.projectRoot ?? thisProjectRoot();
  const nodeBinary = options.nodeBinary ?? process.execPath;
  if (!existsSync(join(projectRoot, "dist", "cli", "main.js")))
    throw new NodeImageError(`${projectRoot}/dist/cli/main.js is missing; run npm run build`);
  const packages = runtimePackages((dir) => {
    const path = join(projectRoot, dir, "package.json");
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as PackageManifest) : undefined;
  });
  const addons = packages.flatMap((p) => nativeAddons(join(projectRoot, p)));
  const libraries = [...new Set([nodeBinary, ...addons].flatMap((b) => sharedLibraries(b)))];
  const loader = loaderName(sharedLibraries(nodeBinary));
  const entries = nodeImageEntries({ projectRoot, nodeBinary, libraries, packages });
  const staging = mkdtempSync(join(options.dir, "stage-"));
  try {
    for (const entry of entries) {
      const target = join(staging, entry.to);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(entry.from, target, {
        recursive: entry.kind === "dir",
        dereference: true,
        // A package's nested node_modules are copied as packages of their own, or not at all.
        filter: (src) =>
          entry.kind === "file" ||
          src === entry.from ||
          !/\/node_modules(\/|$)/.test(src.slice(entry.from.length)),
      });
    }
    const content = tally(staging);
    // Room for ext4's own blocks: a block per file for the tails, 10% and 16 MiB on top.
    const sizeBytes = Math.ceil((content.bytes * 1.1 + content.files * 4096 + (16 << 20)) / (1 << 20)) << 20;
    const path = join(options.dir, "node.img");
    // No journal: the guest mounts it read-only.
    makeExt4Image(path, {
      sizeBytes,
      label: "lvmlab-node",
      from: staging,
      inodes: content.files + 1024,
      journal: false,
    });
    return { path, loader, sizeBytes, contentBytes: content.bytes, files: content.files };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
