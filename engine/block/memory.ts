/**
 * A sparse in-memory block device: only written 4 KiB pages are held, so a 1 TiB PV costs memory
 * only for what a scenario wrote. Clones share pages copy-on-write, which makes "snapshot the
 * persisted layer, try a crash state, throw it away" cheap.
 */

import type { MutationInfo, Mutations } from "../sim/mutations.js";
import { NO_MUTATIONS } from "../sim/mutations.js";
import type { BlockDevice, IoOptions, IoStats, WriteOptions } from "./device.js";
import { emptyIoStats } from "./device.js";
import { BlockDeviceError } from "./errors.js";
import { PagePool } from "./page-pool.js";
import {
  assertPage,
  isPageAligned,
  type PageOp,
  type PageSharingDevice,
  type PagesRead,
  ZERO_PAGE,
} from "./page-share.js";
import { PageTable } from "./page-table.js";
import { issueTimeNs, validateDeviceSize, validateRequest } from "./validate.js";

/** Page size of the sparse store; the unit of memory a write costs. */
export const PAGE_BYTES = 4096;

/** Mutation: discard frees every page it touches, even partially covered ones, losing live data. */
export const MUTATION_DISCARD_FREES_PARTIAL_PAGES = "block.memory.discard-frees-partial-pages";

/** Catalogue entry for {@link MUTATION_DISCARD_FREES_PARTIAL_PAGES}. */
export const DISCARD_FREES_PARTIAL_PAGES: MutationInfo = {
  name: MUTATION_DISCARD_FREES_PARTIAL_PAGES,
  description: "MemoryDevice.discard drops partially covered pages, zeroing sectors outside the range",
};

/** Options for a {@link MemoryDevice}. */
export interface MemoryDeviceOptions {
  /** Refuse (ENOSPC) writes that would make the device hold more than this many bytes of pages. */
  readonly maxResidentBytes?: number;
  /** Deliberate bugs to build in; empty in normal runs. */
  readonly mutations?: Mutations;
}

/** One written page as seen by {@link MemoryDevice.writtenPages}; `bytes` must not be modified. */
export interface WrittenPage {
  readonly offsetBytes: number;
  readonly bytes: Uint8Array;
}

/** A sparse, byte-addressed block device held in memory. */
export class MemoryDevice implements BlockDevice, PageSharingDevice {
  readonly name: string;
  readonly sizeBytes: number;
  readonly stats: IoStats = emptyIoStats();
  // Written pages; a page flagged shared may also be referenced elsewhere (a clone, a lender, a
  // copy that took it), so it is copied before the first write here and never recycled.
  readonly #pages = new PageTable();
  readonly #pool = new PagePool();
  readonly #maxResidentBytes: number;
  readonly #mutations: Mutations;
  // Writes and discards so far; a borrower checks that its lender has not changed (see borrowContentsOf).
  #changes = 0;
  #lender: { readonly device: MemoryDevice; readonly changes: number } | undefined;
  // This device's own change count when it borrowed (see `loan`).
  #changesAtLoan = 0;
  #released = false;

  constructor(name: string, sizeBytes: number, options: MemoryDeviceOptions = {}) {
    validateDeviceSize(name, sizeBytes);
    const maxResidentBytes = options.maxResidentBytes ?? Number.POSITIVE_INFINITY;
    if (!(maxResidentBytes >= 0)) {
      throw new BlockDeviceError(
        "EINVAL",
        name,
        0,
        0,
        `maxResidentBytes ${maxResidentBytes} is not a non-negative number; give a byte budget`,
      );
    }
    this.name = name;
    this.sizeBytes = sizeBytes;
    this.#maxResidentBytes = maxResidentBytes;
    this.#mutations = options.mutations ?? NO_MUTATIONS;
  }

  /**
   * Memory this device holds: its written pages (pages shared with clones count in each) plus
   * page slots it keeps for reuse. Stays within about twice {@link mappedBytes} plus 64 KiB.
   */
  get residentBytes(): number {
    return this.#pages.size * PAGE_BYTES + this.#pool.spareBytes;
  }

