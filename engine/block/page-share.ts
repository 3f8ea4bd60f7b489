/**
 * Region copies without copying bytes. kcopyd-style copies (pvmove, mirror resync) read a region
 * from one device and write it to another; when every layer on both sides can, the region travels
 * as references to 4 KiB pages instead: the source's memory device lends its pages (marking them
 * copy-on-write), the volatile cache logs the references, and the destination's memory device
 * adopts them when the log is written back. Every layer keeps its own bookkeeping exactly as for
 * `read`/`write` (stats, timing, write taps, trace events, the log), so only host CPU changes.
 *
 * Pages handed over are immutable: no holder may ever write into one. A device that stores a page
 * it was given copies it before changing it; a consumer that needs contiguous bytes copies them
 * out ({@link concatPages}).
 */
import type { BlockDevice, IoOptions, WriteOptions } from "./device.js";

// Size of a shared page, the same as a memory device's page.
const SHARED_PAGE_BYTES = 4096;

/**
 * The page every unwritten page of a memory device reads as. Never written: a device that maps it
 * treats it as shared (copy-on-write) like any page it was given.
 */
export const ZERO_PAGE: Uint8Array = new Uint8Array(SHARED_PAGE_BYTES);

/** What a page read returns: the range as immutable pages, in order, and the completion time. */
export interface PagesRead {
  readonly pages: readonly Uint8Array[];
  readonly doneNs: number;
}

/** A request a device may serve by handing pages over: a `read` or a `write`. */
export type PageOp = "read" | "write";

/** The optional part of the BlockDevice contract through which pages are handed over. */
export interface PageSharingDevice extends BlockDevice {
  /**
   * True when `readPages`/`writePages` of this range would reach the memory holding the data
   * without copying it (every layer below can pass pages and none would change the bytes). A
   * caller that gets false uses `read`/`write`; the answer holds until the next request.
   */
  canSharePages(op: PageOp, offsetBytes: number, lengthBytes: number): boolean;
  /** `read` of a page-aligned range, returning its bytes as pages no one may write into. */
  readPages(offsetBytes: number, lengthBytes: number, options?: IoOptions): PagesRead;
  /** `write` of page-aligned data given as pages; the device may keep references to them. */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options?: WriteOptions): number;
}

/** True when `device` implements the page-sharing methods. */
export function isPageSharing(device: BlockDevice): device is PageSharingDevice {
  return typeof (device as Partial<PageSharingDevice>).canSharePages === "function";
}

/** True when a range is whole pages, the only shape pages can carry. */
export function isPageAligned(offsetBytes: number, lengthBytes: number): boolean {
  return lengthBytes > 0 && offsetBytes % SHARED_PAGE_BYTES === 0 && lengthBytes % SHARED_PAGE_BYTES === 0;
}

/** True when `device` can serve `op` on the range by handing pages over (see canSharePages). */
export function canSharePages(
  device: BlockDevice,
  op: PageOp,
  offsetBytes: number,
  lengthBytes: number,
): boolean {
  return (
    isPageAligned(offsetBytes, lengthBytes) &&
    isPageSharing(device) &&
    device.canSharePages(op, offsetBytes, lengthBytes)
  );
}

/** Bytes the pages hold together. */
export function pagesLengthBytes(pages: readonly Uint8Array[]): number {
  let total = 0;
  for (const page of pages) total += page.length;
  return total;
}

/** The pages' bytes in one new contiguous buffer. */
export function concatPages(pages: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pages.length * SHARED_PAGE_BYTES);
  for (let i = 0; i < pages.length; i++) out.set(assertPage(pages[i]!), i * SHARED_PAGE_BYTES);
  return out;
}

/** Copy `lengthBytes` of the pages' bytes starting at `fromBytes` into `dst` at `dstAt`. */
export function copyFromPages(
  pages: readonly Uint8Array[],
  fromBytes: number,
  lengthBytes: number,
  dst: Uint8Array,
  dstAt: number,
): void {
  let done = 0;
  while (done < lengthBytes) {
    const at = fromBytes + done;
    const index = Math.floor(at / SHARED_PAGE_BYTES);
    const inPage = at - index * SHARED_PAGE_BYTES;
    const chunk = Math.min(SHARED_PAGE_BYTES - inPage, lengthBytes - done);
    const page = pages[index];
    if (page === undefined) {
      throw new RangeError(`copyFromPages: byte ${at} is past the ${pages.length} pages given`);
    }
    dst.set(page.subarray(inPage, inPage + chunk), dstAt + done);
    done += chunk;
  }
}

/** Read the range as pages: handed over when `device` can, else read into a new buffer and split. */
export function readPagesFrom(
  device: BlockDevice,
  offsetBytes: number,
  lengthBytes: number,
  options: IoOptions = {},
): PagesRead {
  if (canSharePages(device, "read", offsetBytes, lengthBytes)) {
    return (device as PageSharingDevice).readPages(offsetBytes, lengthBytes, options);
  }
  if (!isPageAligned(offsetBytes, lengthBytes)) {
    throw new RangeError(
      `readPagesFrom ${device.name}: range ${offsetBytes}+${lengthBytes} is not whole ${SHARED_PAGE_BYTES}-byte pages`,
    );
  }
  const buffer = new Uint8Array(lengthBytes);
  const doneNs = device.read(offsetBytes, buffer, options);
  const pages: Uint8Array[] = [];
  for (let at = 0; at < lengthBytes; at += SHARED_PAGE_BYTES)
    pages.push(buffer.subarray(at, at + SHARED_PAGE_BYTES));
  return { pages, doneNs };
}

/** Write pages: handed over when `device` can, else copied out into one contiguous write. */
export function writePagesTo(
  device: BlockDevice,
  offsetBytes: number,
  pages: readonly Uint8Array[],
  options: WriteOptions = {},
): number {
  if (canSharePages(device, "write", offsetBytes, pages.length * SHARED_PAGE_BYTES)) {
    return (device as PageSharingDevice).writePages(offsetBytes, pages, options);
  }
  return device.write(offsetBytes, concatPages(pages), options);
}

/** Throws unless `page` is exactly one page long (an invariant every holder relies on). */
export function assertPage(page: Uint8Array): Uint8Array {
  if (page.length !== SHARED_PAGE_BYTES) {
    throw new RangeError(`A shared page is ${SHARED_PAGE_BYTES} bytes; got ${page.length}`);
  }
  return page;
}
