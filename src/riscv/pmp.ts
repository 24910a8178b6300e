/**
 * Physical memory protection (privileged spec 3.7): 16 entries, grain 4 bytes, configured by pmpcfg0/pmpcfg2
 * and pmpaddr0..15. Matching is precomputed into address ranges whenever the CSRs change.
 */
import { ACCESS_FETCH, ACCESS_LOAD } from './tlb.js';

export const PMP_ENTRIES = 16;
const R = 1;
const W = 2;
const X = 4;
const A_SHIFT = 3;
const L = 0x80;
const TOR = 1;
const NA4 = 2;
const NAPOT = 3;

/** Result of checking a whole page. */
export const PMP_ALLOW = 0;
export const PMP_DENY = 1;
/** Some entry covers only part of the page: check each access, do not cache the page. */
export const PMP_PARTIAL = 2;

export class Pmp {
  /** Configuration byte of each entry. */
  readonly cfg = new Uint8Array(PMP_ENTRIES);
  /** pmpaddr registers (bits 55:2 of the address, 54 bits) as exact (lo, hi) halves. */
  readonly addrLo = new Int32Array(PMP_ENTRIES);
  readonly addrHi = new Int32Array(PMP_ENTRIES);
  private readonly start = new Float64Array(PMP_ENTRIES);
  private readonly end = new Float64Array(PMP_ENTRIES);
  private active = 0;

  reset(): void {
    this.cfg.fill(0);
    this.addrLo.fill(0);
    this.addrHi.fill(0);
    this.recompute();
  }

  /** Reads pmpcfg0 (index 0) or pmpcfg2 (index 2) as a (lo, hi) pair into out. */
  readCfg(index: number, out: Int32Array): void {
    const b = index * 4;
    const c = this.cfg;
    out[0] = c[b]! | (c[b + 1]! << 8) | (c[b + 2]! << 16) | (c[b + 3]! << 24);
    out[1] = c[b + 4]! | (c[b + 5]! << 8) | (c[b + 6]! << 16) | (c[b + 7]! << 24);
  }

  writeCfg(index: number, lo: number, hi: number): void {
    const b = index * 4;
    for (let i = 0; i < 8; i++) {
      if ((this.cfg[b + i]! & L) !== 0) continue;
      let v = (i < 4 ? lo >>> (i * 8) : hi >>> ((i - 4) * 8)) & 0xff;
      // W without R is reserved: keep the entry's old value (WARL).
      if ((v & (R | W)) === W) v = this.cfg[b + i]!;
      this.cfg[b + i] = v & (L | (3 << A_SHIFT) | X | W | R);
    }
    this.recompute();
  }

  writeAddr(i: number, lo: number, hi: number): void {
    if ((this.cfg[i]! & L) !== 0) return;
    const next = this.cfg[i + 1];
    if (next !== undefined && (next & L) !== 0 && ((next >> A_SHIFT) & 3) === TOR) return;
    this.addrLo[i] = lo;
    this.addrHi[i] = hi & 0x3fffff;
    this.recompute();
  }

  /** pmpaddr i as a number: byte address / 4 (rounded above 2^53, where no memory is). */
  private addrOf(i: number): number {
    return this.addrHi[i]! * 4294967296 + (this.addrLo[i]! >>> 0);
  }

  private recompute(): void {
    let active = 0;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const a = (this.cfg[i]! >> A_SHIFT) & 3;
      const addr = this.addrOf(i);
      let s = 0;
      let e = 0;
      if (a === TOR) {
        s = i === 0 ? 0 : this.addrOf(i - 1) * 4;
        e = addr * 4;
      } else if (a === NA4) {
        s = addr * 4;
        e = s + 4;
      } else if (a === NAPOT) {
        // Trailing ones of the 54-bit value give the size; clearing them gives the base.
        const lo = this.addrLo[i]!;
        const hi = this.addrHi[i]!;
        const ones = lo === -1 ? 32 + Math.min(22, 31 - Math.clz32(~hi & (hi + 1))) : 31 - Math.clz32(~lo & (lo + 1));
        const baseLo = ones >= 32 ? 0 : lo & ~((2 ** ones - 1) | 0);
        const baseHi = ones >= 32 ? hi & ~((2 ** (ones - 32) - 1) | 0) : hi;
        s = (baseHi * 4294967296 + (baseLo >>> 0)) * 4;
        e = s + 2 ** (ones + 3);
      }
      if (a !== 0) active++;
      this.start[i] = s;
      this.end[i] = a === 0 ? 0 : e;
    }
    this.active = active;
  }

  /** Whether an access of `size` bytes at `pa` by privilege `priv` of kind `kind` is allowed. */
  check(pa: number, size: number, priv: number, kind: number): boolean {
    return this.decide(pa, pa + size, priv, kind) === PMP_ALLOW;
  }

  /** Checks the whole 4 KiB page at `page`: allow, deny, or partial (mixed rules). */
  checkPage(page: number, priv: number, kind: number): number {
    return this.decide(page, page + 4096, priv, kind);
  }

  private decide(s: number, e: number, priv: number, kind: number): number {
    if (this.active === 0) return PMP_ALLOW;
    for (let i = 0; i < PMP_ENTRIES; i++) {
      const rs = this.start[i]!;
      const re = this.end[i]!;
      if (re <= rs || e <= rs || s >= re) continue;
      if (s < rs || e > re) return PMP_PARTIAL;
      const c = this.cfg[i]!;
      if (priv === 3 && (c & L) === 0) return PMP_ALLOW;
      const need = kind === ACCESS_FETCH ? X : kind === ACCESS_LOAD ? R : W;
      return (c & need) !== 0 ? PMP_ALLOW : PMP_DENY;
    }
    return priv === 3 ? PMP_ALLOW : PMP_DENY;
  }
}
