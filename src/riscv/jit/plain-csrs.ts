/**
 * CSR accesses to sscratch, sepc, scause and stval (and mscratch, mepc, mcause, mtval), done in WebAssembly by
 * the wasm interpreter and by translated blocks instead of through the SYSTEM helper and the TypeScript
 * interpreter. These CSRs are storage and nothing else (csr.ts PLAIN: no side effects, any value but the low bit
 * of sepc and mepc), and the hart keeps them in its area (layout.ts AREA_CSR). Linux's trap entry and return
 * (entry.S) read or write them ~12 k times a boot, each a call of the helper before.
 *
 * An access below the CSR's privilege (bits 9:8 of its number: U-mode for the S-mode ones, S and U for the M-mode
 * ones) is illegal: it goes to the helper, which takes the trap.
 */
import { AREA_PRIV } from './layout.js';
import type { Code } from './wasm-code.js';

/** The CSR numbers done here, 0x140..0x143 and 0x340..0x343: those with (num & PLAIN_MASK) === PLAIN_MATCH. */
const PLAIN_MASK = 0xdfc;
const PLAIN_MATCH = 0x140;
/** sepc and mepc (0x141, 0x341): (num & EPC_MASK) === EPC_MATCH. */
const EPC_MASK = 0xdff;
const EPC_MATCH = 0x141;

/** Whether a CSR number is one of the eight done here. */
export function isPlainCsr(num: number): boolean {
  return (num & PLAIN_MASK) === PLAIN_MATCH;
}

/** Whether a CSR number is sepc's or mepc's, whose bit 0 writes clear. */
export function isEpc(num: number): boolean {
  return (num & EPC_MASK) === EPC_MATCH;
}

/** isPlainCsr in WebAssembly: pushes it (an i32) for the CSR number `num` pushes. */
export function emitIsPlainCsr(c: Code, num: () => void): void {
  num();
  c.i32(PLAIN_MASK).op('i32.and').i32(PLAIN_MATCH).op('i32.eq');
}

/** isEpc in WebAssembly: pushes it (an i32) for the CSR number `num` pushes. */
export function emitIsEpc(c: Code, num: () => void): void {
  num();
  c.i32(EPC_MASK).op('i32.and').i32(EPC_MATCH).op('i32.eq');
}

/**
 * Pushes whether the hart's privilege allows an access to a CSR whose number `num` pushes (an i32): the privilege
 * is at least bits 9:8 of the number.
 */
export function plainCsrAllowed(c: Code, area: number, num: () => void): void {
  c.get(area).mem('i32.load', AREA_PRIV);
  num();
  c.i32(8).op('i32.shr_u').i32(3).op('i32.and', 'i32.ge_u');
}

/**
 * The access of funct3 `f3` (1..3, 5..7) to the CSR at byte address `at` pushes plus `offset` (the area plus
 * AREA_CSR plus 8 times its number), whose low bit writes clear when `epc` pushes 1 (an i32, 0 or 1):
 * writes the new value and pushes the old one (an i64, for rd). `operand` pushes the i64 operand (rs1's value, or
 * the immediate zero-extended); `old` is an i64 local to use. Setting or clearing nothing (rs1 = x0, uimm = 0)
 * writes the old value back, which for these CSRs is the same as no write; csrrw with rd = x0 reads, which has
 * no effect either.
 */
export function plainCsrAccess(c: Code, at: () => void, offset: number, epc: () => void, f3: number, operand: () => void, old: number): void {
  at();
  c.mem('i64.load', offset).set(old);
  at();
  const op = f3 & 3;
  if (op === 1) operand();
  else if (op === 2) {
    c.get(old);
    operand();
    c.op('i64.or');
  } else {
    c.get(old);
    operand();
    c.i64(-1).op('i64.xor', 'i64.and');
  }
  // sepc and mepc: bit 0 always reads 0 (IALIGN is 16 with the C extension).
  epc();
  c.op('i64.extend_i32_u').i64(-1).op('i64.xor', 'i64.and');
  c.mem('i64.store', offset);
  c.get(old);
}
