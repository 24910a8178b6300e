import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Plic, PLIC_REG } from './plic.js';

function rig(sources = 95, contexts = 4) {
  const out: Array<[number, boolean]> = [];
  const plic = new Plic({ sources, contexts, setContextIrq: (c, l) => out.push([c, l]) });
  return { plic, out };
}

const prio = (id: number): number => PLIC_REG.priorityBase + 4 * id;
const enableWord = (ctx: number, w: number): number => PLIC_REG.enableBase + PLIC_REG.enableStride * ctx + 4 * w;
const threshold = (ctx: number): number => PLIC_REG.contextBase + PLIC_REG.contextStride * ctx;
const claimReg = (ctx: number): number => threshold(ctx) + PLIC_REG.claimComplete;

function enable(plic: Plic, ctx: number, ...ids: number[]): void {
  for (const id of ids) {
    const off = enableWord(ctx, id >>> 5);
    plic.write(off, 4, (plic.read(off, 4) | (1 << (id & 31))) >>> 0);
  }
}

test('claim returns the highest-priority pending source and clears its pending bit', () => {
  const { plic } = rig();
  plic.write(prio(3), 4, 2);
  plic.write(prio(10), 4, 5);
  plic.write(prio(40), 4, 4);
  enable(plic, 1, 3, 10, 40);
  plic.irqLine(3).set(true);
  plic.irqLine(10).set(true);
  plic.irqLine(40).set(true);
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), (1 << 3) | (1 << 10));
  assert.equal(plic.read(PLIC_REG.pendingBase + 4, 4), 1 << 8);

  assert.equal(plic.read(claimReg(1), 4), 10);
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 1 << 3, 'pending bit of 10 cleared');
  assert.equal(plic.read(claimReg(1), 4), 40);
  assert.equal(plic.read(claimReg(1), 4), 3);
  assert.equal(plic.read(claimReg(1), 4), 0, 'claim of nothing returns 0');
});

test('equal priorities go to the lowest source id', () => {
  const { plic } = rig();
  for (const id of [7, 5, 33]) {
    plic.write(prio(id), 4, 1);
    enable(plic, 0, id);
    plic.irqLine(id).set(true);
  }
  assert.equal(plic.claim(0), 5);
  assert.equal(plic.claim(0), 7);
  assert.equal(plic.claim(0), 33);
});

test('a context interrupt needs pending, enabled and priority > threshold; callbacks on changes only', () => {
  const { plic, out } = rig();
  const uart = plic.irqLine(10);
  uart.set(true);
  assert.deepEqual(out, [], 'priority 0 never interrupts');
  plic.write(prio(10), 4, 1);
  assert.deepEqual(out, [], 'not enabled');
  enable(plic, 1, 10);
  assert.deepEqual(out, [[1, true]]);
  plic.write(threshold(1), 4, 1);
  assert.deepEqual(out, [
    [1, true],
    [1, false],
  ]);
  plic.write(prio(10), 4, 2);
  assert.deepEqual(out.at(-1), [1, true]);
  uart.set(true);
  assert.equal(out.length, 3, 'unchanged level, no callback');
  uart.set(false);
  assert.deepEqual(out.at(-1), [1, false], 'level-triggered: lowering the line withdraws the request');
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 0);
});

test('a claim is not affected by the threshold (spec), but needs priority > 0', () => {
  const { plic } = rig();
  plic.write(prio(4), 4, 1);
  plic.write(prio(6), 4, 0);
  enable(plic, 0, 4, 6);
  plic.write(threshold(0), 4, 7);
  plic.irqLine(4).set(true);
  plic.irqLine(6).set(true);
  assert.equal(plic.contextIrq(0), false);
  assert.equal(plic.claim(0), 4);
  assert.equal(plic.claim(0), 0);
});

