/**
 * Warms up the interpreter before a guest runs: executes every instruction form once or twice on a scratch
 * hart, so that V8 has type feedback for every path of the interpreter when it optimizes it. Without this,
 * each path a guest reaches for the first time after optimization throws the optimized code away, and Linux's
 * boot paid for ~30 recompilations of the interpreter (each ~60 ms, running unoptimized meanwhile).
 */
import { SystemBus } from '../memory/bus.js';
import { GuestRam } from '../memory/ram.js';
import { MSTATUS_FS, PRIV_M, PRIV_S } from './constants.js';
import { runBlock } from './execute.js';
import { COMPILED_BYTES, WATCH_SIZE, type BranchWatch } from './branch-watch.js';
import { bType, iType, rType, sType } from './encode.js';
import { Hart } from './hart.js';

/** Register 6 holds a RAM address; the others a mix of small, negative and wide values. */
const MEM = 6;

/**
 * One instruction of each form the interpreter executes (with several operands each), in an order it can run
 * them one by one.
 */
function instructionForms(): number[] {
  const p: number[] = [];
  for (const off of [8, 1, 0xffd - 0x800]) for (let f3 = 0; f3 <= 6; f3++) p.push(iType(0x03, 5, f3, MEM, off));
  for (const off of [16, 3, 0xffd - 0x800]) for (let f3 = 0; f3 <= 3; f3++) p.push(sType(0x23, f3, MEM, 7, off));
  for (const imm of [1, -1, 0x7ff]) for (let f3 = 0; f3 <= 7; f3++) if (f3 !== 1 && f3 !== 5) p.push(iType(0x13, 9, f3, 8, imm));
  for (const sh of [0, 5, 40]) {
    p.push(iType(0x13, 9, 1, 8, sh), iType(0x13, 9, 5, 8, sh), iType(0x13, 9, 5, 8, 0x400 | sh));
    p.push(iType(0x1b, 9, 1, 8, sh & 31), iType(0x1b, 9, 5, 8, sh & 31), iType(0x1b, 9, 5, 8, 0x400 | (sh & 31)));
  }
  p.push(iType(0x1b, 9, 0, 8, 5));
  for (const [a, c] of [[8, 10], [10, 11], [11, 12], [12, 8], [13, 14], [11, 13]] as const) {
    for (let f3 = 0; f3 <= 7; f3++) p.push(rType(0x33, 9, f3, a, c, 0), rType(0x33, 9, f3, a, c, 1));
    p.push(rType(0x33, 9, 0, a, c, 0x20), rType(0x33, 9, 5, a, c, 0x20));
    for (const f3 of [0, 1, 5]) p.push(rType(0x3b, 9, f3, a, c, 0));
    p.push(rType(0x3b, 9, 0, a, c, 0x20), rType(0x3b, 9, 5, a, c, 0x20));
    for (const f3 of [0, 4, 5, 6, 7]) p.push(rType(0x3b, 9, f3, a, c, 1));
    for (const f3 of [0, 1, 4, 5, 6, 7]) p.push(bType(f3, a, c, 8), bType(f3, a, a, 8));
  }
  p.push(0x12345437, 0x00001497, iType(0x0f, 0, 0, 8, 0), iType(0x0f, 0, 1, 0, 1));
  for (const f5 of [0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0x02, 0x03]) {
    for (const f3 of [2, 3]) p.push(rType(0x2f, 9, f3, MEM, f5 === 0x02 ? 0 : 10, f5 << 2));
  }
  p.push(iType(0x07, 1, 2, MEM, 0), iType(0x07, 2, 3, MEM, 8), sType(0x27, 2, MEM, 1, 16), sType(0x27, 3, MEM, 2, 24));
  for (const f7 of [0x01, 0x05, 0x09, 0x0d, 0x11, 0x15, 0x71, 0x79, 0x61, 0x69, 0x51]) p.push(rType(0x53, 3, 0, 1, 2, f7));
  p.push((1 << 27) | rType(0x43, 3, 0, 1, 2, 0) | (1 << 25));
  // CSRs: mscratch, mstatus, time, cycle; ecall, ebreak, an illegal instruction.
  p.push(iType(0x73, 9, 1, 8, 0x340), iType(0x73, 9, 2, 8, 0x340), iType(0x73, 9, 3, 8, 0x340), iType(0x73, 9, 5, 3, 0x340));
  p.push(iType(0x73, 9, 2, 0, 0x300), iType(0x73, 9, 2, 0, 0xc01), iType(0x73, 9, 2, 0, 0xc00));
  p.push(0x00000073, 0x00100073, 0x00000000, 0xffffffff | 0);
  // Jumps last (they leave the sequence): jal, jalr.
  p.push(0x0080006f | (1 << 7), iType(0x67, 1, 0, MEM, 4));
  return p;
}

