/**
 * CSR accesses to sstatus that change nothing but SIE and FS, done in WebAssembly by the wasm interpreter and by
 * translated blocks instead of through the SYSTEM helper and the TypeScript interpreter: Linux's
 * local_irq_save and local_irq_restore (csrrc, csrrs, csrrw of SIE), ~100 k of them in a boot, each a call of the
 * helper and a run of the TypeScript interpreter (~60 ns once V8 has optimized them, much more before; ~6 ns here),
 * and its FP state's switches (csrs, csrc and csrw of FS around saving and restoring a task's FP registers, ~6 at
 * every switch between tasks: ~53 k in a boot and one piped sha256sum of 32 MiB). FS has no effect but on FP
 * instructions, which check it where they run (in the area, or h.mstatus), so nothing else needs to know.
 * mstatus, the privilege and the interrupts pending and enabled are in the area (layout.ts); an
 * access that would change any other bit, or set SIE while an interrupt is pending and enabled (it must be taken
 * after the instruction), or one in U-mode (illegal) goes to the helper as before.
 */
import { MSTATUS_FS, MSTATUS_SIE, PRIV_U, SSTATUS_HI_XL, SSTATUS_MASK } from '../constants.js';
import { AREA_MSTATUS, AREA_PENDING, AREA_PRIV } from './layout.js';
import type { Code } from './wasm-code.js';

/**
 * Pushes whether the access can be done here (an i32), with the old mstatus in i32 local `old` and the new one
 * in `next`. `f3` is the instruction's funct3; `operand` pushes the i32 operand (rs1's low half, or the
 * immediate of csrrwi, csrrsi and csrrci).
 */
export function sstatusSie(c: Code, area: number, old: number, next: number, f3: number, operand: () => void): void {
  c.get(area).mem('i32.load', AREA_MSTATUS).set(old);
  operand();
  c.i32(SSTATUS_MASK).op('i32.and').set(next);
  // The new mstatus: write (1), set (2) or clear (3). Setting or clearing nothing (rs1 = x0) writes nothing,
  // which for sstatus is the same as writing the old value back.
  const write = (): void => void c.get(old).i32(~SSTATUS_MASK).op('i32.and').get(next).op('i32.or');
  const set = (): void => void c.get(old).get(next).op('i32.or');
  const clear = (): void => void c.get(old).get(next).i32(-1).op('i32.xor', 'i32.and');
  const op = f3 & 3;
  if (op === 1) write();
  else if (op === 2) set();
  else clear();
  c.set(next);
  // Nothing but SIE and FS changes...
  c.get(next).get(old).op('i32.xor').i32(~(MSTATUS_SIE | MSTATUS_FS)).op('i32.and').op('i32.eqz');
  // ... and SIE is not set while an interrupt is pending and enabled...
  c.get(next).get(old).i32(-1).op('i32.xor', 'i32.and').i32(MSTATUS_SIE).op('i32.and').i32(0).op('i32.ne');
  c.get(area).mem('i32.load', AREA_PENDING).i32(0).op('i32.ne', 'i32.and', 'i32.eqz');
  // ... outside U-mode.
  c.get(area).mem('i32.load', AREA_PRIV).i32(PRIV_U).op('i32.ne', 'i32.and', 'i32.and');
}

/** Stores the new mstatus (local `next`) and pushes the old sstatus (from mstatus in `old`) as an i64, for rd. */
export function sstatusCommit(c: Code, area: number, old: number, next: number): void {
  c.get(area).get(next).mem('i32.store', AREA_MSTATUS);
  // sstatus: mstatus's bits it shows; UXL = 2 and SD (FS dirty) in the high word.
  c.get(old).i32(SSTATUS_MASK).op('i32.and', 'i64.extend_i32_u');
  c.get(old).i32(MSTATUS_FS).op('i32.and').i32(MSTATUS_FS).op('i32.eq').i32(31).op('i32.shl');
  c.i32(SSTATUS_HI_XL).op('i32.or', 'i64.extend_i32_u').i64(32).op('i64.shl', 'i64.or');
}
