import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { type RealCachePaths, realCachePaths } from "./cache.js";
import { buildDustModule, type DustBuild } from "./dust-build.js";
import { GUEST_MODULE_DIR, guestInit } from "./guest-init.js";
import { sharedLibraries as lddLibraries, MissingLibraryError } from "./ldd.js";
import { indexModules, moduleLoadOrder, OPTIONAL_MODULES, REQUIRED_MODULES } from "./modules.js";

/**
 * `lvmlab real setup`: download Debian's cloud kernel (`apt-get download`, unpacked with `dpkg-deb
 * -x` into the cache, never installed), and build the guest's initramfs from the host's own Debian
 * binaries (busybox-static, lvm2, dmsetup, fio, thin-provisioning-tools' pdata_tools) and the
 * shared libraries `ldd` says they need.
 * Idempotent: a finished cache (its stamp file) is reused unless `force`.
 */

/** The kernel meta-package; its Depends names the package with the actual image. */
const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";

/** Binaries the guest runs, where Debian installs them, and the package that has them. */
const GUEST_TOOLS = [
  { path: "/bin/busybox", pkg: "busybox-static", static: true },
  { path: "/usr/sbin/lvm", pkg: "lvm2", static: false },
  { path: "/usr/sbin/dmsetup", pkg: "dmsetup", static: false },
  { path: "/usr/bin/fio", pkg: "fio", static: false },
  // LVM2 runs thin_check before it activates a thin pool (and thin_repair for lvconvert --repair).
  { path: "/usr/sbin/pdata_tools", pkg: "thin-provisioning-tools", static: false },
  // util-linux's losetup (busybox's has no --direct-io): direct mode's steps run in the guest too.
  { path: "/usr/sbin/losetup", pkg: "mount", static: false },
] as const;

/** thin-provisioning-tools commands the guest links to `pdata_tools` (it dispatches on argv[0]). */
const THIN_COMMANDS = [
  "thin_check",
  "thin_dump",
  "thin_repair",
  "thin_restore",
  "thin_ls",
  "thin_delta",
  "thin_rmap",
  "thin_trim",
  "thin_metadata_size",
];

/**
 * What the initramfs holds, as a number in the stamp: a cache built with another one is rebuilt by
 * the next setup. 2: thin-provisioning-tools. 3: losetup and the loop module. 4: dm-dust.ko, built
 * at setup (dust-build.ts).
 */
const INITRAMFS_CONTENT_VERSION = 4;

/** LVM2 commands the guest links to `lvm` (it dispatches on argv[0]). */
const LVM_COMMANDS = [
  "pvcreate",
  "pvremove",
  "pvs",
  "pvscan",
  "pvmove",
  "pvchange",
  "pvresize",
  "pvck",
  "pvdisplay",
  "vgcreate",
  "vgremove",
  "vgs",
  "vgscan",
  "vgchange",
  "vgextend",
  "vgreduce",
  "vgck",
  "vgcfgbackup",
  "vgcfgrestore",
  "vgdisplay",
  "vgrename",
  "vgsplit",
  "vgmerge",
  "vgexport",
  "vgimport",
  "lvcreate",
  "lvremove",
  "lvs",
  "lvscan",
  "lvchange",
  "lvconvert",
  "lvextend",
  "lvreduce",
  "lvresize",
  "lvrename",
  "lvdisplay",
];

/** What a finished setup is made of. */
export interface RealSetup {
  readonly paths: RealCachePaths;
  readonly kernelVersion: string;
  readonly vmlinuz: string;
  readonly modules: readonly string[];
  readonly qemu: string;
  /** Why the guest has no dm-dust (the host could not build it); absent: it has. */
  readonly dustMissing?: string;
}

/** Raised when the host lacks something setup needs; the message says what to install. */
export class RealSetupError extends Error {
  override readonly name = "RealSetupError";
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const path = join(dir, command);
    if (dir !== "" && existsSync(path)) return path;
  }
  return undefined;
}

