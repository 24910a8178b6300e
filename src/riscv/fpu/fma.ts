/**
 * Fused multiply-add a*b + c with a single rounding (FMADD and friends;
 * the executor folds the negations of FMSUB/FNMSUB/FNMADD into the signs
 * of a and c, which is exact and keeps IEEE's signed-zero rules).
 *
 * Double fast path: Dekker's product and two TwoSums give
 * x = z + r1 + w exactly with z = RN(th + v); see finishD for why that
 * determines the correctly rounded result. Single fast path: the product
 * of two floats is exact in a double, so x = s + w after one TwoSum.
 * NaN results are returned as NaN (the executor decides NV).
 */
import { RM_RDN } from './state.js';
import { MAX_D, MIN_NORMAL_D } from './scratch.js';
import { cancelZero, FMT_D, FMT_S, slowFma, zeroSum } from './exact.js';
import { finishD, finishS } from './round.js';
import { PROD_ARG_MAX, PROD_MIN, prodErr } from './eft.js';

const SUM_MAX = 2 ** 1020;

/** Knuth's branch-free TwoSum error (no overflow: operands below 2^1020). */
function twoSumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

/** True when the product a*b is 0 * infinity (invalid even with a NaN addend). */
export function isInfTimesZero(a: number, b: number): boolean {
  return (a === 0 && (b === Infinity || b === -Infinity)) || (b === 0 && (a === Infinity || a === -Infinity));
}

/** Non-finite operands: NaN or the exact infinity. */
function fmaSpecial(a: number, b: number, c: number): number {
  if (a !== a || b !== b || c !== c) return NaN;
  if (a - a === 0 && b - b === 0) return c; // finite product (even if it would overflow), infinite addend
  return a * b + c; // 0*inf and inf - inf give NaN; otherwise the infinity is exact
}

export function fmaD(a: number, b: number, c: number, rm: number): number {
  const p = a * b;
  const ap = Math.abs(p);
  if (ap >= PROD_MIN && ap <= SUM_MAX && Math.abs(a) < PROD_ARG_MAX && Math.abs(b) < PROD_ARG_MAX && Math.abs(c) <= SUM_MAX) {
    const ul = prodErr(a, b, p);
    const th = p + c;
    const tl = twoSumErr(p, c, th);
    const v = tl + ul;
    const w = twoSumErr(tl, ul, v);
    const z = th + v;
    const r1 = twoSumErr(th, v, z);
    if (z === 0) return cancelZero(rm); // x = 0 exactly (nonzero product)
    const az = Math.abs(z);
    if (az > MIN_NORMAL_D && az <= MAX_D) return finishD(z, r1, w, rm);
    return slowFma(a, b, c, FMT_D, rm);
  }
  if (a - a !== 0 || b - b !== 0 || c - c !== 0) return fmaSpecial(a, b, c);
  if (a === 0 || b === 0) {
    // Exact: c plus a signed zero.
    if (c !== 0) return c;
    return rm === RM_RDN ? zeroSum(p, c, rm) : p + c;
  }
  return slowFma(a, b, c, FMT_D, rm);
}

export function fmaS(a: number, b: number, c: number, rm: number): number {
  const p = a * b; // exact for floats
  const s = p + c;
  if (s - s === 0) {
    const w = twoSumErr(p, c, s);
    if (s === 0 && w === 0) {
      if (p === 0 && c === 0) return rm === RM_RDN ? zeroSum(p, c, rm) : s;
      return cancelZero(rm);
    }
    return finishS(s, w, rm);
  }
  if (a - a !== 0 || b - b !== 0 || c - c !== 0) return fmaSpecial(a, b, c);
  return slowFma(a, b, c, FMT_S, rm); // unreachable for floats; kept for safety
}
