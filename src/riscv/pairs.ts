/**
 * 64-bit integers as pairs of 32-bit halves (see docs/design/integers.md): the interpreter keeps registers as
 * (lo, hi) in Int32Arrays and uses plain JS numbers for addresses, which are exact below 2^53.
 */

export const TWO32 = 4294967296;

/** The number represented by the signed 64-bit value (lo, hi). Exact when |value| < 2^53. */
export function pairToNumber(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}

/** High half of a number that is an integer in (-2^63, 2^63), exact below 2^53. */
export function numberHi(v: number): number {
  return Math.floor(v / TWO32) | 0;
}

/** The pair as an unsigned BigInt (off the hot path only). */
export function pairToBigU(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The pair as a signed BigInt (off the hot path only). */
export function pairToBigS(lo: number, hi: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
}

/** Hex of a pair, for messages. */
export function pairHex(lo: number, hi: number): string {
  return '0x' + (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Hex of an address held as a number (negative numbers are sign-extended 64-bit values). */
export function addrHex(v: number): string {
  const lo = v | 0;
  const hi = numberHi(v);
  return pairHex(lo, hi);
}
