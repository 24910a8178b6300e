/**
 * Focused behaviours of the F/D unit. Expected values were checked on
 * QEMU's RISC-V implementation (see tools/fpu-vectors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  executeFp,
  FLAG_DZ,
  FLAG_NV,
  FLAG_NX,
  FLAG_OF,
  FLAG_UF,
  FP_ILLEGAL,
  FP_OK,
  type FpState,
  RM_RDN,
  RM_RMM,
  RM_RNE,
  RM_RTZ,
  RM_RUP,
} from './index.js';
import { encode } from './vector-file.js';

const buf = new DataView(new ArrayBuffer(8));
/** 64-bit pattern of a double as a BigInt. */
function dbits(v: number): bigint {
  buf.setFloat64(0, v, true);
  return buf.getBigUint64(0, true);
}
/** NaN-boxed single. */
function sbits(v: number): bigint {
  buf.setFloat32(0, v, true);
  return 0xffffffff00000000n | BigInt(buf.getUint32(0, true));
}

interface Machine {
  f: Int32Array;
  x: Int32Array;
  fp: FpState;
}
function machine(): Machine {
  const f = new Int32Array(64);
  return { f, x: new Int32Array(64), fp: { f, fflags: 0, frm: 0 } };
}
function set(arr: Int32Array, r: number, v: bigint): void {
  arr[2 * r] = Number(BigInt.asIntN(32, v));
  arr[2 * r + 1] = Number(BigInt.asIntN(32, v >> 32n));
}
function get(arr: Int32Array, r: number): bigint {
  return (BigInt(arr[2 * r + 1]! >>> 0) << 32n) | BigInt(arr[2 * r]! >>> 0);
}

interface Outcome {
  rc: number;
  /** Destination register (f or x depending on the instruction), 64 bits. */
  r: bigint;
  flags: number;
}

/**
 * Runs `name` with operands in f1, f2, f3 (or x5 for integer sources),
 * destination f10 or x10, rounding field rm.
 */
function run(name: string, rm: number, ins: readonly bigint[], opts: { frm?: number; flags?: number } = {}): Outcome {
  const m = machine();
  m.fp.frm = opts.frm ?? 0;
  m.fp.fflags = opts.flags ?? 0;
  const fromX = /^fmv\.[wd]\.x$|^fcvt\.[sd]\.(w|wu|l|lu)$/.test(name);
  const toX = /^(feq|flt|fle|fclass)\.|^fmv\.x\.|^fcvt\.(w|wu|l|lu)\./.test(name);
  ins.forEach((v, i) => set(fromX ? m.x : m.f, fromX ? 5 : i + 1, v));
  const insn = encode(name, { rd: 10, rs1: fromX ? 5 : 1, rs2: 2, rs3: 3 }, rm);
  const rc = executeFp(insn, m.x, m.fp);
  return { rc, r: get(toX ? m.x : m.f, 10), flags: m.fp.fflags };
}

function expectRun(out: Outcome, r: bigint, flags: number): void {
  assert.equal(out.rc, FP_OK);
  assert.equal(out.r.toString(16), r.toString(16));
  assert.equal(out.flags, flags, `flags ${out.flags.toString(2)} want ${flags.toString(2)}`);
}

const CANON_D = 0x7ff8000000000000n;
const CANON_S = 0xffffffff7fc00000n;
const SNAN_D = 0x7ff4000000000000n;
const SNAN_S = 0xffffffff7fa00000n;
const QNAN_D = 0x7ff8000000000123n;
const MAX_D = 1.7976931348623157e308;

test('fadd.d of exact operands gives the sum with no flags', () => {
  expectRun(run('fadd.d', RM_RNE, [dbits(1), dbits(2)]), dbits(3), 0);
});

