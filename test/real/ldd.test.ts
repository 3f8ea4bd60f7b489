import { describe, expect, it } from "vitest";
import { MissingLibraryError, parseLdd } from "../../real/ldd.js";

/** `ldd /usr/bin/node` on Debian 12, as printed. */
const NODE_LDD = `	linux-vdso.so.1 (0x00007ffb84fe9000)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007ffb84fd2000)
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007ffb84c00000)
	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007ffb84ef2000)
	libgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007ffb84ed2000)
	libpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007ffb84ecd000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007ffb84a1e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007ffb84feb000)
`;

describe("ldd output", () => {
  it("lists every library and the loader in order, without the vDSO", () => {
    expect(parseLdd(NODE_LDD, "/usr/bin/node")).toEqual([
      "/lib/x86_64-linux-gnu/libdl.so.2",
      "/lib/x86_64-linux-gnu/libstdc++.so.6",
      "/lib/x86_64-linux-gnu/libm.so.6",
      "/lib/x86_64-linux-gnu/libgcc_s.so.1",
      "/lib/x86_64-linux-gnu/libpthread.so.0",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("finds nothing in a static binary's answer", () => {
    expect(parseLdd("\tstatically linked\n", "/bin/busybox")).toEqual([]);
    expect(parseLdd("", "/bin/busybox")).toEqual([]);
  });

  it("names a library the host lacks", () => {
    const out = "\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n";
    expect(() => parseLdd(out, "/usr/bin/x")).toThrow(MissingLibraryError);
    expect(() => parseLdd(out, "/usr/bin/x")).toThrow(
      "/usr/bin/x needs a library the host lacks: libfoo.so.1 => not found",
    );
  });
});
