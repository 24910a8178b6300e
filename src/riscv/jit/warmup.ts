/**
 * Warms up the translator's dispatcher (JitHart.run) and code generator before the first guest runs, as
 * riscv/warmup.ts does the interpreter: V8 optimizes a function for the paths it has seen, and throws the
 * optimized code away the first time another one is taken (the dispatcher 9 times in a boot). Here a small
 * program on a hart of its own goes through the common paths first: compiled blocks and the interpreter in
 * turns, exits linked to their successor, slow exits (a device), a CSR access inside a block, a call followed
 * into a trace, budgets that end inside a block, an interrupt pending and enabled but masked. Boot to the prompt
 * from the command line: medians 1419 -> 1347 and 1384 -> 1322 ms (two sets of 12 runs in pairs), though the
 * dispatcher was still thrown away 8 times, by paths this program did not take. Since then it also goes through
 * batches of two, decaying counts, an empty fetch TLB and a wake-up from WFI, makes its hart twice (see
 * makeHart's caller), and generates code for every instruction form the translator takes; with the early
 * warm-up (machine/warm-up.ts) boot went from 1423 to 1242 ms (medians of 9, docs/benchmarks.md).
 */
import { SystemBus } from '../../memory/bus.js';
import { GuestRam } from '../../memory/ram.js';
import { MIP_MSIP } from '../constants.js';
import { bType, iType, jType, sType } from '../encode.js';
import { Hart } from '../hart.js';
import { runHart } from '../run.js';
import { instructionForms } from '../warmup.js';
import { compileBlock } from './compile.js';
import { JitHart, type JitStats } from './jit-hart.js';
import { MAX_BLOCK, translatable } from './scan.js';
import { jcacheIndex } from './layout.js';

const BASE = 0x8000_0000;
const DEVICE = 0x1000_0000;
const WFI = 0x10500073;

/** What the warm-up did (for its test): whether its program reached the WFI, and the translator's counts. */
export interface TranslatorWarmUp {
  readonly idle: boolean;
  readonly instructions: number;
  readonly stats: Readonly<JitStats>;
}

/**
 * Generates (but neither compiles nor runs) the code of blocks holding every instruction form the translator
 * takes: the program above uses a few, and each other one a guest reached first made V8 throw away the
 * optimized code generator (and the scanner's `translatable`).
 */
function compileEveryForm(): void {
  const forms = instructionForms().filter((w) => translatable(w) && (w & 0x7f) !== 0x6f && (w & 0x7f) !== 0x67);
  for (let at = 0; at < forms.length; at += MAX_BLOCK - 1) {
    const insns = forms.slice(at, at + MAX_BLOCK - 1).map((insn, k) => ({ pc: BASE + 4 * k, insn, len: 4, guard: undefined, taken: false }));
    // With a jump back to its start, the block loops.
    insns.push({ pc: BASE + 4 * insns.length, insn: jType(0, -4 * insns.length), len: 4, guard: undefined, taken: false });
    compileBlock(insns, (target) => (target === BASE ? 0x7_0000 : 0));
    // Without the jump: a block that does not loop (registers loaded where first read, exits that differ).
    compileBlock(insns.slice(0, -1), () => 0);
  }
}

/** A hart on wasm RAM with a device at DEVICE, on the translator, which compiles every block at once. */
function makeHart(): Hart {
  const ram = new GuestRam(BASE, 1 << 20, { wasm: true });
  const bus = new SystemBus(ram);
  bus.map(DEVICE, 0x1000, { name: 'warm-up', read: () => 0, write: () => undefined });
  const h = new Hart(0, bus, { readTime: () => 0 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
  h.engine = 'jit';
  h.jit = new JitHart(h);
  // Blocks queued two to a batch, or after a few interpreted instructions: both ways of compiling a batch.
  Object.assign(h.jit.tuning, { hot: 2, hotPrivileged: undefined, batch: 2, batchWait: 8, decayMs: Infinity, async: false });
  return h;
}

/** Runs the warm-up: 25–40 ms, once per process, before a machine on the translator runs. */
export function warmUpTranslator(): TranslatorWarmUp {
  // Twice: the second hart makes V8 mark the fields of these classes variable now, not when the machine makes
  // its own (see riscv/warmup.ts); that change of their hidden classes left the dispatcher optimized for
  // classes no longer in use, and V8 threw it away three to five times early in a boot.
  makeHart();
  const h = makeHart();
  const ram = h.bus.ram;
  const jit = h.jit!;
  const loop = 0x100;
  // A helper on the same page, at a pc that takes the same jump cache entry as the loop's start.
  let helper = 0x8000;
  while (jcacheIndex(BASE + helper) !== jcacheIndex(BASE + loop)) helper += 4;
  const code: [number, number[]][] = [
    [0, [jType(0, loop)]],
    [
      loop,
      [
        iType(0x03, 9, 2, 6, 0),                // lw x9, 0(x6): RAM
        iType(0x13, 9, 0, 9, 1),                // addi x9, x9, 1
        sType(0x23, 2, 6, 9, 0),                // sw x9, 0(x6)
        iType(0x03, 13, 2, 14, 0),              // lw x13, 0(x14): a device, a slow exit
        iType(0x73, 10, 2, 0, 0x340),           // csrrs x10, mscratch, x0: inside the block
        iType(0x13, 11, 7, 7, 3),               // andi x11, x7, 3
        bType(0, 11, 0, 8),                     // beq x11, x0, +8
        jType(1, helper - (loop + 28)),         // jal x1, helper (three passes in four)
        iType(0x13, 7, 0, 7, -1),               // addi x7, x7, -1
        bType(1, 7, 0, loop - (loop + 36)),     // bne x7, x0, loop
        iType(0x73, 0, 1, 0, 0x304),            // csrrw x0, mie, x0: nothing pending and enabled, so WFI waits
        WFI,
        jType(0, 0),                            // j . (after the wake-up below)
      ],
    ],
    [helper, [iType(0x13, 15, 0, 15, 1), iType(0x67, 0, 0, 1, 0)]], // addi x15, x15, 1; jalr x0, 0(x1)
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
  for (let k = 0; k < 400 && !h.waiting; k++) {
    // Now and then the counts decay (every 10 ms in a machine), and the fetch TLB is empty (the dispatcher
    // leaves the pc to the interpreter, which refills it).
    jit.tuning.decayMs = k % 4 === 3 ? 1e-9 : Infinity;
    if (k % 4 === 1 && k > 4) h.tlb.flushAll();
    runHart(h, budgets[k % budgets.length]!);
  }
  jit.tuning.decayMs = Infinity;
  const idle = h.waiting;
  compileEveryForm();
  // Waiting, then woken by an interrupt that is enabled but masked (mstatus.MIE clear): it goes on after the WFI.
  h.mie = MIP_MSIP;
  runHart(h, 4);
  return { idle, instructions: h.instret, stats: jit.stats };
}
