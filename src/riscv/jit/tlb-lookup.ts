/**
 * The inline TLB lookup that translated blocks (compile.ts) and the WebAssembly interpreter (interp-wasm.ts)
 * emit: a set's entry for an address, its i64 tag (low 12 bits clear, so one compare with the address masked
 * checks the page, and the alignment too when the mask keeps the low bits), then its RAM offset. Only the first
 * way (tlb.ts): checking the second inline made a tight loop 9% slower.
 */
import type { Code } from './wasm-code.js';
import { TLB_SET_OFFS, TLB_SET_TAGS64 } from './layout.js';
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
