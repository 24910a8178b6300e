import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CSR, PRIV_S } from './constants.js';
import { csrWrite } from './csr.js';
import { runBlock } from './execute.js';
import { HartStateError, restoreHartState, saveHartState, type HartState } from './hart-state.js';
import { A, makeHart, place, RAM_BASE, setX, type Rig } from './testing.js';

/** A loop that keeps changing registers and memory: x5 counts, x6 accumulates, stores to RAM_BASE+0x800. */
const PROGRAM = [
  A.addi(5, 5, 1), // 0
  A.add(6, 6, 5), // 4
  A.mul(7, 6, 5), // 8
  A.sd(7, 10, 0), // 12
  A.addi(10, 10, 8), // 16
  A.nop(), // 20
  A.csrrs(11, CSR.mscratch, 5), // 24
  A.jal(0, -28), // 28
];

function rig(): Rig {
  const r = makeHart();
  place(r, RAM_BASE, PROGRAM);
  setX(r.h, 10, BigInt(RAM_BASE + 0x800));
  return r;
}

function runSteps(r: Rig, n: number): void {
  let left = n;
  while (left > 0) left -= Math.max(1, runBlock(r.h, Math.min(left, 7)));
}

/** A hart with non-trivial state everywhere the record covers. */
function busyRig(): Rig {
  const r = rig();
  const h = r.h;
  runSteps(r, 123);
  for (let i = 0; i < 64; i++) h.fp.f[i] = (i * 0x9e3779b9) | 0;
  h.fp.fflags = 0x13;
  h.fp.frm = 2;
  csrWrite(h, CSR.mstatus, (1 << 13) | (1 << 11) | (1 << 18), 0);
  csrWrite(h, CSR.medeleg, 0xb1ff, 0);
  csrWrite(h, CSR.mideleg, 0x222, 0);
  csrWrite(h, CSR.mie, 0xaaa, 0);
  csrWrite(h, CSR.mip, 0x2, 0);
  csrWrite(h, CSR.mcounteren, 5, 0);
  csrWrite(h, CSR.scounteren, 2, 0);
  csrWrite(h, CSR.sepc, 0x1234, 0x7fff_ffff | 0);
  csrWrite(h, CSR.stvec, RAM_BASE + 0x5000, 0);
  csrWrite(h, CSR.menvcfg, 1, 0x8000_0000 | 0);
  csrWrite(h, CSR.stimecmp, 0x1234_5678, 0x9);
  csrWrite(h, CSR.mcountinhibit, 5, 0);
  csrWrite(h, CSR.pmpaddr0 + 1, 0x2000_0fff, 0);
  csrWrite(h, CSR.pmpaddr0 + 2, -1, 0x3fffff);
  csrWrite(h, CSR.pmpcfg0, 0x1f << 8 | 0x0f << 16, 0);
  csrWrite(h, CSR.minstret, 1000, 1);
  h.reservation = RAM_BASE + 0x800;
  return r;
}

function cloneInto(src: Rig): Rig {
  const dst = makeHart();
  dst.ram.u8.set(src.ram.u8);
  restoreHartState(dst.h, JSON.parse(JSON.stringify(saveHartState(src.h))));
  return dst;
}

test('round trip gives identical state, and identical behaviour when continuing', () => {
  const a = busyRig();
  const b = cloneInto(a);
  assert.deepEqual(saveHartState(b.h), saveHartState(a.h));
  runSteps(a, 500);
  runSteps(b, 500);
  assert.deepEqual(saveHartState(b.h), saveHartState(a.h));
  assert.deepEqual(b.ram.u8, a.ram.u8);
  assert.notEqual(saveHartState(a.h).x[5], '0000000000000000');
});

test('satp, privilege and PMP (including locked entries) survive', () => {
  const a = rig();
  csrWrite(a.h, CSR.satp, 0x80123, 0x8000_0000 | 0);
  csrWrite(a.h, CSR.pmpaddr0, 0x100, 0);
  csrWrite(a.h, CSR.pmpcfg0, 0x9b, 0); // locked NAPOT... (L | A=NAPOT | R | W)
  a.h.priv = PRIV_S;
  a.h.waiting = true;
  const s = saveHartState(a.h);
  const b = makeHart();
  restoreHartState(b.h, s);
  assert.deepEqual(saveHartState(b.h), s);
  assert.equal(b.h.satpMode(), 8);
  assert.equal(b.h.pmp.cfg[0], 0x9b);
});

function expectReject(mutate: (s: Record<string, unknown>) => void, field: RegExp): void {
  const r = busyRig();
  const s = JSON.parse(JSON.stringify(saveHartState(r.h))) as Record<string, unknown>;
  mutate(s);
  const fresh = makeHart();
  const before = saveHartState(fresh.h);
  assert.throws(
    () => restoreHartState(fresh.h, s),
    (e: unknown) => e instanceof HartStateError && field.test(e.message),
  );
  assert.deepEqual(saveHartState(fresh.h), before, 'hart changed by a rejected restore');
}

