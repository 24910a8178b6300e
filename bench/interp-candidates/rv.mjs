// Shared pieces for the interpreter-kernel candidates: an RV64 assembler (real instruction words),
// the guest programs, and the RAM image they run from.
//
// Guest RAM starts at 0x8000_0000 (as on the virt board). Every kernel fetches 32-bit words from it,
// decodes them with opcode/funct switches and executes RV64IM (no C, no CSRs; ecall halts).

export const RAM_BASE = 0x8000_0000;
export const RAM_SIZE = 1 << 20;
export const DATA = RAM_BASE + 0x1000; // the array the loops walk over
export const N = 128; // 64-bit words in that array (1 KiB, stays in L1: we measure the interpreter)

// ---------------------------------------------------------------- encoders
const R = (f7, rs2, rs1, f3, rd, op) => ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const I = (imm, rs1, f3, rd, op) => {
  if (imm < -2048 || imm > 2047) throw new Error(`I-imm out of range: ${imm}`);
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
};
const S = (imm, rs2, rs1, f3, op) => {
  if (imm < -2048 || imm > 2047) throw new Error(`S-imm out of range: ${imm}`);
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;
};
const B = (imm, rs2, rs1, f3) => {
  if (imm & 1 || imm < -4096 || imm > 4095) throw new Error(`B-imm out of range: ${imm}`);
  return ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 63) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 15) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
};
const U = (imm20, rd, op) => (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0;
const J = (imm, rd) => ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 1023) << 21) | (((imm >> 11) & 1) << 20) |
  (((imm >> 12) & 255) << 12) | (rd << 7) | 0x6f) >>> 0;

