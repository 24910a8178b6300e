import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { divrem32, divrem64, divremu64, mul64, mulh64 } from './muldiv.js';

const INT64_MIN = -(1n << 63n);
const INT32_MIN = -(1n << 31n);
const S64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

function lo(v: bigint): number {
  return Number(BigInt.asUintN(32, v)) | 0;
}
function hi(v: bigint): number {
  return Number(BigInt.asUintN(32, v >> 32n)) | 0;
}
function res(out: Int32Array): bigint {
  return (BigInt(out[1]! | 0) << 32n) | BigInt(out[0]! >>> 0);
}

/** Reference semantics from the M extension chapter of the unprivileged spec. */
const ref = {
  mul: (a: bigint, b: bigint) => S64(a * b),
  mulh: (a: bigint, b: bigint) => S64((S64(a) * S64(b)) >> 64n),
  mulhsu: (a: bigint, b: bigint) => S64((S64(a) * U64(b)) >> 64n),
  mulhu: (a: bigint, b: bigint) => S64((U64(a) * U64(b)) >> 64n),
  div: (a: bigint, b: bigint) => {
    a = S64(a);
    b = S64(b);
    if (b === 0n) return -1n;
    if (a === INT64_MIN && b === -1n) return INT64_MIN;
    return a / b;
  },
  rem: (a: bigint, b: bigint) => {
    a = S64(a);
    b = S64(b);
    if (b === 0n) return a;
    if (a === INT64_MIN && b === -1n) return 0n;
    return a % b;
  },
  divu: (a: bigint, b: bigint) => (U64(b) === 0n ? -1n : S64(U64(a) / U64(b))),
  remu: (a: bigint, b: bigint) => (U64(b) === 0n ? S64(a) : S64(U64(a) % U64(b))),
};

function w(v: bigint): bigint {
  return BigInt.asIntN(32, v);
}
const ref32 = {
  divw: (a: bigint, b: bigint) => {
    a = w(a);
    b = w(b);
    if (b === 0n) return -1n;
    if (a === INT32_MIN && b === -1n) return INT32_MIN;
    return w(a / b);
  },
  remw: (a: bigint, b: bigint) => {
    a = w(a);
    b = w(b);
    if (b === 0n) return a;
    if (a === INT32_MIN && b === -1n) return 0n;
    return w(a % b);
  },
  divuw: (a: bigint, b: bigint) => {
    const ua = BigInt.asUintN(32, a);
    const ub = BigInt.asUintN(32, b);
    return ub === 0n ? -1n : w(ua / ub);
  },
  remuw: (a: bigint, b: bigint) => {
    const ua = BigInt.asUintN(32, a);
    const ub = BigInt.asUintN(32, b);
    return ub === 0n ? w(ua) : w(ua % ub);
  },
};

type Impl = (a: bigint, b: bigint) => bigint;
const out = new Int32Array(2);
const impl: Record<keyof typeof ref, Impl> = {
  mul: (a, b) => (mul64(out, lo(a), hi(a), lo(b), hi(b)), res(out)),
  mulh: (a, b) => (mulh64(out, lo(a), hi(a), lo(b), hi(b), 0), res(out)),
  mulhsu: (a, b) => (mulh64(out, lo(a), hi(a), lo(b), hi(b), 1), res(out)),
  mulhu: (a, b) => (mulh64(out, lo(a), hi(a), lo(b), hi(b), 2), res(out)),
  div: (a, b) => (divrem64(out, lo(a), hi(a), lo(b), hi(b), false), res(out)),
  rem: (a, b) => (divrem64(out, lo(a), hi(a), lo(b), hi(b), true), res(out)),
  divu: (a, b) => (divremu64(out, lo(a), hi(a), lo(b), hi(b), false), res(out)),
  remu: (a, b) => (divremu64(out, lo(a), hi(a), lo(b), hi(b), true), res(out)),
};
const impl32: Record<keyof typeof ref32, Impl> = {
  divw: (a, b) => BigInt(divrem32(lo(a), lo(b), false, false)),
  remw: (a, b) => BigInt(divrem32(lo(a), lo(b), false, true)),
  divuw: (a, b) => BigInt(divrem32(lo(a), lo(b), true, false)),
  remuw: (a, b) => BigInt(divrem32(lo(a), lo(b), true, true)),
};

