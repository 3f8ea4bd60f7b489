import { execFileSync } from "node:child_process";

/**
 * The shared libraries a host binary needs, as `ldd` lists them: what the guest's initramfs copies
 * beside LVM2 and fio (setup.ts), and what the Node image carries beside `node` (node-image.ts).
 */

/** Raised when a binary needs a library the host lacks (`ldd` says "not found"). */
export class MissingLibraryError extends Error {
  override readonly name = "MissingLibraryError";
}

/**
 * The absolute library paths in `ldd`'s output, the loader included (its line has no `=>`), in
 * the order printed; the vDSO (no path) is skipped. A "not found" line is an error naming it.
 */
export function parseLdd(output: string, binary: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    if (line.includes("not found"))
      throw new MissingLibraryError(`${binary} needs a library the host lacks: ${line.trim()}`);
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) libs.push(match[1]!);
  }
  return libs;
}

/** The shared libraries (and the loader) `ldd` lists for a binary; none for a static one. */
export function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync("ldd", [binary], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    return []; // "not a dynamic executable"
  }
  return parseLdd(out, binary);
}