  /** Bytes of pages that hold written data: what the device stores, whatever it costs. */
  get mappedBytes(): number {
    return this.#pages.size * PAGE_BYTES;
  }

  /** Fill `dst` from the device; unwritten pages read as zeros. */
  read(offsetBytes: number, dst: Uint8Array, options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#lender !== undefined || this.#released) this.#checkLender();
    validateRequest(this, { offsetBytes, lengthBytes: dst.length }, { kind: "read" });
    const pages = this.#pages;
    let done = 0;
    const total = dst.length;
    while (done < total) {
      const at = offsetBytes + done;
      const pageIndex = Math.floor(at / PAGE_BYTES);
      const inPage = at - pageIndex * PAGE_BYTES;
      const chunk = Math.min(PAGE_BYTES - inPage, total - done);
      const page = pages.get(pageIndex);
      if (page === undefined) dst.fill(0, done, done + chunk);
      else if (chunk === PAGE_BYTES) dst.set(page, done);
      else dst.set(page.subarray(inPage, inPage + chunk), done);
      done += chunk;
    }
    this.stats.readOps += 1;
    this.stats.readBytes += total;
    return atNs;
  }

  /** Write `data`, allocating pages on first touch. */
  write(offsetBytes: number, data: Uint8Array, options: WriteOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#lender !== undefined || this.#released) this.#checkLender();
    this.#changes += 1;
    validateRequest(this, { offsetBytes, lengthBytes: data.length }, { kind: "write" });
    this.#checkBudget(offsetBytes, data.length);
    let done = 0;
    const total = data.length;
    while (done < total) {
      const at = offsetBytes + done;
      const pageIndex = Math.floor(at / PAGE_BYTES);
      const inPage = at - pageIndex * PAGE_BYTES;
      const chunk = Math.min(PAGE_BYTES - inPage, total - done);
      const page = this.#writablePage(pageIndex, chunk === PAGE_BYTES);
      page.set(chunk === total ? data : data.subarray(done, done + chunk), inPage);
      done += chunk;
    }
    this.stats.writeOps += 1;
    this.stats.writeBytes += total;
    return atNs;
  }

  /** Any whole-page range inside the device can be lent or adopted as pages. */
  canSharePages(_op: PageOp, offsetBytes: number, lengthBytes: number): boolean {
    return isPageAligned(offsetBytes, lengthBytes) && offsetBytes + lengthBytes <= this.sizeBytes;
  }

