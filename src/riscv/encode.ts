/**
 * Instruction words by format (R, I, S, B, U, J), for code that writes small RISC-V programs: the warm-ups
 * (warmup.ts) and tests (testing.ts adds the mnemonics). Results are unsigned 32-bit values.
 */
export function rType(op: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}
export function iType(op: number, rd: number, f3: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}
export function sType(op: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0;
}
export function bType(f3: number, rs1: number, rs2: number, imm: number): number {
  return (
    ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
      (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0
  );
}
/** U-type: `imm` is the full 32-bit value whose low 12 bits are dropped. */
export function uType(op: number, rd: number, imm: number): number {
  return ((imm & 0xfffff000) | (rd << 7) | op) >>> 0;
}
export function jType(rd: number, imm: number): number {
  return (
    ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
      (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0
  );
}
