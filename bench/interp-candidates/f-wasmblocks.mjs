// Candidate (f): the translator of (e), but emitting WebAssembly: each basic block becomes a small
// wasm module (built as bytes here, compiled synchronously) whose function keeps the guest registers
// it touches in i64 locals, with native i64 arithmetic; a block that branches to its own start is a
// wasm loop bounded by the batch budget. JS dispatches between blocks (one JS->wasm call per block run).
// Memory (shared by all blocks): x0..x31 at 0, ran (i32) at 256, halted at 264, flush request at 268,
// one "has translated code" byte per 4 KiB page at 1024, guest RAM at 4096.
// Limitation (fine for this bench): a block returns its next pc as an i32 offset from RAM_BASE.
import { RAM_BASE, RAM_SIZE } from './rv.mjs';
import { O, decode } from './d-predecode.mjs';
import { Code, uleb, section, str } from './c-wasm.mjs';

const NAME = Object.fromEntries(Object.entries(O).map(([k, v]) => [v, k]));
const BRANCH = { BEQ: 'i64.eq', BNE: 'i64.ne', BLT: 'i64.lt_s', BGE: 'i64.ge_s', BLTU: 'i64.lt_u', BGEU: 'i64.ge_u' };
const MAX = 64, RAN = 256, HALT = 264, FLUSH = 268, PAGES = 1024, RAM_OFF = 4096;
const I32 = 0x7f, I64 = 0x7e;

