/**
 * Bit-level helpers over one shared 8-byte scratch buffer (typed-array
 * aliasing moves bits between doubles, floats and 32-bit words without
 * allocation). The engine is little endian: word 0 is the low half.
 */

const buf = new ArrayBuffer(8);
/** The scratch as one double. */
export const S64 = new Float64Array(buf);
/** The scratch as two floats; [0] aliases word 0. */
export const S32F = new Float32Array(buf);
/** The scratch as two 32-bit words: [0] low, [1] high. */
export const SI = new Int32Array(buf);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('riscv/fpu requires a little-endian engine');
}

/** Canonical NaNs (bit patterns). */
export const CANON_NAN_S = 0x7fc00000;
export const CANON_NAN_D_HI = 0x7ff80000;

export const MAX_D = 1.7976931348623157e308;
export const MIN_NORMAL_D = 2.2250738585072014e-308;
export const MAX_S = 3.4028234663852886e38;
export const MIN_NORMAL_S = 1.1754943508222875e-38;

/** Bit pattern of a double: high word. */
export function hiOf(x: number): number {
  S64[0] = x;
  return SI[1]!;
}

/** Double from its two words. */
export function fromWords(lo: number, hi: number): number {
  SI[0] = lo;
  SI[1] = hi;
  return S64[0]!;
}

/** Float bit pattern of a value that is exactly a float. */
export function f32Bits(x: number): number {
  S32F[0] = x;
  return SI[0]!;
}

/** Float value from a bit pattern. */
export function f32FromBits(bits: number): number {
  SI[0] = bits;
  return S32F[0]!;
}

/** Next double away from zero (x finite, nonzero; may give infinity). */
export function dAway(x: number): number {
  S64[0] = x;
  const lo = SI[0]!;
  if (lo === -1) {
    SI[0] = 0;
    SI[1] = SI[1]! + 1;
  } else {
    SI[0] = lo + 1;
  }
  return S64[0]!;
}

/** Next double toward zero (x finite, nonzero). */
export function dTowardZero(x: number): number {
  S64[0] = x;
  const lo = SI[0]!;
  if (lo === 0) {
    SI[0] = -1;
    SI[1] = SI[1]! - 1;
  } else {
    SI[0] = lo - 1;
  }
  return S64[0]!;
}

/** Next float away from zero (x a finite nonzero float; may give infinity). */
export function sAway(x: number): number {
  S32F[0] = x;
  SI[0] = SI[0]! + 1;
  return S32F[0]!;
}

/** Next float toward zero (x a finite nonzero float). */
export function sTowardZero(x: number): number {
  S32F[0] = x;
  SI[0] = SI[0]! - 1;
  return S32F[0]!;
}

/** Exact powers of two 2^k for k in [-1074, 1023], built from bits. */
const POW2 = new Float64Array(1074 + 1024);
for (let k = -1074; k <= 1023; k++) {
  if (k >= -1022) {
    POW2[k + 1074] = fromWords(0, (k + 1023) << 20);
  } else {
    const pos = k + 1074;
    POW2[k + 1074] = pos >= 32 ? fromWords(0, 1 << (pos - 32)) : fromWords(1 << pos, 0);
  }
}
/** 2^k exactly, k in [-1074, 1023]. */
export function pow2(k: number): number {
  return POW2[k + 1074]!;
}

/** True if the double with high word hi and low word lo is a signaling NaN. */
export function isSNaND(lo: number, hi: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) !== 0 || lo !== 0);
}

/** True if the float bit pattern is a signaling NaN. */
export function isSNaNS(bits: number): boolean {
  return (bits & 0x7fc00000) === 0x7f800000 && (bits & 0x3fffff) !== 0;
}

/** Sign of a value including the sign of zero. */
export function isNeg(x: number): boolean {
  return x < 0 || (x === 0 && 1 / x < 0);
}