test('level gateway: no new request while in service; completion re-arms a line that is still high', () => {
  const { plic, out } = rig();
  plic.write(prio(1), 4, 1);
  enable(plic, 1, 1);
  const line = plic.irqLine(1);
  line.set(true);
  assert.equal(plic.claim(1), 1);
  assert.deepEqual(out, [
    [1, true],
    [1, false],
  ]);
  line.set(true);
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 0, 'in service: not pending');
  plic.write(claimReg(1), 4, 1); // complete
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 1 << 1);
  assert.deepEqual(out.at(-1), [1, true]);
  assert.equal(plic.claim(1), 1);
  line.set(false);
  plic.write(claimReg(1), 4, 1);
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 0, 'line low at completion: nothing pending');
  assert.deepEqual(out.at(-1), [1, false]);
});

test('completion of a source not claimed by that context is ignored', () => {
  const { plic } = rig();
  plic.write(prio(2), 4, 1);
  enable(plic, 0, 2);
  enable(plic, 1, 2);
  const line = plic.irqLine(2);
  line.set(true);
  assert.equal(plic.claim(0), 2);
  plic.write(claimReg(1), 4, 2); // another context completes: ignored
  plic.write(claimReg(0), 4, 3); // a source nobody claimed: ignored
  plic.write(claimReg(0), 4, 0xffff_ffff);
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 0, 'still in service');
  assert.equal(plic.claim(1), 0);
  plic.write(claimReg(0), 4, 2);
  assert.equal(plic.claim(1), 2);
});

test('M and S contexts of a hart are independent (virt numbering: 2h = M, 2h+1 = S)', () => {
  const { plic, out } = rig(95, 4);
  plic.write(prio(8), 4, 3);
  enable(plic, 3, 8); // hart 1, S-mode
  plic.irqLine(8).set(true);
  assert.deepEqual(out, [[3, true]]);
  assert.equal(plic.claim(2), 0, 'hart 1 M-mode has not enabled it');
  assert.equal(plic.claim(3), 8);
});

test('registers: WARL priority, read-only pending, nonexistent sources read 0', () => {
  const { plic } = rig(40, 2);
  plic.write(prio(5), 4, 0xffff_ffff);
  assert.equal(plic.read(prio(5), 4), 7);
  plic.write(prio(0), 4, 5);
  assert.equal(plic.read(prio(0), 4), 0, 'source 0 does not exist');
  plic.write(prio(41), 4, 5);
  assert.equal(plic.read(prio(41), 4), 0);
  plic.write(enableWord(0, 0), 4, 0xffff_ffff);
  assert.equal(plic.read(enableWord(0, 0), 4), 0xffff_fffe, 'enable bit of source 0 is hardwired to 0');
  plic.write(enableWord(0, 1), 4, 0xffff_ffff);
  assert.equal(plic.read(enableWord(0, 1), 4), 0x1ff, 'sources 32..40 only');
  plic.write(enableWord(0, 2), 4, 0xffff_ffff);
  assert.equal(plic.read(enableWord(0, 2), 4), 0);
  plic.irqLine(5).set(true);
  plic.write(PLIC_REG.pendingBase, 4, 0);
  assert.equal(plic.read(PLIC_REG.pendingBase, 4), 1 << 5, 'pending is read-only');
  plic.write(threshold(1), 4, 0x1234);
  assert.equal(plic.read(threshold(1), 4), 4);
  assert.equal(plic.read(threshold(2), 4), 0, 'context 2 does not exist');
  assert.equal(plic.read(threshold(0) + 8, 4), 0);
});

test('only aligned 32-bit accesses reach registers', () => {
  const { plic } = rig();
  plic.write(prio(1), 1, 3);
  plic.write(prio(1) + 2, 4, 3);
  assert.equal(plic.read(prio(1), 4), 0);
  plic.write(prio(1), 4, 3);
  assert.equal(plic.read(prio(1), 2), 0);
  enable(plic, 0, 1);
  plic.irqLine(1).set(true);
  assert.equal(plic.read(claimReg(0), 1), 0, 'a byte read does not claim');
  assert.equal(plic.read(claimReg(0), 4), 1);
});

