/**
 * Loops through translated blocks: blocks that branch to each other, and a block that loops on its own start
 * inside wasm (compile.ts). Each case runs on both engines to the same end state, with the values expected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, MTVEC, RAM_BASE, getX, iType, setX, type Rig } from '../testing.js';
import { runHart } from '../run.js';
import { diffState, makeEngineHart, runUntilIdle } from './test-rig.js';
import { jcacheIndex } from './layout.js';
import type { JitHart } from './jit-hart.js';

const CODE = RAM_BASE + 0x1000;
const WFI = 0x10500073;

function place(rig: Rig, addr: number, words: readonly number[]): void {
  words.forEach((w, i) => (rig.ram.i32[(addr - RAM_BASE) / 4 + i] = w));
}

/** Runs `prepare` on an interpreter hart and a translator hart, both until WFI in slices of `slice`. */
function both(prepare: (rig: Rig) => void, slice = 1000): [Rig, Rig] {
  const rigs = [makeEngineHart('interp'), makeEngineHart('jit')] as const;
  for (const rig of rigs) {
    place(rig, MTVEC, [WFI]);
    rig.h.pc = CODE;
    prepare(rig);
    assert.ok(runUntilIdle(rig.h, 2_000_000, slice), `${rig.h.engine}: reaches the WFI`);
  }
  assert.deepEqual(diffState(rigs[0], rigs[1]), []);
  return [rigs[0], rigs[1]];
}

test('a loop over an if-else, with a store and a load, through blocks chained to each other', () => {
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(31, 0, 1000), //          0: count
      iType(0x13, 6, 7, 31, 1), //      4: loop: andi x6, x31, 1 (odd?)
      A.beq(6, 0, 12), //               8: even → 20
      A.addi(5, 5, 3), //              12: odd
      A.jal(0, 8), //                  16: → 24
      A.addi(7, 7, 5), //              20: even
      A.sd(5, 2, 0), //                24: join: a store and a load through the TLB
      A.ld(8, 2, 0), //                28
      A.add(9, 9, 8), //               32
      A.addi(31, 31, -1), //           36
      A.bne(31, 0, -36), //            40: → 4
      A.ecall(), //                    44
    ]);
    setX(rig.h, 2, BigInt(RAM_BASE + 0x8000));
  });
  assert.equal(getX(jit.h, 5), 1500n);
  assert.equal(getX(jit.h, 7), 2500n);
  // x9 sums x5 after each pass; x5 grows by 3 on each odd count (1000 down to 1).
  let x5 = 0n;
  let x9 = 0n;
  for (let i = 1000; i > 0; i--) {
    if (i & 1) x5 += 3n;
    x9 += x5;
  }
  assert.equal(getX(jit.h, 9), x9);
  assert.ok(jit.h.jit!.stats.compiled >= 2, JSON.stringify(jit.h.jit!.stats));
});

test('a trace whose last branch falls through to its own start loops with its registers in locals', () => {
  // The trace from the start (24): addi; a jump back to 16; addi; beq (taken: out). Not taken, it falls through to
  // the start: the block loops, so it must not reload from memory registers its own earlier pass left in locals.
  // The start is reached by an indirect jump, and the first instruction runs alone (filling the fetch TLB), so
  // that the dispatcher meets the start first; one slice for the whole run, so no budget exit lands inside the
  // loop and makes another entry.
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.auipc(10, 0), //                0
      A.addi(10, 10, 24), //            4: x10 = the start
      A.addi(7, 0, 700), //             8
      A.jalr(0, 10, 0), //             12
      A.addi(6, 6, 2), //              16
      A.beq(5, 7, 12), //              20: done → 32
      A.addi(5, 5, 1), //              24: start
      A.jal(0, -12), //                28: → 16
      A.ecall(), //                    32
    ]);
    runHart(rig.h, 1);
  }, 100_000);
  assert.equal(getX(jit.h, 5), 700n);
  assert.equal(getX(jit.h, 6), 1400n);
});

