/**
 * The A extension for harts that run in parallel on shared RAM (Hart.parallel): every AMO is one Atomics
 * operation (or a compare-exchange loop) on the shared memory, and SC is a compare-exchange against the value
 * LR loaded, as QEMU's multi-threaded TCG does. Another hart storing the same value in between (ABA) lets the SC
 * succeed, which is harmless for every LR/SC idiom (the SC still writes atomically over what LR read).
 *
 * 32-bit operations use the RAM's Int32Array; 64-bit ones a BigInt64Array over the same buffer (BigInt values
 * are slow, but AMOs are rare next to plain loads and stores).
 */
import type { Hart } from './hart.js';

/** A word of shared memory whose atomic updates serve as full memory barriers (a locked instruction on x86). */
const BARRIER = new Int32Array(new SharedArrayBuffer(4));

/**
 * A full memory barrier: no load or store after it is performed before every one before it. JavaScript has no
 * fence of its own, but every Atomics read-modify-write on shared memory is sequentially consistent.
 */
export function fullBarrier(): void {
  Atomics.add(BARRIER, 0, 1);
}

const views = new WeakMap<ArrayBufferLike, BigInt64Array>();

function i64View(h: Hart): BigInt64Array {
  const ram = h.bus.ram;
  let v = views.get(ram.buffer);
  if (v === undefined) {
    v = new BigInt64Array(ram.buffer, 0, ram.size >>> 3);
    views.set(ram.buffer, v);
  }
  return v;
}

const MASK64 = (1n << 64n) - 1n;

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

function setReg(h: Hart, rd: number, v: bigint): void {
  h.x[rd] = Number(BigInt.asIntN(32, v));
  h.x[rd + 1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** LR at RAM offset `o` (aligned, translated, checked): loads and reserves the address and the value seen. */
export function lrAtomic(h: Hart, rd: number, o: number, size: number): void {
  if (size === 4) {
    const v = Atomics.load(h.bus.ram.i32, o >>> 2);
    h.x[rd] = v;
    h.x[rd + 1] = v >> 31;
    h.reservedLo = v;
    h.reservedHi = v >> 31;
  } else {
    const v = Atomics.load(i64View(h), o >>> 3);
    setReg(h, rd, v);
    h.reservedLo = h.x[rd]!;
    h.reservedHi = h.x[rd + 1]!;
  }
  h.reservation = o;
}

/** SC at RAM offset `o`: succeeds (rd = 0) only if reserved here and memory still holds what LR loaded. */
export function scAtomic(h: Hart, rd: number, rs2: number, o: number, size: number): void {
  let ok = false;
  if (h.reservation === o) {
    if (size === 4) {
      ok = Atomics.compareExchange(h.bus.ram.i32, o >>> 2, h.reservedLo, h.x[rs2]!) === h.reservedLo;
    } else {
      const expected = BigInt.asIntN(64, toBig(h.reservedLo, h.reservedHi));
      const seen = Atomics.compareExchange(i64View(h), o >>> 3, expected, BigInt.asIntN(64, toBig(h.x[rs2]!, h.x[rs2 + 1]!)));
      ok = seen === expected;
    }
  }
  h.x[rd] = ok ? 0 : 1;
  h.x[rd + 1] = 0;
  h.reservation = -1;
}

/** The atomic operations on one view (32-bit numbers or 64-bit bigints) that the AMOs need. */
interface AtomicOps<T> {
  exchange(i: number, v: T): T;
  add(i: number, v: T): T;
  xor(i: number, v: T): T;
  and(i: number, v: T): T;
  or(i: number, v: T): T;
  load(i: number): T;
  compareExchange(i: number, expected: T, next: T): T;
  less(a: T, b: T, unsigned: boolean): boolean;
}

function ops32(a: Int32Array): AtomicOps<number> {
  return {
    exchange: (i, v) => Atomics.exchange(a, i, v),
    add: (i, v) => Atomics.add(a, i, v),
    xor: (i, v) => Atomics.xor(a, i, v),
    and: (i, v) => Atomics.and(a, i, v),
    or: (i, v) => Atomics.or(a, i, v),
    load: (i) => Atomics.load(a, i),
    compareExchange: (i, e, n) => Atomics.compareExchange(a, i, e, n),
    less: (x, y, unsigned) => (unsigned ? x >>> 0 < y >>> 0 : x < y),
  };
}

function ops64(a: BigInt64Array): AtomicOps<bigint> {
  return {
    exchange: (i, v) => Atomics.exchange(a, i, v),
    add: (i, v) => Atomics.add(a, i, v),
    xor: (i, v) => Atomics.xor(a, i, v),
    and: (i, v) => Atomics.and(a, i, v),
    or: (i, v) => Atomics.or(a, i, v),
    load: (i) => Atomics.load(a, i),
    compareExchange: (i, e, n) => Atomics.compareExchange(a, i, e, n),
    less: (x, y, unsigned) => (unsigned ? (x & MASK64) < (y & MASK64) : x < y),
  };
}

/** Performs AMO `op` (funct5) on element `i` with operand `b`; returns the old value, or undefined for an unknown op. */
function rmw<T>(ops: AtomicOps<T>, op: number, i: number, b: T): T | undefined {
  switch (op) {
    case 0x01:
      return ops.exchange(i, b);
    case 0x00:
      return ops.add(i, b);
    case 0x04:
      return ops.xor(i, b);
    case 0x0c:
      return ops.and(i, b);
    case 0x08:
      return ops.or(i, b);
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1c: {
      // min, max, minu, maxu: a compare-exchange loop.
      const unsigned = op >= 0x18;
      const wantMin = op === 0x10 || op === 0x18;
      for (;;) {
        const old = ops.load(i);
        const next = ops.less(old, b, unsigned) === wantMin ? old : b;
        if (next === old || ops.compareExchange(i, old, next) === old) return old;
      }
    }
    default:
      return undefined;
  }
}

const ops32Of = new WeakMap<Int32Array, AtomicOps<number>>();
const ops64Of = new WeakMap<BigInt64Array, AtomicOps<bigint>>();

/** The AMO `op` (funct5) at RAM offset `o`: rd gets the old value. Returns false for an unknown op. */
export function amoAtomic(h: Hart, op: number, rd: number, rs2: number, o: number, size: number): boolean {
  const x = h.x;
  if (size === 4) {
    const view = h.bus.ram.i32;
    let ops = ops32Of.get(view);
    if (ops === undefined) ops32Of.set(view, (ops = ops32(view)));
    const old = rmw(ops, op, o >>> 2, x[rs2]!);
    if (old === undefined) return false;
    x[rd] = old;
    x[rd + 1] = old >> 31;
    return true;
  }
  const view = i64View(h);
  let ops = ops64Of.get(view);
  if (ops === undefined) ops64Of.set(view, (ops = ops64(view)));
  const old = rmw(ops, op, o >>> 3, BigInt.asIntN(64, toBig(x[rs2]!, x[rs2 + 1]!)));
  if (old === undefined) return false;
  setReg(h, rd, old);
  return true;
}
