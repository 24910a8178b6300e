import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CSR, IRQ, MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_SSIP, MIP_STIP, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP,
  MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, PRIV_M, PRIV_S, PRIV_U,
} from './constants.js';
import { pendingInterrupt } from './trap.js';
import { A, MTVEC, RAM_BASE, STVEC, csrRaw, makeHart, run, setCsrRaw } from './testing.js';

test('a trap from M pushes MIE into MPIE, clears MIE and sets MPP = M; mret pops them', () => {
  const r = makeHart();
  r.h.mstatus |= MSTATUS_MIE;
  run(r, [A.ecall()]);
  assert.equal(r.h.pc, MTVEC);
  assert.equal(r.h.mstatus & MSTATUS_MIE, 0);
  assert.equal(r.h.mstatus & MSTATUS_MPIE, MSTATUS_MPIE);
  assert.equal((r.h.mstatus & MSTATUS_MPP) >>> 11, PRIV_M);
  // Handler: mepc += 4; mret.
  setCsrRaw(r.h, CSR.mepc, BigInt(RAM_BASE + 4));
  run(r, [A.mret()]);
  assert.equal(r.h.pc, RAM_BASE + 4);
  assert.equal(r.h.priv, PRIV_M);
  assert.equal(r.h.mstatus & MSTATUS_MIE, MSTATUS_MIE, 'MIE restored from MPIE');
  assert.equal(r.h.mstatus & MSTATUS_MPIE, MSTATUS_MPIE, 'MPIE set to 1');
  assert.equal((r.h.mstatus & MSTATUS_MPP) >>> 11, PRIV_U, 'MPP set to the least-privileged mode');
});

test('ecall from S traps to M with cause 9 and MPP = S; mret returns to S at mepc', () => {
  const r = makeHart();
  r.h.priv = PRIV_S;
  r.h.updateTlbContext();
  run(r, [A.ecall()]);
  assert.equal(csrRaw(r.h, CSR.mcause), 9n);
  assert.equal(r.h.priv, PRIV_M);
  assert.equal((r.h.mstatus & MSTATUS_MPP) >>> 11, PRIV_S);
  assert.equal(r.h.mstatus & MSTATUS_MPIE, 0, 'MIE was 0');
  setCsrRaw(r.h, CSR.mepc, BigInt(RAM_BASE + 0x100));
  run(r, [A.mret()]);
  assert.equal(r.h.priv, PRIV_S);
  assert.equal(r.h.pc, RAM_BASE + 0x100);
});

test('ecall from U has cause 8', () => {
  const r = makeHart();
  r.h.priv = PRIV_U;
  r.h.updateTlbContext();
  run(r, [A.ecall()]);
  assert.equal(csrRaw(r.h, CSR.mcause), 8n);
  assert.equal((r.h.mstatus & MSTATUS_MPP) >>> 11, PRIV_U);
});

test('medeleg sends an S-mode exception to S: scause/sepc/stval, SPP = S, SPIE = SIE, SIE cleared', () => {
  const r = makeHart();
  setCsrRaw(r.h, CSR.stvec, BigInt(STVEC));
  r.h.medeleg = 1 << 2;
  r.h.priv = PRIV_S;
  r.h.mstatus |= MSTATUS_SIE;
  r.h.updateTlbContext();
  r.h.pc = RAM_BASE + 0x40;
  run(r, [0xffff_ffff]);
  assert.equal(r.h.priv, PRIV_S);
  assert.equal(r.h.pc, STVEC);
  assert.equal(csrRaw(r.h, CSR.scause), 2n);
  assert.equal(csrRaw(r.h, CSR.sepc), BigInt(RAM_BASE + 0x40));
  assert.equal(csrRaw(r.h, CSR.stval), 0xffff_ffffn);
  assert.equal(r.h.mstatus & MSTATUS_SPP, MSTATUS_SPP);
  assert.equal(r.h.mstatus & MSTATUS_SPIE, MSTATUS_SPIE);
  assert.equal(r.h.mstatus & MSTATUS_SIE, 0);
  assert.equal(csrRaw(r.h, CSR.mcause), 0n);
  // sret returns to S at sepc and restores SIE.
  setCsrRaw(r.h, CSR.sepc, BigInt(RAM_BASE + 0x44));
  run(r, [A.sret()]);
  assert.equal(r.h.priv, PRIV_S);
  assert.equal(r.h.pc, RAM_BASE + 0x44);
  assert.equal(r.h.mstatus & MSTATUS_SIE, MSTATUS_SIE);
});