function run(command: string, args: readonly string[], cwd?: string): string {
  try {
    return execFileSync(command, [...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr =
      String((error as { stderr?: unknown }).stderr ?? "")
        .trim()
        .split("\n")
        .at(-1) ?? "";
    throw new RealSetupError(`${command} ${args.join(" ")} failed: ${stderr || (error as Error).message}`);
  }
}

/** The QEMU binary, or an error saying how to install it. */
export function findQemu(): string {
  const qemu = which("qemu-system-x86_64");
  if (qemu === undefined) {
    throw new RealSetupError(
      "qemu-system-x86_64 not found; install it with: apt-get install -y qemu-system-x86",
    );
  }
  return qemu;
}

/** The host tools setup needs, or one error listing the Debian packages to install. */
function checkHostTools(): void {
  const missing: string[] = [];
  for (const tool of GUEST_TOOLS) if (!existsSync(tool.path)) missing.push(tool.pkg);
  for (const [command, pkg] of [
    ["cpio", "cpio"],
    ["dpkg-deb", "dpkg"],
    ["apt-get", "apt"],
    ["ldd", "libc-bin"],
    ["qemu-system-x86_64", "qemu-system-x86"],
  ] as const) {
    if (which(command) === undefined) missing.push(pkg);
  }
  if (missing.length > 0) {
    throw new RealSetupError(
      `Missing host packages: ${[...new Set(missing)].join(" ")}; install them with: apt-get install -y ${[...new Set(missing)].join(" ")}`,
    );
  }
}

/** The shared libraries (and the loader) `ldd` lists for a binary, as absolute host paths. */
function sharedLibraries(binary: string): string[] {
  try {
    return lddLibraries(binary);
  } catch (error) {
    if (error instanceof MissingLibraryError) throw new RealSetupError(error.message);
    throw error;
  }
}

/** Downloads and unpacks the kernel into the cache (skipped when already unpacked). */
function fetchKernel(paths: RealCachePaths): void {
  if (existsSync(join(paths.kernelRoot, "boot"))) return;
  mkdirSync(paths.debsDir, { recursive: true });
  run("apt-get", ["download", KERNEL_META_PACKAGE], paths.debsDir);
  const meta = readdirSync(paths.debsDir).find((f) => f.startsWith(`${KERNEL_META_PACKAGE}_`));
  if (meta === undefined) throw new RealSetupError(`apt-get download ${KERNEL_META_PACKAGE} left no .deb`);
  const depends = run("dpkg-deb", ["-f", join(paths.debsDir, meta), "Depends"]);
  const image = /linux-image-[0-9][^\s,(]*/.exec(depends)?.[0];
  if (image === undefined)
    throw new RealSetupError(`${meta} does not depend on a versioned linux-image package`);
  run("apt-get", ["download", image], paths.debsDir);
  const deb = readdirSync(paths.debsDir).find((f) => f.startsWith(`${image}_`));
  if (deb === undefined) throw new RealSetupError(`apt-get download ${image} left no .deb`);
  const staging = `${paths.kernelRoot}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  run("dpkg-deb", ["-x", join(paths.debsDir, deb), staging]);
  rmSync(paths.kernelRoot, { recursive: true, force: true });
  renameSync(staging, paths.kernelRoot);
}

function kernelVersionOf(kernelRoot: string): string {
  const versions = readdirSync(join(kernelRoot, "lib", "modules"));
  if (versions.length !== 1)
    throw new RealSetupError(`Expected one kernel under ${kernelRoot}/lib/modules, found ${versions.length}`);
  return versions[0]!;
}

function copyInto(root: string, hostPath: string): void {
  const target = join(root, hostPath);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(hostPath, target);
}

/** Builds the initramfs: busybox, lvm2, dmsetup, fio and their libraries, modules, `/init`. */
function buildInitramfs(paths: RealCachePaths, kernelVersion: string, dustKo?: string): string[] {
  const root = mkdtempSync(join(tmpdir(), "lvmlab-initramfs-"));
  try {
    for (const tool of GUEST_TOOLS) {
      copyInto(root, tool.path);
      for (const lib of sharedLibraries(tool.path)) copyInto(root, lib);
    }
    // Debian's loader path is /lib64/ld-linux-x86-64.so.2 and /lib is a link to usr/lib on the host;
    // the guest has real directories, so the copies above already sit at the paths ldd printed.
    for (const command of LVM_COMMANDS) symlinkSync("lvm", join(root, "usr", "sbin", command));
    for (const command of THIN_COMMANDS) symlinkSync("pdata_tools", join(root, "usr", "sbin", command));
    const moduleDir = join(root, GUEST_MODULE_DIR);
    mkdirSync(moduleDir, { recursive: true });
    const index = indexModules(join(paths.kernelRoot, "lib", "modules", kernelVersion));
    // Built out of tree for this kernel (the package lacks it); OPTIONAL_MODULES then loads it.
    if (dustKo !== undefined) index.set("dm_dust", dustKo);
    const order = moduleLoadOrder(index, { required: REQUIRED_MODULES, optional: OPTIONAL_MODULES });
    for (const path of order) copyFileSync(path, join(moduleDir, basename(path)));
    writeFileSync(join(moduleDir, "order"), `${order.map((p) => basename(p)).join("\n")}\n`);
    mkdirSync(join(root, "etc", "lvm"), { recursive: true });
    writeFileSync(join(root, "init"), guestInit());
    chmodSync(join(root, "init"), 0o755);
    const list = run("find", [".", "-mindepth", "1"], root);
    const partial = `${paths.initramfs}.partial`;
    execFileSync("sh", ["-c", `cpio -o -H newc -R 0:0 --quiet > '${partial}'`], {
      cwd: root,
      input: list,
      stdio: ["pipe", "ignore", "pipe"],
    });
    renameSync(partial, paths.initramfs);
    return order.map((p) => basename(p));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** dm-dust.ko for the image's kernel (dust-build.ts), or why the host cannot build it. */
function fetchAndBuildDust(
  paths: RealCachePaths,
  kernelVersion: string,
  log: (line: string) => void,
): DustBuild {
  const image = readdirSync(paths.debsDir).find((f) => f.startsWith(`linux-image-${kernelVersion}_`));
  if (image === undefined)
    throw new RealSetupError(`No linux-image-${kernelVersion} package in ${paths.debsDir}`);
  try {
    const dust = buildDustModule(paths, {
      kernelRelease: kernelVersion,
      imageDeb: join(paths.debsDir, image),
      host: { run, which, log },
    });
    if ("missing" in dust) log(`real: no dm-dust in the guest: ${dust.missing}`);
    return dust;
  } catch (error) {
    if (error instanceof RealSetupError) throw error;
    throw new RealSetupError(`Building dm-dust.ko failed: ${(error as Error).message}`);
  }
}

/** Whether the build tools a dust-less cache lacked are all on PATH now. */
function dustToolsNowPresent(paths: RealCachePaths): boolean {
  const stamp = JSON.parse(readFileSync(paths.stamp, "utf8")) as { dustMissingTools?: string[] };
  const tools = stamp.dustMissingTools ?? [];
  const commands: Readonly<Record<string, string>> = { "xz-utils": "xz", binutils: "ld" };
  // Libraries (libelf1, libssl3) are not commands: their absence is found again by the build.
  return tools.length > 0 && tools.every((t) => /^lib/.test(t) || which(commands[t] ?? t) !== undefined);
}

/** Options of {@link realSetup}. */
export interface RealSetupOptions {
  readonly cacheDir: string;
  /** Rebuild even when the cache is complete. */
  readonly force?: boolean;
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
}

/** Reads a finished cache, or undefined when setup has not completed there. */
export function readRealSetup(cacheDir: string): RealSetup | undefined {
  const paths = realCachePaths(cacheDir);
  if (!existsSync(paths.stamp) || !existsSync(paths.initramfs)) return undefined;
  const stamp = JSON.parse(readFileSync(paths.stamp, "utf8")) as {
    kernelVersion: string;
    modules: string[];
    initramfsVersion?: number;
    dustMissing?: string;
  };
  // An initramfs built with other contents is rebuilt (the kernel download is kept).
  if (stamp.initramfsVersion !== INITRAMFS_CONTENT_VERSION) return undefined;
  const vmlinuz = join(paths.kernelRoot, "boot", `vmlinuz-${stamp.kernelVersion}`);
  if (!existsSync(vmlinuz)) return undefined;
  return {
    paths,
    kernelVersion: stamp.kernelVersion,
    vmlinuz,
    modules: stamp.modules,
    qemu: findQemu(),
    ...(stamp.dustMissing === undefined ? {} : { dustMissing: stamp.dustMissing }),
  };
}

/** Builds (or reuses) the cache: kernel, initramfs, stamp. */
export function realSetup(options: RealSetupOptions): RealSetup {
  const log = options.log ?? (() => {});
  if (options.force !== true) {
    const ready = readRealSetup(options.cacheDir);
    // A cache built without dm-dust for want of tools the host now has is rebuilt once.
    if (ready !== undefined && !(ready.dustMissing !== undefined && dustToolsNowPresent(ready.paths))) {
      log(`real: cache ready at ${options.cacheDir} (kernel ${ready.kernelVersion})`);
      return ready;
    }
  }
  checkHostTools();
  const paths = realCachePaths(options.cacheDir);
  mkdirSync(paths.dir, { recursive: true });
  rmSync(paths.stamp, { force: true });
  log(`real: fetching ${KERNEL_META_PACKAGE} into ${paths.debsDir}`);
  fetchKernel(paths);
  const kernelVersion = kernelVersionOf(paths.kernelRoot);
  const dust = fetchAndBuildDust(paths, kernelVersion, log);
  log(`real: building the initramfs for kernel ${kernelVersion}`);
  const modules = buildInitramfs(paths, kernelVersion, "ko" in dust ? dust.ko : undefined);
  const dustMissing =
    "missing" in dust ? { dustMissing: dust.missing, dustMissingTools: dust.missingTools } : {};
  writeFileSync(
    paths.stamp,
    `${JSON.stringify({ kernelVersion, modules, initramfsVersion: INITRAMFS_CONTENT_VERSION, ...dustMissing }, null, 2)}\n`,
  );
  const ready = readRealSetup(options.cacheDir);
  if (ready === undefined) throw new RealSetupError(`Setup finished but ${paths.dir} is incomplete`);
  log(`real: ready (${modules.length} modules)`);
  return ready;
}
