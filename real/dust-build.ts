import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { RealCachePaths } from "./cache.js";

/**
 * Builds dm-dust.ko for the guest's kernel on the user's machine, from Debian packages only: Debian's
 * cloud kernel is built with `# CONFIG_DM_DUST is not set`, and dm-dust is the target that fails reads
 * of bad blocks and heals them on write, as `latent-sector-errors` with `healOnWrite` does. Setup
 * `apt-get download`s the kernel's headers (`linux-headers-<release>`, its `-common` and
 * `linux-kbuild-<major.minor>`, the versions the headers pin) and `linux-source-<major.minor>`, all at
 * the image package's own version, unpacks them with `dpkg-deb -x` into the cache (never installed),
 * takes only `drivers/md/dm-dust.c` from the source tarball and builds it out of tree with the
 * kernel's own compiler (`make -C <headers> M=<dir> modules`). The module is unsigned: the guest's
 * kernel (CONFIG_MODULE_SIG without MODULE_SIG_FORCE) loads it and marks itself tainted.
 * Nothing fetched is kept in the repository; the source deb is deleted once dm-dust.c is out.
 */

/** What the build needs from the host and where it gets it (the run's own runner and PATH lookup). */
export interface DustBuildHost {
  /** Runs a command, returns its stdout, throws a one-line error when it fails. */
  readonly run: (command: string, args: readonly string[], cwd?: string) => string;
  /** The path of a command on PATH, or undefined. */
  readonly which: (command: string) => string | undefined;
  readonly log: (line: string) => void;
}

/** The outcome: the built module, or why there is none (the host lacks a build tool). */
export type DustBuild =
  | { readonly ko: string }
  | { readonly missing: string; readonly missingTools: readonly string[] };

/** Where the module and the source it was built from live in the cache. */
export function dustPaths(paths: RealCachePaths): { dir: string; ko: string; source: string; stamp: string } {
  const dir = join(paths.dir, "dust");
  return {
    dir,
    ko: join(dir, "dm-dust.ko"),
    source: join(dir, "dm-dust.c"),
    stamp: join(dir, "built-for"),
  };
}

/** The Debian packages (`name=version`) that hold the headers and the source of a kernel release. */
export function dustPackages(
  kernelRelease: string,
  packageVersion: string,
): { readonly headers: string; readonly source: string; readonly sourceName: string } {
  const series = /^(\d+\.\d+)\./.exec(kernelRelease)?.[1];
  if (series === undefined) throw new RangeError(`Kernel release ${kernelRelease} has no major.minor`);
  return {
    headers: `linux-headers-${kernelRelease}=${packageVersion}`,
    source: `linux-source-${series}=${packageVersion}`,
    sourceName: `linux-source-${series}`,
  };
}

/**
 * What the headers package depends on, from its `Depends` field: the `-common` and `linux-kbuild-*`
 * packages (pinned to the headers' version), and the compiler its `linux-compiler-gcc-N-*` names.
 */
export function headersDepends(
  depends: string,
  packageVersion: string,
): { readonly packages: readonly string[]; readonly compiler: string } {
  const names = depends.split(",").map((d) => d.trim().split(/\s/)[0]!);
  const packages = names
    .filter((n) => /^linux-headers-.*-common$/.test(n) || /^linux-kbuild-/.test(n))
    .map((n) => `${n}=${packageVersion}`);
  if (packages.length !== 2)
    throw new RangeError(`Expected a -common and a linux-kbuild package in Depends: ${depends}`);
  const gcc = names.map((n) => /^linux-compiler-(gcc-\d+)-/.exec(n)?.[1]).find((c) => c !== undefined);
  if (gcc === undefined) throw new RangeError(`No linux-compiler-gcc-N package in Depends: ${depends}`);
  return { packages, compiler: gcc };
}

/**
 * The flavour headers' Makefile includes the `-common` tree's by its installed path
 * (`include /usr/src/linux-headers-…-common/Makefile`); unpacked under `root`, it must point there.
 */
