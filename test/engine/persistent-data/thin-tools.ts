/**
 * Runs Debian's thin-provisioning-tools (thin_check, thin_dump, thin_restore) on metadata images
 * in a temporary folder: the oracles for lvmlab's persistent-data writer and reader.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlockDevice } from "../../../engine/block/device.js";

/** Why the tools cannot run here, or undefined when they can. */
export function thinToolsUnavailable(): string | undefined {
  if (spawnSync("thin_check", ["-V"], { stdio: "ignore" }).error) {
    return "skipped: thin-provisioning-tools (thin_check) is not installed";
  }
  return undefined;
}

/** A tool's exit status and output. */
export interface ToolRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function withImage<T>(bytes: Uint8Array, body: (path: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "lvmlab-thin-"));
  try {
    const path = join(dir, "meta.bin");
    writeFileSync(path, bytes);
    return body(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(tool: string, args: readonly string[]): ToolRun {
  const r = spawnSync(tool, args, { encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** The whole device as bytes. */
export function imageOf(device: BlockDevice): Uint8Array {
  const bytes = new Uint8Array(device.sizeBytes);
  device.read(0, bytes);
  return bytes;
}

/** `thin_check` on the metadata image. */
export function thinCheck(bytes: Uint8Array, args: readonly string[] = []): ToolRun {
  return withImage(bytes, (path) => run("thin_check", [...args, path]));
}

/** `thin_dump` of the metadata image. */
export function thinDump(bytes: Uint8Array, args: readonly string[] = []): ToolRun {
  return withImage(bytes, (path) => run("thin_dump", [...args, path]));
}

/** `thin_restore` of `xml` into a zeroed image of `sizeBytes`; returns the image. */
export function thinRestore(xml: string, sizeBytes: number): Uint8Array {
  return withImage(new Uint8Array(sizeBytes), (path, dir) => {
    const input = join(dir, "in.xml");
    writeFileSync(input, xml);
    const r = run("thin_restore", ["-i", input, "-o", path]);
    if (r.status !== 0) throw new Error(`thin_restore failed (${r.status}): ${r.stderr}`);
    return new Uint8Array(readFileSync(path));
  });
}

/** Real `thin_repair` of the metadata image into a zeroed output of `sizeBytes`; the output image and the run. */
export function thinRepair(bytes: Uint8Array, sizeBytes: number): { run: ToolRun; output: Uint8Array } {
  return withImage(bytes, (path, dir) => {
    const out = join(dir, "out.bin");
    writeFileSync(out, new Uint8Array(sizeBytes));
    const r = run("thin_repair", ["-i", path, "-o", out]);
    return { run: r, output: new Uint8Array(readFileSync(out)) };
  });
}
