/**
 * Property tests: the native fast paths (error-free transformations,
 * directed-rounding fix-ups, midpoint corrections) agree bit for bit and
 * flag for flag with the exact BigInt path, in every rounding mode, with
 * and without NX already accrued. The exact path itself is pinned to real
 * hardware behaviour by the reference vectors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { acc, FLAG_NX } from './state.js';
import { addD, addS, divD, divS, mulD, mulS, sqrtD, sqrtS } from './arith.js';
import { fmaD, fmaS } from './fma.js';
import { doubleToSingle, fromInt, INT_L, INT_LU } from './convert.js';
import {
  FMT_D, FMT_S, type Fmt, roundBigInt, roundValue, slowDiv, slowFma, slowMul, slowSqrt, slowSum, zeroSum,
} from './exact.js';
import { fromWords, f32FromBits } from './scratch.js';
import { executeFp, FP_OK } from './index.js';
import { encode } from './vector-file.js';

const RMS = [0, 1, 2, 3, 4];
const RUNS = Number(process.env['FPU_PROPERTY_RUNS'] ?? 4000);

/** Doubles biased toward hard cases: moderate exponents, short mantissas, extremes. */
const word = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const anyDouble = fc.tuple(word, word).map(([lo, hi]) => fromWords(lo, hi));
const moderateDouble = fc.tuple(word, word, fc.integer({ min: 1023 - 70, max: 1023 + 70 }))
  .map(([lo, hi, e]) => fromWords(lo, (hi & 0x800fffff) | (e << 20)));
const shortDouble = fc.tuple(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.integer({ min: -60, max: 60 }))
  .map(([m, e]) => m * 2 ** e);
const extremeDouble = fc.tuple(word, word, fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1960, max: 2046 })))
  .map(([lo, hi, e]) => fromWords(lo, (hi & 0x800fffff) | (e << 20)));
const double = fc.oneof(anyDouble, moderateDouble, moderateDouble, shortDouble, extremeDouble)
  .filter((v) => Number.isFinite(v));

const anyFloat = word.map((b) => f32FromBits(b));
const moderateFloat = fc.tuple(word, fc.integer({ min: 127 - 30, max: 127 + 30 }))
  .map(([b, e]) => f32FromBits((b & 0x807fffff) | (e << 23)));
const shortFloat = fc.tuple(fc.integer({ min: -4096, max: 4096 }), fc.integer({ min: -20, max: 20 }))
  .map(([m, e]) => m * 2 ** e);
const float = fc.oneof(anyFloat, moderateFloat, moderateFloat, shortFloat).filter((v) => Number.isFinite(v));

/** Runs fast and reference for every mode, with and without NX accrued. */
function agree(label: string, fast: (rm: number) => number, ref: (rm: number) => number): void {
  for (const rm of RMS) {
    acc.flags = 0;
    const want = ref(rm);
    const wantFlags = acc.flags;
    for (const initial of [0, FLAG_NX]) {
      acc.flags = initial;
      const got = fast(rm);
      const gotFlags = acc.flags;
      if (!Object.is(got, want) || gotFlags !== (wantFlags | initial)) {
        assert.fail(`${label} rm=${rm} init=${initial}: got ${got} flags ${gotFlags}, want ${want} flags ${wantFlags | initial}`);
      }
    }
  }
}

const refAdd = (a: number, b: number, fmt: Fmt, rm: number): number =>
  a === 0 && b === 0 ? zeroSum(a, b, rm) : slowSum([a, b], fmt, rm);

/** Addend near -(a*b) so the sum cancels or lands near rounding boundaries. */
function nearNegProduct(a: number, b: number, k: number, single: boolean): number {
  const p = single ? Math.fround(a * b) : a * b;
  const c = -p * (1 + k * (single ? 2 ** -23 : 2 ** -52));
  return single ? Math.fround(c) : c;
}

test('double add/sub fast path equals the exact path', () => {
  fc.assert(fc.property(double, double, (a, b) => {
    agree(`add ${a} ${b}`, (rm) => addD(a, b, rm), (rm) => refAdd(a, b, FMT_D, rm));
  }), { numRuns: RUNS });
});

test('double mul fast path equals the exact path', () => {
  fc.assert(fc.property(double, double, (a, b) => {
    agree(`mul ${a} ${b}`, (rm) => mulD(a, b, rm), (rm) => slowMul(a, b, FMT_D, rm));
  }), { numRuns: RUNS });
});

