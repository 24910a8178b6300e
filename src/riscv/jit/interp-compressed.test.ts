/**
 * Every compressed instruction in the translator's WebAssembly interpreter (interp-wasm.ts, which expands them
 * through compressed.ts's table in the area) against the TypeScript interpreter: each of the 49,152 parcels runs
 * once with registers pointing into RAM (loads and stores that hit, at any alignment, and jumps that land on code)
 * and once with random registers (faults, and the ALU on any value), and both engines must end in the same state.
 * The random differential test (differential.test.ts) reaches few of them with pointers that hit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MTVEC, RAM_BASE, setCsrRaw, setX, type Rig } from '../testing.js';
import { diffState, makeEngineHart, runUntilIdle } from './test-rig.js';

const CODE = RAM_BASE + 0x2000;
const DATA = RAM_BASE + 0x8000;
const WFI = 0x10500073;
const C_EBREAK = 0x9002;
/** The window a test instruction may write to: DATA's registers plus the largest offsets. */
const WINDOW_START = DATA - 0x1000 - RAM_BASE;
const WINDOW_END = DATA + 0x1000 - RAM_BASE;

/** A fixed pseudo-random sequence (xorshift), so that a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Code (a page around CODE) and data (the window around DATA) full of c.ebreak, so that every jump lands on one. */
function prepare(rig: Rig): Uint8Array {
  const u16 = new Uint16Array(rig.ram.u8.buffer, rig.ram.u8.byteOffset, rig.ram.u8.byteLength >> 1);
  u16.fill(C_EBREAK, (CODE - 0x1000 - RAM_BASE) >> 1, (CODE + 0x1000 - RAM_BASE) >> 1);
  u16.fill(C_EBREAK, WINDOW_START >> 1, WINDOW_END >> 1);
  rig.ram.i32[(MTVEC - RAM_BASE) / 4] = WFI;
  return rig.ram.u8.slice(WINDOW_START, WINDOW_END);
}

function runOne(rig: Rig, window: Uint8Array, parcel: number, regs: readonly bigint[], mode: number): void {
  const { h, ram } = rig;
  ram.u8.set(window, WINDOW_START);
  ram.u8[CODE - RAM_BASE] = parcel & 0xff;
  ram.u8[CODE - RAM_BASE + 1] = parcel >> 8;
  // As Hart.reset, but keeping the TLB (so the loads and stores hit and the WebAssembly interpreter makes them).
  h.x.fill(0);
  h.csr.fill(0);
  setCsrRaw(h, 0x305, BigInt(MTVEC));
  for (let i = 0; i < 64; i++) h.fp.f[i] = Math.imul(i + 7, 0x2545f491);
  h.pc = CODE;
  h.priv = 3;
  h.mstatus = mode;
  h.instret = 0;
  h.reservation = -1;
  h.waiting = false;
  h.decode.clear(); // the parcel was written behind its back
  regs.forEach((v, i) => setX(h, i + 1, v));
  runUntilIdle(h, 50);
}

test('every compressed parcel runs in the WebAssembly interpreter as in the TypeScript interpreter', () => {
  const a = makeEngineHart('interp');
  const b = makeEngineHart('jit');
  b.h.jit!.tuning.hot = Infinity; // nothing compiled: the WebAssembly interpreter runs it
  const window = prepare(a);
  prepare(b);
  const next = random(0x5eed);
  let inWasm = 0;
  let legal = 0;
  for (let parcel = 0; parcel < 0x10000; parcel++) {
    if ((parcel & 3) === 3) continue;
    for (const pointers of [true, false]) {
      // Registers into the window (sp among them), or any 64-bit values; FP on (for c.fld...) in one of the two
      // runs, off in the other.
      // A quarter of the parcels have pointers of any alignment (misaligned accesses go to the TypeScript one).
      const aligned = ((parcel >> 2) & 3) !== 0;
      const regs = Array.from({ length: 31 }, () =>
        pointers ? BigInt(DATA + ((next() % 0x200) & (aligned ? ~7 : ~0)) - 0x40) : (BigInt(next()) << 32n) | BigInt(next()),
      );
      const mode = pointers ? 3 << 13 : 0;
      const before = b.h.jit!.stats.interpretedWasm;
      runOne(a, window, parcel, regs, mode);
      runOne(b, window, parcel, regs, mode);
      const diff = diffState(a, b, true, [WINDOW_START, WINDOW_END]);
      assert.deepEqual(diff, [], `parcel 0x${parcel.toString(16).padStart(4, '0')} (${pointers ? 'pointers' : 'random registers'})`);
      if (!pointers || !aligned) continue;
      if (a.h.csr[0x342 * 2] !== 2) legal++; // mcause: not an illegal instruction
      if (b.h.jit!.stats.interpretedWasm > before) inWasm++;
    }
  }
  // With registers pointing into RAM, every legal instruction but the few the interpreter leaves to the TypeScript
  // one (c.ebreak, the first accesses to a page, which fill the TLB) ran in WebAssembly.
  assert.ok(inWasm > legal * 0.9, `${inWasm} of ${legal} legal parcels ran in WebAssembly`);
});
