/**
 * The inline TLB lookup that translated blocks (compile.ts) and the WebAssembly interpreter (interp-wasm.ts)
 * emit: a set's entry for an address, its i64 tag (low 12 bits clear, so one compare with the address masked
 * checks the page, and the alignment too when the mask keeps the low bits), then its RAM offset. Blocks check
 * only the first way (tlb.ts): checking the second inline made a tight loop 9% slower. The WebAssembly
 * interpreter, which does the accesses blocks leave before, checks the second way on a miss and swaps the ways on
 * a hit there (emitTlbWays).
 */
import { I32, type Code } from './wasm-code.js';
import { TLB_SET_OFFS, TLB_SET_TAGS64, TLB_SET_WAY2 } from './layout.js';
import { TLB_MASK } from '../tlb.js';

/**
 * Sets i32 local `idx` to the TLB entry of the address in i64 local `va` and pushes that entry's i64 tag in the
 * set whose address `pushSet` pushes.
 */
export function emitTlbTag(c: Code, va: number, idx: number, pushSet: () => void): void {
  c.get(va).op('i32.wrap_i64').i32(12).op('i32.shr_u').i32(TLB_MASK).op('i32.and').set(idx);
  c.get(idx).i32(3).op('i32.shl');
  pushSet();
  c.op('i32.add').mem('i64.load', TLB_SET_TAGS64);
}

/** Pushes the RAM offset of entry `idx` (an i32 local) in the set whose address `pushSet` pushes. */
export function emitTlbOffset(c: Code, idx: number, pushSet: () => void): void {
  c.get(idx).i32(2).op('i32.shl');
  pushSet();
  c.op('i32.add').mem('i32.load', TLB_SET_OFFS);
}

/** Temporaries emitTlbWays may use: an i32, an i64 and an f64 local, none of them live across it. */
export interface SwapLocals {
  readonly i32: number;
  readonly i64: number;
  readonly f64: number;
}

/**
 * Pushes the RAM offset (i32) of the page of the address in i64 local `va` from whichever way of the set whose
 * address `pushSet` pushes holds it, `masked` pushing the address as the tags are compared with (the page, and
 * low bits that make a misaligned access miss); sets `idx` to its entry. A hit in the second way swaps the two
 * ways' entries (both tag forms and the offset, as tlb.ts lookupWay2 does), so that a block that missed it finds
 * it next time: a page another evicted once must not make every later access to it leave its block. When neither
 * way holds it, runs `miss`, which must branch away.
 */
export function emitTlbWays(c: Code, va: number, idx: number, pushSet: () => void, masked: () => void, miss: () => void, tmp: SwapLocals): void {
  emitTlbTag(c, va, idx, pushSet);
  masked();
  c.op('i64.ne');
  c.ifValue(
    I32,
    () => {
      // The second way: the page that last took this entry's place.
      const at8 = (): void => {
        c.get(idx).i32(3).op('i32.shl');
        pushSet();
        c.op('i32.add');
      };
      const at4 = (): void => {
        c.get(idx).i32(2).op('i32.shl');
        pushSet();
        c.op('i32.add');
      };
      at8();
      c.mem('i64.load', TLB_SET_WAY2 + TLB_SET_TAGS64).tee(tmp.i64);
      masked();
      c.op('i64.ne').if(miss);
      // Swapped: the i64 tags (the second way's is in tmp.i64), the f64 tags, the offsets; the offset found is
      // pushed last.
      at8();
      at8();
      c.mem('i64.load', TLB_SET_TAGS64).mem('i64.store', TLB_SET_WAY2 + TLB_SET_TAGS64);
      at8();
      c.get(tmp.i64).mem('i64.store', TLB_SET_TAGS64);
      at8();
      c.mem('f64.load', TLB_SET_WAY2).set(tmp.f64);
      at8();
      at8();
      c.mem('f64.load', 0).mem('f64.store', TLB_SET_WAY2);
      at8();
      c.get(tmp.f64).mem('f64.store', 0);
      at4();
      c.mem('i32.load', TLB_SET_WAY2 + TLB_SET_OFFS).set(tmp.i32);
      at4();
      at4();
      c.mem('i32.load', TLB_SET_OFFS).mem('i32.store', TLB_SET_WAY2 + TLB_SET_OFFS);
      at4();
      c.get(tmp.i32).mem('i32.store', TLB_SET_OFFS);
      c.get(tmp.i32);
    },
    () => emitTlbOffset(c, idx, pushSet),
  );
}