export function createMachine({ mul = 'limb' } = {}) {
  if (mul !== 'limb') throw new Error('f-wasmblocks has one multiply');
  const pages = Math.ceil((RAM_OFF + RAM_SIZE) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const buf = memory.buffer;
  const ram8 = new Uint8Array(buf, RAM_OFF, RAM_SIZE), ram32 = new Int32Array(buf, RAM_OFF, RAM_SIZE >> 2);
  const regs = new BigInt64Array(buf, 0, 32), m32 = new Int32Array(buf, 0, 1024);
  const codePages = new Uint8Array(buf, PAGES, RAM_SIZE >> 12);
  const st = { pc: RAM_BASE, halted: 0 };
  const blocks = new Array(RAM_SIZE >> 2).fill(null);
  const flush = () => { blocks.fill(null); codePages.fill(0); m32[FLUSH >> 2] = 0; };

  function translate(pc0) {
    const insts = [];
    for (let pc = pc0; insts.length < MAX; pc += 4) {
      const inst = ram32[(pc - RAM_BASE) >>> 2];
      const [op, imm] = decode(inst);
      const nm = NAME[op];
      insts.push({ pc, op: nm, imm, d: (inst >> 7) & 31, a: (inst >> 15) & 31, b: (inst >> 20) & 31 });
      if (nm in BRANCH || nm === 'JAL' || nm === 'JALR' || nm === 'ECALL' || nm === 'ILL') break;
      if (((pc + 4 - RAM_BASE) & 0xfff) === 0) break;
    }
    const n = insts.length, last = insts[n - 1];
    const loop = last.op in BRANCH && last.pc + last.imm === pc0;
    const written = new Set(), used = new Set();
    for (const x of insts) {
      used.add(x.a); used.add(x.b);
      if (x.op !== 'NOP' && !/^S[BHWD]$/.test(x.op) && !(x.op in BRANCH)) { used.add(x.d); written.add(x.d); }
    }
    used.delete(0); written.delete(0);
    // locals: 0 budget(i32), 1 it(i32), 2 x(i32), 3 y(i32), 4 o(i64), 5 t, 6 u, 7 v, 8 w (i64), 9.. reg k at 8+k
    const loc = { budget: 0, it: 1, x: 2, y: 3, o: 4, t: 5, u: 6, v: 7, w: 8 };
    for (let k = 1; k < 32; k++) loc[`r${k}`] = 8 + k;
    const c = new Code(loc);
    const R = (k) => (k === 0 ? c.i64(0) : c.get(`r${k}`));
    const W = (k) => c.set(`r${k}`);
    const exit = (j, pcOff, extra) => { // write back, record instructions run, return next pc (as offset)
      for (const k of written) c.i32(8 * k).get(`r${k}`).mem('i64.store');
      if (extra) extra();
      c.i32(RAN);
      if (loop) c.get('it').i32(n).o('i32.mul').i32(j).o('i32.add'); else c.i32(j);
      c.mem('i32.store');
      if (typeof pcOff === 'function') pcOff(); else c.i32(pcOff - RAM_BASE);
      c.o('return');
    };
    const setHalt = (v) => () => c.i32(HALT).i32(v).mem('i32.store');
    const sext = () => c.o('i64.extend_i32_s');
    const M32 = 0xffffffffn;
    const mulhu = () => {
      c.get('t').i64(M32).o('i64.and').get('u').i64(M32).o('i64.and').o('i64.mul').set('v'); // ll
      c.get('t').i64(32).o('i64.shr_u').get('u').i64(M32).o('i64.and', 'i64.mul').set('w'); // hl
      c.get('t').i64(M32).o('i64.and').get('u').i64(32).o('i64.shr_u', 'i64.mul').set('o'); // lh
      c.get('v').i64(32).o('i64.shr_u').get('o').i64(M32).o('i64.and', 'i64.add').get('w').i64(M32).o('i64.and', 'i64.add').set('v'); // mid
      c.get('t').i64(32).o('i64.shr_u').get('u').i64(32).o('i64.shr_u', 'i64.mul')
        .get('o').i64(32).o('i64.shr_u', 'i64.add').get('w').i64(32).o('i64.shr_u', 'i64.add').get('v').i64(32).o('i64.shr_u', 'i64.add');
    };
    const MIN = -(1n << 63n);

    const body = () => insts.forEach((x, j) => {
      const { d, a, b, imm } = x;
      const addr = () => {
        R(a); c.i64(imm).o('i64.add').i64(RAM_BASE).o('i64.sub').set('o');
        c.get('o').i64(RAM_SIZE - 8).o('i64.gt_u').if(() => exit(j + 1, x.pc, setHalt(2)));
      };
      const ld = (name) => { addr(); c.get('o').o('i32.wrap_i64').mem(name, RAM_OFF); W(d); };
      const stor = (name, size) => {
        addr(); c.get('o').o('i32.wrap_i64'); R(b); c.mem(name, RAM_OFF);
        c.get('o').i64(12).o('i64.shr_u', 'i32.wrap_i64').mem('i32.load8_u', PAGES)
          .get('o').i64(size - 1).o('i64.add').i64(12).o('i64.shr_u', 'i32.wrap_i64').mem('i32.load8_u', PAGES).o('i32.or')
          .if(() => exit(j + 1, x.pc + 4, () => c.i32(FLUSH).i32(1).mem('i32.store')));
      };
      const bin = (op, k = imm) => { R(a); if (typeof k === 'bigint' || typeof k === 'number') c.i64(k); else R(b); c.o(op); W(d); };
      const rr = (op) => { R(a); R(b); c.o(op); W(d); };
      const w32 = (emit) => { emit(); sext(); W(d); };
      const xa = () => { R(a); c.o('i32.wrap_i64'); }, xb = () => { R(b); c.o('i32.wrap_i64'); };
      const guardDiv = (signed, is64) => { // divisor with 0 (and MIN/-1) replaced by 1
        const [z, eq, and, or, one, min] = is64 ? ['i64.eqz', 'i64.eq', 'i32.and', 'i32.or', () => c.i64(1), () => c.i64(MIN)]
          : ['i32.eqz', 'i32.eq', 'i32.and', 'i32.or', () => c.i32(1), () => c.i32(-0x80000000)];
        const A = is64 ? () => c.get('t') : () => c.get('x'), B = is64 ? () => c.get('u') : () => c.get('y');
        one(); B();
        B(); c.o(z);
        if (signed) { A(); min(); c.o(eq); B(); if (is64) c.i64(-1); else c.i32(-1); c.o(eq, and, or); }
        c.o('select');
      };
      switch (x.op) {
        case 'NOP': break;
        case 'LD': ld('i64.load'); break; case 'LW': ld('i64.load32_s'); break; case 'LWU': ld('i64.load32_u'); break;
        case 'LH': ld('i64.load16_s'); break; case 'LHU': ld('i64.load16_u'); break;
        case 'LB': ld('i64.load8_s'); break; case 'LBU': ld('i64.load8_u'); break;
        case 'SD': stor('i64.store', 8); break; case 'SW': stor('i64.store32', 4); break;
        case 'SH': stor('i64.store16', 2); break; case 'SB': stor('i64.store8', 1); break;
        case 'MV': R(a); W(d); break;
        case 'ADDI': bin('i64.add'); break;
        case 'SLLI_LO': bin('i64.shl'); break; case 'SLLI_HI': bin('i64.shl', imm + 32); break;
        case 'SRLI_LO': bin('i64.shr_u'); break; case 'SRLI_HI': bin('i64.shr_u', imm + 32); break;
        case 'SRAI_LO': bin('i64.shr_s'); break; case 'SRAI_HI': bin('i64.shr_s', imm + 32); break;
        case 'SLTI': R(a); c.i64(imm).o('i64.lt_s', 'i64.extend_i32_u'); W(d); break;
        case 'SLTIU': R(a); c.i64(imm).o('i64.lt_u', 'i64.extend_i32_u'); W(d); break;
        case 'XORI': bin('i64.xor'); break; case 'ORI': bin('i64.or'); break; case 'ANDI': bin('i64.and'); break;
        case 'AUIPC': c.i64(x.pc + imm); W(d); break;
        case 'LUI': c.i64(imm); W(d); break;
        case 'ADDIW': w32(() => { xa(); c.i32(imm).o('i32.add'); }); break;
        case 'SLLIW': w32(() => { xa(); c.i32(imm).o('i32.shl'); }); break;
        case 'SRLIW': w32(() => { xa(); c.i32(imm).o('i32.shr_u'); }); break;
        case 'SRAIW': w32(() => { xa(); c.i32(imm).o('i32.shr_s'); }); break;
        case 'ADD': rr('i64.add'); break; case 'SUB': rr('i64.sub'); break; case 'SLL': rr('i64.shl'); break;
        case 'SRL': rr('i64.shr_u'); break; case 'SRA': rr('i64.shr_s'); break;
        case 'SLT': R(a); R(b); c.o('i64.lt_s', 'i64.extend_i32_u'); W(d); break;
        case 'SLTU': R(a); R(b); c.o('i64.lt_u', 'i64.extend_i32_u'); W(d); break;
        case 'XOR': rr('i64.xor'); break; case 'OR': rr('i64.or'); break; case 'AND': rr('i64.and'); break;
        case 'MUL': rr('i64.mul'); break;
        case 'MULHU': case 'MULH': case 'MULHSU':
          R(a); c.set('t'); R(b); c.set('u'); mulhu();
          if (x.op !== 'MULHU') c.get('t').i64(63).o('i64.shr_s').get('u').o('i64.and', 'i64.sub');
          if (x.op === 'MULH') c.get('u').i64(63).o('i64.shr_s').get('t').o('i64.and', 'i64.sub');
          W(d); break;
        case 'DIV': case 'DIVU': case 'REM': case 'REMU': {
          const signed = x.op === 'DIV' || x.op === 'REM', div = x.op.startsWith('DIV');
          R(a); c.set('t'); R(b); c.set('u');
          if (div) c.i64(-1); else c.get('t');
          c.get('t'); guardDiv(signed, true);
          c.o(div ? (signed ? 'i64.div_s' : 'i64.div_u') : (signed ? 'i64.rem_s' : 'i64.rem_u'));
          c.get('u').o('i64.eqz', 'select'); W(d); break;
        }
        case 'ADDW': w32(() => { xa(); xb(); c.o('i32.add'); }); break;
        case 'SUBW': w32(() => { xa(); xb(); c.o('i32.sub'); }); break;
        case 'SLLW': w32(() => { xa(); xb(); c.o('i32.shl'); }); break;
        case 'SRLW': w32(() => { xa(); xb(); c.o('i32.shr_u'); }); break;
        case 'SRAW': w32(() => { xa(); xb(); c.o('i32.shr_s'); }); break;
        case 'MULW': w32(() => { xa(); xb(); c.o('i32.mul'); }); break;
        case 'DIVW': case 'DIVUW': case 'REMW': case 'REMUW': {
          const signed = x.op === 'DIVW' || x.op === 'REMW', div = x.op.startsWith('DIV');
          xa(); c.set('x'); xb(); c.set('y');
          w32(() => {
            if (div) c.i32(-1); else c.get('x');
            c.get('x'); guardDiv(signed, false);
            c.o(div ? (signed ? 'i32.div_s' : 'i32.div_u') : (signed ? 'i32.rem_s' : 'i32.rem_u'));
            c.get('y').o('i32.eqz', 'select');
          });
          break;
        }
        case 'BEQ': case 'BNE': case 'BLT': case 'BGE': case 'BLTU': case 'BGEU':
          R(a); R(b); c.o(BRANCH[x.op]);
          if (loop) {
            c.get('it').i32(1).o('i32.add').set('it');
            c.o('i32.eqz').if(() => exit(0, x.pc + 4));
            c.get('it').i32(n).o('i32.mul').get('budget').o('i32.ge_u').if(() => exit(0, pc0));
            c.br('L');
          } else c.if(() => exit(n, x.pc + imm), () => exit(n, x.pc + 4));
          break;
        case 'JAL': if (d) { c.i64(x.pc + 4); W(d); } exit(n, x.pc + imm); break;
        case 'JALR':
          R(a); c.i64(imm).o('i64.add').i64(-2).o('i64.and').set('t');
          if (d) { c.i64(x.pc + 4); W(d); }
          exit(n, () => c.get('t').i64(RAM_BASE).o('i64.sub', 'i32.wrap_i64'));
          break;
        case 'ECALL': exit(n, x.pc, setHalt(1)); break;
        default: exit(n, x.pc, setHalt(2));
      }
    });
    for (const k of used) c.i32(8 * k).mem('i64.load').set(`r${k}`);
    if (loop) c.loop('L', body); else body();
    if (!(last.op in BRANCH) && !['JAL', 'JALR', 'ECALL', 'ILL'].includes(last.op)) exit(n, last.pc + 4);
    c.o('unreachable');
    const localDecl = [2, 3, I32, ...uleb(5 + 31), I64]; // it,x,y : i32 ; o,t,u,v,w,r1..r31 : i64
    const fbody = [...localDecl, ...c.b, 0x0b];
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, [1, 0x60, 1, I32, 1, I32]),
      ...section(2, [1, ...str('e'), ...str('m'), 0x02, 0x00, ...uleb(pages)]),
      ...section(3, [1, 0]),
      ...section(7, [1, ...str('f'), 0x00, 0]),
      ...section(10, [1, ...uleb(fbody.length), ...fbody]),
    ]);
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: memory } }).exports.f;
    for (let p = pc0; p <= last.pc; p += 4096) codePages[(p - RAM_BASE) >>> 12] = 1;
    codePages[(last.pc - RAM_BASE) >>> 12] = 1;
    blocks[(pc0 - RAM_BASE) >>> 2] = f;
    return f;
  }

  function run(n) {
    let pc = st.pc, i = 0;
    while (i < n) {
      const off = pc - RAM_BASE;
      if (off < 0 || off >= RAM_SIZE) { st.halted = 2; break; }
      let f = blocks[off >>> 2];
      if (f === null) f = translate(pc);
      pc = RAM_BASE + f(n - i);
      i += m32[RAN >> 2];
      if (m32[FLUSH >> 2] !== 0) flush();
      if (m32[HALT >> 2] !== 0) { st.halted = m32[HALT >> 2]; break; }
    }
    st.pc = pc;
    return i;
  }

  return {
    name: 'f-wasmblocks',
    reset(image) { ram8.set(image); regs.fill(0n); flush(); m32[HALT >> 2] = 0; st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => regs[i],
    setReg: (i, v) => { regs[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
