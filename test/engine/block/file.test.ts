import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import seedrandom from "seedrandom";
import { afterAll, describe, expect, it } from "vitest";
import type { BlockDeviceError } from "../../../engine/block/errors.js";
import { isBlockDeviceError } from "../../../engine/block/errors.js";
import { FileDevice } from "../../../engine/block/file.js";
import { filled, firstDifference } from "./helpers.js";

const MiB = 2 ** 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvmlab-file-"));
let counter = 0;
const imagePath = (): string => path.join(dir, `pv${counter++}.img`);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): BlockDeviceError {
  try {
    fn();
  } catch (error) {
    if (isBlockDeviceError(error)) return error;
    throw error;
  }
  throw new Error("Expected a BlockDeviceError, got none");
}

/** Open flags of the descriptor this process holds on `file`, from /proc (Linux). */
function openFlagsOf(file: string): number[] {
  const flags: number[] = [];
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== file) continue;
    const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    const match = /flags:\s+([0-7]+)/.exec(info);
    if (match?.[1] !== undefined) flags.push(Number.parseInt(match[1], 8));
  }
  return flags;
}

describe("FileDevice", () => {
  it("creates a sparse image that costs disk only for written data", () => {
    const file = imagePath();
    const device = FileDevice.open(file, { create: { sizeBytes: 4 * 1024 * MiB } });
    device.write(2 * 1024 * MiB, filled(64 * 1024, 1));
    device.flush();
    const stat = fs.statSync(file);
    expect(stat.size).toBe(4 * 1024 * MiB);
    expect(stat.blocks * 512).toBeLessThan(4 * MiB);
    expect(device.sizeBytes).toBe(4 * 1024 * MiB);
    expect(device.name).toBe(path.basename(file));
    device.close();
  });

  it("round-trips seeded writes and survives close and reopen", () => {
    const file = imagePath();
    const random = seedrandom.alea("file-roundtrip");
    const model = new Uint8Array(MiB);
    const device = FileDevice.open(file, { create: { sizeBytes: MiB } });
    for (let i = 0; i < 100; i++) {
      const sectors = 1 + Math.floor(random() * 32);
      const offsetBytes = Math.floor(random() * (2048 - sectors)) * 512;
      const data = new Uint8Array(sectors * 512);
      for (let j = 0; j < data.length; j += 97) data[j] = Math.floor(random() * 256);
      device.write(offsetBytes, data, { fua: i % 10 === 0 });
      model.set(data, offsetBytes);
    }
    device.flush();
    const dst = new Uint8Array(MiB);
    device.read(0, dst);
    expect(firstDifference(dst, model)).toBe(-1);
    device.close();
    expect(device.closed).toBe(true);

    const reopened = FileDevice.open(file);
    expect(reopened.sizeBytes).toBe(MiB);
    const again = new Uint8Array(MiB);
    reopened.read(0, again);
    expect(firstDifference(again, model)).toBe(-1);
    expect(firstDifference(new Uint8Array(fs.readFileSync(file)), model)).toBe(-1);
    reopened.close();
  });

  it("counts ops and bytes", () => {
    const device = FileDevice.open(imagePath(), { create: { sizeBytes: MiB } });
    device.write(0, new Uint8Array(4096));
    device.read(512, new Uint8Array(1024));
    device.flush();
    device.discard(0, 512);
    expect(device.stats).toEqual({
      readOps: 1,
      readBytes: 1024,
      writeOps: 1,
      writeBytes: 4096,
      flushOps: 1,
      discardOps: 1,
      discardBytes: 512,
    });
    device.close();
  });

  it("read-only: refuses writes and discards, never opens for writing, leaves bytes and mtime alone", () => {
    const file = imagePath();
    const writer = FileDevice.open(file, { create: { sizeBytes: MiB } });
    writer.write(0, filled(4096, 0x5a));
    writer.close();
    const past = new Date(Date.UTC(2020, 0, 1));
    fs.utimesSync(file, past, past);
    const before = new Uint8Array(fs.readFileSync(file));
    const mtimeBefore = fs.statSync(file).mtimeMs;

    const device = FileDevice.open(file, { readOnly: true });
    expect(device.readOnly).toBe(true);
    const flags = openFlagsOf(file);
    expect(flags.length).toBe(1);
    expect((flags[0] ?? -1) & 3).toBe(0); // O_RDONLY
    const writeError = errorOf(() => device.write(0, filled(512, 1)));
    expect(writeError.code).toBe("EINVAL");
    expect(writeError.message).toContain("read-only");
    expect(writeError.message).toContain(file);
    expect(errorOf(() => device.discard(0, 4096)).message).toContain("read-only");
    device.flush();
    const dst = new Uint8Array(512);
    device.read(0, dst);
    expect(dst[0]).toBe(0x5a);
    device.close();

    expect(firstDifference(new Uint8Array(fs.readFileSync(file)), before)).toBe(-1);
    expect(fs.statSync(file).mtimeMs).toBe(mtimeBefore);
    expect(device.stats.writeOps).toBe(0);
  });

  it("refuses a real block device unless explicitly allowed, without opening it", () => {
    const candidates = ["/dev/loop0", "/dev/vda", "/dev/sda", "/dev/zram0"];
    const blockDevice = candidates.find((p) => fs.existsSync(p) && fs.statSync(p).isBlockDevice());
    if (blockDevice === undefined) {
      // No block device node to point at in this sandbox; the check below still must hold for files.
      expect(FileDevice.open(imagePath(), { create: { sizeBytes: 512 } }).sizeBytes).toBe(512);
      return;
    }
    const error = errorOf(() => FileDevice.open(blockDevice));
    expect(error.code).toBe("EINVAL");
    expect(error.message).toContain(blockDevice);
    expect(error.message).toContain("allowBlockDevice");
    expect(openFlagsOf(blockDevice)).toEqual([]);
    expect(errorOf(() => FileDevice.open(blockDevice, { readOnly: true })).message).toContain("block device");
  });

  it("refuses other non-regular files", () => {
    expect(errorOf(() => FileDevice.open("/dev/null")).message).toContain("neither a regular file");
    expect(errorOf(() => FileDevice.open(dir)).message).toContain("neither a regular file");
  });

  it("reports missing, existing and badly sized images clearly", () => {
    const missing = errorOf(() => FileDevice.open(path.join(dir, "nope.img")));
    expect(missing.code).toBe("ENXIO");
    expect(missing.message).toContain("does not exist");

    const file = imagePath();
    FileDevice.open(file, { create: { sizeBytes: 4096 } }).close();
    expect(errorOf(() => FileDevice.open(file, { create: { sizeBytes: 4096 } })).message).toContain(
      "already exists",
    );
    expect(errorOf(() => FileDevice.open(file, { readOnly: true, create: { sizeBytes: 512 } })).code).toBe(
      "EINVAL",
    );
    const over = FileDevice.open(file, { create: { sizeBytes: 8192, overwrite: true } });
    expect(over.sizeBytes).toBe(8192);
    over.close();

    const odd = imagePath();
    fs.writeFileSync(odd, new Uint8Array(1000));
    expect(errorOf(() => FileDevice.open(odd)).message).toContain(
      "1000 bytes, not a positive multiple of 512",
    );
    expect(errorOf(() => FileDevice.open(imagePath(), { create: { sizeBytes: 100 } })).code).toBe("EINVAL");
  });

  it("rejects misaligned and out-of-range requests and use after close", () => {
    const device = FileDevice.open(imagePath(), { create: { sizeBytes: MiB } });
    expect(errorOf(() => device.write(10, new Uint8Array(512))).code).toBe("EINVAL");
    expect(errorOf(() => device.read(MiB, new Uint8Array(512))).code).toBe("EINVAL");
    device.close();
    device.close();
    const closed = errorOf(() => device.read(0, new Uint8Array(512)));
    expect(closed.code).toBe("ENXIO");
    expect(closed.message).toContain("closed");
  });

  it("reads zeros past the end of a file truncated behind its back, within sizeBytes", () => {
    const file = imagePath();
    const device = FileDevice.open(file, { create: { sizeBytes: 8192 } });
    device.write(0, filled(8192, 7));
    fs.truncateSync(file, 4096);
    const dst = filled(8192, 0xff);
    device.read(0, dst);
    expect(dst.subarray(0, 4096).every((b) => b === 7)).toBe(true);
    expect(dst.subarray(4096).every((b) => b === 0)).toBe(true);
    device.close();
  });

  it("discard zeroes the range, punching a real hole at the tail", () => {
    const file = imagePath();
    const device = FileDevice.open(file, { create: { sizeBytes: 4 * MiB } });
    device.write(0, filled(4 * MiB, 3));
    device.flush();
    const blocksFull = fs.statSync(file).blocks;
    device.discard(512, 1024);
    device.discard(2 * MiB, 2 * MiB);
    const dst = new Uint8Array(4 * MiB);
    device.read(0, dst);
    expect(dst[0]).toBe(3);
    expect(dst.subarray(512, 1536).every((b) => b === 0)).toBe(true);
    expect(dst.subarray(1536, 2 * MiB).every((b) => b === 3)).toBe(true);
    expect(dst.subarray(2 * MiB).every((b) => b === 0)).toBe(true);
    expect(fs.statSync(file).size).toBe(4 * MiB);
    expect(fs.statSync(file).blocks).toBeLessThan(blocksFull);
    device.close();
  });
});
