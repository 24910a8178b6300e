/**
 * sstatus accesses that change only SIE, which the WebAssembly interpreter and translated blocks do without the
 * TypeScript interpreter (sstatus-sie.ts): the same values and the same interrupt trap as on the interpreter,
 * in S-mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSR, IRQ, MIP_SSIP, MSTATUS_FS, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, PRIV_S } from '../constants.js';
import { A, MTVEC, RAM_BASE, STVEC, getX, getXU, iType, place, setCsrRaw, type Rig } from '../testing.js';
import { diffState, makeEngineHart, runUntilIdle } from './test-rig.js';

const CODE = RAM_BASE + 0x1000;
const WFI = 0x10500073;
const LOOPS = 50;
const csrrsi = (rd: number, csr: number, uimm: number): number => iType(0x73, rd, 6, uimm, csr);
const csrrci = (rd: number, csr: number, uimm: number): number => iType(0x73, rd, 7, uimm, csr);

/**
 * In S-mode with FS dirty, a supervisor software interrupt delegated and enabled: a loop turning SIE off and on
 * with every form, then the interrupt raised with SIE off, and taken right after the csrrsi that sets SIE.
 */
function program(rig: Rig): void {
  const { h } = rig;
  place(rig, CODE, [
    A.addi(31, 0, LOOPS),
    csrrci(10, CSR.sstatus, 2), //   loop: a0 = sstatus (SIE on); SIE off
    A.csrrs(11, CSR.sstatus, 0), //  a1 = sstatus (a read)
    A.addi(5, 0, 2),
    A.csrrc(12, CSR.sstatus, 5), //  a2 = sstatus; SIE off again (no change)
    A.csrrw(0, CSR.sstatus, 11), //  write back what a1 read: SIE still off
    csrrsi(14, CSR.sstatus, 2), //   a4 = sstatus; SIE on (nothing pending)
    A.addi(31, 31, -1),
    A.bne(31, 0, -4 * 7),
    csrrci(0, CSR.sstatus, 2), //    SIE off
    csrrsi(0, CSR.sip, 2), //        the interrupt is raised: it waits for SIE
    A.addi(13, 0, 1), //             a3 = 1
    csrrsi(14, CSR.sstatus, 2), //   a4 = sstatus; SIE on: the interrupt is taken before the next instruction
    A.addi(13, 0, 2), //             (not reached before the handler)
  ]);
  place(rig, STVEC, [
    A.csrrs(15, CSR.sepc, 0), //     a5 = sepc
    A.csrrs(16, CSR.scause, 0), //   a6 = scause
    A.csrrs(17, CSR.sstatus, 0), //  a7 = sstatus (SIE off, SPIE and SPP on)
    csrrci(0, CSR.sip, 2), //        the interrupt is handled
    WFI,
  ]);
  place(rig, MTVEC, [WFI]);
  setCsrRaw(h, CSR.stvec, BigInt(STVEC));
  h.mideleg = MIP_SSIP;
  h.mie = MIP_SSIP;
  h.mstatus = MSTATUS_FS | MSTATUS_SIE;
  h.pc = CODE;
  h.priv = PRIV_S;
  h.updateTlbContext();
}

for (const cold of [true, false]) {
  const where = cold ? 'the WebAssembly interpreter' : 'translated blocks';
  test(`sstatus.SIE cleared and set in ${where}: the values and the interrupt trap of the interpreter`, () => {
    const [a, b] = (['interp', 'jit'] as const).map((engine) => {
      const rig = makeEngineHart(engine);
      if (cold && rig.h.jit !== undefined) rig.h.jit.tuning.hot = Infinity;
      program(rig);
      assert.ok(runUntilIdle(rig.h, 10_000), `${engine}: the handler ends in WFI`);
      return rig;
    }) as [Rig, Rig];
    assert.deepEqual(diffState(a, b), []);
    // sstatus as read: SD (FS dirty), UXL = 2, FS, and SIE, SPIE, SPP as they were.
    const base = (1n << 63n) | (2n << 32n) | BigInt(MSTATUS_FS);
    assert.equal(getXU(b.h, 10), base | BigInt(MSTATUS_SIE));
    assert.equal(getXU(b.h, 11), base);
    assert.equal(getXU(b.h, 12), base);
    assert.equal(getX(b.h, 13), 1n, 'the instruction after the csrrsi did not run before the trap');
    assert.equal(getXU(b.h, 14), base);
    assert.equal(getXU(b.h, 15), BigInt(CODE + 4 * 13), 'sepc: the instruction after the csrrsi');
    assert.equal(getXU(b.h, 16), (1n << 63n) | BigInt(IRQ.SSI));
    assert.equal(getXU(b.h, 17), base | BigInt(MSTATUS_SPIE | MSTATUS_SPP));
    const stats = b.h.jit!.stats;
    assert.ok(cold ? stats.interpretedWasm > LOOPS * 7 && stats.compiled === 0 : stats.compiled > 0, JSON.stringify(stats));
  });
}
