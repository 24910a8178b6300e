// npm run bench:cold — how fast the engines run cold code: code that runs too few times to be compiled, which is
// most of a Linux boot (the kernel runs much of its code a few hundred times). Two bare-metal programs made of a
// kernel-like mix of instructions (half compressed; ALU, loads and stores on the stack, branches taken or not by
// the data, a few jumps), 16k instructions each, looped: 'straight' runs them in order, 'calls' cuts them into
// ~2,000 small functions that a list of 4,096 calls visits in random order (a taken jump every ~8 instructions,
// code fetched from all over). Times the translator with nothing compiled (its WebAssembly interpreter) and the
// interpreter engine in turns in one process, best of RUNS rounds (runs in separate processes on a shared host
// differ by more than the changes this measures). QEMU has no counterpart: TCG compiles everything it runs.
import { GuestRam } from '../dist/memory/ram.js';
import { SystemBus } from '../dist/memory/bus.js';
import { Hart } from '../dist/riscv/hart.js';
import { runHart } from '../dist/riscv/run.js';
import { JitHart } from '../dist/riscv/jit/jit-hart.js';
import { warmUpInterpreter } from '../dist/riscv/warmup.js';
import { A } from '../dist/riscv/testing.js';
import { machineLine } from './peer.mjs';

const runs = Number(process.env.RUNS ?? 10);
const MILLIONS = Number(process.env.MILLIONS ?? 4);
const BASE = 0x8000_0000;
const DATA = 0x40_0000; // RAM offset of the data the stack pointer points into

/** The program's 16-bit parcels, and where it starts (a byte offset). */
function program(calls) {
  let seed = 12345;
  const rnd = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const W = [5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 28, 29, 30, 31]; // written; x2 and x8 point at data
  const C = [9, 10, 11, 12, 13, 14, 15]; // the compressed forms' registers
  const pick = (a) => a[rnd(a.length)];
  const p = [];
  const p32 = (w) => p.push(w & 0xffff, (w >>> 16) & 0xffff);
  for (let i = 0; i < 16384; i++) {
    const r = rnd(100);
    const rd = pick(W);
    const b = pick(W);
    if (r < 12) p.push((pick(C) << 7) | (((rnd(31) + 1) & 31) << 2) | 1); // c.addi
    else if (r < 18) p.push((2 << 13) | (pick(C) << 7) | (rnd(31) << 2) | 1); // c.li
    else if (r < 24) p.push((8 << 12) | (pick(C) << 7) | (pick(W) << 2) | 2); // c.mv
    else if (r < 28) p.push((9 << 12) | (pick(C) << 7) | (pick(W) << 2) | 2); // c.add
    else if (r < 31) p.push((pick(C) << 7) | ((rnd(30) + 1) << 2) | 2); // c.slli
    else if (r < 37) p.push((3 << 13) | (rnd(8) << 10) | (rnd(4) << 5) | ((pick(C) - 8) << 2)); // c.ld off(s0)
    else if (r < 40) p.push((7 << 13) | (rnd(8) << 10) | (rnd(4) << 5) | ((pick(C) - 8) << 2)); // c.sd off(s0)
    else if (r < 44) p.push(((6 + rnd(2)) << 13) | ((pick(C) - 8) << 7) | 0x8 | 1); // c.beqz/c.bnez to the next
    else if (r < 52) p32(A.addi(rd, pick(W), rnd(4096) - 2048));
    else if (r < 58) p32([A.add, A.xor, A.sub, A.or, A.and, A.sltu, A.addw][rnd(7)](rd, pick(W), b));
    else if (r < 61) p32([A.slli, A.srli, A.srai][rnd(3)](rd, pick(W), rnd(64)));
    else if (r < 68) p32([A.ld, A.lw, A.lbu, A.lwu, A.lh][rnd(5)](rd, 2, rnd(256) * 8));
    else if (r < 73) p32([A.sd, A.sw, A.sb][rnd(3)](b, 2, rnd(256) * 8));
    else if (r < 83) p32([A.beq, A.bne, A.blt, A.bltu, A.bge][rnd(5)](pick(W), b, 4)); // to the next, taken or not
    else if (r < 86) p32(A.jal(0, 4));
    else if (r < 89) p32(A.lui(rd, rnd(1 << 20) << 12));
    else p32(A.addiw(rd, pick(W), rnd(4096) - 2048));
  }
  if (!calls) {
    p32(A.jal(0, -p.length * 2));
    return { parcels: p, start: 0 };
  }
  // Functions of 12-23 parcels (whole instructions) each ending in a return, then the calls and a jump back.
  const body = p.splice(0);
  const fns = [];
  let k = 0;
  while (k < body.length - 40) {
    fns.push(p.length * 2);
    const end = k + 12 + rnd(12);
    while (k < end) {
      const len = (body[k] & 3) === 3 ? 2 : 1;
      for (let j = 0; j < len; j++) p.push(body[k + j]);
      k += len;
    }
    p32(A.jalr(0, 1, 0));
  }
  const start = p.length * 2;
  for (let c = 0; c < 4096; c++) p32(A.jal(1, fns[rnd(fns.length)] - p.length * 2));
  p32(A.jal(0, start - p.length * 2));
  return { parcels: p, start };
}