test('invalid records are rejected naming the field, leaving the hart unchanged', () => {
  expectReject((s) => (s['priv'] = 2), /priv: invalid privilege 2/);
  expectReject((s) => (s['pc'] = '8000'), /pc: expected exactly 16 hex digits/);
  expectReject((s) => (s['pc'] = '0080000000000002'), /pc: not exactly representable/);
  expectReject((s) => (s['pc'] = '0000000080000001'), /pc: odd/);
  expectReject((s) => ((s['x'] as string[])[3] = 'zz00000000000000'), /x\[3\]: expected exactly 16 hex digits/);
  expectReject((s) => ((s['x'] as string[])[0] = '0000000000000001'), /x\[0\]: x0 must be zero/);
  expectReject((s) => (s['f'] as string[]).pop(), /f: expected an array of 32/);
  expectReject((s) => (s['frm'] = 8), /frm: expected an integer in 0\.\.7/);
  expectReject((s) => (s['mstatus'] = 1 << 30), /mstatus: bits 0x40000000 are not writable/);
  expectReject((s) => (s['mstatus'] = 2 << 11), /mstatus: MPP = 2 is reserved/);
  expectReject((s) => (s['mie'] = 1.5), /mie: expected an integer/);
  expectReject((s) => ((s['csr'] as Record<string, string>)['satp'] = 'a000000000000000'), /csr\.satp: MODE 10/);
  expectReject((s) => {
    s['maxSatpMode'] = 8;
    (s['csr'] as Record<string, string>)['satp'] = '9000000000000000';
  }, /csr\.satp: MODE 9 exceeds maxSatpMode 8/);
  expectReject((s) => ((s['csr'] as Record<string, string>)['mepc'] = '0000000000000001'), /csr\.mepc: bit 0/);
  expectReject((s) => delete (s['csr'] as Record<string, string>)['stvec'], /csr\.stvec: missing/);
  expectReject((s) => ((s['pmpCfg'] as number[])[4] = 0x02), /pmpCfg\[4\]: W without R/);
  expectReject((s) => ((s['pmpAddr'] as string[])[1] = 'ffffffffffffffff'), /pmpAddr\[1\]/);
  expectReject((s) => (s['waiting'] = 'no'), /waiting: expected a boolean/);
  expectReject((s) => (s['reservation'] = -2), /reservation/);
  expectReject((s) => (s['counterOffset'] = null), /counterOffset/);
  expectReject((s) => (s['hartId'] = 1), /hartId: record is for hart 1, restoring into hart 0/);
  expectReject((s) => (s['version'] = 3), /version: unsupported version 3/);
  expectReject((s) => ((s['csr'] as Record<string, string>)['menvcfg'] = '4000000000000000'), /csr\.menvcfg: only bits 0/);
  expectReject((s) => {
    (s['csr'] as Record<string, string>)['menvcfg'] = '8000000000000000';
    s['mipSw'] = 0x20;
  }, /mipSw: STIP is the timer's/);
  expectReject((s) => (s['format'] = 'qemu'), /format/);
  expectReject((s) => (s['extra'] = 1), /extra: unknown field/);
  expectReject((s) => delete s['mie'], /mie: missing/);
  assert.throws(() => restoreHartState(makeHart().h, null), HartStateError);
  assert.throws(() => restoreHartState(makeHart().h, [1, 2]), HartStateError);
});

test('a version 1 record (before Sstc: no stimecmp) is still read', () => {
  const saved = JSON.parse(JSON.stringify(saveHartState(rig().h))) as Record<string, unknown>;
  saved['version'] = 1;
  delete (saved['csr'] as Record<string, string>)['stimecmp'];
  const r = makeHart();
  csrWrite(r.h, CSR.stimecmp, 77, 0);
  restoreHartState(r.h, saved);
  assert.equal(saveHartState(r.h).csr.stimecmp, '0000000000000000');
  assert.equal(saveHartState(r.h).version, 2, 'saved again as the current version');
  // Version 2 needs it.
  saved['version'] = 2;
  assert.throws(() => restoreHartState(makeHart().h, saved), /csr\.stimecmp: missing/);
});

test('property: any single-field corruption is rejected with HartStateError or accepted as a valid state', () => {
  const base = JSON.parse(JSON.stringify(saveHartState(busyRig().h))) as HartState;
  const keys = Object.keys(base);
  const junk = fc.oneof(
    fc.jsonValue(),
    fc.integer({ min: -5, max: 1 << 24 }),
    fc.stringMatching(/^[0-9a-f]{15,17}$/),
  );
  fc.assert(
    fc.property(fc.constantFrom(...keys), junk, (key, value) => {
      const s = { ...base, [key]: value } as Record<string, unknown>;
      const h = makeHart().h;
      try {
        restoreHartState(h, s);
      } catch (e) {
        assert.ok(e instanceof HartStateError, String(e));
        return;
      }
      // Accepted: it must then round-trip exactly.
      assert.deepEqual(saveHartState(h), JSON.parse(JSON.stringify(s)));
    }),
    { numRuns: 500 },
  );
});