test('fadd.d rounds in every mode and sets NX', () => {
  const tiny = 2 ** -60;
  const up = dbits(1 + 2 ** -52);
  expectRun(run('fadd.d', RM_RNE, [dbits(1), dbits(tiny)]), dbits(1), FLAG_NX);
  expectRun(run('fadd.d', RM_RTZ, [dbits(1), dbits(tiny)]), dbits(1), FLAG_NX);
  expectRun(run('fadd.d', RM_RDN, [dbits(1), dbits(tiny)]), dbits(1), FLAG_NX);
  expectRun(run('fadd.d', RM_RUP, [dbits(1), dbits(tiny)]), up, FLAG_NX);
  expectRun(run('fadd.d', RM_RMM, [dbits(1), dbits(2 ** -53)]), up, FLAG_NX); // tie away from zero
  expectRun(run('fadd.d', RM_RNE, [dbits(1), dbits(2 ** -53)]), dbits(1), FLAG_NX); // tie to even
  expectRun(run('fadd.d', RM_RTZ, [dbits(-1), dbits(-tiny)]), dbits(-1), FLAG_NX);
  expectRun(run('fadd.d', RM_RDN, [dbits(-1), dbits(-tiny)]), dbits(-(1 + 2 ** -52)), FLAG_NX);
});

test('dynamic rounding mode comes from frm', () => {
  expectRun(run('fadd.d', 7, [dbits(1), dbits(2 ** -60)], { frm: RM_RUP }), dbits(1 + 2 ** -52), FLAG_NX);
});

test('x + -x is +0 except in RDN, where it is -0', () => {
  for (const rm of [RM_RNE, RM_RTZ, RM_RUP, RM_RMM]) expectRun(run('fadd.d', rm, [dbits(5), dbits(-5)]), 0n, 0);
  expectRun(run('fadd.d', RM_RDN, [dbits(5), dbits(-5)]), dbits(-0), 0);
  expectRun(run('fsub.s', RM_RDN, [sbits(5), sbits(5)]), sbits(-0), 0);
  expectRun(run('fadd.d', RM_RDN, [dbits(0), dbits(0)]), 0n, 0);
  expectRun(run('fadd.d', RM_RNE, [dbits(-0), dbits(-0)]), dbits(-0), 0);
});

test('overflow gives infinity or the largest finite value by rounding mode', () => {
  const big = [dbits(MAX_D), dbits(MAX_D)];
  expectRun(run('fadd.d', RM_RNE, big), dbits(Infinity), FLAG_OF | FLAG_NX);
  expectRun(run('fadd.d', RM_RTZ, big), dbits(MAX_D), FLAG_OF | FLAG_NX);
  expectRun(run('fadd.d', RM_RDN, big), dbits(MAX_D), FLAG_OF | FLAG_NX);
  expectRun(run('fadd.d', RM_RUP, big), dbits(Infinity), FLAG_OF | FLAG_NX);
  expectRun(run('fmul.d', RM_RUP, [dbits(MAX_D), dbits(-2)]), dbits(-MAX_D), FLAG_OF | FLAG_NX);
  expectRun(run('fmul.s', RM_RMM, [sbits(3e38), sbits(3e38)]), sbits(Infinity), FLAG_OF | FLAG_NX);
});

test('a sum in [MAX + ulp/2, 2^1024) does not overflow when rounding toward zero', () => {
  // 2^1023 + (2^1023 - 2^970) = 2^1024 - 2^970: RN overflows, RTZ gives MAX exactly rounded.
  expectRun(run('fadd.d', RM_RTZ, [0x7fe0000000000000n, 0x7fdfffffffffffffn]), dbits(MAX_D), FLAG_NX);
});