const CORNERS: bigint[] = [
  0n, 1n, -1n, 2n, -2n, 3n, -3n, 7n, -7n,
  0x7fff_ffffn, INT32_MIN, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, -0x1_0000_0000n,
  0x7fff_ffff_ffff_ffffn, INT64_MIN, INT64_MIN + 1n, 0x1234_5678_9abc_def0n, -0x1234_5678_9abc_def0n,
  (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, -(1n << 53n) - 1n,
];

/** 64-bit values biased towards interesting shapes (small, 32-bit, near 2^53, full-width). */
const arb64 = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: (1n << 63n) - 1n }),
  fc.bigInt({ min: -(1n << 31n), max: (1n << 31n) - 1n }),
  fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
  fc.bigInt({ min: -(1n << 54n), max: 1n << 54n }),
  fc.constantFrom(...CORNERS),
);

for (const name of Object.keys(ref) as Array<keyof typeof ref>) {
  test(`${name} matches the BigInt reference on corner values`, () => {
    for (const a of CORNERS) {
      for (const b of CORNERS) assert.equal(impl[name](a, b), ref[name](a, b), `${name}(${a}, ${b})`);
    }
  });
  test(`${name} matches the BigInt reference on random pairs`, () => {
    fc.assert(
      fc.property(arb64, arb64, (a, b) => {
        assert.equal(impl[name](a, b), ref[name](a, b), `${name}(${a}, ${b})`);
      }),
      { numRuns: 2000 },
    );
  });
}

for (const name of Object.keys(ref32) as Array<keyof typeof ref32>) {
  test(`${name} matches the BigInt reference (sign-extended 32-bit result)`, () => {
    for (const a of CORNERS) {
      for (const b of CORNERS) assert.equal(impl32[name](a, b), ref32[name](a, b), `${name}(${a}, ${b})`);
    }
    fc.assert(
      fc.property(arb64, arb64, (a, b) => {
        assert.equal(impl32[name](a, b), ref32[name](a, b), `${name}(${a}, ${b})`);
      }),
      { numRuns: 2000 },
    );
  });
}

test('division by zero gives all ones for the quotient and the dividend for the remainder', () => {
  for (const a of [0n, 1n, -1n, 0x1234_5678_9abc_def0n, INT64_MIN]) {
    assert.equal(impl.div(a, 0n), -1n);
    assert.equal(impl.divu(a, 0n), -1n);
    assert.equal(impl.rem(a, 0n), a);
    assert.equal(impl.remu(a, 0n), a);
  }
  assert.equal(impl32.divw(5n, 0n), -1n);
  assert.equal(impl32.divuw(5n, 0n), -1n);
  assert.equal(impl32.remw(-5n, 0n), -5n);
  assert.equal(impl32.remuw(0x8000_0000n, 0n), INT32_MIN, 'remuw by zero returns the sign-extended dividend');
});

test('signed overflow: INT64_MIN / -1 = INT64_MIN rem 0; INT32_MIN / -1 = INT32_MIN rem 0 for the W forms', () => {
  assert.equal(impl.div(INT64_MIN, -1n), INT64_MIN);
  assert.equal(impl.rem(INT64_MIN, -1n), 0n);
  assert.equal(impl32.divw(INT32_MIN, -1n), INT32_MIN);
  assert.equal(impl32.remw(INT32_MIN, -1n), 0n);
  // As 64-bit operands INT32_MIN / -1 does not overflow.
  assert.equal(impl.div(INT32_MIN, -1n), 0x8000_0000n);
  assert.equal(impl.rem(INT32_MIN, -1n), 0n);
});

test('quotients truncate toward zero and remainders take the sign of the dividend', () => {
  assert.equal(impl.div(-7n, 2n), -3n);
  assert.equal(impl.rem(-7n, 2n), -1n);
  assert.equal(impl.div(7n, -2n), -3n);
  assert.equal(impl.rem(7n, -2n), 1n);
  assert.equal(impl.rem(-4n, 2n), 0n);
  assert.equal(impl32.remw(-7n, 2n), -1n);
});
