/**
 * The M extension's results in WebAssembly, emitted for operands in locals: what compiled blocks (compile.ts)
 * and the WebAssembly interpreter (interp-wasm.ts) both compute. RISC-V defines division by zero and the signed
 * overflow (MIN / -1) where WebAssembly traps, and wasm has no 64 x 64 -> 128-bit multiply.
 */
import type { Code } from './wasm-code.js';

/**
 * Pushes the high 64 bits of the unsigned product of i64 locals `a` and `b`, via 32-bit halves; `t0`..`t2` are
 * i64 locals it overwrites.
 */
export function emitMulhu(c: Code, a: number, b: number, t0: number, t1: number, t2: number): void {
  const M = 0xffffffffn;
  // ll, hl, lh partial products
  c.get(a).i64(M).op('i64.and').get(b).i64(M).op('i64.and', 'i64.mul').set(t0);
  c.get(a).i64(32).op('i64.shr_u').get(b).i64(M).op('i64.and', 'i64.mul').set(t1);
  c.get(a).i64(M).op('i64.and').get(b).i64(32).op('i64.shr_u', 'i64.mul').set(t2);
  // mid = (ll >> 32) + lo(lh) + lo(hl)
  c.get(t0).i64(32).op('i64.shr_u').get(t2).i64(M).op('i64.and', 'i64.add').get(t1).i64(M).op('i64.and', 'i64.add').set(t0);
  // hh + (lh >> 32) + (hl >> 32) + (mid >> 32)
  c.get(a).i64(32).op('i64.shr_u').get(b).i64(32).op('i64.shr_u', 'i64.mul');
  c.get(t2).i64(32).op('i64.shr_u', 'i64.add').get(t1).i64(32).op('i64.shr_u', 'i64.add');
  c.get(t0).i64(32).op('i64.shr_u', 'i64.add');
}

/**
 * Pushes MULH (`signed` 2: both operands signed), MULHSU (1: `a` signed) or MULHU (0) of i64 locals `a`, `b`:
 * mulh(a, b) = mulhu(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0).
 */
export function emitMulh(c: Code, signed: 0 | 1 | 2, a: number, b: number, t0: number, t1: number, t2: number): void {
  emitMulhu(c, a, b, t0, t1, t2);
  if (signed >= 1) c.get(a).i64(63).op('i64.shr_s').get(b).op('i64.and', 'i64.sub');
  if (signed === 2) c.get(b).i64(63).op('i64.shr_s').get(a).op('i64.and', 'i64.sub');
}

/**
 * Pushes DIV, DIVU, REM or REMU of i64 locals `a`, `b` (`width` 64) or of i32 locals (`width` 32: DIVW...,
 * the i32 result): all ones for a quotient by zero, the dividend for a remainder by zero, and for MIN / -1
 * MIN and 0.
 */
export function emitDivRem(c: Code, width: 32 | 64, div: boolean, signed: boolean, a: number, b: number): void {
  const w = width === 64;
  const k = (v: number): void => void (w ? c.i64(v) : c.i32(v));
  if (div) k(-1);
  else c.get(a);
  c.get(a);
  // The divisor, with 0 (and MIN / -1 when signed) replaced by 1: then MIN / 1 = MIN and MIN % 1 = 0.
  k(1);
  c.get(b);
  c.get(b).op(w ? 'i64.eqz' : 'i32.eqz');
  if (signed) {
    c.get(a);
    if (w) c.i64(-(1n << 63n)).op('i64.eq').get(b).i64(-1).op('i64.eq');
    else c.i32(-0x8000_0000).op('i32.eq').get(b).i32(-1).op('i32.eq');
    c.op('i32.and', 'i32.or');
  }
  c.op('select');
  if (w) c.op(div ? (signed ? 'i64.div_s' : 'i64.div_u') : signed ? 'i64.rem_s' : 'i64.rem_u');
  else c.op(div ? (signed ? 'i32.div_s' : 'i32.div_u') : signed ? 'i32.rem_s' : 'i32.rem_u');
  c.get(b).op(w ? 'i64.eqz' : 'i32.eqz', 'select');
}