test('underflow is detected after rounding (RISC-V tininess rule)', () => {
  // (1 - 2^-53) * 2^-1022 is tiny even after rounding with an unbounded exponent: UF.
  expectRun(run('fmul.d', RM_RNE, [0x3fefffffffffffffn, 0x0010000000000000n]), 0x0010000000000000n, FLAG_UF | FLAG_NX);
  // 2^-1022 - 2^-1100 rounds to 2^-1022 with an unbounded exponent: not tiny, no UF.
  const ops = [dbits(2 ** -550), dbits(-(2 ** -550)), dbits(2 ** -1022)];
  expectRun(run('fmadd.d', RM_RNE, ops), 0x0010000000000000n, FLAG_NX);
  expectRun(run('fmadd.d', RM_RDN, ops), 0x000fffffffffffffn, FLAG_UF | FLAG_NX);
  // Exact subnormal results raise nothing.
  expectRun(run('fmul.d', RM_RNE, [dbits(2 ** -1070), dbits(0.5)]), dbits(2 ** -1071), 0);
  expectRun(run('fmul.s', RM_RNE, [sbits(2 ** -140), sbits(2 ** -20)]), sbits(0), FLAG_UF | FLAG_NX);
});

test('fdiv by zero sets DZ and gives a signed infinity; 0/0 is invalid', () => {
  expectRun(run('fdiv.d', RM_RNE, [dbits(-3), dbits(0)]), dbits(-Infinity), FLAG_DZ);
  expectRun(run('fdiv.s', RM_RNE, [sbits(3), sbits(-0)]), sbits(-Infinity), FLAG_DZ);
  expectRun(run('fdiv.d', RM_RNE, [dbits(0), dbits(0)]), CANON_D, FLAG_NV);
  expectRun(run('fdiv.d', RM_RNE, [dbits(Infinity), dbits(0)]), dbits(Infinity), 0);
});

test('fsqrt of a negative number is the canonical NaN with NV; sqrt(-0) is -0', () => {
  expectRun(run('fsqrt.d', RM_RNE, [dbits(-1)]), CANON_D, FLAG_NV);
  expectRun(run('fsqrt.s', RM_RNE, [sbits(-1)]), CANON_S, FLAG_NV);
  expectRun(run('fsqrt.d', RM_RNE, [dbits(-0)]), dbits(-0), 0);
  expectRun(run('fsqrt.d', RM_RUP, [dbits(2)]), dbits(Math.SQRT2), FLAG_NX);
  expectRun(run('fsqrt.d', RM_RDN, [dbits(2)]), dbits(Math.SQRT2) - 1n, FLAG_NX);
});

test('NaN results are canonical; NV only for signaling operands', () => {
  expectRun(run('fadd.d', RM_RNE, [QNAN_D, dbits(1)]), CANON_D, 0);
  expectRun(run('fadd.d', RM_RNE, [dbits(1), SNAN_D]), CANON_D, FLAG_NV);
  expectRun(run('fmul.s', RM_RNE, [SNAN_S, sbits(1)]), CANON_S, FLAG_NV);
  expectRun(run('fsub.d', RM_RNE, [dbits(Infinity), dbits(Infinity)]), CANON_D, FLAG_NV);
});

test('single results are NaN-boxed', () => {
  expectRun(run('fadd.s', RM_RNE, [sbits(1), sbits(2)]), sbits(3), 0);
  expectRun(run('fcvt.s.d', RM_RNE, [dbits(0.5)]), sbits(0.5), 0);
});

test('an improperly NaN-boxed single input reads as the canonical NaN', () => {
  const unboxed = 0x000000003f800000n; // 1.0f with a zero upper half
  expectRun(run('fadd.s', RM_RNE, [unboxed, sbits(1)]), CANON_S, 0);
  expectRun(run('fsgnj.s', 0, [unboxed, sbits(-1)]), 0xffffffffffc00000n, 0);
  expectRun(run('fcvt.d.s', RM_RNE, [unboxed]), CANON_D, 0);
  expectRun(run('fclass.s', 0, [unboxed]), 1n << 9n, 0);
  expectRun(run('fmax.s', 0, [unboxed, sbits(-7)]), sbits(-7), 0);
  expectRun(run('fcvt.w.s', RM_RNE, [unboxed]), 0x7fffffffn, FLAG_NV);
});

