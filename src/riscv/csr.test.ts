import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CSR, MIP_SEIP, MIP_STIP, MSTATUS_MIE, MSTATUS_MPP, MSTATUS_SIE, MSTATUS_SUM, PRIV_S, PRIV_U,
} from './constants.js';
import { A, MTVEC, csrRaw, getX, getXU, makeHart, run, setX } from './testing.js';

const T0 = 5;
const T1 = 6;

function inS(): ReturnType<typeof makeHart> {
  const r = makeHart();
  r.h.priv = PRIV_S;
  r.h.updateTlbContext();
  return r;
}

test('sstatus is a view of mstatus: writes through sstatus change only the S fields', () => {
  const r = inS();
  setX(r.h, T0, -1n);
  run(r, [A.csrrw(0, CSR.sstatus, T0), A.csrrs(T1, CSR.sstatus, 0)]);
  assert.equal(r.h.priv, PRIV_S, 'no trap');
  assert.equal(r.h.mstatus & MSTATUS_SIE, MSTATUS_SIE);
  assert.equal(r.h.mstatus & MSTATUS_SUM, MSTATUS_SUM);
  assert.equal(r.h.mstatus & MSTATUS_MIE, 0, 'MIE not writable through sstatus');
  assert.equal(r.h.mstatus & MSTATUS_MPP, 0, 'MPP not writable through sstatus');
  assert.equal(getXU(r.h, T1) & BigInt(MSTATUS_MIE | MSTATUS_MPP), 0n, 'sstatus hides M fields');
  assert.equal((getXU(r.h, T1) >> 32n) & 3n, 2n, 'UXL = 2 (64-bit)');
  // A change to mstatus shows in sstatus.
  const m = makeHart();
  m.h.mstatus |= MSTATUS_SIE | MSTATUS_MIE;
  run(m, [A.csrrs(T1, CSR.sstatus, 0)]);
  assert.equal(getXU(m.h, T1) & BigInt(MSTATUS_SIE | MSTATUS_MIE), BigInt(MSTATUS_SIE));
});

test('mstatus MPP is WARL: the reserved value 2 is not stored', () => {
  const r = makeHart();
  setX(r.h, T0, 2n << 11n);
  run(r, [A.csrrw(0, CSR.mstatus, T0)]);
  assert.notEqual((r.h.mstatus & MSTATUS_MPP) >>> 11, 2);
});

test('csrc mip, STIP while the PLIC drives SEIP does not latch SEIP into the software bit (priv 3.1.9)', () => {
  const r = makeHart();
  r.h.mipSw = MIP_STIP;
  r.h.mipHw |= MIP_SEIP;
  setX(r.h, T0, BigInt(MIP_STIP));
  run(r, [A.csrrc(0, CSR.mip, T0)]);
  assert.equal(r.h.mipSw & MIP_SEIP, 0, 'software SEIP stays clear');
  assert.equal(r.h.mipSw & MIP_STIP, 0, 'STIP cleared');
  r.h.mipHw &= ~MIP_SEIP;
  run(r, [A.csrrs(T1, CSR.mip, 0)]);
  assert.equal(getXU(r.h, T1) & BigInt(MIP_SEIP), 0n, 'SEIP gone once the device drops it');
});

test('csrs mip, STIP with device SEIP asserted does not latch SEIP either', () => {
  const r = makeHart();
  r.h.mipHw |= MIP_SEIP;
  setX(r.h, T0, BigInt(MIP_STIP));
  run(r, [A.csrrs(0, CSR.mip, T0)]);
  assert.equal(r.h.mipSw & MIP_SEIP, 0);
  assert.equal(r.h.mipSw & MIP_STIP, MIP_STIP);
});

test('software can still set and clear its own SEIP bit', () => {
  const r = makeHart();
  setX(r.h, T0, BigInt(MIP_SEIP));
  run(r, [A.csrrs(0, CSR.mip, T0)]);
  assert.equal(r.h.mipSw & MIP_SEIP, MIP_SEIP);
  run(r, [A.csrrc(0, CSR.mip, T0)]);
  assert.equal(r.h.mipSw & MIP_SEIP, 0);
});

