/**
 * Lazy restore of guest RAM: the guest starts running before its RAM is read. Every page listed in the RAM file
 * starts out pending; a pending page is read (and checked against its checksum) the first time anything
 * touches it — the MMU when it fills a TLB entry or walks a page table, the bus, device DMA — and a background
 * task reads the rest in large chunks while the guest runs, so the file can be closed soon after.
 *
 * Background reads land in a staging buffer, never in guest RAM directly: a page the guest has meanwhile loaded
 * on demand (and perhaps written) is left alone.
 */
import * as fs from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PendingPages } from '../memory/ram.js';
import { readFully } from '../lib/read-fully.js';
import { checkPage, fileSource, PAGE_SIZE, type RamFileIndex, type RamSource } from './ram-file.js';

/** The part of GuestRam the loader needs. */
export interface LazyTarget {
  readonly u8: Uint8Array;
  pending: PendingPages | null;
}

export interface LazyRamStats {
  readonly pages: number;
  readonly onDemand: number;
  readonly inBackground: number;
  readonly remaining: number;
}

/** Pages read per background step (1 MiB). */
const CHUNK_PAGES = 256;

export class LazyRamLoader implements PendingPages {
  private readonly src: RamSource;
  /** For each RAM page: the record holding it while it is still pending, else -1. */
  private readonly recordOf: Int32Array;
  private remaining: number;
  private onDemand = 0;
  private inBackground = 0;
  private readonly scratch = new Uint8Array(PAGE_SIZE);
  private fd: number;
  private failure: Error | undefined;
  private background: Promise<void> | undefined;
  /** A background read is in flight: the descriptor must stay open (and unreused) until it completes. */
  private reading = false;
  private closeWhenRead = false;

  /**
   * Takes ownership of `fd` (closed once every page is in, or on close()). `target` must be all zero (fresh
   * RAM). Installs itself as `target.pending` when there is anything to load.
   */
  private readonly index: RamFileIndex;
  private readonly target: LazyTarget;

  constructor(fd: number, fileSize: number, index: RamFileIndex, target: LazyTarget) {
    this.index = index;
    this.target = target;
    this.fd = fd;
    this.src = fileSource(fd, fileSize);
    if (target.u8.length !== index.size) throw new RangeError(`RAM of ${target.u8.length} bytes, RAM file of ${index.size}`);
    this.recordOf = new Int32Array(index.size / PAGE_SIZE).fill(-1);
    for (let k = 0; k < index.pages.length; k++) this.recordOf[index.pages[k]!] = k;
    this.remaining = index.pages.length;
    // Pages not in the file are zero: the target must be all zero already (fresh guest RAM is). Zeroing it
    // here would touch every page of a RAM that may be gigabytes, which is what a lazy restore avoids.
    if (this.remaining > 0) target.pending = this;
    else this.finish();
  }

  stats(): LazyRamStats {
    return { pages: this.index.pages.length, onDemand: this.onDemand, inBackground: this.inBackground, remaining: this.remaining };
  }

  /** Loads every pending page of [offset, offset + length) now. Throws SnapshotError on a bad page. */
  ensure(offset: number, length: number): void {
    if (this.failure !== undefined) throw this.failure;
    const last = Math.min(this.recordOf.length - 1, Math.floor((offset + Math.max(length, 1) - 1) / PAGE_SIZE));
    for (let p = Math.max(0, Math.floor(offset / PAGE_SIZE)); p <= last; p++) {
      const k = this.recordOf[p]!;
      if (k < 0) continue;
      try {
        this.src.read(this.scratch, this.index.dataOffset + k * PAGE_SIZE);
        this.install(k, this.scratch);
      } catch (e) {
        this.fail(e as Error);
        throw e;
      }
      this.onDemand++;
    }
  }

  /** Loads everything still pending, synchronously (before a snapshot of a lazily restored VM, for example). */
  ensureAll(): void {
    this.ensure(0, this.target.u8.length);
  }

  /**
   * Reads the remaining pages in the background, a chunk per event-loop turn. Resolves when all are in;
   * rejects (and later guest accesses throw) when the file turns out bad.
   */
  fillInBackground(): Promise<void> {
    this.background ??= this.runBackground();
    return this.background;
  }

  /** Stops loading and closes the file (the VM is going away). */
  close(): void {
    if (this.target.pending === this) this.target.pending = null;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    if (this.reading) {
      this.closeWhenRead = true;
      return;
    }
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private async runBackground(): Promise<void> {
    const buf = new Uint8Array(CHUNK_PAGES * PAGE_SIZE);
    const count = this.index.pages.length;
    let k = 0;
    while (this.remaining > 0 && this.fd >= 0 && !this.closeWhenRead) {
      if (this.failure !== undefined) throw this.failure;
      while (k < count && this.recordOf[this.index.pages[k]!]! < 0) k++;
      if (k >= count) break;
      const n = Math.min(CHUNK_PAGES, count - k);
      const view = buf.subarray(0, n * PAGE_SIZE);
      this.reading = true;
      try {
        await readFully(this.fd, view, this.index.dataOffset + k * PAGE_SIZE, endOfFile);
      } finally {
        this.reading = false;
        if (this.closeWhenRead) {
          this.closeWhenRead = false;
          this.closeFd();
        }
      }
      if (this.fd < 0) return;
      try {
        for (let j = 0; j < n; j++) {
          if (this.recordOf[this.index.pages[k + j]!]! < 0) continue;
          this.install(k + j, view.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE));
          this.inBackground++;
        }
      } catch (e) {
        this.fail(e as Error);
        throw e;
      }
      k += n;
      await nextTurn();
    }
  }

  private install(k: number, page: Uint8Array): void {
    checkPage(this.index, k, page);
    const p = this.index.pages[k]!;
    this.target.u8.set(page, p * PAGE_SIZE);
    this.recordOf[p] = -1;
    if (--this.remaining === 0) this.finish();
  }

  private finish(): void {
    if (this.target.pending === this) this.target.pending = null;
    this.closeFd();
  }

  private fail(e: Error): void {
    this.failure ??= e;
  }
}

const endOfFile = (at: number): Error => new Error(`RAM file: unexpected end of file at byte ${at}`);