export function relocateHeadersMakefile(text: string, root: string): string {
  const fixed = text.replace(/^include \/usr\/src\//m, `include ${root}/usr/src/`);
  if (fixed === text) throw new RangeError(`The headers Makefile includes no /usr/src path:\n${text}`);
  return fixed;
}

/** The build tools a host lacks, as Debian package names (`make`, the kernel's `gcc-N`, `xz-utils`). */
export function missingDustTools(which: DustBuildHost["which"], compiler: string): string[] {
  const missing: string[] = [];
  for (const [command, pkg] of [
    ["make", "make"],
    [compiler, compiler],
    ["xz", "xz-utils"],
    ["ld", "binutils"],
    ["strip", "binutils"],
  ] as const) {
    if (which(command) === undefined && !missing.includes(pkg)) missing.push(pkg);
  }
  return missing;
}

/** Debian's packages of the shared libraries kbuild's programs link to (others: the soname). */
const LIBRARY_PACKAGES: Readonly<Record<string, string>> = {
  "libelf.so.1": "libelf1",
  "libssl.so.3": "libssl3",
  "libcrypto.so.3": "libssl3",
  "libz.so.1": "zlib1g",
};

/** The packages of the libraries `ldd` reports "not found" for any of `programs`. */
export function missingLibraries(host: Pick<DustBuildHost, "run">, programs: readonly string[]): string[] {
  const missing: string[] = [];
  for (const program of programs) {
    for (const line of host.run("ldd", [program]).split("\n")) {
      const soname = /^\s*(\S+) => not found/.exec(line)?.[1];
      if (soname === undefined) continue;
      const pkg = LIBRARY_PACKAGES[soname] ?? soname;
      if (!missing.includes(pkg)) missing.push(pkg);
    }
  }
  return missing;
}

function debOf(debsDir: string, pkg: string): string {
  const [name, version] = pkg.split("=") as [string, string];
  // apt-get download names the file <name>_<version with ':' as %3a>_<arch>.deb.
  const prefix = `${name}_${version.replaceAll(":", "%3a")}_`;
  const deb = readdirSync(debsDir).find((f) => f.startsWith(prefix) && f.endsWith(".deb"));
  if (deb === undefined) throw new RangeError(`apt-get download ${pkg} left no .deb in ${debsDir}`);
  return join(debsDir, deb);
}

function download(host: DustBuildHost, debsDir: string, pkgs: readonly string[]): void {
  const wanted = pkgs.filter((p) => {
    try {
      debOf(debsDir, p);
      return false;
    } catch {
      return true;
    }
  });
  if (wanted.length > 0) host.run("apt-get", ["download", ...wanted], debsDir);
}

/**
 * Builds (or reuses) dm-dust.ko for `kernelRelease`, the release the image package `imageDeb`
 * (its version pins every other package) installs. A host without the build tools gets none and
 * the reason; any other failure (download, build) is thrown.
 */
export function buildDustModule(
  paths: RealCachePaths,
  options: { readonly kernelRelease: string; readonly imageDeb: string; readonly host: DustBuildHost },
): DustBuild {
  const { kernelRelease, host } = options;
  const out = dustPaths(paths);
  if (existsSync(out.ko) && existsSync(out.stamp) && readFileSync(out.stamp, "utf8").trim() === kernelRelease)
    return { ko: out.ko };
  const version = host.run("dpkg-deb", ["-f", options.imageDeb, "Version"]).trim();
  const pkgs = dustPackages(kernelRelease, version);
  mkdirSync(paths.debsDir, { recursive: true });
  download(host, paths.debsDir, [pkgs.headers]);
  const headersDeb = debOf(paths.debsDir, pkgs.headers);
  const deps = headersDepends(host.run("dpkg-deb", ["-f", headersDeb, "Depends"]), version);
  const missingTools = missingDustTools(host.which, deps.compiler);
  if (missingTools.length > 0) {
    return {
      missing: `the host lacks ${missingTools.join(" ")} to build dm-dust.ko (apt-get install -y ${missingTools.join(" ")}, then lvmlab real setup)`,
      missingTools,
    };
  }
  host.log(`real: building dm-dust.ko for ${kernelRelease} from ${pkgs.source} and ${pkgs.headers}`);
  download(host, paths.debsDir, deps.packages);
  const build = `${out.dir}.partial`;
  rmSync(build, { recursive: true, force: true });
  const root = join(build, "root");
  const moduleDir = join(build, "module");
  mkdirSync(root, { recursive: true });
  mkdirSync(moduleDir, { recursive: true });
  for (const pkg of [pkgs.headers, ...deps.packages])
    host.run("dpkg-deb", ["-x", debOf(paths.debsDir, pkg), root]);
  const headers = join(root, "usr", "src", `linux-headers-${kernelRelease}`);
  // The kbuild links (scripts, tools) are relative (../../lib/linux-kbuild-N/…): they resolve in the
  // unpacked tree as they do under /usr/src, so only the Makefile's absolute include needs moving.
  for (const link of ["scripts", join("scripts", "basic", "fixdep"), join("scripts", "mod", "modpost")]) {
    if (!existsSync(join(headers, link)))
      throw new RangeError(`The unpacked headers lack ${link} (from ${deps.packages.join(", ")})`);
  }
  // kbuild's own programs (fixdep, modpost) link to libelf and libssl, which a minimal host may lack.
  const libs = missingLibraries(host, [
    join(headers, "scripts", "basic", "fixdep"),
    join(headers, "scripts", "mod", "modpost"),
  ]);
  if (libs.length > 0) {
    rmSync(build, { recursive: true, force: true });
    return {
      missing: `the host lacks ${libs.join(" ")} to run the kernel's kbuild tools (apt-get install -y ${libs.join(" ")}, then lvmlab real setup)`,
      missingTools: libs,
    };
  }
  download(host, paths.debsDir, [pkgs.source]);
  const makefile = join(headers, "Makefile");
  writeFileSync(makefile, relocateHeadersMakefile(readFileSync(makefile, "utf8"), root));
  // Only drivers/md/dm-dust.c leaves the source tarball (xz: the whole stream is read once).
  const sourceDeb = debOf(paths.debsDir, pkgs.source);
  const series = pkgs.sourceName.slice("linux-source-".length);
  const source = host.run("sh", [
    "-c",
    `dpkg-deb --fsys-tarfile '${sourceDeb}' | tar -xO ./usr/src/linux-source-${series}.tar.xz | tar -xJO linux-source-${series}/drivers/md/dm-dust.c`,
  ]);
  if (!source.includes("dust_ctr") || !source.includes('.name = "dust"'))
    throw new RangeError(`${sourceDeb} gave no dm-dust.c`);
  writeFileSync(join(moduleDir, "dm-dust.c"), source);
  writeFileSync(join(moduleDir, "Kbuild"), "obj-m := dm-dust.o\n");
  host.run("make", ["-C", headers, `M=${moduleDir}`, "modules"]);
  const ko = join(moduleDir, "dm-dust.ko");
  const vermagic = /\0vermagic=([^\0]*)\0/.exec(readFileSync(ko).toString("latin1"))?.[1] ?? "";
  if (!vermagic.startsWith(`${kernelRelease} `))
    throw new RangeError(`dm-dust.ko was built for "${vermagic}", not ${kernelRelease}`);
  // Debian ships its modules without debug info; so does this one (360 KB to 20 KB).
  host.run("strip", ["--strip-debug", ko]);
  rmSync(out.dir, { recursive: true, force: true });
  mkdirSync(out.dir, { recursive: true });
  copyFileSync(ko, `${out.ko}.partial`);
  renameSync(`${out.ko}.partial`, out.ko);
  writeFileSync(out.source, source);
  writeFileSync(out.stamp, `${kernelRelease}\n`);
  rmSync(build, { recursive: true, force: true });
  // 139 MB for one 20 KB file: the source deb goes once the file is out (the headers stay, 14 MB).
  rmSync(sourceDeb, { force: true });
  return { ko: out.ko };
}
