/**
 * Exact slow path: every operation computed on BigInt significands and
 * rounded once to the target format in any rounding mode, with IEEE flags
 * (tininess detected after rounding, as RISC-V requires).
 *
 * The fast paths fall back here for hard cases (tiny or huge operands,
 * underflow, overflow ambiguity) and the tests use it as a reference.
 * Operands are finite JS numbers (singles are exactly representable as
 * doubles); results are JS numbers exactly representable in the format.
 */
import { acc, FLAG_NX, FLAG_OF, FLAG_UF, RM_RDN, RM_RMM, RM_RNE, RM_RUP, RM_RTZ } from './state.js';
import { isNeg, pow2, S64, SI } from './scratch.js';

/** A binary interchange format: precision and exponent range. */
export interface Fmt {
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
  readonly max: number;
}
export const FMT_S: Fmt = { p: 24, emin: -126, emax: 127, max: 3.4028234663852886e38 };
export const FMT_D: Fmt = { p: 53, emin: -1022, emax: 1023, max: 1.7976931348623157e308 };

/** Bit length of a positive BigInt. */
export function bitLength(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

/** |x| = m * 2^e for a finite double x. */
export function decompose(x: number): { m: bigint; e: number } {
  S64[0] = x;
  const lo = SI[0]! >>> 0;
  const hi = SI[1]!;
  const be = (hi >>> 20) & 0x7ff;
  let mant = (hi & 0xfffff) * 4294967296 + lo;
  if (be !== 0) mant += 4503599627370496;
  return { m: BigInt(mant), e: (be === 0 ? 1 : be) - 1075 };
}

/** Result of an overflow in mode rm: infinity or the largest finite value. */
export function overflowResult(neg: boolean, fmt: Fmt, rm: number): number {
  acc.flags |= FLAG_OF | FLAG_NX;
  let inf: boolean;
  switch (rm) {
    case RM_RTZ: inf = false; break;
    case RM_RDN: inf = neg; break;
    case RM_RUP: inf = !neg; break;
    default: inf = true;
  }
  const mag = inf ? Infinity : fmt.max;
  return neg ? -mag : mag;
}

/** Whether the magnitude m (with dropped bits rem < 2^k, half = 2^(k-1)) rounds up. */
function roundsUp(neg: boolean, odd: boolean, rem: bigint, half: bigint, sticky: boolean, rm: number): boolean {
  const inexact = rem !== 0n || sticky;
  switch (rm) {
    case RM_RNE: return rem > half || (rem === half && (sticky || odd));
    case RM_RTZ: return false;
    case RM_RDN: return neg && inexact;
    case RM_RUP: return !neg && inexact;
    case RM_RMM: return rem >= half;
    default: throw new Error(`bad rounding mode ${rm}`);
  }
}

/**
 * Rounds (-1)^neg * (m + sticky) * 2^e to fmt in mode rm and raises flags.
 * sticky means a nonzero tail below 2^e; then m must carry at least p+2 bits.
 * m must not be zero.
 */
export function roundPack(neg: boolean, m: bigint, e: number, sticky: boolean, fmt: Fmt, rm: number): number {
  const n = bitLength(m);
  const E = e + n - 1; // exponent of the leading bit
  const q = Math.max(E, fmt.emin) - fmt.p + 1; // exponent of the last kept bit
  let mant: bigint;
  let inexact = sticky;
  if (e >= q) {
    mant = m << BigInt(e - q);
  } else {
    const k = BigInt(q - e);
    mant = m >> k;
    const rem = m & ((1n << k) - 1n);
    const half = 1n << (k - 1n);
    if (rem !== 0n) inexact = true;
    if (roundsUp(neg, (mant & 1n) === 1n, rem, half, sticky, rm)) mant += 1n;
  }
  if (inexact) {
    acc.flags |= FLAG_NX;
    if (E < fmt.emin) {
      // Tiny unless rounding with an unbounded exponent carries up to 2^emin.
      let tiny = true;
      if (E === fmt.emin - 1) {
        const qu = E - fmt.p + 1;
        const k = BigInt(qu - e);
        if (k > 0n) {
          const mu = m >> k;
          const rem = m & ((1n << k) - 1n);
          const up = roundsUp(neg, (mu & 1n) === 1n, rem, 1n << (k - 1n), sticky, rm);
          if (up && mu + 1n === 1n << BigInt(fmt.p)) tiny = false;
        }
      }
      if (tiny) acc.flags |= FLAG_UF;
    }
  }
  if (mant === 0n) return neg ? -0 : 0;
  if (bitLength(mant) + q - 1 > fmt.emax) return overflowResult(neg, fmt, rm);
  const v = Number(mant) * pow2(q);
  return neg ? -v : v;
}

/** Zero result of an exact cancellation: +0, or -0 when rounding down. */
export function cancelZero(rm: number): number {
  return rm === RM_RDN ? -0 : 0;
}

/** Zero result of adding two zeros (or a zero product and a zero). */
export function zeroSum(a: number, b: number, rm: number): number {
  const na = isNeg(a);
  if (na === isNeg(b)) return na ? -0 : 0;
  return cancelZero(rm);
}

/** Exact sum of finite doubles, rounded to fmt; zero sum gives cancelZero. */
export function slowSum(xs: readonly number[], fmt: Fmt, rm: number): number {
  let minE = Infinity;
  const parts: { neg: boolean; m: bigint; e: number }[] = [];
  for (const x of xs) {
    if (x === 0) continue;
    const d = decompose(x);
    parts.push({ neg: x < 0, m: d.m, e: d.e });
    if (d.e < minE) minE = d.e;
  }
  let s = 0n;
  for (const p of parts) {
    const v = p.m << BigInt(p.e - minE);
    s += p.neg ? -v : v;
  }
  if (s === 0n) return cancelZero(rm);
  const neg = s < 0n;
  return roundPack(neg, neg ? -s : s, minE, false, fmt, rm);
}

/** a * b for finite a, b. */
export function slowMul(a: number, b: number, fmt: Fmt, rm: number): number {
  const neg = isNeg(a) !== isNeg(b);
  if (a === 0 || b === 0) return neg ? -0 : 0;
  const da = decompose(a);
  const db = decompose(b);
  return roundPack(neg, da.m * db.m, da.e + db.e, false, fmt, rm);
}

/** a / b for finite a and finite nonzero b. */
export function slowDiv(a: number, b: number, fmt: Fmt, rm: number): number {
  const neg = isNeg(a) !== isNeg(b);
  if (a === 0) return neg ? -0 : 0;
  const da = decompose(a);
  const db = decompose(b);
  // Scale the dividend so the quotient has at least p+2 bits.
  const shift = Math.max(0, fmt.p + 2 + bitLength(db.m) - bitLength(da.m));
  const num = da.m << BigInt(shift);
  const q = num / db.m;
  const r = num - q * db.m;
  return roundPack(neg, q, da.e - db.e - shift, r !== 0n, fmt, rm);
}

/** Integer square root (floor) of a non-negative BigInt. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(a) for finite a > 0. */
export function slowSqrt(a: number, fmt: Fmt, rm: number): number {
  const d = decompose(a);
  let m = d.m;
  let e = d.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  // Scale by 4^k so the root has at least p+2 bits.
  const k = Math.max(0, fmt.p + 2 - Math.floor(bitLength(m) / 2));
  m <<= BigInt(2 * k);
  const r = isqrt(m);
  return roundPack(false, r, e / 2 - k, r * r !== m, fmt, rm);
}

/** a * b + c for finite a, b, c, rounded once. */
export function slowFma(a: number, b: number, c: number, fmt: Fmt, rm: number): number {
  const pneg = isNeg(a) !== isNeg(b);
  if (a === 0 || b === 0) {
    if (c !== 0) return roundValue(c, fmt, rm);
    return zeroSum(pneg ? -0 : 0, c, rm);
  }
  const da = decompose(a);
  const db = decompose(b);
  let pm = da.m * db.m;
  let pe = da.e + db.e;
  if (c === 0) return roundPack(pneg, pm, pe, false, fmt, rm);
  const dc = decompose(c);
  let cm = dc.m;
  const minE = Math.min(pe, dc.e);
  pm <<= BigInt(pe - minE);
  cm <<= BigInt(dc.e - minE);
  pe = minE;
  const s = (pneg ? -pm : pm) + (c < 0 ? -cm : cm);
  if (s === 0n) return cancelZero(rm);
  const neg = s < 0n;
  return roundPack(neg, neg ? -s : s, pe, false, fmt, rm);
}

/** A finite double rounded to fmt (exact for D). */
export function roundValue(x: number, fmt: Fmt, rm: number): number {
  if (x === 0) return x;
  const d = decompose(x);
  return roundPack(x < 0, d.m, d.e, false, fmt, rm);
}

/** An integer given as a BigInt, rounded to fmt. */
export function roundBigInt(v: bigint, fmt: Fmt, rm: number): number {
  if (v === 0n) return 0;
  const neg = v < 0n;
  return roundPack(neg, neg ? -v : v, 0, false, fmt, rm);
}
