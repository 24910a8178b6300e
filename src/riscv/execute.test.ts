import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSR } from './constants.js';
import {
  A, MTVEC, RAM_BASE, csrRaw, getX, getXU, makeHart, place, read64, read8, run, setX, step, write64,
  type Rig,
} from './testing.js';

const T0 = 5;
const T1 = 6;
const T2 = 7;
const A0 = 10;

const S64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** Runs one R-type instruction rd=T2, rs1=T0, rs2=T1 and returns T2 (signed). */
function op2(enc: (rd: number, a: number, b: number) => number, a: bigint, b: bigint): bigint {
  const r = makeHart();
  setX(r.h, T0, a);
  setX(r.h, T1, b);
  run(r, [enc(T2, T0, T1)]);
  return getX(r.h, T2);
}

function opImm(enc: (rd: number, a: number, imm: number) => number, a: bigint, imm: number): bigint {
  const r = makeHart();
  setX(r.h, T0, a);
  run(r, [enc(T2, T0, imm)]);
  return getX(r.h, T2);
}

function mcause(r: Rig): bigint {
  return csrRaw(r.h, CSR.mcause);
}

test('add carries from the low 32-bit half into the high half', () => {
  assert.equal(op2(A.add, 0xffff_ffffn, 1n), 0x1_0000_0000n);
  assert.equal(op2(A.add, 0x7fff_ffff_ffff_ffffn, 1n), S64(0x8000_0000_0000_0000n));
  assert.equal(op2(A.add, -1n, -1n), -2n);
  assert.equal(op2(A.add, 0x0000_0001_ffff_ffffn, 0x0000_0001_0000_0001n), 0x3_0000_0000n);
});

test('sub borrows from the high half and wraps modulo 2^64', () => {
  assert.equal(op2(A.sub, 0x1_0000_0000n, 1n), 0xffff_ffffn);
  assert.equal(op2(A.sub, 0n, 1n), -1n);
  assert.equal(op2(A.sub, S64(0x8000_0000_0000_0000n), 1n), 0x7fff_ffff_ffff_ffffn);
  assert.equal(op2(A.sub, 0x2_0000_0000n, 0x1_0000_0001n), 0xffff_ffffn);
});

test('addi sign-extends negative immediates to 64 bits', () => {
  assert.equal(opImm(A.addi, 0n, -1), -1n);
  assert.equal(opImm(A.addi, 0x1_0000_0000n, -1), 0xffff_ffffn);
  assert.equal(opImm(A.addi, 5n, -2048), -2043n);
  assert.equal(opImm(A.addi, 0xffff_ffffn, 1), 0x1_0000_0000n);
  assert.equal(opImm(A.addi, 0n, 2047), 2047n);
});

test('sll/srl/sra by 0, 31, 32 and 63, using only the low 6 bits of the register amount', () => {
  const v = S64(0x8123_4567_89ab_cdefn);
  for (const sh of [0, 1, 31, 32, 33, 63]) {
    const b = BigInt(sh);
    assert.equal(op2(A.sll, v, b), S64(v << b), `sll ${sh}`);
    assert.equal(op2(A.srl, v, b), S64(U64(v) >> b), `srl ${sh}`);
    assert.equal(op2(A.sra, v, b), v >> b, `sra ${sh}`);
    // The amount register's upper bits are ignored.
    assert.equal(op2(A.sll, v, b | 0xffff_ff00n), S64(v << b), `sll ${sh} high bits`);
    assert.equal(op2(A.sra, v, b + 64n), v >> b, `sra ${sh}+64`);
    assert.equal(opImm(A.slli, v, sh), S64(v << b), `slli ${sh}`);
    assert.equal(opImm(A.srli, v, sh), S64(U64(v) >> b), `srli ${sh}`);
    assert.equal(opImm(A.srai, v, sh), v >> b, `srai ${sh}`);
  }
});

