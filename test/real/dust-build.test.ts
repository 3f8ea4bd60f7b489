import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { realCachePaths } from "../../real/cache.js";
import {
  buildDustModule,
  type DustBuildHost,
  dustPackages,
  dustPaths,
  headersDepends,
  missingDustTools,
  missingLibraries,
  relocateHeadersMakefile,
} from "../../real/dust-build.js";

const dir = mkdtempSync(join(tmpdir(), "lvmlab-dust-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Depends field of Debian 12's linux-headers-6.1.0-57-cloud-amd64 6.1.192-3. */
const HEADERS_DEPENDS =
  "linux-headers-6.1.0-57-common (= 6.1.192-3), linux-kbuild-6.1 (>= 6.1.192-3), linux-compiler-gcc-12-x86";

describe("dm-dust.ko from Debian's packages", () => {
  it("names the headers and source packages at the image's own version", () => {
    expect(dustPackages("6.1.0-57-cloud-amd64", "6.1.192-3")).toEqual({
      headers: "linux-headers-6.1.0-57-cloud-amd64=6.1.192-3",
      source: "linux-source-6.1=6.1.192-3",
      sourceName: "linux-source-6.1",
    });
    expect(() => dustPackages("weird", "1")).toThrow(/no major\.minor/);
  });

  it("reads the -common and kbuild packages, pinned, and the kernel's compiler from the headers' Depends", () => {
    expect(headersDepends(HEADERS_DEPENDS, "6.1.192-3")).toEqual({
      packages: ["linux-headers-6.1.0-57-common=6.1.192-3", "linux-kbuild-6.1=6.1.192-3"],
      compiler: "gcc-12",
    });
    expect(() => headersDepends("linux-kbuild-6.1, linux-compiler-gcc-12-x86", "1")).toThrow(/-common/);
  });

  it("points the flavour Makefile's include at the unpacked -common tree", () => {
    const text = "include /usr/src/linux-headers-6.1.0-57-common/Makefile\n";
    expect(relocateHeadersMakefile(text, "/c/dust.partial/root")).toBe(
      "include /c/dust.partial/root/usr/src/linux-headers-6.1.0-57-common/Makefile\n",
    );
    expect(() => relocateHeadersMakefile("all:\n", "/r")).toThrow(/includes no \/usr\/src path/);
  });

  it("lists the build tools a host lacks as Debian packages, once each", () => {
    const none = () => undefined;
    expect(missingDustTools(none, "gcc-12")).toEqual(["make", "gcc-12", "xz-utils", "binutils"]);
    expect(missingDustTools((c) => (c === "make" ? undefined : `/usr/bin/${c}`), "gcc-12")).toEqual(["make"]);
  });

  it("names the packages of the libraries kbuild's programs cannot find", () => {
    const ldd = {
      run: (_command: string, args: readonly string[]) =>
        args[0]!.endsWith("modpost")
          ? "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibelf.so.1 => not found\n\tlibz.so.9 => not found\n"
          : "\tlibssl.so.3 => not found\n\tlibcrypto.so.3 => not found\n\tlibelf.so.1 => not found\n",
    };
    expect(missingLibraries(ldd, ["fixdep", "modpost"])).toEqual(["libssl3", "libelf1", "libz.so.9"]);
    expect(missingLibraries({ run: () => "\tlibc.so.6 => /lib/libc.so.6 (0x1)\n" }, ["fixdep"])).toEqual([]);
  });

  /** A host whose apt-get download drops an empty .deb and whose dpkg-deb -f answers from a table. */
  function fakeHost(which: DustBuildHost["which"], calls: string[]): DustBuildHost {
    return {
      which,
      log: () => {},
      run: (command, args, cwd) => {
        calls.push(`${command} ${args.join(" ")}`);
        if (command === "apt-get") {
          for (const pkg of args.slice(1)) {
            const [name, version] = pkg.split("=");
            writeFileSync(join(cwd!, `${name}_${version}_amd64.deb`), "");
          }
          return "";
        }
        if (command === "dpkg-deb" && args[0] === "-f")
          return args[2] === "Version" ? "6.1.192-3\n" : `${HEADERS_DEPENDS}\n`;
        throw new Error(`unexpected ${command}`);
      },
    };
  }

  it("builds nothing and says why when the host lacks make or the kernel's gcc", () => {
    const paths = realCachePaths(join(dir, "no-tools"));
    mkdirSync(paths.debsDir, { recursive: true });
    const calls: string[] = [];
    const build = buildDustModule(paths, {
      kernelRelease: "6.1.0-57-cloud-amd64",
      imageDeb: join(paths.debsDir, "linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb"),
      host: fakeHost((c) => (c === "gcc-12" ? undefined : `/usr/bin/${c}`), calls),
    });
    expect(build).toEqual({
      missing:
        "the host lacks gcc-12 to build dm-dust.ko (apt-get install -y gcc-12, then lvmlab real setup)",
      missingTools: ["gcc-12"],
    });
    // Only the small headers package was fetched to learn the compiler; no source, no build.
    expect(calls.filter((c) => c.startsWith("apt-get"))).toEqual([
      "apt-get download linux-headers-6.1.0-57-cloud-amd64=6.1.192-3",
    ]);
    expect(calls.some((c) => c.startsWith("make"))).toBe(false);
  });

  it("reuses a module built for the same kernel release without running anything", () => {
    const paths = realCachePaths(join(dir, "built"));
    const out = dustPaths(paths);
    mkdirSync(out.dir, { recursive: true });
    writeFileSync(out.ko, "ko");
    writeFileSync(out.stamp, "6.1.0-57-cloud-amd64\n");
    const calls: string[] = [];
    const host = fakeHost(() => "/usr/bin/x", calls);
    expect(
      buildDustModule(paths, { kernelRelease: "6.1.0-57-cloud-amd64", imageDeb: "x.deb", host }),
    ).toEqual({
      ko: out.ko,
    });
    expect(calls).toEqual([]);
    // Another kernel release builds again (the fake host stops it at unpacking).
    expect(() =>
      buildDustModule(paths, { kernelRelease: "6.1.0-58-cloud-amd64", imageDeb: "x.deb", host }),
    ).toThrow();
    expect(calls.slice(0, 2)).toEqual([
      "dpkg-deb -f x.deb Version",
      "apt-get download linux-headers-6.1.0-58-cloud-amd64=6.1.192-3",
    ]);
  });
});