// Every instruction the kernels implement, as [mnemonic, encoder(rd, rs1, rs2|imm)].
export const ENC = {
  // loads / stores: (rd|rs2, rs1, imm)
  lb: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x03), lh: (rd, rs1, imm) => I(imm, rs1, 1, rd, 0x03),
  lw: (rd, rs1, imm) => I(imm, rs1, 2, rd, 0x03), ld: (rd, rs1, imm) => I(imm, rs1, 3, rd, 0x03),
  lbu: (rd, rs1, imm) => I(imm, rs1, 4, rd, 0x03), lhu: (rd, rs1, imm) => I(imm, rs1, 5, rd, 0x03),
  lwu: (rd, rs1, imm) => I(imm, rs1, 6, rd, 0x03),
  sb: (rs2, rs1, imm) => S(imm, rs2, rs1, 0, 0x23), sh: (rs2, rs1, imm) => S(imm, rs2, rs1, 1, 0x23),
  sw: (rs2, rs1, imm) => S(imm, rs2, rs1, 2, 0x23), sd: (rs2, rs1, imm) => S(imm, rs2, rs1, 3, 0x23),
  // OP-IMM
  addi: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x13), slti: (rd, rs1, imm) => I(imm, rs1, 2, rd, 0x13),
  sltiu: (rd, rs1, imm) => I(imm, rs1, 3, rd, 0x13), xori: (rd, rs1, imm) => I(imm, rs1, 4, rd, 0x13),
  ori: (rd, rs1, imm) => I(imm, rs1, 6, rd, 0x13), andi: (rd, rs1, imm) => I(imm, rs1, 7, rd, 0x13),
  slli: (rd, rs1, sh) => I(sh & 63, rs1, 1, rd, 0x13), srli: (rd, rs1, sh) => I(sh & 63, rs1, 5, rd, 0x13),
  srai: (rd, rs1, sh) => I((sh & 63) | 0x400, rs1, 5, rd, 0x13),
  // OP-IMM-32
  addiw: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x1b), slliw: (rd, rs1, sh) => I(sh & 31, rs1, 1, rd, 0x1b),
  srliw: (rd, rs1, sh) => I(sh & 31, rs1, 5, rd, 0x1b), sraiw: (rd, rs1, sh) => I((sh & 31) | 0x400, rs1, 5, rd, 0x1b),
  // OP
  add: (rd, a, b) => R(0, b, a, 0, rd, 0x33), sub: (rd, a, b) => R(0x20, b, a, 0, rd, 0x33),
  sll: (rd, a, b) => R(0, b, a, 1, rd, 0x33), slt: (rd, a, b) => R(0, b, a, 2, rd, 0x33),
  sltu: (rd, a, b) => R(0, b, a, 3, rd, 0x33), xor: (rd, a, b) => R(0, b, a, 4, rd, 0x33),
  srl: (rd, a, b) => R(0, b, a, 5, rd, 0x33), sra: (rd, a, b) => R(0x20, b, a, 5, rd, 0x33),
  or: (rd, a, b) => R(0, b, a, 6, rd, 0x33), and: (rd, a, b) => R(0, b, a, 7, rd, 0x33),
  mul: (rd, a, b) => R(1, b, a, 0, rd, 0x33), mulh: (rd, a, b) => R(1, b, a, 1, rd, 0x33),
  mulhsu: (rd, a, b) => R(1, b, a, 2, rd, 0x33), mulhu: (rd, a, b) => R(1, b, a, 3, rd, 0x33),
  div: (rd, a, b) => R(1, b, a, 4, rd, 0x33), divu: (rd, a, b) => R(1, b, a, 5, rd, 0x33),
  rem: (rd, a, b) => R(1, b, a, 6, rd, 0x33), remu: (rd, a, b) => R(1, b, a, 7, rd, 0x33),
  // OP-32
  addw: (rd, a, b) => R(0, b, a, 0, rd, 0x3b), subw: (rd, a, b) => R(0x20, b, a, 0, rd, 0x3b),
  sllw: (rd, a, b) => R(0, b, a, 1, rd, 0x3b), srlw: (rd, a, b) => R(0, b, a, 5, rd, 0x3b),
  sraw: (rd, a, b) => R(0x20, b, a, 5, rd, 0x3b),
  mulw: (rd, a, b) => R(1, b, a, 0, rd, 0x3b), divw: (rd, a, b) => R(1, b, a, 4, rd, 0x3b),
  divuw: (rd, a, b) => R(1, b, a, 5, rd, 0x3b), remw: (rd, a, b) => R(1, b, a, 6, rd, 0x3b),
  remuw: (rd, a, b) => R(1, b, a, 7, rd, 0x3b),
  // U / branches / jumps / system
  lui: (rd, imm20) => U(imm20, rd, 0x37), auipc: (rd, imm20) => U(imm20, rd, 0x17),
  beq: (a, b, off) => B(off, b, a, 0), bne: (a, b, off) => B(off, b, a, 1), blt: (a, b, off) => B(off, b, a, 4),
  bge: (a, b, off) => B(off, b, a, 5), bltu: (a, b, off) => B(off, b, a, 6), bgeu: (a, b, off) => B(off, b, a, 7),
  jal: (rd, off) => J(off, rd), jalr: (rd, rs1, imm) => I(imm, rs1, 0, rd, 0x67),
  ecall: () => 0x00000073,
};

export const REG = {
  zero: 0, ra: 1, sp: 2, gp: 3, tp: 4, t0: 5, t1: 6, t2: 7, s0: 8, s1: 9, a0: 10, a1: 11, a2: 12, a3: 13,
  a4: 14, a5: 15, a6: 16, a7: 17, s2: 18, s3: 19, s4: 20, s5: 21, s6: 22, s7: 23, s8: 24, s9: 25, s10: 26,
  s11: 27, t3: 28, t4: 29, t5: 30, t6: 31,
};

/** A two-pass assembler: `a.op('add', rd, rs1, rs2)`, labels for branch targets. */
export class Asm {
  constructor() { this.words = []; this.labels = new Map(); this.fix = []; }
  get here() { return this.words.length * 4; }
  label(name) { this.labels.set(name, this.here); return this; }
  op(name, ...args) {
    const enc = ENC[name];
    if (!enc) throw new Error(`no such instruction ${name}`);
    const a = args.map((x) => (typeof x === 'string' && x in REG ? REG[x] : x));
    if (typeof a[a.length - 1] === 'string') { // branch/jump to a label
      this.fix.push({ at: this.words.length, name, a });
      this.words.push(0);
    } else this.words.push(enc(...a));
    return this;
  }
  /** li for values that fit in 32 bits signed. */
  li(rd, v) {
    if (v >= -2048 && v < 2048) return this.op('addi', rd, 'zero', v);
    const lo = (v << 20) >> 20, hi = ((v - lo) >>> 12) & 0xfffff;
    this.op('lui', rd, hi);
    return lo ? this.op('addiw', rd, rd, lo) : this;
  }
  finish() {
    for (const { at, name, a } of this.fix) {
      const target = this.labels.get(a[a.length - 1]);
      if (target === undefined) throw new Error(`no label ${a[a.length - 1]}`);
      this.words[at] = ENC[name](...a.slice(0, -1), target - at * 4);
    }
    return Uint32Array.from(this.words);
  }
}