/** A fresh hart running `prog` on `engine`; returns a function that runs it for `n` instructions. */
function machine(engine, prog) {
  const ram = new GuestRam(BASE, 64 << 20, { wasm: true });
  const h = new Hart(0, new SystemBus(ram), { readTime: () => 0 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
  h.engine = engine;
  if (engine === 'jit') {
    h.jit = new JitHart(h);
    Object.assign(h.jit.tuning, { hot: 0x7fff_ffff, hotPrivileged: 0x7fff_ffff });
  }
  h.reset(BASE);
  prog.parcels.forEach((v, i) => (ram.u16[i] = v));
  for (let i = 0; i < 8192; i++) ram.i32[(DATA >>> 2) + i] = Math.imul(i + 1, 0x9e3779b9);
  for (const [reg, at] of [[2, DATA], [8, DATA + 4096]]) {
    h.x[reg * 2] = BASE + at;
    h.x[reg * 2 + 1] = 0;
  }
  h.pc = BASE + prog.start;
  return {
    h,
    run(n) {
      // Nothing becomes hot: the branch watch's counts (64 KiB) are cleared every 100,000 instructions, before any
      // block start adds up the 2,048 visits that make it hot however slowly (branch-watch.ts HOT_TOTAL).
      for (let done = 0; done < n; done += 100_000) {
        h.jit?.watch.counts.fill(0);
        runHart(h, 100_000);
      }
    },
  };
}

console.log(`cold code, best of ${runs} rounds of ${MILLIONS} M instructions each, in turns — ${machineLine()}`);
warmUpInterpreter();
const configs = [];
for (const calls of [false, true]) {
  const prog = program(calls);
  for (const [engine, label] of [['jit', 'translator (wasm interpreter)'], ['interp', 'interpreter']]) {
    configs.push({ name: `${(calls ? 'calls' : 'straight').padEnd(10)} ${label.padEnd(30)}`, m: machine(engine, prog), best: Infinity });
  }
}
for (const c of configs) c.m.run(5_000_000); // V8 optimizes (and tiers up) the engines meanwhile
// In turns, so that the host's changes of speed (large on shared machines) fall on every configuration alike.
for (let r = 0; r < runs; r++) {
  for (const c of configs) {
    const t0 = performance.now();
    c.m.run(MILLIONS * 1e6);
    c.best = Math.min(c.best, ((performance.now() - t0) * 1e6) / (MILLIONS * 1e6));
  }
}
console.log('program    engine                      ns/instruction   M instructions/s');
for (const c of configs) {
  if (c.m.h.jit !== undefined && c.m.h.jit.stats.compiled !== 0) throw new Error('a block was compiled: the figures are not cold code');
  console.log(`${c.name} ${c.best.toFixed(2).padStart(10)} ${(1000 / c.best).toFixed(0).padStart(16)}`);
}
