/**
 * A block device over an image file, so PV images can be kept between runs, inspected by the real
 * LVM2 tools, and attached as loop devices. New images are sparse (ftruncate), flush is fsync, and
 * a read-only device never opens the file for writing. Real block devices are refused unless the
 * caller says `allowBlockDevice: true`, because a typo must never overwrite a disk.
 */

import { Buffer } from "node:buffer";
import fs from "node:fs";
import path from "node:path";
import { isSimulationHalt } from "../sim/halt.js";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "./device.js";
import { emptyIoStats } from "./device.js";
import type { BlockErrorCode } from "./errors.js";
import { BlockDeviceError } from "./errors.js";
import { issueTimeNs, validateDeviceSize, validateRequest } from "./validate.js";

/** Options for {@link FileDevice.open}. */
export interface FileDeviceOpenOptions {
  /** Open for reading only: writes, discards and flushes that would write are refused. */
  readonly readOnly?: boolean;
  /** Create a new sparse image of this size; fails if the file exists unless `overwrite` is set. */
  readonly create?: { readonly sizeBytes: number; readonly overwrite?: boolean };
  /** Allow opening a real block device such as /dev/sdb; off by default. */
  readonly allowBlockDevice?: boolean;
  /** Device name for errors and reports; defaults to the file's base name. */
  readonly name?: string;
}

// Discards zero the image in chunks of this size so memory stays bounded on huge ranges.
const DISCARD_CHUNK_BYTES = 1 << 20;
let zeroChunk: Uint8Array | undefined;

