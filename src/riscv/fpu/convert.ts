/**
 * FCVT between floating point and integers (W, WU, L, LU), and between
 * single and double.
 *
 * Float to integer: round to an integral value in the requested mode; an
 * out-of-range rounded value or a NaN sets NV (and not NX) and saturates as
 * the spec's table says (NaN behaves as +infinity). 32-bit results are
 * sign-extended into the 64-bit destination, WU included.
 */
import { acc, FLAG_NV, FLAG_NX, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP } from './state.js';
import { finishD, finishS } from './round.js';
import { sumErr } from './eft.js';

export const INT_W = 0;
export const INT_WU = 1;
export const INT_L = 2;
export const INT_LU = 3;

const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** v rounded to an integral value in mode rm (v finite). */
export function roundIntegral(v: number, rm: number): number {
  if (!(Math.abs(v) < TWO52)) return v;
  const t = Math.trunc(v);
  const f = v - t; // exact
  if (f === 0) return t;
  switch (rm) {
    case RM_RTZ: return t;
    case RM_RDN: return f < 0 ? t - 1 : t;
    case RM_RUP: return f > 0 ? t + 1 : t;
    case RM_RMM: return Math.abs(f) >= 0.5 ? t + Math.sign(f) : t;
    case RM_RNE: {
      const af = Math.abs(f);
      return af > 0.5 || (af === 0.5 && t % 2 !== 0) ? t + Math.sign(f) : t;
    }
    default: throw new Error(`bad rounding mode ${rm}`);
  }
}

/**
 * Converts v (a NaN, infinite or finite value) to the integer type kind in
 * mode rm and writes the 64-bit result to x register rd (unless rd is x0).
 */
export function toInt(v: number, rm: number, kind: number, x: Int32Array, rd: number): void {
  let lo: number;
  let hi: number;
  if (v !== v) {
    acc.flags |= FLAG_NV;
    lo = kind === INT_W ? 0x7fffffff : -1;
    hi = kind === INT_L ? 0x7fffffff : kind === INT_W ? 0 : -1;
  } else {
    const r = v - v === 0 ? roundIntegral(v, rm) : v;
    let minV: number;
    let maxV: number; // exclusive upper bound
    switch (kind) {
      case INT_W: minV = -2147483648; maxV = 2147483648; break;
      case INT_WU: minV = 0; maxV = TWO32; break;
      case INT_L: minV = -TWO63; maxV = TWO63; break;
      default: minV = 0; maxV = TWO64;
    }
    if (r < minV || r >= maxV) {
      acc.flags |= FLAG_NV;
      const neg = r < 0;
      switch (kind) {
        case INT_W: lo = neg ? -2147483648 : 0x7fffffff; hi = neg ? -1 : 0; break;
        case INT_WU: lo = neg ? 0 : -1; hi = lo; break;
        case INT_L: lo = neg ? 0 : -1; hi = neg ? -2147483648 : 0x7fffffff; break;
        default: lo = neg ? 0 : -1; hi = lo;
      }
    } else {
      if (r !== v) acc.flags |= FLAG_NX;
      if (kind <= INT_WU) {
        lo = r | 0; // WU: ToInt32 wraps 2^31..2^32-1 to the sign-extended value
        hi = lo >> 31;
      } else {
        hi = Math.floor(r / TWO32);
        lo = (r - hi * TWO32) | 0;
        hi |= 0;
      }
    }
  }
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = hi;
  }
}

/**
 * FCVT.{S,D}.{W,WU,L,LU}: the integer in x register words (lo, hi) rounded
 * to a double (isD) or a single. A 64-bit integer is split into two exact
 * doubles whose native sum plus its exact error feeds the finisher.
 */
export function fromInt(lo: number, hi: number, kind: number, isD: boolean, rm: number): number {
  let v: number;
  switch (kind) {
    case INT_W: v = lo; break;
    case INT_WU: v = lo >>> 0; break;
    default: {
      const high = (kind === INT_L ? hi : hi >>> 0) * TWO32; // exact
      const low = lo >>> 0;
      const s = high + low;
      const e = sumErr(high, low, s);
      return isD ? finishD(s, e, 0, rm) : finishS(s, e, rm);
    }
  }
  return isD ? v : finishS(v, 0, rm);
}

/** FCVT.S.D for a non-NaN double. */
export function doubleToSingle(d: number, rm: number): number {
  if (d - d !== 0 || d === 0) return d; // infinities and zeros convert exactly
  return finishS(d, 0, rm);
}