test('hostile accesses never throw', () => {
  const { plic } = rig(95, 2);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0x5f_ffff }),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      (offset, size, value) => {
        plic.write(offset, size, value % 2 ** (8 * size));
        const r = plic.read(offset, size);
        assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffff_ffff);
      },
    ),
  );
});

test('irqLine rejects sources that do not exist', () => {
  const { plic } = rig(10, 2);
  assert.throws(() => plic.irqLine(0), /no interrupt source 0/);
  assert.throws(() => plic.irqLine(11), /no interrupt source 11/);
  plic.setLine(0, true); // ignored, no throw
  plic.setLine(1000, true);
});

test('saveState / restoreState round trip', () => {
  const a = rig(95, 4);
  a.plic.write(prio(9), 4, 6);
  a.plic.write(prio(70), 4, 2);
  enable(a.plic, 1, 9, 70);
  a.plic.write(threshold(1), 4, 1);
  a.plic.irqLine(9).set(true);
  a.plic.irqLine(70).set(true);
  assert.equal(a.plic.claim(1), 9);
  const state = JSON.parse(JSON.stringify(a.plic.saveState())) as unknown;

  const b = rig(95, 4);
  b.plic.restoreState(state);
  assert.deepEqual(b.out, [
    [0, false],
    [1, true],
    [2, false],
    [3, false],
  ]);
  assert.deepEqual(b.plic.saveState(), a.plic.saveState());
  b.plic.complete(1, 9); // the in-service claim survives the snapshot; the line is still high
  assert.equal(b.plic.claim(1), 9);
  assert.equal(b.plic.claim(1), 70);
});

test('restoreState rejects malformed snapshots', () => {
  const { plic } = rig(40, 2);
  const good = plic.saveState();
  const bad: Array<[unknown, RegExp]> = [
    [undefined, /must be an object/],
    [{ ...good, sources: 41 }, /sources must be 40/],
    [{ ...good, contexts: 1 }, /contexts must be 2/],
    [{ ...good, priority: good.priority.slice(1) }, /priority must have 41 entries/],
    [{ ...good, priority: [1, ...good.priority.slice(1)] }, /priority\[0\] must be 0/],
    [{ ...good, priority: [0, 8, ...good.priority.slice(2)] }, /priority\[1\]/],
    [{ ...good, pending: [1, 0] }, /pending\[0\] has bits of nonexistent sources/],
    [{ ...good, lines: [0, 1 << 9] }, /lines\[1\]/],
    [{ ...good, enable: [0, 0, 0, 0xffff_ffff] }, /enable\[3\]/],
    [{ ...good, claimedBy: good.claimedBy.map((_, i) => (i === 3 ? 2 : -1)) }, /claimedBy\[3\]/],
    [{ ...good, claimedBy: good.claimedBy.map(() => 0) }, /claimedBy\[0\] must be -1/],
    [
      { ...good, pending: [1 << 3, 0], claimedBy: good.claimedBy.map((_, i) => (i === 3 ? 1 : -1)) },
      /both pending and claimed/,
    ],
    [{ ...good, threshold: [0, 'x'] }, /threshold\[1\]/],
  ];
  for (const [state, re] of bad) assert.throws(() => plic.restoreState(state), re);
});

test('config is validated', () => {
  const cb = (): void => {};
  assert.throws(() => new Plic({ sources: 0, contexts: 2, setContextIrq: cb }), /sources/);
  assert.throws(() => new Plic({ sources: 1024, contexts: 2, setContextIrq: cb }), /sources/);
  assert.throws(() => new Plic({ sources: 95, contexts: 0, setContextIrq: cb }), /contexts/);
  assert.throws(() => new Plic({ sources: 95, contexts: 2, priorityBits: 0, setContextIrq: cb }), /priorityBits/);
  assert.throws(() => new Plic({ sources: 95, contexts: 2, setContextIrq: 1 as never }), /setContextIrq/);
});