test('fmv.x.w sign-extends and does not check NaN-boxing; fmv.w.x NaN-boxes', () => {
  expectRun(run('fmv.x.w', 0, [0x12345678_80000001n]), 0xffffffff80000001n, 0);
  expectRun(run('fmv.w.x', 0, [0x12345678_3f800000n]), sbits(1), 0);
  expectRun(run('fmv.x.d', 0, [SNAN_D]), SNAN_D, 0);
  expectRun(run('fmv.d.x', 0, [SNAN_D]), SNAN_D, 0);
});

test('fsgnj, fsgnjn and fsgnjx move only sign bits (NaN payloads kept)', () => {
  expectRun(run('fsgnj.d', 0, [SNAN_D, dbits(-1)]), SNAN_D | (1n << 63n), 0);
  expectRun(run('fsgnjn.d', 0, [dbits(2), dbits(3)]), dbits(-2), 0);
  expectRun(run('fsgnjx.d', 0, [dbits(-2), dbits(-3)]), dbits(2), 0);
  expectRun(run('fsgnjx.s', 0, [sbits(-2), sbits(3)]), sbits(-2), 0);
});

test('fmin/fmax: -0 < +0, a quiet NaN operand is ignored, sNaN sets NV, two NaNs give the canonical NaN', () => {
  expectRun(run('fmin.d', 0, [dbits(0), dbits(-0)]), dbits(-0), 0);
  expectRun(run('fmax.d', 0, [dbits(-0), dbits(0)]), dbits(0), 0);
  expectRun(run('fmin.d', 0, [QNAN_D, dbits(4)]), dbits(4), 0);
  expectRun(run('fmax.s', 0, [sbits(4), SNAN_S]), sbits(4), FLAG_NV);
  expectRun(run('fmin.d', 0, [QNAN_D, SNAN_D]), CANON_D, FLAG_NV);
  expectRun(run('fmax.d', 0, [dbits(-1), dbits(-2)]), dbits(-1), 0);
});

test('feq is quiet (NV only for sNaN); flt and fle signal on any NaN', () => {
  expectRun(run('feq.d', 0, [QNAN_D, dbits(1)]), 0n, 0);
  expectRun(run('feq.d', 0, [SNAN_D, dbits(1)]), 0n, FLAG_NV);
  expectRun(run('flt.d', 0, [QNAN_D, dbits(1)]), 0n, FLAG_NV);
  expectRun(run('fle.s', 0, [sbits(1), CANON_S]), 0n, FLAG_NV);
  expectRun(run('feq.d', 0, [dbits(-0), dbits(0)]), 1n, 0);
  expectRun(run('fle.d', 0, [dbits(-0), dbits(0)]), 1n, 0);
  expectRun(run('flt.s', 0, [sbits(-0), sbits(0)]), 0n, 0);
});

test('fclass.d reports each of the ten classes', () => {
  const cases: [bigint, number][] = [
    [dbits(-Infinity), 0], [dbits(-1), 1], [0x800fffffffffffffn, 2], [dbits(-0), 3], [dbits(0), 4],
    [0x0000000000000001n, 5], [dbits(1), 6], [dbits(Infinity), 7], [SNAN_D, 8], [CANON_D, 9],
  ];
  for (const [v, bit] of cases) expectRun(run('fclass.d', 0, [v]), 1n << BigInt(bit), 0);
});

test('fcvt.w.d saturates NaN to 0x7fffffff and sets NV', () => {
  expectRun(run('fcvt.w.d', RM_RTZ, [CANON_D]), 0x7fffffffn, FLAG_NV);
  expectRun(run('fcvt.w.d', RM_RTZ, [SNAN_D]), 0x7fffffffn, FLAG_NV);
});

