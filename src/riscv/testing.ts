/**
 * Test helpers for the RISC-V core: a hart on 1 MiB of RAM, a tiny instruction encoder (R/I/S/B/U/J types and
 * the common mnemonics), and BigInt access to registers and CSRs. Only tests import this module.
 */
import { GuestRam } from '../memory/ram.js';
import { SystemBus } from '../memory/bus.js';
import { Hart } from './hart.js';
import { runBlock } from './execute.js';
import { bType, iType, jType, rType, sType, uType } from './encode.js';

export const RAM_BASE = 0x8000_0000;
export const RAM_SIZE = 1 << 20;
/** Where tests point mtvec/stvec: far from the code at RAM_BASE. */
export const MTVEC = RAM_BASE + 0x4000;
export const STVEC = RAM_BASE + 0x5000;

const M64 = (1n << 64n) - 1n;

export interface Rig {
  ram: GuestRam;
  bus: SystemBus;
  h: Hart;
}

/** A fresh hart in M-mode at RAM_BASE, with mtvec = MTVEC. */
export function makeHart(): Rig {
  const ram = new GuestRam(RAM_BASE, RAM_SIZE);
  const bus = new SystemBus(ram);
  const h = new Hart(0, bus, { readTime: () => 1234 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
  h.reset(RAM_BASE);
  setCsrRaw(h, 0x305, BigInt(MTVEC));
  return { ram, bus, h };
}

/** Writes register i from a BigInt (any sign; taken modulo 2^64). */
export function setX(h: Hart, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  h.x[2 * i] = Number(u & 0xffffffffn) | 0;
  h.x[2 * i + 1] = Number(u >> 32n) | 0;
}

/** Register i as a signed BigInt. */
export function getX(h: Hart, i: number): bigint {
  return (BigInt(h.x[2 * i + 1]! | 0) << 32n) | BigInt(h.x[2 * i]! >>> 0);
}

/** Register i as an unsigned BigInt. */
export function getXU(h: Hart, i: number): bigint {
  return getX(h, i) & M64;
}

/** A plain-storage CSR (h.csr pair) as an unsigned BigInt. */
export function csrRaw(h: Hart, num: number): bigint {
  return ((BigInt(h.csr[num * 2 + 1]! >>> 0) << 32n) | BigInt(h.csr[num * 2]! >>> 0)) & M64;
}

export function setCsrRaw(h: Hart, num: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  h.csr[num * 2] = Number(u & 0xffffffffn) | 0;
  h.csr[num * 2 + 1] = Number(u >> 32n) | 0;
}

/** Physical RAM accessors (little-endian). */
export function write32(rig: Rig, addr: number, v: number): void {
  const o = addr - RAM_BASE;
  const u8 = rig.ram.u8;
  for (let k = 0; k < 4; k++) u8[o + k] = (v >>> (8 * k)) & 0xff;
}
export function read32(rig: Rig, addr: number): number {
  const o = addr - RAM_BASE;
  const u8 = rig.ram.u8;
  return (u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24)) >>> 0;
}
export function write64(rig: Rig, addr: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  write32(rig, addr, Number(u & 0xffffffffn));
  write32(rig, addr + 4, Number(u >> 32n));
}
export function read64(rig: Rig, addr: number): bigint {
  return (BigInt(read32(rig, addr + 4)) << 32n) | BigInt(read32(rig, addr));
}
export function write8(rig: Rig, addr: number, v: number): void {
  rig.ram.u8[addr - RAM_BASE] = v & 0xff;
}
export function read8(rig: Rig, addr: number): number {
  return rig.ram.u8[addr - RAM_BASE]!;
}

/** Places 32-bit words at `addr` (RAM physical address). */
export function place(rig: Rig, addr: number, words: readonly number[]): void {
  words.forEach((w, k) => write32(rig, addr + 4 * k, w));
}

/** Runs `n` instructions one at a time (so SYSTEM instructions, which end a block, do not stop the count). */
export function step(h: Hart, n: number): number {
  let retired = 0;
  for (let k = 0; k < n; k++) retired += runBlock(h, 1);
  return retired;
}

/** Places `words` at the current pc and executes that many instructions. Returns the count retired. */
export function run(rig: Rig, words: readonly number[]): number {
  place(rig, rig.h.pc, words);
  return step(rig.h, words.length);
}

// ---- encoders (encode.ts) ----

export { bType, iType, jType, rType, sType, uType };

const OP = 0x33;
const OP_IMM = 0x13;
const OP_32 = 0x3b;
const OP_IMM_32 = 0x1b;

/** Mnemonic encoders: registers are numbers 0..31. */
export const A = {
  add: (rd: number, a: number, b: number) => rType(OP, rd, 0, a, b, 0),
  sub: (rd: number, a: number, b: number) => rType(OP, rd, 0, a, b, 0x20),
  sll: (rd: number, a: number, b: number) => rType(OP, rd, 1, a, b, 0),
  slt: (rd: number, a: number, b: number) => rType(OP, rd, 2, a, b, 0),
  sltu: (rd: number, a: number, b: number) => rType(OP, rd, 3, a, b, 0),
  xor: (rd: number, a: number, b: number) => rType(OP, rd, 4, a, b, 0),
  srl: (rd: number, a: number, b: number) => rType(OP, rd, 5, a, b, 0),
  sra: (rd: number, a: number, b: number) => rType(OP, rd, 5, a, b, 0x20),
  or: (rd: number, a: number, b: number) => rType(OP, rd, 6, a, b, 0),
  and: (rd: number, a: number, b: number) => rType(OP, rd, 7, a, b, 0),
  mul: (rd: number, a: number, b: number) => rType(OP, rd, 0, a, b, 1),
  div: (rd: number, a: number, b: number) => rType(OP, rd, 4, a, b, 1),
  addw: (rd: number, a: number, b: number) => rType(OP_32, rd, 0, a, b, 0),
  subw: (rd: number, a: number, b: number) => rType(OP_32, rd, 0, a, b, 0x20),
  sllw: (rd: number, a: number, b: number) => rType(OP_32, rd, 1, a, b, 0),
  srlw: (rd: number, a: number, b: number) => rType(OP_32, rd, 5, a, b, 0),
  sraw: (rd: number, a: number, b: number) => rType(OP_32, rd, 5, a, b, 0x20),
  addi: (rd: number, a: number, imm: number) => iType(OP_IMM, rd, 0, a, imm),
  slti: (rd: number, a: number, imm: number) => iType(OP_IMM, rd, 2, a, imm),
  sltiu: (rd: number, a: number, imm: number) => iType(OP_IMM, rd, 3, a, imm),
  slli: (rd: number, a: number, sh: number) => iType(OP_IMM, rd, 1, a, sh & 63),
  srli: (rd: number, a: number, sh: number) => iType(OP_IMM, rd, 5, a, sh & 63),
  srai: (rd: number, a: number, sh: number) => iType(OP_IMM, rd, 5, a, (sh & 63) | 0x400),
  addiw: (rd: number, a: number, imm: number) => iType(OP_IMM_32, rd, 0, a, imm),
  lui: (rd: number, imm: number) => uType(0x37, rd, imm),
  auipc: (rd: number, imm: number) => uType(0x17, rd, imm),
  jal: (rd: number, off: number) => jType(rd, off),
  jalr: (rd: number, rs1: number, imm: number) => iType(0x67, rd, 0, rs1, imm),
  beq: (a: number, b: number, off: number) => bType(0, a, b, off),
  bne: (a: number, b: number, off: number) => bType(1, a, b, off),
  blt: (a: number, b: number, off: number) => bType(4, a, b, off),
  bge: (a: number, b: number, off: number) => bType(5, a, b, off),
  bltu: (a: number, b: number, off: number) => bType(6, a, b, off),
  bgeu: (a: number, b: number, off: number) => bType(7, a, b, off),
  lb: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 0, rs1, imm),
  lh: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 1, rs1, imm),
  lw: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 2, rs1, imm),
  ld: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 3, rs1, imm),
  lbu: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 4, rs1, imm),
  lhu: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 5, rs1, imm),
  lwu: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 6, rs1, imm),
  sb: (rs2: number, rs1: number, imm: number) => sType(0x23, 0, rs1, rs2, imm),
  sh: (rs2: number, rs1: number, imm: number) => sType(0x23, 1, rs1, rs2, imm),
  sw: (rs2: number, rs1: number, imm: number) => sType(0x23, 2, rs1, rs2, imm),
  sd: (rs2: number, rs1: number, imm: number) => sType(0x23, 3, rs1, rs2, imm),
  csrrw: (rd: number, csr: number, rs1: number) => iType(0x73, rd, 1, rs1, csr),
  csrrs: (rd: number, csr: number, rs1: number) => iType(0x73, rd, 2, rs1, csr),
  csrrc: (rd: number, csr: number, rs1: number) => iType(0x73, rd, 3, rs1, csr),
  csrrwi: (rd: number, csr: number, uimm: number) => iType(0x73, rd, 5, uimm, csr),
  ecall: () => 0x00000073,
  ebreak: () => 0x00100073,
  mret: () => 0x30200073,
  sret: () => 0x10200073,
  nop: () => 0x00000013,
} as const;
