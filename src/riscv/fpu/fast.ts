/**
 * Hot paths: the common case of FP-heavy guests, round-to-nearest-even on
 * normal numbers, done in straight-line code on the register views.
 *
 * These functions take only integers and typed arrays and call nothing but
 * Math builtins, so no double is ever boxed across a call boundary. They
 * return false whenever the case is not plainly common (another rounding
 * mode, special or tiny or huge values, NaN-boxing violations, encodings
 * to validate); the general executor then handles the instruction from
 * scratch, so a false return must leave all state untouched.
 *
 * With NX already accrued, the native result is all that is needed.
 * Otherwise an error-free transformation tells whether to raise NX.
 */
import type { FpState } from './state.js';

const SPLIT = 134217729; // 2^27 + 1
const MIN_NORMAL_D = 2.2250738585072014e-308;
const MAX_D = 1.7976931348623157e308;
const MIN_NORMAL_S = 1.1754943508222875e-38;
const MAX_S = 3.4028234663852886e38;
/** Dekker's product is exact for |args| < 2^995 and 2^-968 <= |product| < 2^1000. */
const ARG_MAX = 2 ** 995;
const PROD_MIN = 2 ** -968;
const PROD_MAX = 2 ** 1000;
/** Remainders of division and square root are computed exactly in this range. */
const REM_LO = 2 ** -960;
const REM_HI = 2 ** 995;
/** FMA: operands of the TwoSums stay below this (no overflow). */
const SUM_MAX = 2 ** 1020;

/** True when the rounding field selects RNE (statically or through frm). */
function isRne(insn: number, fp: FpState): boolean {
  const rm = (insn >>> 12) & 7;
  return rm === 0 || (rm === 7 && fp.frm === 0);
}

/**
 * OP-FP common cases: FADD/FSUB/FMUL/FDIV/FSQRT (S and D, RNE) and the
 * conversions C code uses all the time (float to integer in RTZ, integer
 * to float, single to double and back). Returns true when the instruction
 * was executed.
 */
export function fastOpFp(insn: number, fp: FpState, d: Float64Array, s: Float32Array, w: Int32Array, x: Int32Array): boolean {
  const f7 = (insn >>> 25) & 0x7f;
  if (f7 >= 0x20) return fastConvert(insn, f7, fp, d, s, w, x);
  if (!isRne(insn, fp)) return false;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const nx = (fp.fflags & 1) !== 0;
  switch (f7) {
    case 0x01: case 0x05: { // FADD.D, FSUB.D
      const a = d[rs1]!;
      const b = (insn & 0x08000000) === 0 ? d[rs2]! : -d[rs2]!;
      const r = a + b;
      if (r - r !== 0) return false;
      // Zeros follow JS (= IEEE RNE) sign rules; tiny sums are exact.
      if (!nx && (Math.abs(a) >= Math.abs(b) ? b - (r - a) : a - (r - b)) !== 0) fp.fflags |= 1;
      d[rd] = r;
      return true;
    }
    case 0x09: { // FMUL.D
      const a = d[rs1]!;
      const b = d[rs2]!;
      const r = a * b;
      const ar = Math.abs(r);
      if (!(ar > MIN_NORMAL_D && ar <= MAX_D)) return false;
      if (!nx) {
        if (!(ar >= PROD_MIN && ar < PROD_MAX && Math.abs(a) < ARG_MAX && Math.abs(b) < ARG_MAX)) return false;
        let t = SPLIT * a;
        const ah = t - (t - a);
        const al = a - ah;
        t = SPLIT * b;
        const bh = t - (t - b);
        const bl = b - bh;
        if (ah * bh - r + ah * bl + al * bh + al * bl !== 0) fp.fflags |= 1;
      }
      d[rd] = r;
      return true;
    }
    case 0x0d: { // FDIV.D
      const a = d[rs1]!;
      const b = d[rs2]!;
      const q = a / b;
      const aq = Math.abs(q);
      if (!(aq > MIN_NORMAL_D && aq <= MAX_D)) return false;
      if (!nx) {
        const aa = Math.abs(a);
        const ab = Math.abs(b);
        if (!(aa > REM_LO && aa < REM_HI && ab > REM_LO && ab < REM_HI && aq > REM_LO && aq < REM_HI)) return false;
        const p = q * b;
        let t = SPLIT * q;
        const qh = t - (t - q);
        const ql = q - qh;
        t = SPLIT * b;
        const bh = t - (t - b);
        const bl = b - bh;
        if (a - p - (qh * bh - p + qh * bl + ql * bh + ql * bl) !== 0) fp.fflags |= 1;
      }
      d[rd] = q;
      return true;
    }
    case 0x2d: { // FSQRT.D
      if (rs2 !== 0) return false;
      const a = d[rs1]!;
      if (!(a > REM_LO && a < REM_HI)) return false;
      const r = Math.sqrt(a);
      if (!nx) {
        const p = r * r;
        const t = SPLIT * r;
        const rh = t - (t - r);
        const rl = r - rh;
        if (a - p - (rh * rh - p + 2 * rh * rl + rl * rl) !== 0) fp.fflags |= 1;
      }
      d[rd] = r;
      return true;
    }
    case 0x00: case 0x04: case 0x08: case 0x0c: case 0x2c: { // single arithmetic
      if (w[2 * rs1 + 1] !== -1) return false;
      const a = s[2 * rs1]!;
      let z: number;
      let exact: boolean;
      const op = (insn >>> 27) & 31;
      if (op === 0x0b) { // FSQRT.S
        if (rs2 !== 0 || !(a > 0 && a <= MAX_S)) return false;
        // Rounding the double root to float is correct (53 >= 2*24 + 2).
        z = Math.fround(Math.sqrt(a));
        exact = nx || a - z * z === 0;
      } else {
        if (w[2 * rs2 + 1] !== -1) return false;
        const b = s[2 * rs2]!;
        if (op === 0 || op === 1) {
          const bb = op === 0 ? b : -b;
          const r = a + bb; // exact sum of two floats up to its TwoSum error
          z = Math.fround(r);
          exact = nx || (r === z && (Math.abs(a) >= Math.abs(bb) ? bb - (r - a) : a - (r - bb)) === 0);
        } else if (op === 2) {
          const p = a * b; // exact in double
          z = Math.fround(p);
          exact = nx || p === z;
        } else {
          z = Math.fround(a / b);
          exact = nx || a - z * b === 0; // z*b exact; the sign of the remainder is exact
        }
      }
      const az = Math.abs(z);
      if (!(az > MIN_NORMAL_S && az <= MAX_S)) return false;
      if (!exact) fp.fflags |= 1;
      s[2 * rd] = z;
      w[2 * rd + 1] = -1;
      return true;
    }
    default:
      return false;
  }
}

