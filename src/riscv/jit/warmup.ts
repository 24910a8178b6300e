/**
 * Warms up the translator's dispatcher (JitHart.run) and code generator before the first guest runs, as
 * riscv/warmup.ts does the interpreter: V8 optimizes a function for the paths it has seen, and throws the
 * optimized code away the first time another one is taken (the dispatcher 9 times in a boot). Here a small
 * program on a hart of its own goes through the common paths first: compiled blocks and the interpreter in
 * turns, exits linked to their successor, slow exits (a device), a CSR access inside a block, a call followed
 * into a trace, budgets that end inside a block, an interrupt pending and enabled but masked. Boot to the prompt
 * from the command line: medians 1419 -> 1347 and 1384 -> 1322 ms (two sets of 12 runs in pairs), though the
 * dispatcher is still thrown away 8 times, by paths this program does not take.
 */
import { SystemBus } from '../../memory/bus.js';
import { GuestRam } from '../../memory/ram.js';
import { MIP_MSIP } from '../constants.js';
import { Hart } from '../hart.js';
import { runHart } from '../run.js';
import { JitHart, type JitStats } from './jit-hart.js';
import { jcacheIndex } from './layout.js';

const BASE = 0x8000_0000;
const DEVICE = 0x1000_0000;

const i = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const s = (imm: number, rs2: number, rs1: number, f3: number): number =>
  (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23;
const b = (imm: number, rs2: number, rs1: number, f3: number): number =>
  (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
  (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63;
const jal = (rd: number, imm: number): number =>
  (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) |
  (rd << 7) | 0x6f;
const WFI = 0x10500073;

/** What the warm-up did (for its test): whether its program reached the WFI, and the translator's counts. */
export interface TranslatorWarmUp {
  readonly idle: boolean;
  readonly instructions: number;
  readonly stats: Readonly<JitStats>;
}

/** Runs the warm-up: ~15 ms, once per process, before a machine on the translator runs. */
export function warmUpTranslator(): TranslatorWarmUp {
  const ram = new GuestRam(BASE, 1 << 20, { wasm: true });
  const bus = new SystemBus(ram);
  bus.map(DEVICE, 0x1000, { name: 'warm-up', read: () => 0, write: () => undefined });
  const h = new Hart(0, bus, { readTime: () => 0 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
  h.engine = 'jit';
  const jit = new JitHart(h);
  h.jit = jit;
  Object.assign(jit.tuning, { hot: 2, batch: 1, batchWait: 1, decayMs: Infinity, async: false });
  const loop = 0x100;
  // A helper on the same page, at a pc that takes the same jump cache entry as the loop's start.
  let helper = 0x8000;
  while (jcacheIndex(BASE + helper) !== jcacheIndex(BASE + loop)) helper += 4;
  const code: [number, number[]][] = [
    [0, [jal(0, loop)]],
    [
      loop,
      [
        i(0, 6, 2, 9, 0x03), //            lw x9, 0(x6): RAM
        i(1, 9, 0, 9, 0x13), //            addi x9, x9, 1
        s(0, 9, 6, 2), //                  sw x9, 0(x6)
        i(0, 14, 2, 13, 0x03), //          lw x13, 0(x14): a device, a slow exit
        i(0x340, 0, 2, 10, 0x73), //       csrrs x10, mscratch, x0: inside the block
        i(3, 7, 7, 11, 0x13), //           andi x11, x7, 3
        b(8, 0, 11, 0), //                 beq x11, x0, +8
        jal(1, helper - (loop + 28)), //   jal x1, helper (three passes in four)
        i(-1, 7, 0, 7, 0x13), //           addi x7, x7, -1
        b(loop - (loop + 36), 0, 7, 1), // bne x7, x0, loop
        i(0x304, 0, 1, 0, 0x73), //        csrrw x0, mie, x0: nothing pending and enabled, so WFI waits
        WFI,
      ],
    ],
    [helper, [i(1, 15, 0, 15, 0x13), i(0, 1, 0, 0, 0x67)]], // addi x15, x15, 1; jalr x0, 0(x1)
  ];
  for (const [at, words] of code) words.forEach((w, k) => (ram.i32[(at >>> 2) + k] = w));
  h.pc = BASE;
  h.x[12] = (BASE + 0x80000) | 0; // x6: data
  h.x[14] = 200; // x7: passes
  h.x[28] = DEVICE; // x14: the device
  // An interrupt pending and enabled in mie, but not taken (mstatus.MIE clear): the dispatcher checks it.
  h.mie = MIP_MSIP;
  h.mipSw = MIP_MSIP;
  const budgets = [1, 5, 37, 1000];
  for (let k = 0; k < 400 && !h.waiting; k++) runHart(h, budgets[k % budgets.length]!);
  return { idle: h.waiting, instructions: h.instret, stats: jit.stats };
}
