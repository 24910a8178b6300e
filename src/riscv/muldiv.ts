/**
 * The M extension's 64-bit products and quotients on (lo, hi) pairs. Results go to `out[0]` (lo) and `out[1]`
 * (hi). The common cases avoid BigInt: the low 64 bits of a product come from 16-bit partial products, and
 * quotients of values that fit in 32 bits use plain numbers.
 */
import { pairToBigS, pairToBigU } from './pairs.js';

const M64 = (1n << 64n) - 1n;

function setBig(out: Int32Array, v: bigint): void {
  out[0] = Number(v & 0xffffffffn) | 0;
  out[1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

/** MUL: low 64 bits of a * b (sign does not matter for the low half). */
export function mul64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number): void {
  const a0 = alo & 0xffff;
  const a1 = alo >>> 16;
  const b0 = blo & 0xffff;
  const b1 = blo >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33
  const low = a0 * b0 + (mid % 65536) * 65536; // < 2^33, exact
  const carry = Math.floor(low / 4294967296);
  const high = a1 * b1 + Math.floor(mid / 65536) + carry;
  out[0] = low | 0;
  out[1] = (high + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

/**
 * MULH (signed x signed), MULHSU (signed x unsigned), MULHU (unsigned x unsigned): high 64 bits of the 128-bit
 * product, from 16-bit limbs (every partial product and column sum is exact in a double). The signed forms
 * correct the unsigned product: for a negative a, subtract b from the high half (and likewise for b).
 */
export function mulh64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number, kind: 0 | 1 | 2): void {
  const a0 = alo & 0xffff, a1 = alo >>> 16, a2 = ahi & 0xffff, a3 = ahi >>> 16;
  const b0 = blo & 0xffff, b1 = blo >>> 16, b2 = bhi & 0xffff, b3 = bhi >>> 16;
  let c = a0 * b0;
  c = Math.floor(c / 65536) + a0 * b1 + a1 * b0;
  c = Math.floor(c / 65536) + a0 * b2 + a1 * b1 + a2 * b0;
  c = Math.floor(c / 65536) + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  c = Math.floor(c / 65536) + a1 * b3 + a2 * b2 + a3 * b1;
  const r4 = c % 65536;
  c = Math.floor(c / 65536) + a2 * b3 + a3 * b2;
  const r5 = c % 65536;
  c = Math.floor(c / 65536) + a3 * b3;
  const r6 = c % 65536;
  const r7 = Math.floor(c / 65536) % 65536;
  let lo = r4 | (r5 << 16);
  let hi = r6 | (r7 << 16);
  if (kind !== 2 && ahi < 0) {
    // hi:lo -= b
    const nlo = (lo - blo) | 0;
    hi = (hi - bhi - ((lo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
    lo = nlo;
  }
  if (kind === 0 && bhi < 0) {
    const nlo = (lo - alo) | 0;
    hi = (hi - ahi - ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
    lo = nlo;
  }
  out[0] = lo;
  out[1] = hi;
}

/** True when the pair is the sign extension of its low half (the value fits in an int32). */
function fitsInt32(lo: number, hi: number): boolean {
  return hi === lo >> 31;
}

/** Division by zero does not trap: the quotient is all ones and the remainder the dividend. */
function divideByZero(out: Int32Array, alo: number, ahi: number, rem: boolean): void {
  out[0] = rem ? alo : -1;
  out[1] = rem ? ahi : -1;
}

/** DIV / REM (signed). Division by zero gives -1 / the dividend; overflow gives INT64_MIN / 0. */
export function divrem64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number, rem: boolean): void {
  if (blo === 0 && bhi === 0) {
    divideByZero(out, alo, ahi, rem);
    return;
  }
  if (fitsInt32(alo, ahi) && fitsInt32(blo, bhi)) {
    // Both fit in int32: the quotient is exact in doubles; INT32_MIN / -1 = 2^31 fits in 64 bits.
    const r = rem ? alo % blo : Math.trunc(alo / blo);
    out[0] = r | 0;
    // r is an int32 except INT32_MIN / -1 = 2^31, whose high half is 0.
    out[1] = r < 0 ? -1 : 0;
    return;
  }
  const a = pairToBigS(alo, ahi);
  const b = pairToBigS(blo, bhi);
  if (b === -1n && a === -(1n << 63n)) {
    if (rem) {
      out[0] = 0;
      out[1] = 0;
    } else {
      out[0] = alo;
      out[1] = ahi;
    }
    return;
  }
  setBig(out, (rem ? a % b : a / b) & M64);
}

/** DIVU / REMU. Division by zero gives all ones / the dividend. */
export function divremu64(out: Int32Array, alo: number, ahi: number, blo: number, bhi: number, rem: boolean): void {
  if (blo === 0 && bhi === 0) {
    divideByZero(out, alo, ahi, rem);
    return;
  }
  if (ahi === 0 && bhi === 0) {
    const a = alo >>> 0;
    const b = blo >>> 0;
    out[0] = (rem ? a % b : Math.floor(a / b)) | 0;
    out[1] = 0;
    return;
  }
  const a = pairToBigU(alo, ahi);
  const b = pairToBigU(blo, bhi);
  setBig(out, rem ? a % b : a / b);
}

/** DIVW/REMW/DIVUW/REMUW: 32-bit operations, result sign-extended to 64 bits (returned as the low half). */
export function divrem32(a: number, b: number, unsigned: boolean, rem: boolean): number {
  if (unsigned) {
    const ua = a >>> 0;
    const ub = b >>> 0;
    if (ub === 0) return rem ? a | 0 : -1;
    return (rem ? ua % ub : Math.floor(ua / ub)) | 0;
  }
  a |= 0;
  b |= 0;
  if (b === 0) return rem ? a : -1;
  if (b === -1 && a === -2147483648) return rem ? 0 : a;
  return (rem ? a % b : Math.trunc(a / b)) | 0;
}
