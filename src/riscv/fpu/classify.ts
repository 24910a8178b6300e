/**
 * FCLASS, FMIN/FMAX and comparison helpers working on register bits.
 */

/** FCLASS result bits. */
export const CLASS_NEG_INF = 1 << 0;
export const CLASS_NEG_NORMAL = 1 << 1;
export const CLASS_NEG_SUBNORMAL = 1 << 2;
export const CLASS_NEG_ZERO = 1 << 3;
export const CLASS_POS_ZERO = 1 << 4;
export const CLASS_POS_SUBNORMAL = 1 << 5;
export const CLASS_POS_NORMAL = 1 << 6;
export const CLASS_POS_INF = 1 << 7;
export const CLASS_SNAN = 1 << 8;
export const CLASS_QNAN = 1 << 9;

function classOf(neg: boolean, expAllOnes: boolean, expZero: boolean, mantZero: boolean, quiet: boolean): number {
  if (expAllOnes) {
    if (!mantZero) return quiet ? CLASS_QNAN : CLASS_SNAN;
    return neg ? CLASS_NEG_INF : CLASS_POS_INF;
  }
  if (expZero) {
    if (mantZero) return neg ? CLASS_NEG_ZERO : CLASS_POS_ZERO;
    return neg ? CLASS_NEG_SUBNORMAL : CLASS_POS_SUBNORMAL;
  }
  return neg ? CLASS_NEG_NORMAL : CLASS_POS_NORMAL;
}

/** FCLASS.D of the double with words (lo, hi). */
export function classifyD(lo: number, hi: number): number {
  const e = (hi >>> 20) & 0x7ff;
  return classOf(hi < 0, e === 0x7ff, e === 0, (hi & 0xfffff) === 0 && lo === 0, (hi & 0x80000) !== 0);
}

/** FCLASS.S of the float bit pattern (an unboxed input is passed as the canonical NaN). */
export function classifyS(bits: number): number {
  const e = (bits >>> 23) & 0xff;
  return classOf(bits < 0, e === 0xff, e === 0, (bits & 0x7fffff) === 0, (bits & 0x400000) !== 0);
}

/**
 * FMIN/FMAX choice between two non-NaN values given their sign bits:
 * returns true to take the first operand. -0 is below +0.
 */
export function pickFirst(a: number, b: number, aNeg: boolean, bNeg: boolean, isMax: boolean): boolean {
  if (a === b) return isMax ? !aNeg || bNeg : aNeg || !bNeg;
  return isMax ? a > b : a < b;
}
