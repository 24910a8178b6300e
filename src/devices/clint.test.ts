import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Clint, CLINT_REG, clintStorageBytes, type ClintConfig } from './clint.js';

interface Rig {
  clint: Clint;
  clock: { t: number; ticks(): number };
  msip: Array<[number, boolean]>;
  mtip: Array<[number, boolean]>;
}

function rig(harts = 2, overrides: Partial<ClintConfig> = {}): Rig {
  const clock = {
    t: 0,
    ticks(): number {
      return this.t;
    },
  };
  const msip: Array<[number, boolean]> = [];
  const mtip: Array<[number, boolean]> = [];
  const clint = new Clint({
    harts,
    ticks: clock,
    setMsip: (h, l) => msip.push([h, l]),
    setMtip: (h, l) => mtip.push([h, l]),
    ...overrides,
  });
  return { clint, clock, msip, mtip };
}

const cmp = (hart: number): number => CLINT_REG.mtimecmp + 8 * hart;

/** A 64-bit store as the bus delivers it: low half, then high half. */
function store64(c: Clint, offset: number, hi: number, lo: number): void {
  c.write(offset, 4, lo);
  c.write(offset + 4, 4, hi);
}

test('mtimecmp reads back the exact 64-bit value written, even all ones', () => {
  const { clint } = rig();
  store64(clint, cmp(1), 0xffff_ffff, 0xffff_ffff);
  assert.equal(clint.read(cmp(1), 4), 0xffff_ffff);
  assert.equal(clint.read(cmp(1) + 4, 4), 0xffff_ffff);
  store64(clint, cmp(0), 0x1234_5678, 0x9abc_def0);
  assert.equal(clint.read(cmp(0), 4), 0x9abc_def0);
  assert.equal(clint.read(cmp(0) + 4, 4), 0x1234_5678);
  // hart 1 untouched by hart 0's write
  assert.equal(clint.read(cmp(1), 4), 0xffff_ffff);
});

test('MTIP is high at reset (mtimecmp = 0, as QEMU) once update() runs, and follows mtime >= mtimecmp', () => {
  const { clint, clock, mtip } = rig(1);
  clint.update();
  assert.deepEqual(mtip, [[0, true]]);
  mtip.length = 0;

  store64(clint, cmp(0), 0, 1000); // future: lowered at once by the write
  assert.deepEqual(mtip, [[0, false]]);
  assert.equal(clint.mtip(0), false);
  mtip.length = 0;

  clock.t = 999;
  clint.update();
  assert.deepEqual(mtip, [], 'no callback while below the deadline');
  clock.t = 1000;
  clint.update();
  assert.deepEqual(mtip, [[0, true]]);
  clint.update();
  assert.deepEqual(mtip, [[0, true]], 'callbacks only on changes');
});

test('parking mtimecmp at all ones keeps MTIP low and the deadline far away', () => {
  const { clint, clock } = rig(1);
  clock.t = 5e12;
  store64(clint, cmp(0), 0xffff_ffff, 0xffff_ffff);
  clint.update();
  assert.equal(clint.mtip(0), false);
  assert.equal(clint.nextDeadline(0), 2 ** 64);
  assert.ok(clint.ticksUntilDeadline(0) > 1e19);
});

test('nextDeadline and ticksUntilDeadline', () => {
  const { clint, clock } = rig(2);
  clock.t = 100;
  store64(clint, cmp(1), 1, 5); // 2^32 + 5
  assert.equal(clint.nextDeadline(1), 2 ** 32 + 5);
  assert.equal(clint.ticksUntilDeadline(1), 2 ** 32 + 5 - 100);
  assert.equal(clint.ticksUntilDeadline(0), 0); // mtimecmp 0 already reached
  assert.equal(clint.nextDeadline(7), Infinity);
});

test('mtime reads the tick source; writing it sets an offset (exact, wrapping at 2^64)', () => {
  const { clint, clock } = rig(1);
  clock.t = 2 ** 32 + 7;
  assert.equal(clint.read(CLINT_REG.mtime, 4), 7);
  assert.equal(clint.read(CLINT_REG.mtime + 4, 4), 1);
  assert.equal(clint.mtime(), 2 ** 32 + 7);

  store64(clint, CLINT_REG.mtime, 0xffff_ffff, 0xffff_fff0);
  assert.equal(clint.mtimeHi(), 0xffff_ffff);
  assert.equal(clint.mtimeLo(), 0xffff_fff0);
  clock.t += 0x20;
  assert.equal(clint.mtimeHi(), 0);
  assert.equal(clint.mtimeLo(), 0x10);

  store64(clint, CLINT_REG.mtime, 0, 500);
  clock.t += 25;
  assert.equal(clint.mtime(), 525);
});

test('a fractional or negative tick count is floored to a non-negative integer', () => {
  const { clint, clock } = rig(1);
  clock.t = 10.7;
  assert.equal(clint.read(CLINT_REG.mtime, 4), 10);
  clock.t = -3;
  assert.equal(clint.mtime(), 0);
});

test('writing mtime re-evaluates MTIP', () => {
  const { clint, mtip } = rig(1);
  store64(clint, cmp(0), 0, 1000);
  clint.update();
  mtip.length = 0;
  store64(clint, CLINT_REG.mtime, 0, 2000);
  assert.deepEqual(mtip, [[0, true]]);
});