// ---------------------------------------------------------------- guest programs
// Each is a loop over a 128-word array: `outer` passes, each pass runs BODY once per word, then
//   addi t0,8 / addiw t1,-1 / bne t1,zero,inner  (+ xor/addiw/bne per pass) ; finally ecall.
// *_ref programs are their M-extension twin with each M op replaced by the base-ISA op of the same
// opcode group and funct3 (mul->add, mulhu->sltu, divu->srl, remu->and, divw->subw), so dispatch
// (and its branch prediction) is alike; (t_M - t_ref) / (number of M ops) is the extra cost of an M op.
// The *x16 programs put 16 M ops in a 37/39-instruction loop body, to measure that cost; mul/div are mixes.
const M_REF = { mul: 'add', mulhu: 'sltu', divu: 'srl', remu: 'and', divw: 'subw' };
const BODIES = {
  // ld/add/sltu/xorshift/sd: the "ordinary integer code" mix.
  alu: (a) => a
    .op('ld', 't3', 't0', 0).op('add', 't2', 't2', 't3').op('sltu', 't6', 't2', 't3').op('add', 's3', 's3', 't6')
    .op('slli', 't4', 's1', 13).op('xor', 's1', 's1', 't4').op('srli', 't4', 's1', 7).op('xor', 's1', 's1', 't4')
    .op('slli', 't4', 's1', 17).op('xor', 's1', 's1', 't4').op('srai', 't5', 's1', 40).op('sub', 's5', 't5', 's5')
    .op('add', 's1', 's1', 't3').op('sd', 's1', 't0', 0),
  mul: (a, m) => a
    .op('ld', 't3', 't0', 0).op(m('mul'), 't4', 't3', 's6').op(m('mulhu'), 't5', 't3', 's7')
    .op('xor', 's1', 's1', 't4').op('add', 's1', 's1', 't5').op('slli', 't6', 's1', 5).op('xor', 's1', 's1', 't6')
    .op('sd', 's1', 't0', 0),
  div: (a, m) => a
    .op('ld', 't3', 't0', 0).op('srli', 't5', 't3', 34).op('ori', 't5', 't5', 1)
    .op(m('divu'), 't4', 's1', 't5').op(m('remu'), 't6', 's1', 't5').op(m('divw'), 'a3', 't3', 't5')
    .op('add', 's1', 's1', 't4').op('xor', 's1', 's1', 't6').op('add', 's1', 's1', 'a3')
    .op('slli', 't4', 's1', 13).op('xor', 's1', 's1', 't4').op('sd', 's1', 't0', 0),
  // 8 x (2 M ops + 2 xor/add that feed both results back into the operands): nothing is dead code,
  // so a translator cannot drop any of the 16 M ops.
  mulx16: (a, m, [p, q] = ['mul', 'mulhu']) => {
    a.op('ld', 't3', 't0', 0).op('ld', 't4', 't0', 8);
    for (let k = 0; k < 8; k++) a.op(m(p), 'a2', 't3', 't4').op(m(q), 'a3', 't3', 't4').op('xor', 't3', 't3', 'a3').op('add', 't4', 't4', 'a2');
    return a.op('xor', 's1', 's1', 't3').op('add', 's1', 's1', 't4').op('sd', 's1', 't0', 0);
  },
  divx16: (a, m) => {
    a.op('ld', 't3', 't0', 0).op('ld', 't4', 't0', 8).op('srli', 't5', 't4', 34).op('ori', 't5', 't5', 1);
    for (let k = 0; k < 8; k++) a.op(m('divu'), 'a2', 't3', 't5').op(m('remu'), 'a3', 't4', 't5').op('xor', 't3', 't3', 'a3').op('xor', 't4', 't4', 'a2');
    return a.op('xor', 's1', 's1', 't3').op('add', 's1', 's1', 't4').op('sd', 's1', 't0', 0);
  },
};
const same = (x) => x, ref = (x) => M_REF[x];
export const PROGRAMS = {
  alu: { body: (a) => BODIES.alu(a), mops: 0 },
  mul: { body: (a) => BODIES.mul(a, same), mops: 2 },
  mul_ref: { body: (a) => BODIES.mul(a, ref), mops: 0 },
  div: { body: (a) => BODIES.div(a, same), mops: 3 },
  div_ref: { body: (a) => BODIES.div(a, ref), mops: 0 },
  mulx16: { body: (a) => BODIES.mulx16(a, same), mops: 16 },
  mulx16_ref: { body: (a) => BODIES.mulx16(a, ref), mops: 0 },
  mul16: { body: (a) => BODIES.mulx16(a, same, ['mul', 'mul']), mops: 16 },
  mul16_ref: { body: (a) => BODIES.mulx16(a, ref, ['mul', 'mul']), mops: 0 },
  mulhu16: { body: (a) => BODIES.mulx16(a, same, ['mulhu', 'mulhu']), mops: 16 },
  mulhu16_ref: { body: (a) => BODIES.mulx16(a, ref, ['mulhu', 'mulhu']), mops: 0 },
  divx16: { body: (a) => BODIES.divx16(a, same), mops: 16 },
  divx16_ref: { body: (a) => BODIES.divx16(a, ref), mops: 0 },
};