test('slt compares signed, sltu compares unsigned', () => {
  assert.equal(op2(A.slt, -1n, 1n), 1n);
  assert.equal(op2(A.sltu, -1n, 1n), 0n);
  assert.equal(op2(A.slt, 1n, -1n), 0n);
  assert.equal(op2(A.sltu, 1n, -1n), 1n);
  assert.equal(op2(A.slt, 0x1_0000_0000n, 0xffff_ffffn), 0n);
  assert.equal(op2(A.sltu, 0xffff_ffffn, 0x1_0000_0000n), 1n);
  assert.equal(op2(A.slt, 7n, 7n), 0n);
  // sltiu sign-extends the immediate, then compares unsigned: sltiu rd, rs, -1 is "rs != all ones".
  assert.equal(opImm(A.sltiu, 5n, -1), 1n);
  assert.equal(opImm(A.sltiu, -1n, -1), 0n);
  assert.equal(opImm(A.slti, -5n, -1), 1n);
  assert.equal(opImm(A.sltiu, 0n, 1), 1n);
});

test('W operations compute on 32 bits and sign-extend the result', () => {
  assert.equal(op2(A.addw, 0x7fff_ffffn, 1n), -0x8000_0000n);
  assert.equal(op2(A.addw, 0xdead_beef_0000_0001n, 1n), 2n);
  assert.equal(op2(A.subw, 0n, 1n), -1n);
  assert.equal(op2(A.subw, 0x1_0000_0000n, 0n), 0n);
  assert.equal(op2(A.sllw, 1n, 31n), -0x8000_0000n);
  assert.equal(op2(A.sllw, 1n, 32n), 1n, 'sllw uses the low 5 bits of the amount');
  assert.equal(op2(A.srlw, 0xffff_ffff_8000_0000n, 0n), -0x8000_0000n, 'srlw by 0 sign-extends bit 31');
  assert.equal(op2(A.srlw, 0xffff_ffff_8000_0000n, 1n), 0x4000_0000n);
  assert.equal(op2(A.sraw, 0x0000_0000_8000_0000n, 4n), S64(0xffff_ffff_f800_0000n));
  assert.equal(opImm(A.addiw, 0x7fff_ffffn, 1), -0x8000_0000n);
  assert.equal(opImm(A.addiw, 0x1_2345_6789n, 0), 0x2345_6789n);
});

test('lui sign-extends its 32-bit value; auipc adds it to the pc', () => {
  const r = makeHart();
  run(r, [A.lui(T0, 0x8000_0000), A.lui(T1, 0x1234_5000), A.auipc(T2, 0xffff_f000), A.auipc(A0, 0x1000)]);
  assert.equal(getX(r.h, T0), -0x8000_0000n);
  assert.equal(getX(r.h, T1), 0x1234_5000n);
  assert.equal(getX(r.h, T2), BigInt(RAM_BASE + 8 - 0x1000));
  assert.equal(getX(r.h, A0), BigInt(RAM_BASE + 12 + 0x1000));
});

test('jal links pc+4 and jumps by its offset', () => {
  const r = makeHart();
  run(r, [A.jal(1, 0x100)]);
  assert.equal(getX(r.h, 1), BigInt(RAM_BASE + 4));
  assert.equal(r.h.pc, RAM_BASE + 0x100);
  const r2 = makeHart();
  r2.h.pc = RAM_BASE + 0x200;
  run(r2, [A.jal(0, -0x100)]);
  assert.equal(r2.h.pc, RAM_BASE + 0x100);
  assert.equal(getX(r2.h, 0), 0n);
});

test('jalr links pc+4, adds the immediate and clears bit 0 of the target', () => {
  const r = makeHart();
  setX(r.h, T0, BigInt(RAM_BASE + 0x301));
  run(r, [A.jalr(1, T0, 0x10)]);
  assert.equal(getX(r.h, 1), BigInt(RAM_BASE + 4));
  assert.equal(r.h.pc, RAM_BASE + 0x310);
  // rd == rs1: the target uses the old value.
  const r2 = makeHart();
  setX(r2.h, 1, BigInt(RAM_BASE + 0x41));
  run(r2, [A.jalr(1, 1, -1)]);
  assert.equal(r2.h.pc, RAM_BASE + 0x40);
  assert.equal(getX(r2.h, 1), BigInt(RAM_BASE + 4));
});

