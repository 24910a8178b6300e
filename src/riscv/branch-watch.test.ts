/**
 * The interpreter's watch on taken jumps and branches (branch-watch.ts): it stops right after the jump to a
 * watched or newly hot target, with the state exact, and otherwise runs on; counts halve and totals stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, RAM_BASE, getX, makeHart, place } from './testing.js';
import { runBlock } from './execute.js';
import {
  COMPILED_BYTES,
  compiledBit,
  COUNT_ONE,
  decayCounts,
  HOT_TOTAL,
  markCompiled,
  mayBeCompiled,
  RECENT_MASK,
  WATCH_SIZE,
  watched,
  watchIndex,
  type BranchWatch,
} from './branch-watch.js';

function newWatch(hot: number): BranchWatch {
  return { pcs: new Float64Array(WATCH_SIZE * 2).fill(NaN), compiled: new Uint8Array(COMPILED_BYTES), counts: new Int32Array(WATCH_SIZE), hot };
}

/** x5 counts down from 10 in a loop of 3 instructions; then x6 = 1. */
const LOOP = [
  A.addi(5, 0, 10), //      0
  A.addi(7, 7, 1), //       4: loop
  A.addi(5, 5, -1), //      8
  A.bne(5, 0, -8), //      12: → 4
  A.addi(6, 0, 1), //      16
  A.jal(0, 0), //          20: spins here
];
const LOOP_HEAD = RAM_BASE + 4;

test('without a watch, or with nothing watched or hot, the interpreter runs the whole budget', () => {
  for (const watch of [undefined, newWatch(1000)]) {
    const { h, ...rig } = makeHart();
    place({ h, ...rig }, RAM_BASE, LOOP);
    assert.equal(runBlock(h, 32, watch), 32);
    assert.equal(getX(h, 6), 1n);
    assert.equal(getX(h, 7), 10n);
  }
});

test('a taken branch to a pc in the jump cache stops the interpreter right after the branch', () => {
  const rig = makeHart();
  place(rig, RAM_BASE, LOOP);
  const watch = newWatch(1000);
  watch.pcs[watchIndex(LOOP_HEAD) * 2] = LOOP_HEAD;
  // addi, addi, addi, bne (taken to the watched head): 4 retired, pc at the head.
  assert.equal(runBlock(rig.h, 100, watch), 4);
  assert.equal(rig.h.pc, LOOP_HEAD);
  assert.equal(rig.h.instret, 4);
  assert.equal(getX(rig.h, 5), 9n);
  assert.equal(getX(rig.h, 7), 1n);
  // A pc that only collides with the watched one in the table does not stop it.
  const other = newWatch(1000);
  other.pcs[watchIndex(LOOP_HEAD) * 2] = LOOP_HEAD + WATCH_SIZE * 4096;
  const rig2 = makeHart();
  place(rig2, RAM_BASE, LOOP);
  assert.equal(runBlock(rig2.h, 100, other), 100);
});

test('a taken branch to a compiled pc the jump cache does not hold stops the interpreter; one sharing only its table entry does not', () => {
  const rig = makeHart();
  place(rig, RAM_BASE, LOOP);
  const watch = newWatch(1000);
  markCompiled(watch.compiled, LOOP_HEAD);
  assert.ok(mayBeCompiled(watch.compiled, LOOP_HEAD));
  assert.equal(runBlock(rig.h, 100, watch), 4);
  assert.equal(rig.h.pc, LOOP_HEAD);
  // Same table entry (jump cache, counts), another compiled bit.
  const other = LOOP_HEAD + 2 ** 29;
  assert.equal(watchIndex(other), watchIndex(LOOP_HEAD));
  assert.notEqual(compiledBit(other), compiledBit(LOOP_HEAD));
  const watch2 = newWatch(1000);
  markCompiled(watch2.compiled, other);
  const rig2 = makeHart();
  place(rig2, RAM_BASE, LOOP);
  assert.equal(runBlock(rig2.h, 100, watch2), 100);
});

test('a target becomes hot after `hot` visits, and the interpreter stops there', () => {
  const rig = makeHart();
  place(rig, RAM_BASE, LOOP);
  const watch = newWatch(3);
  // The third taken branch to the head: 1 + 3 * 3 instructions.
  assert.equal(runBlock(rig.h, 100, watch), 10);
  assert.equal(rig.h.pc, LOOP_HEAD);
  assert.equal(getX(rig.h, 7), 3n);
  assert.equal(watch.counts[watchIndex(LOOP_HEAD)]! & RECENT_MASK, 3);
});

test('jal and jalr are watched like branches', () => {
  const rig = makeHart();
  // jal x1 to +8; there, jalr x0, 4(x1) jumps to x1 + 4 = +8 again.
  place(rig, RAM_BASE, [A.jal(1, 8), A.addi(9, 0, 1), A.jalr(0, 1, 4)]);
  const watch = newWatch(1000);
  const target = RAM_BASE + 8;
  watch.pcs[watchIndex(target) * 2] = target;
  assert.equal(runBlock(rig.h, 100, watch), 1, 'jal to a watched pc');
  assert.equal(rig.h.pc, target);
  assert.equal(runBlock(rig.h, 100, watch), 1, 'jalr to a watched pc');
  assert.equal(rig.h.pc, target);
  assert.equal(getX(rig.h, 9), 0n);
});

test('a hot total is reached however slowly the visits came; halving keeps it', () => {
  const w = newWatch(64);
  const pc = RAM_BASE + 0x100;
  const j = watchIndex(pc);
  const total = HOT_TOTAL >>> 16;
  for (let k = 0; k < total - 1; k++) {
    assert.equal(watched(w, pc), false);
    decayCounts(w.counts, 1);
  }
  assert.equal(w.counts[j]!, (total - 1) * (COUNT_ONE - 1));
  assert.equal(watched(w, pc), true);
  assert.ok(w.counts[j]! >= HOT_TOTAL);
  // The recent part halves; many epochs at once empty it.
  w.counts[j] = 40;
  decayCounts(w.counts, 2);
  assert.equal(w.counts[j], 10);
  decayCounts(w.counts, 100);
  assert.equal(w.counts[j], 0);
});
