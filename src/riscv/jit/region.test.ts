import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A } from '../testing.js';
import { exitTargets, loopRegion, REGION_MAX_TRACES } from './region.js';
import type { BlockInsn } from './scan.js';

/** A trace of 32-bit instructions from `pc`, the branches at the pcs in `taken` followed. */
function trace(pc: number, insns: readonly number[], taken: readonly number[] = []): BlockInsn[] {
  return insns.map((insn, i) => ({ pc: pc + 4 * i, insn, len: 4, guard: undefined, taken: taken.includes(pc + 4 * i) }));
}

test('a trace exits to the side of each branch it does not follow, its last jump or branch, or where it was cut', () => {
  assert.deepEqual(exitTargets(trace(0x100, [A.beq(1, 2, 0x40), A.addi(1, 1, 1), A.bne(1, 0, -8)])), [0x140, 0x100, 0x10c]);
  // A branch followed: its fall-through is the exit.
  assert.deepEqual(exitTargets(trace(0x100, [A.beq(1, 2, 0x40), A.jal(0, 0x20)], [0x100])), [0x104, 0x124]);
  assert.deepEqual(exitTargets(trace(0x100, [A.addi(1, 1, 1), A.addi(1, 1, 1)])), [0x108]);
  assert.deepEqual(exitTargets(trace(0x100, [A.addi(1, 1, 1), A.jalr(0, 1, 0)])), []);
});

test('a region takes in the hot blocks on a cycle through the block, not those that only lead off it or into it', () => {
  const blocks = new Map<number, BlockInsn[]>([
    // 0x100 -> 0x200 -> 0x300 -> 0x100; 0x200 also -> 0x400 (a dead end); 0x500 -> 0x100 (not reached from it).
    [0x100, trace(0x100, [A.addi(1, 1, 1), A.jal(0, 0xfc)])],
    [0x200, trace(0x200, [A.beq(1, 2, 0x200), A.jal(0, 0xfc)])],
    [0x300, trace(0x300, [A.jal(0, -0x200)])],
    [0x400, trace(0x400, [A.jalr(0, 1, 0)])],
    [0x500, trace(0x500, [A.jal(0, -0x400)])],
  ]);
  const region = loopRegion(blocks.get(0x100)!, (pc) => blocks.get(pc));
  assert.deepEqual(region.map((t) => t[0]!.pc), [0x200, 0x300]);
  // A cold or unknown target ends the search there.
  assert.deepEqual(loopRegion(blocks.get(0x100)!, (pc) => (pc === 0x300 ? undefined : blocks.get(pc))), []);
  // A block on no cycle, or one that loops on its own start only, has no region.
  assert.deepEqual(loopRegion(blocks.get(0x500)!, (pc) => blocks.get(pc)), []);
  assert.deepEqual(loopRegion(trace(0x600, [A.addi(1, 1, -1), A.bne(1, 0, -4)]), () => undefined), []);
});

test('a region holds at most REGION_MAX_TRACES traces', () => {
  /** A ring of `size` blocks at 0x1000, 0x1100, ..., each jumping to the next, the last back to the first. */
  const ring =
    (size: number) =>
    (pc: number): BlockInsn[] | undefined =>
      pc >= 0x1000 && pc < 0x1000 + size * 0x100 && pc % 0x100 === 0
        ? trace(pc, [A.jal(0, pc === 0x1000 + (size - 1) * 0x100 ? -(size - 1) * 0x100 : 0x100)])
        : undefined;
  const full = ring(REGION_MAX_TRACES);
  assert.equal(loopRegion(full(0x1000)!, full).length, REGION_MAX_TRACES - 1);
  // One block more: the search stops before the last, and what it found reaches the first block no more.
  const larger = ring(REGION_MAX_TRACES + 1);
  assert.deepEqual(loopRegion(larger(0x1000)!, larger), []);
});