const TWO32 = 4294967296;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** Conversions (funct7 >= 0x20); the rounding mode must be valid. */
function fastConvert(insn: number, f7: number, fp: FpState, d: Float64Array, s: Float32Array, w: Int32Array, x: Int32Array): boolean {
  let rm = (insn >>> 12) & 7;
  if (rm === 7) rm = fp.frm;
  if (rm > 4 || rm < 0) return false;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  switch (f7) {
    case 0x60: case 0x61: { // FCVT.{W,WU,L,LU}.{S,D}, RTZ (C casts)
      if (rm !== 1 || rs2 > 3) return false;
      let v: number;
      if (f7 === 0x61) v = d[rs1]!;
      else if (w[2 * rs1 + 1] === -1) v = s[2 * rs1]!;
      else return false;
      const t = Math.trunc(v);
      let lo: number;
      let hi: number;
      if (rs2 <= 1) {
        if (!(rs2 === 0 ? t >= -2147483648 && t <= 2147483647 : t >= 0 && t <= 4294967295)) return false;
        lo = t | 0; // WU wraps to the sign-extended 32-bit value
        hi = lo >> 31;
      } else {
        if (!(rs2 === 2 ? t >= -TWO63 && t < TWO63 : t >= 0 && t < TWO64)) return false;
        hi = Math.floor(t / TWO32);
        lo = (t - hi * TWO32) | 0;
        hi |= 0;
      }
      if (t !== v) fp.fflags |= 1;
      if (rd !== 0) {
        x[2 * rd] = lo;
        x[2 * rd + 1] = hi;
      }
      return true;
    }
    case 0x68: case 0x69: { // FCVT.{S,D}.{W,WU,L,LU}
      if (rs2 > 3) return false;
      const lo = x[2 * rs1]!;
      let v: number;
      if (rs2 === 0) v = lo;
      else if (rs2 === 1) v = lo >>> 0;
      else {
        const hi = x[2 * rs1 + 1]!;
        const high = (rs2 === 2 ? hi : hi >>> 0) * TWO32;
        const low = lo >>> 0;
        v = high + low;
        if (v - high !== low) return false; // not exact in a double: general path
      }
      if (f7 === 0x69) {
        d[rd] = v;
      } else {
        const z = Math.fround(v);
        if (z !== v) {
          if (rm !== 0) return false;
          fp.fflags |= 1;
        }
        s[2 * rd] = z;
        w[2 * rd + 1] = -1;
      }
      return true;
    }
    case 0x20: { // FCVT.S.D
      if (rs2 !== 1 || rm !== 0) return false;
      const v = d[rs1]!;
      const z = Math.fround(v);
      const az = Math.abs(z);
      if (!(az > MIN_NORMAL_S && az <= MAX_S)) return false;
      if (z !== v) fp.fflags |= 1;
      s[2 * rd] = z;
      w[2 * rd + 1] = -1;
      return true;
    }
    case 0x21: { // FCVT.D.S
      if (rs2 !== 0 || w[2 * rs1 + 1] !== -1) return false;
      const v = s[2 * rs1]!;
      if (v !== v) return false;
      d[rd] = v;
      return true;
    }
    default:
      return false;
  }
}