test('fcvt to integers saturates out-of-range values with NV and no NX', () => {
  expectRun(run('fcvt.w.d', RM_RNE, [dbits(-Infinity)]), 0xffffffff80000000n, FLAG_NV);
  expectRun(run('fcvt.w.d', RM_RNE, [dbits(2147483647.5)]), 0x7fffffffn, FLAG_NV); // rounds to 2^31
  expectRun(run('fcvt.w.d', RM_RTZ, [dbits(2147483647.5)]), 0x7fffffffn, FLAG_NX);
  expectRun(run('fcvt.l.d', RM_RNE, [dbits(Infinity)]), 0x7fffffffffffffffn, FLAG_NV);
  expectRun(run('fcvt.l.d', RM_RNE, [dbits(-(2 ** 63))]), 0x8000000000000000n, 0);
  expectRun(run('fcvt.lu.d', RM_RNE, [CANON_D]), 0xffffffffffffffffn, FLAG_NV);
  expectRun(run('fcvt.lu.s', RM_RNE, [sbits(2 ** 64)]), 0xffffffffffffffffn, FLAG_NV);
  expectRun(run('fcvt.wu.d', RM_RNE, [dbits(-1)]), 0n, FLAG_NV);
});

test('fcvt.wu of a value rounding to zero from below is 0 with NX only', () => {
  expectRun(run('fcvt.wu.d', RM_RTZ, [dbits(-0.5)]), 0n, FLAG_NX);
  expectRun(run('fcvt.wu.d', RM_RNE, [dbits(-0.9)]), 0n, FLAG_NV); // rounds to -1
  expectRun(run('fcvt.lu.s', RM_RUP, [sbits(-0.9)]), 0n, FLAG_NX);
});

test('fcvt.wu result is sign-extended into the 64-bit register', () => {
  expectRun(run('fcvt.wu.d', RM_RNE, [dbits(4294967295)]), 0xffffffffffffffffn, 0);
  expectRun(run('fcvt.wu.s', RM_RNE, [sbits(2 ** 31)]), 0xffffffff80000000n, 0);
});

test('fcvt.w.d rounds halfway cases per mode', () => {
  const v = dbits(-2.5);
  expectRun(run('fcvt.w.d', RM_RNE, [v]), BigInt.asUintN(64, -2n), FLAG_NX);
  expectRun(run('fcvt.w.d', RM_RMM, [v]), BigInt.asUintN(64, -3n), FLAG_NX);
  expectRun(run('fcvt.w.d', RM_RTZ, [v]), BigInt.asUintN(64, -2n), FLAG_NX);
  expectRun(run('fcvt.w.d', RM_RDN, [v]), BigInt.asUintN(64, -3n), FLAG_NX);
  expectRun(run('fcvt.w.d', RM_RUP, [v]), BigInt.asUintN(64, -2n), FLAG_NX);
});

test('fcvt.d.l rounds 64-bit integers in every mode', () => {
  const v = [(1n << 53n) + 1n];
  expectRun(run('fcvt.d.l', RM_RNE, v), dbits(2 ** 53), FLAG_NX);
  expectRun(run('fcvt.d.l', RM_RMM, v), dbits(2 ** 53 + 2), FLAG_NX);
  expectRun(run('fcvt.d.l', RM_RUP, v), dbits(2 ** 53 + 2), FLAG_NX);
  expectRun(run('fcvt.d.lu', RM_RNE, [0xffffffffffffffffn]), dbits(2 ** 64), FLAG_NX);
  expectRun(run('fcvt.d.lu', RM_RTZ, [0xffffffffffffffffn]), dbits(2 ** 64 - 2048), FLAG_NX);
  expectRun(run('fcvt.s.l', RM_RNE, [0x8000000000000000n]), sbits(-(2 ** 63)), 0);
  expectRun(run('fcvt.s.w', RM_RNE, [0x12345678_01000001n]), sbits(16777216), FLAG_NX);
  expectRun(run('fcvt.d.wu', RM_RNE, [0xffffffffn]), dbits(4294967295), 0);
});

