/**
 * The inline TLB lookup that translated blocks (compile.ts) and the WebAssembly interpreter (interp-wasm.ts)
 * emit: a set's entry for an address, its i64 tag (low 12 bits clear, so one compare with the address masked
 * checks the page, and the alignment too when the mask keeps the low bits), then its RAM offset. Blocks check
 * only the first way (tlb.ts): checking the second inline made a tight loop 9% slower. The WebAssembly
 * interpreter, which does the accesses blocks leave before, checks the second way on a miss (emitTlbWays).
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

/**
 * Pushes the RAM offset (i32) of the page of the address in i64 local `va` from whichever way of the set whose
 * address `pushSet` pushes holds it, `masked` pushing the address as the tags are compared with (the page, and
 * low bits that make a misaligned access miss); sets `idx` to its entry. When neither way holds it, runs `miss`,
 * which must branch away.
 */
export function emitTlbWays(c: Code, va: number, idx: number, pushSet: () => void, masked: () => void, miss: () => void): void {
  emitTlbTag(c, va, idx, pushSet);
  masked();
  c.op('i64.ne');
  c.ifValue(
    I32,
    () => {
      // The second way: the page that last took this entry's place.
      c.get(idx).i32(3).op('i32.shl');
      pushSet();
      c.op('i32.add').mem('i64.load', TLB_SET_WAY2 + TLB_SET_TAGS64);
      masked();
      c.op('i64.ne').if(miss);
      c.get(idx).i32(2).op('i32.shl');
      pushSet();
      c.op('i32.add').mem('i32.load', TLB_SET_WAY2 + TLB_SET_OFFS);
    },
    () => emitTlbOffset(c, idx, pushSet),
  );
}
