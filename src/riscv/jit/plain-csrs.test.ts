/**
 * CSR accesses to sscratch, sepc, scause and stval (and mscratch, mepc, mcause, mtval), which the WebAssembly
 * interpreter and translated blocks make without the TypeScript interpreter (plain-csrs.ts): every form gives the
 * values the interpreter gives, sepc's low bit stays clear, and an access below the CSR's privilege traps as on
 * the interpreter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAUSE, CSR, PRIV_M, PRIV_S, PRIV_U } from '../constants.js';
import { A, MTVEC, RAM_BASE, getXU, iType, place, setCsrRaw, type Rig } from '../testing.js';
import { diffState, makeEngineHart, runUntilIdle } from './test-rig.js';

const CODE = RAM_BASE + 0x1000;
const WFI = 0x10500073;
const LOOPS = 40;
const csrrsi = (rd: number, csr: number, uimm: number): number => iType(0x73, rd, 6, uimm, csr);
const csrrci = (rd: number, csr: number, uimm: number): number => iType(0x73, rd, 7, uimm, csr);

/**
 * A loop over every form on the four S-mode CSRs with values that change each pass (t0 grows by an odd step,
 * t1 = t0 shifted into the high word), then, at privilege `end`, a read of `last`: in S-mode mscratch (illegal, a
 * trap to M-mode), in M-mode mscratch after writing it.
 */
function program(rig: Rig, end: 'S' | 'M'): number {
  const { h } = rig;
  const body = [
    A.csrrw(10, CSR.sscratch, 5), //  a0 = sscratch; sscratch = t0
    A.csrrs(11, CSR.sscratch, 6), //  a1 = t0; sscratch |= t1
    A.csrrc(12, CSR.sscratch, 5), //  a2 = t0 | t1; sscratch &= ~t0
    A.csrrwi(13, CSR.sepc, 7), //     a3 = sepc; sepc = 6 (bit 0 clear)
    csrrsi(14, CSR.sepc, 1), //       a4 = 6; sepc = 6 (setting bit 0 sets nothing)
    A.csrrw(15, CSR.sepc, 5), //      a5 = 6; sepc = t0 & ~1 (t0 is odd every other pass)
    A.csrrw(0, CSR.scause, 6), //     scause = t1 (rd = x0: a write only)
    csrrci(16, CSR.scause, 31), //    a6 = t1; scause &= ~31
    A.csrrs(17, CSR.stval, 0), //     a7 = stval (a read only)
    A.csrrw(28, CSR.stval, 7), //     t3 = stval; stval = t2
    A.csrrc(29, CSR.stval, 0), //     t4 = stval (clearing nothing)
    A.add(30, 30, 10), //             t5 sums what was read
    A.add(30, 30, 13),
    A.add(30, 30, 16),
    A.add(30, 30, 29),
    A.addi(5, 5, 0x2d3), //           t0 += 0x2d3
    A.slli(6, 5, 33), //              t1 = t0 << 33
    A.xor(7, 6, 5), //                t2 = t1 ^ t0
    A.addi(31, 31, -1),
  ];
  const tail = end === 'S' ? [A.csrrs(18, CSR.mscratch, 0), A.addi(19, 0, 1)] : [A.csrrw(18, CSR.mscratch, 5), A.csrrs(19, CSR.mscratch, 0), WFI];
  place(rig, CODE, [A.addi(31, 0, LOOPS), A.addi(5, 0, 0x1f), ...body, A.bne(31, 0, -4 * body.length), ...tail]);
  place(rig, MTVEC, [WFI]);
  setCsrRaw(h, CSR.mtvec, BigInt(MTVEC));
  h.pc = CODE;
  h.priv = end === 'S' ? PRIV_S : PRIV_M;
  h.updateTlbContext();
  return body.length;
}

for (const cold of [true, false]) {
  const where = cold ? 'the WebAssembly interpreter' : 'translated blocks';
  for (const end of ['S', 'M'] as const) {
    test(`sscratch, sepc, scause and stval in ${where} (${end}-mode): the values and traps of the interpreter`, () => {
      let length = 0;
      const [a, b] = (['interp', 'jit'] as const).map((engine) => {
        const rig = makeEngineHart(engine);
        if (cold && rig.h.jit !== undefined) rig.h.jit.tuning.hot = Infinity;
        length = program(rig, end);
        assert.ok(runUntilIdle(rig.h, 20_000), `${engine}: the program ends in WFI`);
        return rig;
      }) as [Rig, Rig];
      assert.deepEqual(diffState(a, b), []);
      const h = b.h;
      assert.equal(getXU(h, 31), 0n, 'every pass ran');
      assert.equal(getXU(h, 14), 6n, 'sepc read back without bit 0');
      assert.equal(BigInt.asUintN(1, getXU(h, 15)), 0n);
      if (end === 'S') {
        // mscratch from S-mode: an illegal instruction, taken to M-mode before a1 is written.
        assert.equal(h.priv, PRIV_M);
        assert.equal(getXU(h, 19), 0n);
        assert.equal(h.csr[CSR.mcause * 2], CAUSE.ILLEGAL_INSTRUCTION);
      } else {
        assert.equal(getXU(h, 19), getXU(h, 5), 'mscratch as written');
      }
      const stats = h.jit!.stats;
      // The TypeScript interpreter ran the SYSTEM instructions at the end only (the trapping access and the WFI
      // in M-mode, or the WFI): none of the loop's 11 CSR accesses a pass.
      assert.equal(stats.systemDirect, end === 'S' ? 2 : 1, JSON.stringify(stats));
      assert.ok(cold ? stats.compiled === 0 && stats.interpretedWasm > LOOPS * length : stats.compiled > 0, JSON.stringify(stats));
    });
  }
}

test('sscratch from U-mode in the WebAssembly interpreter and translated blocks: illegal, as on the interpreter', () => {
  for (const hot of [Infinity, 2]) {
    const [a, b] = (['interp', 'jit'] as const).map((engine) => {
      const rig = makeEngineHart(engine);
      if (rig.h.jit !== undefined) rig.h.jit.tuning.hot = hot;
      // A loop with a CSR-free body first (so that it compiles when hot is 2), then the access.
      place(rig, CODE, [A.addi(31, 0, 20), A.addi(31, 31, -1), A.bne(31, 0, -4), A.csrrs(10, CSR.sscratch, 0), A.addi(11, 0, 1)]);
      place(rig, MTVEC, [WFI]);
      setCsrRaw(rig.h, CSR.mtvec, BigInt(MTVEC));
      setCsrRaw(rig.h, CSR.sscratch, 0x1234n);
      rig.h.pc = CODE;
      rig.h.priv = PRIV_U;
      rig.h.updateTlbContext();
      assert.ok(runUntilIdle(rig.h, 1_000));
      return rig;
    }) as [Rig, Rig];
    assert.deepEqual(diffState(a, b), []);
    assert.equal(b.h.priv, PRIV_M);
    assert.equal(b.h.csr[CSR.mcause * 2], CAUSE.ILLEGAL_INSTRUCTION);
    assert.equal(getXU(b.h, 10), 0n, 'rd not written');
  }
});
