import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { BlockDevice } from "../engine/block/device.js";
import { MemoryDevice } from "../engine/block/memory.js";
import type { Machine } from "./machine.js";

const CHUNK_BYTES = 1 << 20;

/**
 * Writes every PV's persisted media as a sparse image file into `dir` (`pv0.img`, …), so real LVM2
 * tools (`pvs`, `pvck`, `vgcfgbackup` on loop devices) can be pointed at the state a case left.
 */
export function keepImages(machine: Machine, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return machine.pvs.map((pv) => {
    const path = join(dir, `${pv.name.replaceAll("/", "_")}.img`);
    writeImage(pv.media, path);
    return path;
  });
}

function writeImage(media: BlockDevice, path: string): void {
  const fd = openSync(path, "w");
  try {
    ftruncateSync(fd, media.sizeBytes);
    if (media instanceof MemoryDevice) {
      for (const page of media.writtenPages())
        writeSync(fd, page.bytes, 0, page.bytes.byteLength, page.offsetBytes);
      return;
    }
    const buffer = new Uint8Array(CHUNK_BYTES);
    for (let offset = 0; offset < media.sizeBytes; offset += CHUNK_BYTES) {
      const view = buffer.subarray(0, Math.min(CHUNK_BYTES, media.sizeBytes - offset));
      media.read(offset, view);
      if (view.some((b) => b !== 0)) writeSync(fd, view, 0, view.byteLength, offset);
    }
  } finally {
    closeSync(fd);
  }
}
