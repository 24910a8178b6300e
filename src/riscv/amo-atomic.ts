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

/** The AMO `op` (funct5) at RAM offset `o`: rd gets the old value. Returns false for an unknown op. */
export function amoAtomic(h: Hart, op: number, rd: number, rs2: number, o: number, size: number): boolean {
  const x = h.x;
  if (size === 4) {
    const a = h.bus.ram.i32;
    const i = o >>> 2;
    const b = x[rs2]!;
    let old: number;
    switch (op) {
      case 0x01:
        old = Atomics.exchange(a, i, b);
        break;
      case 0x00:
        old = Atomics.add(a, i, b);
        break;
      case 0x04:
        old = Atomics.xor(a, i, b);
        break;
      case 0x0c:
        old = Atomics.and(a, i, b);
        break;
      case 0x08:
        old = Atomics.or(a, i, b);
        break;
      case 0x10:
      case 0x14:
      case 0x18:
      case 0x1c: {
        const unsigned = op >= 0x18;
        const wantMin = op === 0x10 || op === 0x18;
        for (;;) {
          old = Atomics.load(a, i);
          const less = unsigned ? old >>> 0 < b >>> 0 : old < b;
          const next = less === wantMin ? old : b;
          if (next === old || Atomics.compareExchange(a, i, old, next) === old) break;
        }
        break;
      }
      default:
        return false;
    }
    x[rd] = old;
    x[rd + 1] = old >> 31;
    return true;
  }
  const a = i64View(h);
  const i = o >>> 3;
  const b = BigInt.asIntN(64, toBig(x[rs2]!, x[rs2 + 1]!));
  let old: bigint;
  switch (op) {
    case 0x01:
      old = Atomics.exchange(a, i, b);
      break;
    case 0x00:
      old = Atomics.add(a, i, b);
      break;
    case 0x04:
      old = Atomics.xor(a, i, b);
      break;
    case 0x0c:
      old = Atomics.and(a, i, b);
      break;
    case 0x08:
      old = Atomics.or(a, i, b);
      break;
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1c: {
      const unsigned = op >= 0x18;
      const wantMin = op === 0x10 || op === 0x18;
      for (;;) {
        old = Atomics.load(a, i);
        const less = unsigned ? (old & MASK64) < (b & MASK64) : old < b;
        const next = less === wantMin ? old : b;
        if (next === old || Atomics.compareExchange(a, i, old, next) === old) break;
      }
      break;
    }
    default:
      return false;
  }
  setReg(h, rd, old);
  return true;
}