test('a delegated exception from U sets SPP = U; ecall from U delegated gives scause 8', () => {
  const r = makeHart();
  setCsrRaw(r.h, CSR.stvec, BigInt(STVEC));
  r.h.medeleg = 1 << 8;
  r.h.priv = PRIV_U;
  r.h.updateTlbContext();
  run(r, [A.ecall()]);
  assert.equal(r.h.priv, PRIV_S);
  assert.equal(csrRaw(r.h, CSR.scause), 8n);
  assert.equal(r.h.mstatus & MSTATUS_SPP, 0);
});

test('exceptions in M-mode are never delegated', () => {
  const r = makeHart();
  r.h.medeleg = 1 << 2;
  run(r, [0xffff_ffff]);
  assert.equal(r.h.priv, PRIV_M);
  assert.equal(csrRaw(r.h, CSR.mcause), 2n);
  assert.equal(csrRaw(r.h, CSR.scause), 0n);
});

test('medeleg cannot delegate ecall from M (bit 11 is read-only zero)', () => {
  const r = makeHart();
  r.h.x[5 * 2] = -1;
  r.h.x[5 * 2 + 1] = -1;
  run(r, [A.csrrw(0, CSR.medeleg, 5), A.csrrs(6, CSR.medeleg, 0)]);
  assert.equal((r.h.x[6 * 2]! >>> 11) & 1, 0);
  assert.equal((r.h.x[6 * 2]! >>> 2) & 1, 1);
});

const ALL = MIP_MEIP | MIP_MSIP | MIP_MTIP | MIP_SEIP | MIP_SSIP | MIP_STIP;

test('pending interrupts are taken in the order MEI, MSI, MTI, SEI, SSI, STI', () => {
  const r = makeHart();
  const h = r.h;
  h.mie = ALL;
  h.mstatus |= MSTATUS_MIE;
  const order = [IRQ.MEI, IRQ.MSI, IRQ.MTI, IRQ.SEI, IRQ.SSI, IRQ.STI];
  let pending = ALL;
  for (const irq of order) {
    h.mipHw = pending & (MIP_MEIP | MIP_MSIP | MIP_MTIP);
    h.mipSw = pending & (MIP_SEIP | MIP_SSIP | MIP_STIP);
    assert.equal(pendingInterrupt(h), irq);
    pending &= ~(1 << irq);
  }
  h.mipHw = 0;
  h.mipSw = 0;
  assert.equal(pendingInterrupt(h), -1);
});

test('M-mode interrupts need MIE in M but are always enabled in S and U', () => {
  const { h } = makeHart();
  h.mie = MIP_MTIP;
  h.mipHw = MIP_MTIP;
  assert.equal(pendingInterrupt(h), -1, 'M with MIE clear');
  h.priv = PRIV_S;
  assert.equal(pendingInterrupt(h), IRQ.MTI, 'S with MIE clear');
  h.mie = 0;
  assert.equal(pendingInterrupt(h), -1, 'not enabled in mie');
});

test('delegated interrupts are masked in M, need SIE in S, and are always enabled in U', () => {
  const { h } = makeHart();
  h.mideleg = MIP_STIP;
  h.mie = MIP_STIP;
  h.mipSw = MIP_STIP;
  h.mstatus |= MSTATUS_MIE | MSTATUS_SIE;
  assert.equal(pendingInterrupt(h), -1, 'M never takes a delegated interrupt');
  h.priv = PRIV_S;
  assert.equal(pendingInterrupt(h), IRQ.STI);
  h.mstatus &= ~MSTATUS_SIE;
  assert.equal(pendingInterrupt(h), -1);
  h.priv = PRIV_U;
  assert.equal(pendingInterrupt(h), IRQ.STI);
});

test('an undelegated M interrupt beats a delegated S interrupt in S-mode even with SIE clear', () => {
  const { h } = makeHart();
  h.priv = PRIV_S;
  h.mideleg = MIP_SEIP;
  h.mie = MIP_SEIP | MIP_MTIP;
  h.mipHw = MIP_SEIP | MIP_MTIP;
  assert.equal(pendingInterrupt(h), IRQ.MTI);
});
