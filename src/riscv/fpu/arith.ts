/**
 * FADD/FSUB/FMUL/FDIV/FSQRT on values, for doubles (D) and singles (S).
 *
 * Operands are JS numbers (a single is exactly a double). A NaN result is
 * returned as NaN; the executor writes the canonical NaN and decides NV
 * from the operands' bits. All other flags are raised here.
 *
 * Fast path: native arithmetic gives RN(x); an error-free transformation
 * gives the exact error, skipped entirely in round-to-nearest once NX is
 * already accrued. Subnormal-range and overflow-ambiguous cases go to the
 * exact path.
 */
import { acc, FLAG_DZ, FLAG_NX, RM_RDN, RM_RMM, RM_RNE } from './state.js';
import { MAX_D, MAX_S, MIN_NORMAL_D, MIN_NORMAL_S } from './scratch.js';
import { FMT_D, FMT_S, overflowResult, slowDiv, slowMul, slowSum, zeroSum } from './exact.js';
import { adjustD, adjustS, finishD, finishS } from './round.js';
import { PROD_ARG_MAX, PROD_MAX, PROD_MIN, prodErr, sumErr } from './eft.js';

/** Range in which quotient/root remainders are computed exactly. */
const REM_LO = 2 ** -960;
const REM_HI = 2 ** 995;

/**
 * RN overflowed (x >= MAX + ulp/2). In RNE and RMM that is the overflow
 * result; directed modes need x itself (overflow only from 2^1024 when
 * rounding toward zero), so they take the exact path.
 */
function nearestOverflows(rm: number): boolean {
  return rm === RM_RNE || rm === RM_RMM;
}

/** Exact-zero sum in RDN: -0 unless both operands are +0. */
function zeroRdn(a: number, b: number): number {
  return a === 0 && b === 0 ? zeroSum(a, b, RM_RDN) : -0;
}

export function addD(a: number, b: number, rm: number): number {
  const s = a + b;
  if (s - s === 0) {
    if (s === 0) return rm === RM_RDN ? zeroRdn(a, b) : s;
    if (rm === RM_RNE && (acc.flags & FLAG_NX) !== 0) return s;
    // A sum below 2^-1021 in magnitude is always exact: no underflow.
    return finishD(s, sumErr(a, b, s), 0, rm);
  }
  if (s !== s) return s;
  if (a - a === 0 && b - b === 0) return nearestOverflows(rm) ? overflowResult(s < 0, FMT_D, rm) : slowSum([a, b], FMT_D, rm);
  return s;
}

export function mulD(a: number, b: number, rm: number): number {
  const p = a * b;
  const ap = Math.abs(p);
  if (ap > MIN_NORMAL_D && ap <= MAX_D) {
    if (rm === RM_RNE && (acc.flags & FLAG_NX) !== 0) return p;
    if (ap >= PROD_MIN && ap < PROD_MAX && Math.abs(a) < PROD_ARG_MAX && Math.abs(b) < PROD_ARG_MAX) {
      return finishD(p, prodErr(a, b, p), 0, rm);
    }
    return slowMul(a, b, FMT_D, rm);
  }
  if (p !== p) return p;
  if (ap === Infinity) {
    if (a - a !== 0 || b - b !== 0) return p;
    return nearestOverflows(rm) ? overflowResult(p < 0, FMT_D, rm) : slowMul(a, b, FMT_D, rm);
  }
  if (a === 0 || b === 0) return p;
  return slowMul(a, b, FMT_D, rm);
}

export function divD(a: number, b: number, rm: number): number {
  const q = a / b;
  const aq = Math.abs(q);
  if (aq > MIN_NORMAL_D && aq <= MAX_D) {
    if (rm === RM_RNE && (acc.flags & FLAG_NX) !== 0) return q;
    const aa = Math.abs(a);
    const ab = Math.abs(b);
    if (aa > REM_LO && aa < REM_HI && ab > REM_LO && ab < REM_HI && aq > REM_LO && aq < REM_HI) {
      // Remainder a - q*b is exactly representable; its sign gives the direction.
      const p = q * b;
      const r = a - p - prodErr(q, b, p);
      if (r === 0) return q;
      return adjustD(q, r > 0 === b > 0, false, rm);
    }
    return slowDiv(a, b, FMT_D, rm);
  }
  return divSpecial(a, b, q, aq, true, rm);
}

/** Division outside the normal-result fast path (both formats). */
function divSpecial(a: number, b: number, q: number, aq: number, isD: boolean, rm: number): number {
  if (q !== q) return q; // 0/0, inf/inf, NaN operand
  const fmt = isD ? FMT_D : FMT_S;
  if (b === 0) {
    if (a - a === 0) acc.flags |= FLAG_DZ; // finite / 0
    return q;
  }
  if (a - a !== 0 || b - b !== 0) return q; // inf / x or x / inf: exact
  if (a === 0) return q;
  if (aq === Infinity && isD && nearestOverflows(rm)) return overflowResult(q < 0, fmt, rm);
  return slowDiv(a, b, fmt, rm);
}

export function sqrtD(a: number, rm: number): number {
  if (a > 0 && a < Infinity) {
    const s = Math.sqrt(a);
    if (rm === RM_RNE && (acc.flags & FLAG_NX) !== 0) return s;
    // Remainder a - s*s (exact) gives the direction; scale by an even
    // power of two to keep the product check away from both range ends.
    let as = a;
    let ss = s;
    if (a < REM_LO) {
      as = a * 2 ** 200;
      ss = s * 2 ** 100;
    } else if (a > REM_HI) {
      as = a * 2 ** -200;
      ss = s * 2 ** -100;
    }
    const p = ss * ss;
    const r = as - p - prodErr(ss, ss, p);
    if (r === 0) return s;
    return adjustD(s, r > 0, false, rm);
  }
  return a === 0 || a === Infinity ? a : NaN;
}

export function addS(a: number, b: number, rm: number): number {
  const s = a + b;
  if (s - s === 0) {
    if (s === 0) return rm === RM_RDN ? zeroRdn(a, b) : s;
    // Two floats: s and its error are exact doubles, no double overflow.
    return finishS(s, sumErr(a, b, s), rm);
  }
  return s;
}

export function mulS(a: number, b: number, rm: number): number {
  const p = a * b; // exact: 24 x 24 bits, exponents far inside double range
  if (p - p === 0) {
    if (p === 0) return p;
    if (rm === RM_RNE && (acc.flags & FLAG_NX) !== 0) {
      const z = Math.fround(p);
      const az = Math.abs(z);
      if (az > MIN_NORMAL_S && az <= MAX_S) return z;
    }
    return finishS(p, 0, rm);
  }
  return p;
}

export function divS(a: number, b: number, rm: number): number {
  const q = a / b;
  // RN to double then to float is correctly rounded (53 >= 2*24 + 2).
  const z = Math.fround(q);
  const az = Math.abs(z);
  if (az > MIN_NORMAL_S && az <= MAX_S) {
    const r = a - z * b; // z*b exact (48 bits): sign of r is exact
    if (r === 0) return z;
    return adjustS(z, r > 0 === b > 0, false, rm);
  }
  return divSpecial(a, b, q, Math.abs(q), false, rm);
}

export function sqrtS(a: number, rm: number): number {
  if (a > 0 && a < Infinity) {
    const z = Math.fround(Math.sqrt(a)); // correctly rounded (53 >= 2*24 + 2)
    const r = a - z * z; // z*z exact
    if (r === 0) return z;
    return adjustS(z, r > 0, false, rm);
  }
  return a === 0 || a === Infinity ? a : NaN;
}