/** FMADD/FMSUB/FNMSUB/FNMADD in S and D format, RNE, single rounding. */
export function fastFused(insn: number, fp: FpState, d: Float64Array, s: Float32Array, w: Int32Array): boolean {
  if (!isRne(insn, fp)) return false;
  const fmt = (insn >>> 25) & 3;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const rs3 = (insn >>> 27) & 31;
  const negProd = (insn & 8) !== 0; // FNMSUB 0x4b, FNMADD 0x4f
  const negAdd = (insn & 4) !== 0; // FMSUB 0x47, FNMADD 0x4f
  if (fmt === 1) {
    const a = negProd ? -d[rs1]! : d[rs1]!;
    const b = d[rs2]!;
    const c = negAdd ? -d[rs3]! : d[rs3]!;
    const p = a * b;
    const ap = Math.abs(p);
    if (!(ap >= PROD_MIN && ap <= SUM_MAX && Math.abs(a) < ARG_MAX && Math.abs(b) < ARG_MAX && Math.abs(c) <= SUM_MAX)) {
      return false;
    }
    // a*b = p + ul (Dekker), p + c = th + tl, tl + ul = v + e2, th + v = z + r1:
    // x = z + r1 + e2 exactly, and z is RN(x) unless th + v is a midpoint.
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    const ul = ah * bh - p + ah * bl + al * bh + al * bl;
    const th = p + c;
    let bb = th - p;
    const tl = p - (th - bb) + (c - bb);
    const v = tl + ul;
    bb = v - tl;
    const e2 = tl - (v - bb) + (ul - bb);
    let z = th + v;
    bb = z - th;
    const r1 = th - (z - bb) + (v - bb);
    const az = Math.abs(z);
    if (!(az > MIN_NORMAL_D && az <= MAX_D)) return false;
    if (r1 !== 0 || e2 !== 0) {
      fp.fflags |= 1;
      if (r1 !== 0 && e2 !== 0 && e2 > 0 === r1 > 0) {
        const t2 = r1 * 2;
        if (z + t2 - z === t2) z += t2; // beyond the midpoint: the neighbour is nearer
      }
    }
    d[rd] = z;
    return true;
  }
  if (fmt !== 0 || w[2 * rs1 + 1] !== -1 || w[2 * rs2 + 1] !== -1 || w[2 * rs3 + 1] !== -1) return false;
  const a = negProd ? -s[2 * rs1]! : s[2 * rs1]!;
  const b = s[2 * rs2]!;
  const c = negAdd ? -s[2 * rs3]! : s[2 * rs3]!;
  const p = a * b; // exact in double
  const sum = p + c;
  if (sum - sum !== 0) return false;
  const bb = sum - p;
  const e2 = p - (sum - bb) + (c - bb);
  let z = Math.fround(sum);
  const r1 = sum - z;
  const az = Math.abs(z);
  if (!(az > MIN_NORMAL_S && az <= MAX_S)) return false;
  if (r1 !== 0 || e2 !== 0) {
    fp.fflags |= 1;
    if (r1 !== 0 && e2 !== 0 && e2 > 0 === r1 > 0) {
      const t2 = r1 * 2;
      if (Math.fround(z + t2) - z === t2) z += t2;
    }
  }
  s[2 * rd] = z;
  w[2 * rd + 1] = -1;
  return true;
}