test('fcvt.s.d rounds once in directed modes; fcvt.d.s is exact and quiets NaNs with NV', () => {
  const x = 1 + 2 ** -24 + 2 ** -50; // just above a float midpoint
  expectRun(run('fcvt.s.d', RM_RNE, [dbits(x)]), sbits(1 + 2 ** -23), FLAG_NX);
  expectRun(run('fcvt.s.d', RM_RTZ, [dbits(x)]), sbits(1), FLAG_NX);
  expectRun(run('fcvt.s.d', RM_RNE, [dbits(1e300)]), sbits(Infinity), FLAG_OF | FLAG_NX);
  expectRun(run('fcvt.s.d', RM_RTZ, [dbits(1e300)]), sbits(3.4028234663852886e38), FLAG_OF | FLAG_NX);
  expectRun(run('fcvt.d.s', RM_RNE, [SNAN_S]), CANON_D, FLAG_NV);
  expectRun(run('fcvt.s.d', RM_RNE, [SNAN_D]), CANON_S, FLAG_NV);
});

test('fmadd.d rounds once (a product error pushes a midpoint sum to the upper neighbour)', () => {
  // (1 + 2^-27)^2 + 2^27 = 2^27 + 1 + 2^-26 + 2^-54: just above a midpoint.
  const a = dbits(1 + 2 ** -27);
  expectRun(run('fmadd.d', RM_RNE, [a, a, dbits(2 ** 27)]), 0x41a0000002000001n, FLAG_NX);
});

test('fmadd.s rounds once (double rounding through a double would be wrong)', () => {
  // (2^8 + 2^-7)(2^8 - 2^-7) + 2^40 + 2^17 = 2^40 + 2^17 + 2^16 - 2^-14.
  const out = run('fmadd.s', RM_RNE, [sbits(2 ** 8 + 2 ** -7), sbits(2 ** 8 - 2 ** -7), sbits(2 ** 40 + 2 ** 17)]);
  expectRun(out, 0xffffffff53800001n, FLAG_NX);
});

test('fused multiply-add variants negate product and addend', () => {
  const [a, b, c] = [dbits(2), dbits(3), dbits(1)];
  expectRun(run('fmadd.d', RM_RNE, [a, b, c]), dbits(7), 0);
  expectRun(run('fmsub.d', RM_RNE, [a, b, c]), dbits(5), 0);
  expectRun(run('fnmsub.d', RM_RNE, [a, b, c]), dbits(-5), 0);
  expectRun(run('fnmadd.d', RM_RNE, [a, b, c]), dbits(-7), 0);
  expectRun(run('fnmadd.s', RM_RNE, [sbits(0), sbits(1), sbits(0)]), sbits(-0), 0);
  expectRun(run('fmadd.d', RM_RDN, [dbits(2), dbits(3), dbits(-6)]), dbits(-0), 0);
});

test('fmadd with infinity times zero is invalid even when the addend is a quiet NaN', () => {
  expectRun(run('fmadd.d', RM_RNE, [dbits(Infinity), dbits(0), QNAN_D]), CANON_D, FLAG_NV);
  expectRun(run('fmadd.s', RM_RNE, [sbits(0), sbits(-Infinity), CANON_S]), CANON_S, FLAG_NV);
  expectRun(run('fmadd.d', RM_RNE, [dbits(Infinity), dbits(1), dbits(-Infinity)]), CANON_D, FLAG_NV);
  expectRun(run('fmadd.d', RM_RNE, [dbits(1e300), dbits(-1e300), dbits(Infinity)]), dbits(Infinity), 0);
});

test('flags accrue: existing fflags bits are kept', () => {
  expectRun(run('fadd.d', RM_RNE, [dbits(1), dbits(2)], { flags: FLAG_DZ | FLAG_NX }), dbits(3), FLAG_DZ | FLAG_NX);
});