function zeros(): Uint8Array {
  zeroChunk ??= new Uint8Array(DISCARD_CHUNK_BYTES);
  return zeroChunk;
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

function codeFor(errno: string | undefined): BlockErrorCode {
  switch (errno) {
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      return "ENOSPC";
    case "ENOENT":
    case "ENXIO":
    case "ENODEV":
    case "EBADF":
      return "ENXIO";
    case "EINVAL":
      return "EINVAL";
    default:
      return "EIO";
  }
}

function fsFailure(
  name: string,
  range: { readonly offsetBytes: number; readonly lengthBytes: number },
  what: string,
  error: unknown,
): Error {
  // Block errors pass through as raised; a simulation halt must never be swallowed or rewrapped.
  if (error instanceof BlockDeviceError || isSimulationHalt(error)) return error;
  const errno = errnoOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  return new BlockDeviceError(
    codeFor(errno),
    name,
    range.offsetBytes,
    range.lengthBytes,
    `${what}: ${reason}`,
  );
}

// Linux keeps a block device's size in sysfs, in 512-byte sectors, because stat() reports 0.
function blockDeviceSizeBytes(name: string, stat: fs.Stats): number {
  const major = Math.floor(stat.rdev / 256) & 0xfff;
  const minor = (stat.rdev & 0xff) | (Math.floor(stat.rdev / 4096) & 0xfff00);
  const sysfs = `/sys/dev/block/${major}:${minor}/size`;
  try {
    return Number.parseInt(fs.readFileSync(sysfs, "utf8").trim(), 10) * 512;
  } catch (error) {
    throw fsFailure(
      name,
      { offsetBytes: 0, lengthBytes: 0 },
      `cannot read the device size from ${sysfs}`,
      error,
    );
  }
}

/** A byte-addressed block device over an image file (or, if explicitly allowed, a block device). */
export class FileDevice implements BlockDevice {
  readonly name: string;
  readonly sizeBytes: number;
  readonly stats: IoStats = emptyIoStats();
  /** The path the device was opened from. */
  readonly path: string;
  /** True when the file was opened without write access. */
  readonly readOnly: boolean;
  #fd: number | undefined;
  readonly #blockDevice: boolean;

  private constructor(
    fd: number,
    init: { name: string; path: string; sizeBytes: number; readOnly: boolean; blockDevice: boolean },
  ) {
    this.#fd = fd;
    this.#blockDevice = init.blockDevice;
    this.name = init.name;
    this.path = init.path;
    this.sizeBytes = init.sizeBytes;
    this.readOnly = init.readOnly;
  }

  /**
   * Open (or create) an image file. Errors name the path and say what to do: ENXIO for a missing
   * file, EINVAL for a refused block device, a bad size or contradictory options.
   */
  static open(filePath: string, options: FileDeviceOpenOptions = {}): FileDevice {
    const name = options.name ?? path.basename(filePath);
    const readOnly = options.readOnly ?? false;
    const refuse = (detail: string): never => {
      throw new BlockDeviceError("EINVAL", name, 0, 0, detail);
    };
    if (options.create !== undefined && readOnly) {
      refuse(`cannot create ${filePath} read-only; drop readOnly or drop create`);
    }
    let existing: fs.Stats | undefined;
    try {
      existing = fs.statSync(filePath);
    } catch (error) {
      if (errnoOf(error) !== "ENOENT")
        throw fsFailure(name, { offsetBytes: 0, lengthBytes: 0 }, `cannot stat ${filePath}`, error);
    }
    if (existing?.isBlockDevice() && options.allowBlockDevice !== true) {
      refuse(
        `${filePath} is a real block device; refusing to touch it. Pass --allow-block-devices ` +
          "(allowBlockDevice: true in the API) only if you mean to use this disk",
      );
    }
    if (existing !== undefined && !existing.isFile() && !existing.isBlockDevice()) {
      refuse(`${filePath} is neither a regular file nor a block device; give the path of a PV image`);
    }
    const create = options.create;
    if (create !== undefined) {
      validateDeviceSize(name, create.sizeBytes);
      if (existing !== undefined && create.overwrite !== true) {
        refuse(`${filePath} already exists; remove it, open it without create, or set create.overwrite`);
      }
      if (existing?.isBlockDevice()) refuse(`cannot create an image over the block device ${filePath}`);
    } else if (existing === undefined) {
      throw new BlockDeviceError(
        "ENXIO",
        name,
        0,
        0,
        `image ${filePath} does not exist; check the path, or create it first (e.g. truncate -s 64M ${filePath})`,
      );
    }

    const flags = create !== undefined ? (create.overwrite === true ? "w+" : "wx+") : readOnly ? "r" : "r+";
    let fd: number;
    try {
      fd = fs.openSync(filePath, flags);
    } catch (error) {
      throw fsFailure(name, { offsetBytes: 0, lengthBytes: 0 }, `cannot open ${filePath} (${flags})`, error);
    }
    try {
      // Check again on the open descriptor: the path may have been swapped since the stat above.
      const stat = fs.fstatSync(fd);
      if (stat.isBlockDevice() && options.allowBlockDevice !== true) {
        refuse(`${filePath} turned into a block device while opening; refusing to touch it`);
      }
      let sizeBytes: number;
      if (create !== undefined) {
        fs.ftruncateSync(fd, create.sizeBytes);
        sizeBytes = create.sizeBytes;
      } else {
        sizeBytes = stat.isBlockDevice() ? blockDeviceSizeBytes(name, stat) : stat.size;
        if (sizeBytes === 0 || sizeBytes % 512 !== 0) {
          refuse(
            `image ${filePath} is ${sizeBytes} bytes, not a positive multiple of 512; ` +
              "it is not a PV image, or it was truncated",
          );
        }
      }
      return new FileDevice(fd, {
        name,
        path: filePath,
        sizeBytes,
        readOnly,
        blockDevice: stat.isBlockDevice(),
      });
    } catch (error) {
      fs.closeSync(fd);
      throw fsFailure(name, { offsetBytes: 0, lengthBytes: 0 }, `cannot open ${filePath}`, error);
    }
  }

  /** True once {@link close} ran; every request then fails with ENXIO. */
  get closed(): boolean {
    return this.#fd === undefined;
  }

  /** Read into `dst`; bytes past the end of a shorter file (inside sizeBytes) read as zeros. */
  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    validateRequest(this, { offsetBytes, lengthBytes: dst.length }, { kind: "read" });
    const fd = this.#open(offsetBytes, dst.length);
    this.#readInto(fd, offsetBytes, dst);
    this.stats.readOps += 1;
    this.stats.readBytes += dst.length;
    return atNs;
  }

  /** Write `data` to the image; FUA also syncs the file data before returning. */
  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    validateRequest(this, { offsetBytes, lengthBytes: data.length }, { kind: "write" });
    const fd = this.#writable(offsetBytes, data.length, "write");
    this.#writeFrom(fd, offsetBytes, data);
    if (options.fua === true) this.#sync(fd, offsetBytes, data.length);
    this.stats.writeOps += 1;
    this.stats.writeBytes += data.length;
    return atNs;
  }

  /** fsync the image; on a read-only device there is nothing to make durable. */
  flush(options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    const fd = this.#open(0, 0);
    if (!this.readOnly) this.#sync(fd, 0, 0);
    this.stats.flushOps += 1;
    return atNs;
  }

  /**
   * Zero the range. Node cannot punch holes (no fallocate), so a range reaching the end of the
   * image is cut off and re-extended (a real hole) and other ranges get zeros written only where
   * the image is not already zero.
   */
  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "discard" });
    const fd = this.#writable(offsetBytes, lengthBytes, "discard");
    const endBytes = offsetBytes + lengthBytes;
    const fileBytes = this.#fileSize(fd, offsetBytes, lengthBytes);
    if (lengthBytes > 0 && endBytes >= fileBytes && !this.#blockDevice) {
      try {
        fs.ftruncateSync(fd, offsetBytes);
        fs.ftruncateSync(fd, this.sizeBytes);
      } catch (error) {
        throw fsFailure(
          this.name,
          { offsetBytes, lengthBytes },
          "cannot truncate the image to discard",
          error,
        );
      }
    } else {
      const chunk = new Uint8Array(Math.min(DISCARD_CHUNK_BYTES, lengthBytes));
      for (let at = offsetBytes; at < endBytes; at += chunk.length) {
        const view = chunk.subarray(0, Math.min(chunk.length, endBytes - at));
        this.#readInto(fd, at, view);
        const zero = zeros().subarray(0, view.length);
        if (Buffer.compare(view, zero) !== 0) this.#writeFrom(fd, at, zero);
      }
    }
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return atNs;
  }

  /** Close the file. Later requests fail with ENXIO; closing twice is harmless. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      fs.closeSync(fd);
    } catch (error) {
      throw fsFailure(this.name, { offsetBytes: 0, lengthBytes: 0 }, `cannot close ${this.path}`, error);
    }
  }

  #open(offsetBytes: number, lengthBytes: number): number {
    if (this.#fd === undefined) {
      throw new BlockDeviceError(
        "ENXIO",
        this.name,
        offsetBytes,
        lengthBytes,
        `device is closed; open ${this.path} again before using it`,
      );
    }
    return this.#fd;
  }

  #writable(offsetBytes: number, lengthBytes: number, kind: string): number {
    const fd = this.#open(offsetBytes, lengthBytes);
    if (this.readOnly) {
      throw new BlockDeviceError(
        "EINVAL",
        this.name,
        offsetBytes,
        lengthBytes,
        `${kind} refused: ${this.path} was opened read-only; open it without readOnly to modify it`,
      );
    }
    return fd;
  }

  #readInto(fd: number, offsetBytes: number, dst: Uint8Array): void {
    let done = 0;
    try {
      while (done < dst.length) {
        const n = fs.readSync(fd, dst, done, dst.length - done, offsetBytes + done);
        if (n === 0) {
          // The file is shorter than the device (e.g. truncated behind our back): zeros, like a hole.
          dst.fill(0, done);
          return;
        }
        done += n;
      }
    } catch (error) {
      throw fsFailure(
        this.name,
        { offsetBytes, lengthBytes: dst.length },
        `read of ${this.path} failed`,
        error,
      );
    }
  }

  #writeFrom(fd: number, offsetBytes: number, data: Uint8Array): void {
    let done = 0;
    try {
      while (done < data.length) {
        const n = fs.writeSync(fd, data, done, data.length - done, offsetBytes + done);
        if (n <= 0) {
          throw new BlockDeviceError(
            "EIO",
            this.name,
            offsetBytes,
            data.length,
            `write to ${this.path} made no progress after ${done} bytes; check the file system`,
          );
        }
        done += n;
      }
    } catch (error) {
      throw fsFailure(
        this.name,
        { offsetBytes, lengthBytes: data.length },
        `write to ${this.path} failed`,
        error,
      );
    }
  }

  #sync(fd: number, offsetBytes: number, lengthBytes: number): void {
    try {
      fs.fsyncSync(fd);
    } catch (error) {
      throw fsFailure(this.name, { offsetBytes, lengthBytes }, `fsync of ${this.path} failed`, error);
    }
  }

  #fileSize(fd: number, offsetBytes: number, lengthBytes: number): number {
    try {
      const stat = fs.fstatSync(fd);
      return this.#blockDevice ? this.sizeBytes : stat.size;
    } catch (error) {
      throw fsFailure(this.name, { offsetBytes, lengthBytes }, `cannot stat ${this.path}`, error);
    }
  }
}