test('branches go to pc+offset when taken and fall through otherwise', () => {
  const cases: Array<[(a: number, b: number, o: number) => number, bigint, bigint, boolean]> = [
    [A.beq, 5n, 5n, true], [A.beq, 5n, 0x1_0000_0005n, false],
    [A.bne, 5n, 0x1_0000_0005n, true], [A.bne, -1n, -1n, false],
    [A.blt, -1n, 0n, true], [A.blt, 0n, -1n, false],
    [A.bge, 0n, -1n, true], [A.bge, -2n, -1n, false], [A.bge, 3n, 3n, true],
    [A.bltu, 0n, -1n, true], [A.bltu, -1n, 0n, false],
    [A.bgeu, -1n, 0n, true], [A.bgeu, 0xffff_ffffn, 0x1_0000_0000n, false],
  ];
  for (const [enc, a, b, taken] of cases) {
    const r = makeHart();
    r.h.pc = RAM_BASE + 0x100;
    setX(r.h, T0, a);
    setX(r.h, T1, b);
    run(r, [enc(T0, T1, -0x40)]);
    assert.equal(r.h.pc, taken ? RAM_BASE + 0xc0 : RAM_BASE + 0x104, `${enc(T0, T1, -0x40).toString(16)} ${a} ${b}`);
  }
});

test('loads sign- or zero-extend every width', () => {
  const r = makeHart();
  const addr = RAM_BASE + 0x800;
  write64(r, addr, 0x8182_8384_8586_8788n);
  setX(r.h, A0, BigInt(addr));
  run(r, [
    A.lb(11, A0, 0), A.lbu(12, A0, 0), A.lh(13, A0, 0), A.lhu(14, A0, 0),
    A.lw(15, A0, 0), A.lwu(16, A0, 0), A.ld(17, A0, 0), A.lb(18, A0, 7),
  ]);
  assert.equal(getX(r.h, 11), S64(0xffff_ffff_ffff_ff88n));
  assert.equal(getX(r.h, 12), 0x88n);
  assert.equal(getX(r.h, 13), S64(0xffff_ffff_ffff_8788n));
  assert.equal(getX(r.h, 14), 0x8788n);
  assert.equal(getX(r.h, 15), S64(0xffff_ffff_8586_8788n));
  assert.equal(getX(r.h, 16), 0x8586_8788n);
  assert.equal(getXU(r.h, 17), 0x8182_8384_8586_8788n);
  assert.equal(getX(r.h, 18), S64(0xffff_ffff_ffff_ff81n));
  // Positive values are not sign-extended.
  write64(r, addr, 0x7172_7374_7576_7778n);
  r.h.pc = RAM_BASE;
  step(r.h, 5);
  assert.equal(getX(r.h, 11), 0x78n);
  assert.equal(getX(r.h, 13), 0x7778n);
  assert.equal(getX(r.h, 15), 0x7576_7778n);
});

test('stores write exactly the low bytes of rs2', () => {
  const r = makeHart();
  const addr = RAM_BASE + 0x800;
  write64(r, addr, -1n);
  write64(r, addr + 8, -1n);
  write64(r, addr + 16, -1n);
  write64(r, addr + 24, -1n);
  setX(r.h, A0, BigInt(addr));
  setX(r.h, T0, 0x1122_3344_5566_7788n);
  run(r, [A.sb(T0, A0, 0), A.sh(T0, A0, 8), A.sw(T0, A0, 16), A.sd(T0, A0, 24)]);
  assert.equal(read64(r, addr), 0xffff_ffff_ffff_ff88n);
  assert.equal(read64(r, addr + 8), 0xffff_ffff_ffff_7788n);
  assert.equal(read64(r, addr + 16), 0xffff_ffff_5566_7788n);
  assert.equal(read64(r, addr + 24), 0x1122_3344_5566_7788n);
});