test('a trace follows a branch on the side it was taken while interpreted, leaving by the fall-through', () => {
  // The loop's forward branch (8) is taken on all but the last pass: the trace from 4 follows it to 16 (a
  // loop with the branch's fall-through as its exit), and that fall-through still runs right on the last pass.
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(31, 0, 500), //           0: count
      A.addi(31, 31, -1), //           4: loop
      A.bne(31, 0, 8), //              8: taken → 16 while the count lasts
      A.jal(0, 16), //                12: → 28 (out)
      A.addi(5, 5, 3), //             16
      A.addi(6, 6, 1), //             20
      A.jal(0, -20), //               24: → 4
      A.addi(7, 0, 9), //             28
      A.ecall(), //                   32
    ]);
  });
  assert.equal(getX(jit.h, 5), 1497n);
  assert.equal(getX(jit.h, 6), 499n);
  assert.equal(getX(jit.h, 7), 9n);
  assert.ok(jit.h.jit!.stats.branchesTaken > 0, JSON.stringify(jit.h.jit!.stats));
});

test('two hot blocks whose pcs share a jump cache entry both keep running translated', () => {
  // Block p jumps to block q on another page, which loops back to p: both go through the jump cache, where
  // they take turns in one entry. The dispatcher finds the other one by its page, not by interpreting it.
  const p = CODE;
  let q = p + 0x2000;
  while (jcacheIndex(q) !== jcacheIndex(p)) q += 4;
  const [, jit] = both((rig) => {
    place(rig, p, [A.addi(5, 5, 1), A.jal(0, q - (p + 4))]);
    place(rig, q, [A.addi(6, 6, 1), A.addi(31, 31, -1), A.beq(31, 0, 8), A.jal(0, p - (q + 12)), A.ecall()]);
    setX(rig.h, 31, 3000n);
    // Hot at 16: a start that lost its jump cache entry would run interpreted for 8 visits before it is hot again.
    if (rig.h.jit !== undefined) rig.h.jit.tuning.hot = 16;
  }, 1_000_000);
  assert.equal(getX(jit.h, 5), 3000n);
  assert.equal(getX(jit.h, 6), 3000n);
  const stats = jit.h.jit!.stats;
  assert.ok(stats.interpreted < 1000, `${stats.interpreted} of 18000 instructions interpreted`);
});

test('a straight run longer than a block is compiled whole once its start is hot', () => {
  // A loop whose body is 3 × MAX_BLOCK additions and then the loop's own branch: only its start is reached by a
  // taken branch, which the interpreter counts. The pieces after it are reached by falling through; they are
  // compiled with the start (Entry.next), not one by one as each earlier piece gets compiled and then `hot`
  // visits of their own (about 12000 of the 19400 instructions interpreted that way).
  const body = Array.from({ length: 3 * 64 }, (_, i) => A.addi(5 + (i % 3), 5 + (i % 3), 1));
  const [, jit] = both((rig) => {
    place(rig, CODE, [A.addi(31, 0, 100), ...body, A.addi(31, 31, -1), A.bne(31, 0, -4 * (body.length + 1)), A.ecall()]);
    if (rig.h.jit !== undefined) rig.h.jit.tuning.hot = 32;
  }, 1_000_000);
  assert.equal(getX(jit.h, 5), 6400n);
  const stats = jit.h.jit!.stats;
  assert.ok(stats.interpreted < 8000, `${stats.interpreted} of 19400 instructions interpreted`);
  // Four blocks: the three pieces and the loop's tail. The tail's trace does not follow the branch back into
  // the first piece (takeBranch): that made a block start in the middle of the loop on every round, and 64 blocks.
  assert.equal(stats.compiled, 4, JSON.stringify(stats));
});

/**
 * A hart on the translator with `tuning` (async compiles, one block a batch) that has run the first 100
 * instructions of a loop adding 1 to x5 2000 times, then ECALL (to a WFI).
 */
function countingLoopStarted(tuning: { syncMs: number }): { rig: Rig; jit: JitHart } {
  const rig = makeEngineHart('jit');
  const jit = rig.h.jit!;
  Object.assign(jit.tuning, { async: true, hot: 2, hotPrivileged: undefined, batch: 1, ...tuning });
  place(rig, MTVEC, [WFI]);
  place(rig, CODE, [A.addi(31, 0, 2000), A.addi(5, 5, 1), A.addi(31, 31, -1), A.bne(31, 0, -8), A.ecall()]);
  rig.h.pc = CODE;
  runHart(rig.h, 100);
  return { rig, jit };
}