test('msip: bit 0 drives MSIP, other bits read 0, callbacks on change only', () => {
  const { clint, msip } = rig(2);
  clint.write(4, 4, 0xffff_ffff);
  assert.equal(clint.read(4, 4), 1);
  assert.equal(clint.read(0, 4), 0);
  clint.write(4, 4, 3);
  clint.write(4, 4, 2);
  assert.deepEqual(msip, [
    [1, true],
    [1, false],
  ]);
  assert.equal(clint.msipOf(1), false);
});

test('accesses to missing harts, unknown offsets and sub-word widths read 0 and are ignored', () => {
  const { clint, msip, mtip } = rig(1);
  clint.write(4, 4, 1); // msip of hart 1: absent
  clint.write(cmp(1), 4, 5);
  clint.write(0, 1, 1); // byte write
  clint.write(2, 4, 1); // misaligned
  assert.deepEqual(msip, []);
  assert.deepEqual(mtip, []);
  assert.equal(clint.read(cmp(1), 4), 0);
  assert.equal(clint.read(0xc000, 4), 0);
  assert.equal(clint.read(CLINT_REG.mtime, 2), 0);
});

test('hostile accesses never throw', () => {
  const { clint } = rig(3);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      (offset, size, value) => {
        clint.write(offset, size, value % 2 ** (8 * size));
        const r = clint.read(offset, size);
        assert.ok(Number.isInteger(r) && r >= 0 && r < 2 ** (8 * size));
      },
    ),
  );
});

test('saveState / restoreState round trip, re-based on the current tick count', () => {
  const a = rig(2);
  a.clock.t = 12345;
  a.clint.write(4, 4, 1);
  store64(a.clint, cmp(0), 0xdead_beef, 0xcafe_f00d);
  store64(a.clint, CLINT_REG.mtime, 0x10, 0x20);
  const state = JSON.parse(JSON.stringify(a.clint.saveState())) as unknown;

  const b = rig(2);
  b.clock.t = 99; // a fresh tick source
  b.clint.restoreState(state);
  assert.equal(b.clint.read(cmp(0), 4), 0xcafe_f00d);
  assert.equal(b.clint.read(cmp(0) + 4, 4), 0xdead_beef);
  assert.equal(b.clint.read(4, 4), 1);
  assert.equal(b.clint.mtimeHi(), 0x10);
  assert.equal(b.clint.mtimeLo(), 0x20);
  b.clock.t += 5;
  assert.equal(b.clint.mtimeLo(), 0x25);
  assert.deepEqual(b.msip, [
    [0, false],
    [1, true],
  ]);
  assert.deepEqual(b.mtip, [
    [0, false],
    [1, true],
  ]);
});

test('restoreState rejects malformed snapshots and leaves the device unchanged', () => {
  const { clint } = rig(2);
  store64(clint, cmp(0), 0, 77);
  const good = clint.saveState();
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be an object/],
    [[], /must be an object/],
    [{ ...good, harts: 3 }, /harts must be 2/],
    [{ ...good, msip: [0] }, /msip must have 2 entries/],
    [{ ...good, msip: [0, 2] }, /msip\[1\]/],
    [{ ...good, mtimecmpLo: [0, 1.5] }, /mtimecmpLo\[1\]/],
    [{ ...good, mtimecmpHi: [0, 2 ** 32] }, /mtimecmpHi\[1\]/],
    [{ ...good, mtimecmpHi: 'x' }, /mtimecmpHi must be an array/],
    [{ ...good, mtimeLo: -1 }, /mtimeLo/],
    [{ ...good, mtimeHi: undefined }, /mtimeHi/],
  ];
  for (const [state, re] of bad) {
    assert.throws(() => clint.restoreState(state), re);
  }
  assert.equal(clint.read(cmp(0), 4), 77);
});

test('config is validated', () => {
  assert.throws(() => rig(0), /harts/);
  assert.throws(() => rig(4096), /harts/);
  assert.throws(() => rig(1.5), /harts/);
  assert.throws(() => rig(1, { ticks: {} as never }), /TickSource/);
  assert.throws(() => rig(1, { setMtip: undefined as never }), /setMtip/);
});

test('CLINTs over one shared storage (one per hart thread) see each other\'s registers', () => {
  const storage = new SharedArrayBuffer(clintStorageBytes(2));
  const a = rig(2, { storage });
  const b = rig(2, { storage, ticks: a.clock });
  // Hart 0's thread raises hart 1's software interrupt: the writer's callback fires (to wake hart 1), and the
  // other thread's CLINT reads the bit.
  a.clint.write(CLINT_REG.msip + 4, 4, 1);
  assert.deepEqual(a.msip, [[1, true]]);
  assert.equal(b.clint.msipOf(1), true);
  assert.equal(b.clint.read(CLINT_REG.msip + 4, 4), 1);
  // Hart 1 clears it on its own thread.
  b.clint.write(CLINT_REG.msip + 4, 4, 0);
  assert.equal(a.clint.msipOf(1), false);
  // mtimecmp and the mtime offset are shared; each thread computes MTIP for itself.
  store64(b.clint, cmp(1), 0, 500);
  assert.equal(a.clint.nextDeadline(1), 500);
  a.clock.t = 100;
  store64(a.clint, CLINT_REG.mtime, 0, 1000);
  assert.equal(b.clint.mtime(), 1000);
  b.clint.update();
  assert.ok(b.clint.mtip(1));
  assert.throws(() => rig(2, { storage: new SharedArrayBuffer(8) }), /storage must be 32 bytes/);
});
