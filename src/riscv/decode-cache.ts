/**
 * Pre-decoded instructions, one array per RAM page that code runs from: entry k holds the instruction at byte
 * offset 2k of the page, compressed ones already expanded, so the interpreter's fetch is one load.
 *
 * Encoding of an entry: 0 = not decoded yet; otherwise a 32-bit instruction word whose bit 0 says its length:
 * set for a 4-byte instruction (its own encoding ends in 0b11), clear for an expanded compressed one (stored with
 * its bit 0 cleared; the interpreter ORs 0b11 back).
 *
 * Correctness rests on every write to a code page reaching `written`: the CPU never caches a code page in its
 * store TLB (so guest stores there take the slow path), and devices writing guest RAM call `written` too. A
 * written page stops being a code page (its array is emptied), so pages recycled as data get fast stores back.
 */
import { compressedTable } from './compressed.js';
import type { Tlb } from './tlb.js';

const EMPTY_PAGE = new Int32Array(2048);

export class DecodeCache {
  private readonly pages: (Int32Array | undefined)[];
  /**
   * The TLBs of the harts running code from this cache (each Hart adds its own): a RAM page becoming a code page
   * leaves their store TLBs. (Method calls on the TLBs, not a callback each owner sets: V8's optimized
   * interpreter, which inlines this, then calls the same function in the warm-up and in a machine.)
   */
  private readonly tlbs: Tlb[] = [];
  /** Called when a code page is dropped (written), or with -1 when all are (clear): translated code goes too. */
  onCodeDropped: (ramPage: number) => void = () => {};

  /** RAM pages made code pages since the last clear (some may have been dropped since): what clear() visits. */
  private codePages: number[] = [];

  constructor(ramBytes: number) {
    this.pages = new Array<Int32Array | undefined>(Math.ceil(ramBytes / 4096)).fill(undefined);
  }

  /** Adds a hart's TLB to those a new code page leaves (see tlbs). */
  addTlb(tlb: Tlb): void {
    this.tlbs.push(tlb);
  }

  /** Whether RAM page `ramPage` (RAM offset / 4096) holds decoded code. */
  isCode(ramPage: number): boolean {
    return this.pages[ramPage] !== undefined;
  }

  /** The decoded array of RAM page `ramPage`, making it a code page if it is not one yet. */
  page(ramPage: number): Int32Array {
    let p = this.pages[ramPage];
    if (p === undefined) {
      if (!(ramPage >= 0 && ramPage < this.pages.length)) return EMPTY_PAGE;
      p = new Int32Array(2048);
      this.pages[ramPage] = p;
      this.codePages.push(ramPage);
      // Pages dropped and made code again are listed again: rebuild the list now and then so it stays bounded.
      if (this.codePages.length > this.pages.length) {
        this.codePages = [];
        for (let pg = 0; pg < this.pages.length; pg++) if (this.pages[pg] !== undefined) this.codePages.push(pg);
      }
      for (const tlb of this.tlbs) tlb.dropStorePage(ramPage * 4096);
    }
    return p;
  }

  /** RAM bytes [offset, offset + length) were written: forget the code pages they touch. */
  written(offset: number, length: number): void {
    if (length <= 0) return;
    const last = (offset + length - 1) >>> 12;
    for (let pg = offset >>> 12; pg <= last; pg++) {
      const p = this.pages[pg];
      if (p !== undefined) {
        p.fill(0);
        this.pages[pg] = undefined;
        this.onCodeDropped(pg);
      }
    }
  }

  /** Drops everything (FENCE.I needs nothing more: writes already invalidate). */
  clear(): void {
    // Only pages that became code need visiting (a machine's first reset, or a restore, finds none).
    for (const pg of this.codePages) {
      const p = this.pages[pg];
      if (p !== undefined) p.fill(0);
      this.pages[pg] = undefined;
    }
    this.codePages = [];
    this.onCodeDropped(-1);
  }
}

/**
 * Decodes the parcel(s) at 16-bit index `p` of RAM into entry `k` of `dec` and returns the entry, or 0 for an
 * illegal compressed encoding (never cached). The caller guarantees a 4-byte instruction stays in the page.
 */
export function decodeInto(dec: Int32Array, k: number, u16: Uint16Array, p: number): number {
  const lo = u16[p]!;
  let v: number;
  if ((lo & 3) === 3) v = lo | (u16[p + 1]! << 16);
  else {
    const e = compressedTable()[lo]!;
    if (e === 0) return 0;
    v = e & ~1;
  }
  dec[k] = v;
  return v;
}
