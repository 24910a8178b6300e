/**
 * Test helpers for the translator: the same hart as testing.ts's makeHart, on wasm-backed RAM with the jit
 * engine, and a comparison of two harts' whole state. Only tests import this module.
 */
import { GuestRam } from '../../memory/ram.js';
import { SystemBus } from '../../memory/bus.js';
import { Hart } from '../hart.js';
import { runHart } from '../run.js';
import type { Engine } from '../engine.js';
import { JitHart } from './jit-hart.js';
import { MTVEC, RAM_BASE, RAM_SIZE, setCsrRaw, type Rig } from '../testing.js';

/**
 * A fresh hart in M-mode at RAM_BASE, mtvec = MTVEC, running on `engine` (on wasm-backed RAM). The translator
 * compiles every block the second time it is reached, alone, so that tests run as much translated code as they can.
 * With `parallel`, the RAM is a shared memory and the hart is marked as running in parallel with others
 * (Hart.parallel: atomic AMOs, LR/SC by value); `ram` puts it on an existing RAM as hart `hartId` (own decode cache).
 */
export function makeEngineHart(engine: Engine, parallel = false, ram?: GuestRam, hartId = 0): Rig {
  ram ??= new GuestRam(RAM_BASE, RAM_SIZE, { wasm: true, shared: parallel });
  const bus = new SystemBus(ram);
  const h = new Hart(hartId, bus, { readTime: () => 1234 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
  h.parallel = parallel;
  h.engine = engine;
  if (engine === 'jit') {
    h.jit = new JitHart(h);
    Object.assign(h.jit.tuning, { hot: 2, hotPrivileged: undefined, batch: 1, batchWait: 1, decayMs: Infinity, async: false });
  }
  h.reset(RAM_BASE);
  setCsrRaw(h, 0x305, BigInt(MTVEC));
  return { ram, bus, h };
}

/** Runs in slices of `slice` instructions until the hart waits (WFI) or about `max` instructions ran. */
export function runUntilIdle(h: Hart, max: number, slice = 1000): boolean {
  const start = h.instret;
  while (h.instret - start < max) {
    const before = h.instret;
    runHart(h, slice);
    if (h.waiting) return true;
    if (h.instret === before && !h.waiting) runHart(h, 1);
  }
  return h.waiting;
}

/**
 * Differences between two harts' architectural state and RAM (all of it, or the byte offsets [start, end) of
 * `window`), as readable lines (empty when equal).
 */
export function diffState(a: Rig, b: Rig, withInstret = true, window?: readonly [number, number]): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) {
    if (a.h.x[i] !== b.h.x[i]) out.push(`x${i >> 1}.${i & 1 ? 'hi' : 'lo'}: ${a.h.x[i]} vs ${b.h.x[i]}`);
  }
  if (a.h.pc !== b.h.pc) out.push(`pc: ${a.h.pc.toString(16)} vs ${b.h.pc.toString(16)}`);
  if (a.h.priv !== b.h.priv) out.push(`priv: ${a.h.priv} vs ${b.h.priv}`);
  if (a.h.mstatus !== b.h.mstatus) out.push(`mstatus: ${a.h.mstatus} vs ${b.h.mstatus}`);
  if (a.h.reservation !== b.h.reservation) out.push(`reservation: ${a.h.reservation} vs ${b.h.reservation}`);
  if (a.h.parallel && (a.h.reservedLo !== b.h.reservedLo || a.h.reservedHi !== b.h.reservedHi)) {
    out.push(`reserved value: ${a.h.reservedHi}:${a.h.reservedLo} vs ${b.h.reservedHi}:${b.h.reservedLo}`);
  }
  if (withInstret && a.h.instret !== b.h.instret) out.push(`instret: ${a.h.instret} vs ${b.h.instret}`);
  for (let i = 0; i < a.h.csr.length; i++) {
    if (a.h.csr[i] !== b.h.csr[i]) out.push(`csr 0x${(i >> 1).toString(16)}: ${a.h.csr[i]} vs ${b.h.csr[i]}`);
  }
  for (let i = 0; i < a.h.fp.f.length; i++) if (a.h.fp.f[i] !== b.h.fp.f[i]) out.push(`f[${i}] differs`);
  const [start, end] = window ?? [0, a.ram.u8.length];
  const ua = a.ram.u8.subarray(start, end);
  const ub = b.ram.u8.subarray(start, end);
  if (Buffer.compare(ua, ub) !== 0) {
    for (let i = 0; i < ua.length && out.length < 40; i++) {
      if (ua[i] !== ub[i]) out.push(`ram 0x${(RAM_BASE + start + i).toString(16)}: ${ua[i]} vs ${ub[i]}`);
    }
  }
  return out;
}