export function assemble(program, outer) {
  const a = new Asm();
  a.op('auipc', 'a0', 1) // a0 = DATA (pc-relative, as real code does)
    .op('ld', 's1', 'a0', -8).op('ld', 's6', 'a0', -16).op('ld', 's7', 'a0', -24) // seeds
    .op('addi', 'a1', 'zero', N);
  a.li(REG.s0, outer);
  a.label('outer').op('addi', 't0', 'a0', 0).op('addi', 't1', 'a1', 0);
  a.label('inner');
  PROGRAMS[program].body(a);
  a.op('addi', 't0', 't0', 8).op('addiw', 't1', 't1', -1).op('bne', 't1', 'zero', 'inner')
    .op('xor', 's4', 's4', 't2').op('addiw', 's0', 's0', -1).op('bne', 's0', 'zero', 'outer')
    .op('ecall');
  return a.finish();
}

/** Instructions executed by `assemble(program, outer)`, including the final ecall. */
export function instructionCount(program, outer) {
  const a = new Asm();
  PROGRAMS[program].body(a);
  const body = a.words.length + 3;
  const pro = 5 + (outer >= -2048 && outer < 2048 ? 1 : ((outer << 20) >> 20) ? 2 : 1);
  return pro + outer * (2 + N * body + 3) + 1;
}

/** splitmix64, so every run and every candidate sees the same data. */
export function* splitmix(seed) {
  let x = BigInt.asUintN(64, seed);
  for (;;) {
    x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
    let z = x;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    yield z ^ (z >> 31n);
  }
}

/** The RAM image (RAM_SIZE bytes): code at RAM_BASE, seeds just below DATA, data at DATA. */
export function makeImage(words) {
  const img = new Uint8Array(RAM_SIZE);
  const dv = new DataView(img.buffer);
  if (words.length * 4 > DATA - RAM_BASE - 64) throw new Error('program too long');
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  const rnd = splitmix(42n);
  const data = DATA - RAM_BASE;
  dv.setBigUint64(data - 8, rnd.next().value, true);
  dv.setBigUint64(data - 16, rnd.next().value | 1n, true);
  dv.setBigUint64(data - 24, rnd.next().value, true);
  for (let i = 0; i < N; i++) dv.setBigUint64(data + i * 8, rnd.next().value, true);
  return img;
}

/** FNV-1a over the data array, for comparing final memory between candidates. */
export function dataHash(ram8) {
  let h = 0x811c9dc5;
  const off = DATA - RAM_BASE - 64;
  for (let i = 0; i < N * 8 + 64; i++) h = Math.imul(h ^ ram8[off + i], 0x01000193);
  return (h >>> 0).toString(16);
}