test('double div fast path equals the exact path', () => {
  fc.assert(fc.property(double, double.filter((v) => v !== 0), (a, b) => {
    agree(`div ${a} ${b}`, (rm) => divD(a, b, rm), (rm) => slowDiv(a, b, FMT_D, rm));
  }), { numRuns: RUNS });
});

test('double sqrt fast path equals the exact path', () => {
  fc.assert(fc.property(double.map(Math.abs).filter((v) => v > 0), (a) => {
    agree(`sqrt ${a}`, (rm) => sqrtD(a, rm), (rm) => slowSqrt(a, FMT_D, rm));
  }), { numRuns: RUNS });
});

test('double fused multiply-add fast path equals the exact path (single rounding)', () => {
  const addend = fc.oneof(double, fc.constant(null), fc.constant(null));
  fc.assert(fc.property(double, double, addend, fc.integer({ min: -4, max: 4 }), (a, b, c0, k) => {
    const c = c0 ?? nearNegProduct(a, b, k, false);
    if (!Number.isFinite(c)) return;
    agree(`fma ${a} ${b} ${c}`, (rm) => fmaD(a, b, c, rm), (rm) => slowFma(a, b, c, FMT_D, rm));
  }), { numRuns: RUNS });
});

test('single add/mul/div/sqrt equal the exact path (no double-rounding errors)', () => {
  fc.assert(fc.property(float, float, (a, b) => {
    agree(`adds ${a} ${b}`, (rm) => addS(a, b, rm), (rm) => refAdd(a, b, FMT_S, rm));
    agree(`muls ${a} ${b}`, (rm) => mulS(a, b, rm), (rm) => slowMul(a, b, FMT_S, rm));
    if (b !== 0) agree(`divs ${a} ${b}`, (rm) => divS(a, b, rm), (rm) => slowDiv(a, b, FMT_S, rm));
    const s = Math.abs(a);
    if (s > 0) agree(`sqrts ${s}`, (rm) => sqrtS(s, rm), (rm) => slowSqrt(s, FMT_S, rm));
  }), { numRuns: RUNS });
});

test('single fused multiply-add equals the exact path (single rounding)', () => {
  const addend = fc.oneof(float, fc.constant(null));
  fc.assert(fc.property(float, float, addend, fc.integer({ min: -4, max: 4 }), (a, b, c0, k) => {
    const c = c0 ?? nearNegProduct(a, b, k, true);
    if (!Number.isFinite(c)) return;
    agree(`fmas ${a} ${b} ${c}`, (rm) => fmaS(a, b, c, rm), (rm) => slowFma(a, b, c, FMT_S, rm));
  }), { numRuns: RUNS });
});

test('single fused multiply-add midpoint cases found by construction', () => {
  // x = c + m*2^-k with c a float and the product landing near half an ulp of c.
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 23 - 1 }), fc.integer({ min: 1, max: 4095 }),
    fc.integer({ min: 1, max: 4095 }), fc.integer({ min: -30, max: 30 }), (cm, am, bm, e) => {
      const c = Math.fround((2 ** 23 + cm) * 2 ** e);
      const a = Math.fround(am * 2 ** (e / 2 - 6 | 0));
      const b = Math.fround(bm * 2 ** -6);
      agree(`fmas* ${a} ${b} ${c}`, (rm) => fmaS(a, b, c, rm), (rm) => slowFma(a, b, c, FMT_S, rm));
    }), { numRuns: RUNS });
});

test('double fused multiply-add midpoint cases found by construction', () => {
  // (1 + i 2^-27)(1 + j 2^-27) has a tail below 2^-52; adding c in [2, 4)
  // (ulp 2^-51) often lands p + c on a midpoint with the tail deciding.
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 26 - 1 }), fc.integer({ min: 1, max: 2 ** 26 - 1 }),
    fc.integer({ min: 0, max: 2 ** 25 - 1 }), fc.integer({ min: 0, max: 2 ** 26 - 1 }), fc.boolean(),
    fc.integer({ min: -500, max: 500 }), (i, j, mh, ml, neg, e) => {
      const a = (1 + i * 2 ** -27) * 2 ** e;
      const b = (1 + j * 2 ** -27) * 2 ** -e;
      const c = (neg ? -1 : 1) * (2 + (mh * 2 ** 26 + ml) * 2 ** -51);
      agree(`fma* ${a} ${b} ${c}`, (rm) => fmaD(a, b, c, rm), (rm) => slowFma(a, b, c, FMT_D, rm));
    }), { numRuns: RUNS });
});