test('reserved rounding modes are illegal and change nothing', () => {
  for (const rm of [5, 6]) {
    const out = run('fadd.d', rm, [dbits(1), dbits(2)], { flags: FLAG_OF });
    assert.equal(out.rc, FP_ILLEGAL);
    assert.equal(out.r, 0n);
    assert.equal(out.flags, FLAG_OF);
  }
  for (const frm of [5, 6, 7]) assert.equal(run('fmadd.s', 7, [sbits(1), sbits(1), sbits(1)], { frm }).rc, FP_ILLEGAL);
  // Exact conversions still decode their rm field.
  assert.equal(run('fcvt.d.s', 5, [sbits(1)]).rc, FP_ILLEGAL);
  assert.equal(run('fcvt.d.w', 6, [1n]).rc, FP_ILLEGAL);
  // Instructions without a rounding mode ignore frm.
  assert.equal(run('fsgnj.d', 0, [dbits(1), dbits(1)], { frm: 6 }).rc, FP_OK);
});

test('unsupported formats and encodings are illegal', () => {
  const m = machine();
  const rtype = (f7: number, rs2: number, f3: number, op = 0x53): number =>
    ((f7 << 25) | (rs2 << 20) | (1 << 15) | (f3 << 12) | (10 << 7) | op) >>> 0;
  const illegal = [
    rtype(0x02, 2, 0), // fadd.h
    rtype(0x03, 2, 0), // fadd.q
    rtype(0x2d, 1, 0), // fsqrt.d with rs2 != 0
    rtype(0x20, 0, 0), // fcvt.s.s
    rtype(0x20, 3, 0), // fcvt.s.q
    rtype(0x21, 2, 0), // fcvt.d.h
    rtype(0x61, 4, 0), // fcvt.?.d
    rtype(0x11, 2, 3), // fsgnj funct3 3
    rtype(0x15, 2, 2), // fmin/fmax funct3 2
    rtype(0x51, 2, 3), // compare funct3 3
    rtype(0x71, 0, 2), // fmv.x.d/fclass funct3 2
    rtype(0x71, 1, 0), // fmv.x.d with rs2 != 0
    rtype(0x79, 0, 1), // fmv.d.x funct3 1
    rtype(0x01, 2, 0, 0x43) | (2 << 25), // fmadd.h
    rtype(0x01, 2, 0, 0x43) | (3 << 25), // fmadd.q
    rtype(0x01, 2, 0, 0x07), // not an FP opcode handled here (FLW/FLD)
  ];
  for (const insn of illegal) assert.equal(executeFp(insn, m.x, m.fp), FP_ILLEGAL, insn.toString(16));
});

test('x0 is never written', () => {
  const m = machine();
  set(m.f, 1, dbits(1));
  const insn = encode('feq.d', { rd: 0, rs1: 1, rs2: 1, rs3: 0 }, 0);
  assert.equal(executeFp(insn, m.x, m.fp), FP_OK);
  assert.equal(m.x[0], 0);
  assert.equal(m.x[1], 0);
});

test('a register file that is not 8-byte aligned still works', () => {
  const backing = new Int32Array(65);
  const f = backing.subarray(1);
  const x = new Int32Array(64);
  const fp: FpState = { f, fflags: 0, frm: 0 };
  set(f, 1, dbits(1));
  set(f, 2, dbits(2 ** -60));
  assert.equal(executeFp(encode('fadd.d', { rd: 3, rs1: 1, rs2: 2, rs3: 0 }, RM_RUP), x, fp), FP_OK);
  assert.equal(get(f, 3), dbits(1 + 2 ** -52));
  assert.equal(fp.fflags, FLAG_NX);
});

test('two harts with separate register files do not interfere', () => {
  const a = machine();
  const b = machine();
  set(a.f, 1, dbits(1));
  set(b.f, 1, dbits(10));
  const insn = encode('fadd.d', { rd: 2, rs1: 1, rs2: 1, rs3: 0 }, RM_RNE);
  executeFp(insn, a.x, a.fp);
  executeFp(insn, b.x, b.fp);
  assert.equal(get(a.f, 2), dbits(2));
  assert.equal(get(b.f, 2), dbits(20));
});