/** Compressed forms: c.addi, c.li, c.mv, c.add, c.ld, c.sd, c.lw, c.sw, c.j, c.beqz, c.bnez, c.jr, c.slli. */
const COMPRESSED = [0x0505, 0x4501, 0x852a, 0x952e, 0x6308, 0xe308, 0x4308, 0xc308, 0xa011, 0xc111, 0xe111, 0x8082, 0x050a];

const VALUES = [0, 1, -1, 7, 0x7fffffff, -0x80000000, 123456789, -98765];

/**
 * Registers 1..31 for instruction `at`: a mix of small, negative and wide values, and pairs with equal high
 * words. (A function of its own: as a loop inside warmUpInterpreter it made V8 compile that function too.)
 */
function setRegisters(x: Int32Array, at: number): void {
  for (let reg = 1; reg < 32; reg++) {
    const v = VALUES[(reg + at) % VALUES.length]!;
    x[reg * 2] = v;
    x[reg * 2 + 1] = reg & 1 ? v >> 31 : v * 3;
  }
}

/** Runs the warm-up. Takes a few milliseconds; call once per process before the first guest runs. */
export function warmUpInterpreter(rounds = 1): void {
  const newHart = (): Hart => new Hart(0, new SystemBus(new GuestRam(0x8000_0000, 1 << 20)), { readTime: () => 0 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
  // The first object of a class has its fields marked constant, and V8's optimized code relies on that until a
  // second one is made: the machine's own RAM, bus and hart then threw away the interpreter optimized here.
  // Made twice, their fields are already variable when V8 optimizes.
  newHart();
  const hart = newHart();
  const ram = hart.bus.ram;
  // New code pages (the decode cache's page(), inlined in runBlock) seen more than once.
  for (let page = 1; page < 8; page++) hart.decode.page(page);
  // Past 2^31, as a real hart's count is after a couple of seconds: V8 then keeps Hart.instret a double field
  // and does its arithmetic in doubles from the start. When a hart's count first passed 2^31 instead (a few
  // seconds into a workload), its hidden class changed (every optimized function using a hart was thrown away)
  // and runBlock's trap path, optimized for small integers, kept deoptimizing (12 times in a shell loop).
  hart.instret = 2 ** 32;
  const code = instructionForms();
  // The translator runs the interpreter with a watch on taken jumps and branches (branch-watch.ts).
  const watch: BranchWatch = {
    pcs: new Float64Array(WATCH_SIZE * 2).fill(NaN),
    compiled: new Uint8Array(COMPILED_BYTES),
    counts: new Int32Array(WATCH_SIZE),
    hot: 2,
  };
  const codeBase = 0x8000_0000;
  const data = 0x8008_0000;
  for (let k = 0; k < code.length; k++) ram.i32[k] = code[k]!;
  const cBase = code.length * 4;
  for (let k = 0; k < COMPRESSED.length; k++) ram.u16[(cBase >>> 1) + k] = COMPRESSED[k]!;
  for (let round = 0; round < rounds; round++) {
    for (const priv of [PRIV_M, PRIV_S]) {
      for (let at = 0; at < code.length + COMPRESSED.length; at++) {
        setRegisters(hart.x, at + round);
        // Data on four pages, and a TLB emptied every third instruction: loads and stores also take their
        // slow paths (a miss), as a guest's first accesses to a page do.
        hart.x[MEM * 2] = data + ((at + round) & 3) * 0x1000;
        hart.x[MEM * 2 + 1] = 0;
        hart.priv = priv;
        hart.mstatus = MSTATUS_FS;
        if (at % 3 === 0) hart.tlb.flushAll();
        hart.updateTlbContext();
        hart.pc = at < code.length ? codeBase + at * 4 : codeBase + cBase + (at - code.length) * 2;
        hart.waiting = false;
        // Every form alone and in a run of four, each with the watch in one privilege and without it in the
        // other; with `hot` 1 in S-mode the watch stops at every taken jump. (With the watch only on the runs of
        // four, alternating by `at`, JAL and JALR never ran with one, and the translator's first slow JAL threw
        // the optimized interpreter away, twice a boot: ~40-80 ms of unoptimized code each time.)
        const withWatch = ((at + (priv === PRIV_M ? 0 : 1)) & 1) === 0;
        watch.hot = priv === PRIV_M ? 2 : 1;
        runBlock(hart, 1, withWatch ? watch : undefined);
        runBlock(hart, 4, withWatch ? undefined : watch);
      }
    }
  }
}