test('double to single conversion equals the exact path', () => {
  fc.assert(fc.property(double, (d) => {
    agree(`cvt.s.d ${d}`, (rm) => doubleToSingle(d, rm), (rm) => roundValue(d, FMT_S, rm));
  }), { numRuns: RUNS });
});

test('64-bit integer to float conversions equal the exact path', () => {
  const i64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.integer({ min: 0, max: 62 })).map(([v, s]) => v >> BigInt(s)));
  fc.assert(fc.property(i64, fc.boolean(), (v, unsigned) => {
    const u = BigInt.asUintN(64, v);
    const lo = Number(BigInt.asIntN(32, u));
    const hi = Number(BigInt.asIntN(32, u >> 32n));
    const val = unsigned ? u : v;
    const kind = unsigned ? INT_LU : INT_L;
    agree(`cvt.d.l ${val}`, (rm) => fromInt(lo, hi, kind, true, rm), (rm) => roundBigInt(val, FMT_D, rm));
    agree(`cvt.s.l ${val}`, (rm) => fromInt(lo, hi, kind, false, rm), (rm) => roundBigInt(val, FMT_S, rm));
  }), { numRuns: RUNS });
});

/* ---- the executor's inline hot paths against the exact path ---- */

const ARITH = ['fadd', 'fsub', 'fmul', 'fdiv', 'fsqrt', 'fmadd', 'fmsub', 'fnmsub', 'fnmadd'] as const;

function reference(op: (typeof ARITH)[number], a: number, b: number, c: number, fmt: Fmt, rm: number): number {
  switch (op) {
    case 'fadd': return refAdd(a, b, fmt, rm);
    case 'fsub': return refAdd(a, -b, fmt, rm);
    case 'fmul': return slowMul(a, b, fmt, rm);
    case 'fdiv': return slowDiv(a, b, fmt, rm);
    case 'fsqrt': return a === 0 ? a : slowSqrt(a, fmt, rm);
    case 'fmadd': return slowFma(a, b, c, fmt, rm);
    case 'fmsub': return slowFma(a, b, -c, fmt, rm);
    case 'fnmsub': return slowFma(-a, b, c, fmt, rm);
    default: return slowFma(-a, b, -c, fmt, rm);
  }
}

test('executeFp (inline hot paths included) equals the exact path on random arithmetic', () => {
  const f = new Int32Array(64);
  const x = new Int32Array(64);
  const F64 = new Float64Array(f.buffer);
  const F32 = new Float32Array(f.buffer);
  const fp = { f, fflags: 0, frm: 0 };
  const rmField = fc.constantFrom(0, 0, 0, 1, 2, 3, 4, 7);
  fc.assert(fc.property(fc.constantFrom(...ARITH), fc.boolean(), double, double, double, rmField,
    fc.integer({ min: 0, max: 4 }), fc.boolean(), (op, isD, a0, b0, c0, rmf, frm, nx) => {
      const fmt = isD ? FMT_D : FMT_S;
      const [a, b, c] = isD ? [a0, b0, c0] : [Math.fround(a0), Math.fround(b0), Math.fround(c0)];
      if (![a, b, c].every(Number.isFinite) || (op === 'fdiv' && b === 0) || (op === 'fsqrt' && a < 0)) return;
      const rm = rmf === 7 ? frm : rmf;
      acc.flags = 0;
      const want = reference(op, op === 'fsqrt' ? Math.abs(a) : a, b, c, fmt, rm);
      const wantFlags = acc.flags | (nx ? FLAG_NX : 0);
      const vals = [op === 'fsqrt' ? Math.abs(a) : a, b, c];
      for (let i = 0; i < 3; i++) {
        if (isD) F64[i + 1] = vals[i]!;
        else {
          F32[2 * (i + 1)] = vals[i]!;
          f[2 * (i + 1) + 1] = -1;
        }
      }
      fp.fflags = nx ? FLAG_NX : 0;
      fp.frm = frm;
      const insn = encode(`${op}.${isD ? 'd' : 's'}`, { rd: 4, rs1: 1, rs2: op === 'fsqrt' ? 0 : 2, rs3: 3 }, rmf);
      assert.equal(executeFp(insn, x, fp), FP_OK);
      const got = isD ? F64[4]! : F32[8]!;
      if (!Object.is(got, want) || fp.fflags !== wantFlags || (!isD && f[9] !== -1)) {
        assert.fail(`${op}.${isD ? 'd' : 's'} ${vals.join(' ')} rm=${rm}: got ${got} flags ${fp.fflags}, want ${want} flags ${wantFlags}`);
      }
    }), { numRuns: RUNS * 4 });
});