test('misaligned loads and stores across a page boundary work in bare M-mode', () => {
  const r = makeHart();
  const addr = RAM_BASE + 0x1ffd; // 3 bytes before the 0x2000 page boundary
  setX(r.h, A0, BigInt(addr));
  setX(r.h, T0, 0x0102_0304_0506_0708n);
  run(r, [A.sd(T0, A0, 0), A.ld(T1, A0, 0), A.lw(T2, A0, 1), A.lh(11, A0, 2)]);
  for (let k = 0; k < 8; k++) assert.equal(read8(r, addr + k), 8 - k, `byte ${k}`);
  assert.equal(getXU(r.h, T1), 0x0102_0304_0506_0708n);
  assert.equal(getX(r.h, T2), 0x0405_0607n);
  assert.equal(getX(r.h, 11), 0x0506n);
  assert.equal(r.h.pc, RAM_BASE + 16, 'no trap');
});

test('x0 stays zero after being written', () => {
  const r = makeHart();
  setX(r.h, T0, 123n);
  run(r, [A.addi(0, T0, 5), A.lui(0, 0x12345000), A.jal(0, 4), A.add(T1, 0, 0)]);
  assert.equal(getX(r.h, 0), 0n);
  assert.equal(getX(r.h, T1), 0n);
});

test('an illegal instruction traps with mcause 2, mepc = pc and mtval = the instruction bits', () => {
  for (const bad of [0x0000_0000, 0xffff_ffff, A.add(1, 2, 3) | (0x10 << 25), A.slli(1, 2, 1) | (1 << 26)]) {
    const r = makeHart();
    r.h.pc = RAM_BASE + 0x40;
    place(r, r.h.pc, [bad]);
    const n = step(r.h, 1);
    assert.equal(n, 0, 'a trapping instruction does not retire');
    assert.equal(mcause(r), 2n, bad.toString(16));
    assert.equal(csrRaw(r.h, CSR.mtval), BigInt(bad >>> 0));
    assert.equal(csrRaw(r.h, CSR.mepc), BigInt(RAM_BASE + 0x40));
    assert.equal(r.h.pc, MTVEC);
  }
});

test('an illegal compressed instruction reports the 16-bit parcel in mtval', () => {
  const r = makeHart();
  // c.addi4spn with a zero immediate but a nonzero rd' field: reserved.
  place(r, RAM_BASE, [0x0000_0004 | 0x1300_0000]);
  step(r.h, 1);
  assert.equal(mcause(r), 2n);
  assert.equal(csrRaw(r.h, CSR.mtval), 0x4n);
});

test('ecall from M-mode causes exception 11 with mepc at the ecall', () => {
  const r = makeHart();
  r.h.pc = RAM_BASE + 8;
  run(r, [A.ecall()]);
  assert.equal(mcause(r), 11n);
  assert.equal(csrRaw(r.h, CSR.mepc), BigInt(RAM_BASE + 8));
  assert.equal(csrRaw(r.h, CSR.mtval), 0n);
  assert.equal(r.h.pc, MTVEC);
});

test('ebreak causes exception 3', () => {
  const r = makeHart();
  run(r, [A.ebreak()]);
  assert.equal(mcause(r), 3n);
  assert.equal(csrRaw(r.h, CSR.mepc), BigInt(RAM_BASE));
});

test('mul and div through the interpreter', () => {
  assert.equal(op2(A.mul, -3n, 0x1_0000_0001n), S64(-3n * 0x1_0000_0001n));
  assert.equal(op2(A.div, -7n, 2n), -3n);
  assert.equal(op2(A.div, 7n, 0n), -1n);
});