test('writing a read-only CSR is an illegal instruction, reading it is not', () => {
  for (const num of [CSR.mhartid, CSR.mvendorid, CSR.cycle, CSR.time]) {
    const r = makeHart();
    const insn = A.csrrw(0, num, T0);
    run(r, [insn]);
    assert.equal(csrRaw(r.h, CSR.mcause), 2n, num.toString(16));
    assert.equal(csrRaw(r.h, CSR.mtval), BigInt(insn));
    assert.equal(r.h.pc, MTVEC);
  }
  const r = makeHart();
  run(r, [A.csrrs(T1, CSR.mhartid, 0), A.csrrc(T1, CSR.mvendorid, 0)]);
  assert.equal(csrRaw(r.h, CSR.mcause), 0n);
  // csrrs with a nonzero rs1 writes, even if rs1 holds zero.
  const w = makeHart();
  run(w, [A.csrrs(T1, CSR.mhartid, T0)]);
  assert.equal(csrRaw(w.h, CSR.mcause), 2n);
});

test('S-mode cannot access M-mode CSRs', () => {
  const r = inS();
  run(r, [A.csrrs(T1, CSR.mstatus, 0)]);
  assert.equal(csrRaw(r.h, CSR.mcause), 2n);
});

test('counters are gated by mcounteren in S-mode and by scounteren too in U-mode', () => {
  const denied = inS();
  run(denied, [A.csrrs(T1, CSR.cycle, 0)]);
  assert.equal(csrRaw(denied.h, CSR.mcause), 2n, 'cycle denied with mcounteren.CY = 0');

  const time = inS();
  time.h.mcounteren = 0b010;
  run(time, [A.csrrs(T1, CSR.time, 0), A.csrrs(T0, CSR.instret, 0)]);
  assert.equal(getX(time.h, T1), 1234n, 'time allowed with mcounteren.TM');
  assert.equal(csrRaw(time.h, CSR.mcause), 2n, 'instret still denied');

  const u = makeHart();
  u.h.priv = PRIV_U;
  u.h.updateTlbContext();
  u.h.mcounteren = 0b111;
  run(u, [A.csrrs(T1, CSR.time, 0)]);
  assert.equal(csrRaw(u.h, CSR.mcause), 2n, 'U also needs scounteren');
  const u2 = makeHart();
  u2.h.priv = PRIV_U;
  u2.h.updateTlbContext();
  u2.h.mcounteren = 0b111;
  u2.h.scounteren = 0b010;
  run(u2, [A.csrrs(T1, CSR.time, 0)]);
  assert.equal(getX(u2.h, T1), 1234n);
  assert.equal(csrRaw(u2.h, CSR.mcause), 0n);
});

test('M-mode reads counters regardless of mcounteren', () => {
  const r = makeHart();
  run(r, [A.csrrs(T1, CSR.time, 0)]);
  assert.equal(getX(r.h, T1), 1234n);
});

test('misa reports RV64 (MXL = 2) with I, M, A, F, D, C, S, U', () => {
  const r = makeHart();
  run(r, [A.csrrs(T1, CSR.misa, 0)]);
  const v = getXU(r.h, T1);
  assert.equal(v >> 62n, 2n);
  for (const ch of 'IMAFDCSU') assert.equal((v >> BigInt(ch.charCodeAt(0) - 65)) & 1n, 1n, ch);
});

test('mepc ignores bit 0 on write', () => {
  const r = makeHart();
  setX(r.h, T0, 0x8000_0003n);
  run(r, [A.csrrw(0, CSR.mepc, T0), A.csrrs(T1, CSR.mepc, 0)]);
  assert.equal(getXU(r.h, T1), 0x8000_0002n);
});
