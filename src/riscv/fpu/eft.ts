/**
 * Error-free transformations on doubles (no FMA available in JS).
 * Each returns the exact rounding error of a native operation.
 */

/** 2^27 + 1: Veltkamp splitting constant. */
const SPLIT = 134217729;

/**
 * Error of s = RN(a + b): a + b = s + err exactly (Fast2Sum with ordering;
 * immune to spurious overflow when s is finite).
 */
export function sumErr(a: number, b: number, s: number): number {
  return Math.abs(a) >= Math.abs(b) ? b - (s - a) : a - (s - b);
}

/**
 * Error of p = RN(a * b): a * b = p + err exactly (Dekker's product).
 * Valid when |a|, |b| < 2^995 and 2^-968 <= |p| < 2^1000 (no overflow in
 * the split or the partial products, no underflow in the error term).
 */
export function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Bounds within which prodErr is exact. */
export const PROD_ARG_MAX = 2 ** 995;
export const PROD_MIN = 2 ** -968;
export const PROD_MAX = 2 ** 1000;