/** Runs the loop of countingLoopStarted to its end: the sum, mostly in translated code. */
function finishCountingLoop({ rig, jit }: { rig: Rig; jit: JitHart }): void {
  assert.ok(runUntilIdle(rig.h, 100_000));
  assert.equal(getX(rig.h, 5), 2000n);
  assert.ok(jit.stats.interpreted < 1000, JSON.stringify(jit.stats));
}

test('a compile in the background is reported while under way, and its blocks are installed from the event loop', async () => {
  // Machine.run returns to the event loop every 2 ms instead of 15 while JitHart.compiling: V8 finishes an
  // asynchronous compile in steps run from there.
  const loop = countingLoopStarted({ syncMs: 0 });
  const { jit } = loop;
  assert.equal(jit.compiling, true, JSON.stringify(jit.stats));
  assert.equal(jit.stats.compiled, 0);
  // Bounded by time, not by turns of the event loop: on a loaded host V8's background compile took longer than
  // 1000 turns (CI on a clean clone, once).
  const deadline = Date.now() + 10_000;
  while (jit.compiling && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  assert.equal(jit.compiling, false);
  assert.equal(jit.stats.compiled, 1);
  finishCountingLoop(loop);
});

test('in its first syncMs milliseconds the translator compiles at once even when asked to compile in the background', () => {
  const loop = countingLoopStarted({ syncMs: 60_000 });
  assert.equal(loop.jit.compiling, false, JSON.stringify(loop.jit.stats));
  assert.equal(loop.jit.stats.compiled, 1);
  finishCountingLoop(loop);
});

test('an unrolled loop leaves from either copy: at its end, at a budget end and at a slow access', () => {
  // A loop block short enough to be unrolled (compile.ts unroll): the pointer steps 1000 bytes, so a load or
  // store crosses to a new page (a TLB miss: a slow exit) 4 or 5 passes after the block was entered, in either
  // copy; an odd and an even count end it in either copy, and slices of 7 instructions end budgets at every place
  // of both copies.
  const data = RAM_BASE + 0x10000;
  for (const count of [37, 38]) {
    for (const slice of [1000, 7]) {
      const [, jit] = both((rig) => {
        for (let i = 0; i < 10240; i++) rig.ram.i32[(data - RAM_BASE) / 4 + i] = (i * 2654435761) | 0;
        place(rig, CODE, [
          A.addi(31, 0, count), //      0
          A.ld(6, 10, 0), //            4: loop
          A.add(9, 9, 6), //            8
          A.sd(9, 10, 8), //           12
          A.addi(10, 10, 1000), //     16
          A.addi(31, 31, -1), //       20
          A.bne(31, 0, -20), //        24: → 4
          A.ecall(), //                28
        ]);
        setX(rig.h, 10, BigInt(data));
      }, slice);
      assert.equal(getX(jit.h, 10), BigInt(data + 1000 * count), `count ${count}, slice ${slice}`);
      assert.ok(jit.h.jit!.stats.slowExits > 0, JSON.stringify(jit.h.jit!.stats));
    }
  }
});

test('a loop nest entered in its middle runs as one region: leaving from each trace at its end, a budget end and a slow access', () => {
  // busybox's scans of a table of strings: an outer loop over NUL-terminated strings around an inner loop over a
  // string's bytes, entered at its test. The outer block (8) runs into the test and leaves for the inner loop's
  // block (12), which loops on itself and leaves for the outer block at the end of each string: the two lie on a
  // cycle, so they compile as regions (region.ts). The strings span ten pages (a slow exit at each page's first
  // load), and slices of 7 instructions end budgets all over the traces.
  const data = RAM_BASE + 0x10000;
  const bytes: number[] = [];
  let strings = 0;
  let sum = 0;
  for (let i = 0; bytes.length < 40_000; i++) {
    const len = (i * 7919) % 23;
    for (let j = 0; j < len; j++) {
      const b = 1 + ((i * 31 + j * 17) % 255);
      bytes.push(b);
      sum += b;
    }
    bytes.push(0);
    strings++;
  }
  for (const slice of [1000, 7]) {
    const [, jit] = both((rig) => {
      rig.ram.u8.set(bytes, data - RAM_BASE);
      place(rig, CODE, [
        A.addi(31, 0, 0), //          0
        A.add(31, 31, 12), //         4: strings to scan
        A.jal(0, 12), //              8: outer: → 20
        A.add(11, 11, 6), //         12: inner: sum the byte
        A.addi(10, 10, 1), //        16
        A.lbu(6, 10, 0), //          20: test
        A.bne(6, 0, -12), //         24: → 12
        A.addi(10, 10, 1), //        28: past the NUL
        A.addi(9, 9, 1), //          32: strings seen
        A.addi(31, 31, -1), //       36
        A.bne(31, 0, -32), //        40: → 8
        A.ecall(), //                44
      ]);
      setX(rig.h, 10, BigInt(data));
      setX(rig.h, 12, BigInt(strings));
    }, slice);
    assert.equal(getX(jit.h, 9), BigInt(strings), `slice ${slice}`);
    assert.equal(getX(jit.h, 10), BigInt(data + bytes.length), `slice ${slice}`);
    assert.equal(getX(jit.h, 11), BigInt(sum), `slice ${slice}`);
    const { stats } = jit.h.jit!;
    assert.ok(stats.regions > 0 && stats.slowExits > 0, JSON.stringify(stats));
  }
});

test('a side exit to a short hot block takes in its trace: its registers, its slow accesses and its exits', () => {
  // T (32) runs hot first, jumped to from a warm-up loop and returning through x22. Then the block at P (52),
  // reached by an indirect jump (so it does not loop), leaves for T one round in four (a branch backwards to a
  // compiled block, which the trace does not follow): it takes T's trace in at that exit (compile.ts tails),
  // after 2 instructions of its own. T's load steps 1000 bytes a visit, so some of them miss the TLB inside the
  // tail.
  const data = RAM_BASE + 0x10000;
  for (const slice of [1000, 13]) {
    const [, jit] = both((rig) => {
      for (let i = 0; i < 16384; i++) rig.ram.i32[(data - RAM_BASE) / 4 + i] = (i * 2654435761) | 0;
      place(rig, CODE, [
        A.auipc(20, 0), //            0: x20 = CODE
        A.addi(22, 20, 16), //        4: T returns to 16
        A.addi(21, 0, 6), //          8: warm-up rounds
        A.jal(0, 20), //             12: → T
        A.addi(21, 21, -1), //       16
        A.bne(21, 0, -8), //         20: → 12
        A.addi(22, 20, 60), //       24: T returns to 60 from now on
        A.jal(0, 20), //             28: → 48
        A.ld(7, 10, 0), //           32: T
        A.add(9, 9, 7), //           36
        A.addi(10, 10, 1000), //     40
        A.jalr(0, 22, 0), //         44
        A.addi(31, 0, 200), //       48
        iType(0x13, 6, 7, 31, 3), // 52: P: andi x6, x31, 3
        A.beq(6, 0, -24), //         56: → T, one round in four
        A.add(24, 24, 9), //         60: reads x9, which the tail loads (and writes) too
        A.addi(31, 31, -1), //       64
        A.addi(5, 5, 1), //          68
        A.beq(31, 0, 8), //          72: → 80
        A.jalr(0, 23, 0), //         76: → P
        A.ecall(), //                80
      ]);
      setX(rig.h, 10, BigInt(data));
      setX(rig.h, 23, BigInt(CODE + 52));
    }, slice);
    assert.equal(getX(jit.h, 5), 200n, `slice ${slice}`);
    assert.equal(getX(jit.h, 10), BigInt(data + 1000 * (6 + 50)), `slice ${slice}`);
    const { stats } = jit.h.jit!;
    assert.ok(stats.tails > 0 && stats.slowExits > 0, JSON.stringify(stats));
  }
});
