/**
 * sstatus accesses that change only SIE and FS, which the WebAssembly interpreter and translated blocks do
 * without the TypeScript interpreter (sstatus-sie.ts): the same values, the same interrupt trap and the same
 * illegal FP instruction as on the interpreter, in S-mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSR, IRQ, MIP_SSIP, MSTATUS_FS, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, PRIV_S } from '../constants.js';
import { A, MTVEC, RAM_BASE, STVEC, getX, getXU, iType, place, setCsrRaw, setX, type Rig } from '../testing.js';
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

/**
 * `prepare`'s program on the interpreter and on the translator, which runs it in its WebAssembly interpreter alone
 * (`cold`) or compiled, each to its WFI; checks that both end in the same state and that the translator ran it as
 * asked. Returns the translator's rig.
 */
function onBoth(prepare: (rig: Rig) => void, cold: boolean): Rig {
  const [a, b] = (['interp', 'jit'] as const).map((engine) => {
    const rig = makeEngineHart(engine);
    if (cold && rig.h.jit !== undefined) rig.h.jit.tuning.hot = Infinity;
    prepare(rig);
    assert.ok(runUntilIdle(rig.h, 10_000), `${engine}: the program ends in a WFI`);
    return rig;
  }) as [Rig, Rig];
  assert.deepEqual(diffState(a, b), []);
  const stats = b.h.jit!.stats;
  assert.ok(cold ? stats.interpretedWasm > LOOPS * 7 && stats.compiled === 0 : stats.compiled > 0, JSON.stringify(stats));
  return b;
}

for (const cold of [true, false]) {
  const where = cold ? 'the WebAssembly interpreter' : 'translated blocks';
  test(`sstatus.SIE cleared and set in ${where}: the values and the interrupt trap of the interpreter`, () => {
    const b = onBoth(program, cold);
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
  });
}

const fld = (rd: number, rs1: number, imm: number): number => iType(0x07, rd, 3, rs1, imm);
const DATA = RAM_BASE + 0x8000;
const FS_INITIAL = 1 << 13;

/**
 * In S-mode, a loop turning FS off, to Initial and back to Dirty with csrrc, csrrs and csrrw (as Linux does around
 * a task's FP registers), an FP load with FS on in each pass; then, with FS off, an FP load, which is illegal.
 */
function fsProgram(rig: Rig): void {
  const { h } = rig;
  place(rig, CODE, [
    A.addi(31, 0, LOOPS),
    A.addi(5, 0, 3),
    A.slli(5, 5, 13), //             t0 = FS (0x6000)
    A.addi(6, 0, 1),
    A.slli(6, 6, 13), //             t1 = FS Initial (0x2000)
    A.csrrc(10, CSR.sstatus, 5), //  loop: a0 = sstatus (FS dirty, SD); FS off
    A.csrrs(11, CSR.sstatus, 0), //  a1 = sstatus (FS off)
    A.csrrs(0, CSR.sstatus, 6), //   FS Initial
    A.csrrs(12, CSR.sstatus, 0), //  a2 = sstatus (FS Initial)
    A.csrrw(13, CSR.sstatus, 10), // a3 = sstatus; write back what a0 read: FS dirty, SIE as it was
    fld(1, 8, 0), //                 f1 = the data (legal: FS dirty)
    A.addi(31, 31, -1),
    A.bne(31, 0, -4 * 7),
    A.csrrc(0, CSR.sstatus, 5), //   FS off
    fld(2, 8, 8), //                 illegal: the trap to M-mode (mtvec: a WFI)
  ]);
  place(rig, MTVEC, [WFI]);
  rig.ram.i32[(DATA - RAM_BASE) / 4] = 0x1234_5678;
  rig.ram.i32[(DATA - RAM_BASE) / 4 + 1] = 0x4000_0000;
  setX(h, 8, BigInt(DATA));
  h.mstatus = MSTATUS_FS;
  h.pc = CODE;
  h.priv = PRIV_S;
  h.updateTlbContext();
}

for (const cold of [true, false]) {
  const where = cold ? 'the WebAssembly interpreter' : 'translated blocks';
  test(`sstatus.FS turned off, to Initial and to Dirty in ${where}: the values, FP loads legal only with FS on`, () => {
    const h = onBoth(fsProgram, cold).h;
    // sstatus as read: UXL = 2; SD with FS dirty.
    const uxl = 2n << 32n;
    assert.equal(getXU(h, 10), (1n << 63n) | uxl | BigInt(MSTATUS_FS));
    assert.equal(getXU(h, 11), uxl);
    assert.equal(getXU(h, 12), uxl | BigInt(FS_INITIAL));
    assert.equal(getXU(h, 13), uxl | BigInt(FS_INITIAL));
    assert.equal(h.fp.f[2], 0x1234_5678, "f1's low half: the FP loads with FS on");
    assert.equal(h.csr[CSR.mcause * 2], 2, 'the FP load with FS off: illegal instruction');
    assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + 4 * 14);
    assert.equal(h.mstatus & MSTATUS_FS, 0);
    // The FS changes did not go through the SYSTEM helper (the TypeScript interpreter's CSR code).
    assert.ok(h.jit!.stats.systemDirect < LOOPS, JSON.stringify(h.jit!.stats));
  });
}
