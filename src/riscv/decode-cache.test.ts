/**
 * The decode cache never runs stale instructions: stores, AMOs and device writes into a code page are seen by
 * the next fetch, and a compressed instruction from the cache still reports its own 16 bits in mtval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBlock } from './execute.js';
import { Hart } from './hart.js';
import { A, RAM_BASE, csrRaw, getX, makeHart, place, setX } from './testing.js';

const CODE = RAM_BASE + 0x1000;

test('a store overwriting an instruction that already ran is seen when it runs again, within one block', () => {
  const rig = makeHart();
  const { h } = rig;
  // loop: addi x5, x5, 1 ; sw x7, 0(x6) (rewrites the addi) ; addi x8, x8, -1 ; bne x8, x0, loop ; ebreak
  place(rig, CODE, [A.addi(5, 5, 1), A.sw(7, 6, 0), A.addi(8, 8, -1), A.bne(8, 0, -12), 0x00100073]);
  setX(h, 6, BigInt(CODE));
  setX(h, 7, BigInt(A.addi(5, 5, 100) >>> 0));
  setX(h, 8, 2n);
  h.pc = CODE;
  runBlock(h, 9);
  // First pass adds 1, second pass runs the rewritten instruction and adds 100.
  assert.equal(getX(h, 5), 101n);
});

test('an AMO into a code page invalidates its decoded instructions', () => {
  const rig = makeHart();
  const { h } = rig;
  place(rig, CODE, [A.addi(5, 5, 1), 0x00100073]);
  h.pc = CODE;
  runBlock(h, 1);
  assert.equal(getX(h, 5), 1n);
  // amoswap.w x0, x7, (x6)
  place(rig, CODE + 0x100, [(0x01 << 27) | (7 << 20) | (6 << 15) | (2 << 12) | 0x2f]);
  setX(h, 6, BigInt(CODE));
  setX(h, 7, BigInt(A.addi(5, 5, 40) >>> 0));
  h.pc = CODE + 0x100;
  runBlock(h, 1);
  h.pc = CODE;
  runBlock(h, 1);
  assert.equal(getX(h, 5), 41n);
});

test('writes reported by a device (DMA) invalidate decoded code', () => {
  const rig = makeHart();
  const { h, ram } = rig;
  place(rig, CODE, [A.addi(5, 5, 1)]);
  h.pc = CODE;
  runBlock(h, 1);
  ram.i32[(CODE - RAM_BASE) >>> 2] = A.addi(5, 5, 7);
  h.decode.written(CODE - RAM_BASE, 4);
  h.pc = CODE;
  runBlock(h, 1);
  assert.equal(getX(h, 5), 8n);
});

test('a page that was code and then written gets fast stores back (it is no longer a code page)', () => {
  const rig = makeHart();
  const { h } = rig;
  place(rig, CODE, [A.sw(7, 6, 0x100)]);
  setX(h, 6, BigInt(CODE));
  h.pc = CODE;
  assert.equal(h.decode.isCode((CODE - RAM_BASE) / 4096), false);
  runBlock(h, 1);
  assert.equal(h.decode.isCode((CODE - RAM_BASE) / 4096), false, 'the store dropped the page it runs from');
});

test('an illegal instruction expanded from the cache reports its 16 bits in mtval', () => {
  const rig = makeHart();
  const { h, ram } = rig;
  // c.fld f8, 0(x8) = 0x2000; with mstatus.FS off it is illegal.
  ram.u16[(CODE - RAM_BASE) >>> 1] = 0x2000;
  ram.u16[((CODE - RAM_BASE) >>> 1) + 1] = 0x2000;
  h.pc = CODE + 2;
  runBlock(h, 1); // decodes the page (the instruction at CODE + 2 traps)
  h.pc = CODE;
  runBlock(h, 1);
  assert.equal(csrRaw(h, 0x342), 2n);
  assert.equal(csrRaw(h, 0x343), 0x2000n);
  assert.equal(csrRaw(h, 0x341), BigInt(CODE));
});

test("with a decode cache shared by two harts, a page becoming code leaves the other hart's store TLB", () => {
  const rig = makeHart();
  const { h, bus } = rig;
  const other = new Hart(1, bus, { readTime: () => 0 }, { f: new Int32Array(64), fflags: 0, frm: 0 }, h.decode);
  other.reset(RAM_BASE);
  // The other hart stores to the page first (its store TLB now maps it), from code on another page.
  const STORER = CODE + 0x4000;
  place(rig, STORER, [A.sw(7, 6, 0), A.sw(7, 6, 0)]);
  setX(other, 6, BigInt(CODE));
  setX(other, 7, BigInt(A.addi(5, 5, 1) >>> 0));
  other.pc = STORER;
  runBlock(other, 1);
  // This hart runs the word stored there, twice: the first fetch fills its fetch TLB, the second makes the page
  // a code page.
  for (let pass = 0; pass < 2; pass++) {
    h.pc = CODE;
    runBlock(h, 1);
  }
  assert.equal(h.decode.isCode((CODE - RAM_BASE) / 4096), true);
  assert.equal(getX(h, 5), 2n);
  // The other hart's next store to it must reach the decode cache (not its store TLB's fast path).
  setX(other, 7, BigInt(A.addi(5, 5, 50) >>> 0));
  runBlock(other, 1);
  h.pc = CODE;
  runBlock(h, 1);
  assert.equal(getX(h, 5), 52n);
});