  /**
   * {@link read} of whole pages, lending them instead of copying: each written page becomes shared
   * (this device copies it before its next write there), unwritten ones read as {@link ZERO_PAGE}.
   */
  readPages(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): PagesRead {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#lender !== undefined || this.#released) this.#checkLender();
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "read" });
    this.#assertWholePages(offsetBytes, lengthBytes);
    const first = offsetBytes / PAGE_BYTES;
    const pages: Uint8Array[] = new Array(lengthBytes / PAGE_BYTES);
    for (let i = 0; i < pages.length; i++) {
      const page = this.#pages.get(first + i);
      if (page === undefined) pages[i] = ZERO_PAGE;
      else {
        this.#pages.setShared(first + i, true);
        pages[i] = page;
      }
    }
    this.stats.readOps += 1;
    this.stats.readBytes += lengthBytes;
    return { pages, doneNs: atNs };
  }

  /**
   * {@link write} of whole pages, adopting them instead of copying: they are mapped as shared
   * (copied before this device changes them) and never recycled by it. Pages are never written into.
   */
  writePages(offsetBytes: number, pages: readonly Uint8Array[], options: WriteOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#lender !== undefined || this.#released) this.#checkLender();
    this.#changes += 1;
    const lengthBytes = pages.length * PAGE_BYTES;
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "write" });
    this.#assertWholePages(offsetBytes, lengthBytes);
    this.#checkBudget(offsetBytes, lengthBytes);
    const first = offsetBytes / PAGE_BYTES;
    for (let i = 0; i < pages.length; i++) {
      const pageIndex = first + i;
      const old = this.#pages.get(pageIndex);
      // An own page no one else references goes back to the pool; a shared one to the collector.
      if (old !== undefined && !this.#pages.isShared(pageIndex)) this.#pool.give(old);
      this.#pages.set(pageIndex, assertPage(pages[i]!), true);
    }
    this.stats.writeOps += 1;
    this.stats.writeBytes += lengthBytes;
    return atNs;
  }

  /** Memory is as durable as this device gets; counts the flush and completes at once. */
  flush(options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    this.stats.flushOps += 1;
    return atNs;
  }

  /** Free whole pages in the range and zero the covered part of partial ones. */
  discard(offsetBytes: number, lengthBytes: number, options: IoOptions = {}): number {
    const atNs = issueTimeNs(this.name, options.issueNs);
    if (this.#lender !== undefined || this.#released) this.#checkLender();
    this.#changes += 1;
    validateRequest(this, { offsetBytes, lengthBytes }, { kind: "discard" });
    const endBytes = offsetBytes + lengthBytes;
    const freePartial = this.#mutations.has(MUTATION_DISCARD_FREES_PARTIAL_PAGES);
    const firstPage = Math.floor(offsetBytes / PAGE_BYTES);
    const endPage = Math.ceil(endBytes / PAGE_BYTES);
    // A huge discard over a sparse device walks the map, not every page of the range.
    for (const pageIndex of this.#pages.indexesIn(firstPage, endPage)) {
      this.#discardInPage(pageIndex, offsetBytes, endBytes, freePartial);
    }
    this.stats.discardOps += 1;
    this.stats.discardBytes += lengthBytes;
    return atNs;
  }

  /**
   * A new device with the same name, size, options and contents whose pages are shared
   * copy-on-write; stats start at zero. Costs one map entry per written page, no data copies.
   */
  clone(options: { readonly name?: string } = {}): MemoryDevice {
    const copy = new MemoryDevice(options.name ?? this.name, this.sizeBytes, {
      maxResidentBytes: this.#maxResidentBytes,
      mutations: this.#mutations,
    });
    copy.#pages.shareAllOf(this.#pages);
    this.#pages.shareAll();
    return copy;
  }

  /**
   * Replace this (unwritten) device's contents with `lender`'s, sharing its pages without marking
   * them shared on the lender: this device copies a page before changing it, the lender does not.
   * So the loan costs one map entry per page and nothing later on the lender, but it holds only
   * until the lender is next written or discarded; any use of this device after that throws.
   * Crash-point branching borrows a run's disks for a branch that ends before the run goes on.
   */
  borrowContentsOf(lender: MemoryDevice): void {
    if (this.#pages.size > 0) throw new Error(`MemoryDevice ${this.name} must be empty to borrow contents`);
    if (lender.sizeBytes !== this.sizeBytes) {
      throw new RangeError(
        `MemoryDevice ${this.name} (${this.sizeBytes} bytes) cannot borrow ${lender.name} (${lender.sizeBytes} bytes)`,
      );
    }
    this.#pages.shareAllOf(lender.#pages);
    Object.assign(this.stats, lender.stats);
    this.#lender = { device: lender, changes: lender.#changes };
    this.#changesAtLoan = this.#changes;
  }

  /**
   * While this device holds exactly what it borrowed (nothing written or discarded here since),
   * the lender and the lender's change count at the loan: two borrowers with the same pair hold the
   * same bytes. Crash exploration keys shared recoveries on it.
   */
  get loan(): { readonly device: MemoryDevice; readonly changes: number } | undefined {
    if (this.#lender === undefined || this.#released || this.#changes !== this.#changesAtLoan)
      return undefined;
    return this.#lender;
  }

  /**
   * Drop the device: its own pages (not those it shares with a clone or a lender) go back to the
   * thread's page pools for other devices, and any later request throws. For machines that are
   * thrown away once judged, such as one per explored crash point.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    // A borrower of these pages must notice that they are gone.
    this.#changes += 1;
    const own: Uint8Array[] = [];
    this.#pages.forEach((_pageIndex, page, shared) => {
      if (!shared) own.push(page);
    });
    this.#pages.clear();
    PagePool.recycle(own);
    this.#pool.recycleFree();
  }

  #checkLender(): void {
    if (this.#released) throw new Error(`MemoryDevice ${this.name} was released and took a request`);
    const lender = this.#lender!;
    if (lender.device.#changes !== lender.changes) {
      throw new Error(
        `MemoryDevice ${this.name} borrowed pages of ${lender.device.name}, which has changed since; ` +
          "a borrower must be dropped before its lender is written",
      );
    }
  }

  /** Written pages in ascending offset order (for comparisons and for writing images). */
  *writtenPages(): Generator<WrittenPage> {
    const indexes: number[] = [];
    this.#pages.forEach((pageIndex) => {
      indexes.push(pageIndex);
    });
    for (const pageIndex of indexes) {
      const bytes = this.#pages.get(pageIndex);
      // A page dropped while iterating is skipped, not reported as zeros.
      if (bytes === undefined) continue;
      const offsetBytes = pageIndex * PAGE_BYTES;
      const visibleBytes = Math.min(PAGE_BYTES, this.sizeBytes - offsetBytes);
      yield { offsetBytes, bytes: visibleBytes === PAGE_BYTES ? bytes : bytes.subarray(0, visibleBytes) };
    }
  }

  /** The page to modify, allocated or unshared first; `overwrite` = the caller replaces all of it. */
  #writablePage(pageIndex: number, overwrite: boolean): Uint8Array {
    const page = this.#pages.get(pageIndex);
    if (page === undefined) {
      const fresh = this.#pool.take({ zeroed: !overwrite });
      this.#pages.set(pageIndex, fresh, false);
      return fresh;
    }
    if (this.#pages.sharedSize > 0 && this.#pages.isShared(pageIndex)) {
      const own = this.#pool.take({ zeroed: false });
      if (!overwrite) own.set(page);
      this.#pages.set(pageIndex, own, false);
      return own;
    }
    return page;
  }

  #assertWholePages(offsetBytes: number, lengthBytes: number): void {
    if (!this.canSharePages("read", offsetBytes, lengthBytes)) {
      throw new RangeError(
        `MemoryDevice ${this.name}: page request ${offsetBytes}+${lengthBytes} is not whole ${PAGE_BYTES}-byte pages inside the device`,
      );
    }
  }

  #checkBudget(offsetBytes: number, lengthBytes: number): void {
    if (this.#maxResidentBytes === Number.POSITIVE_INFINITY || lengthBytes === 0) return;
    const firstPage = Math.floor(offsetBytes / PAGE_BYTES);
    const endPage = Math.ceil((offsetBytes + lengthBytes) / PAGE_BYTES);
    let newPages = 0;
    for (let pageIndex = firstPage; pageIndex < endPage; pageIndex++) {
      if (!this.#pages.has(pageIndex)) newPages += 1;
    }
    const neededBytes = (this.#pages.size + newPages) * PAGE_BYTES;
    if (neededBytes > this.#maxResidentBytes) {
      throw new BlockDeviceError(
        "ENOSPC",
        this.name,
        offsetBytes,
        lengthBytes,
        `write needs ${newPages} new pages, raising memory to ${neededBytes} bytes over the ` +
          `maxResidentBytes budget of ${this.#maxResidentBytes}; discard data or raise the budget`,
      );
    }
  }

  #discardInPage(pageIndex: number, startBytes: number, endBytes: number, freePartial: boolean): void {
    const pageStart = pageIndex * PAGE_BYTES;
    const visibleBytes = Math.min(PAGE_BYTES, this.sizeBytes - pageStart);
    const from = Math.max(startBytes, pageStart) - pageStart;
    const to = Math.min(endBytes, pageStart + visibleBytes) - pageStart;
    if ((from === 0 && to === visibleBytes) || freePartial) {
      const page = this.#pages.get(pageIndex);
      // A page a clone may still read is left to the garbage collector, never reused here.
      if (this.#pages.delete(pageIndex) === false && page !== undefined) this.#pool.give(page);
      return;
    }
    this.#writablePage(pageIndex, false).fill(0, from, to);
  }
}
