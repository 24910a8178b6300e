// Candidate (h): the JS block translator of (e), but generating BigInt code on typed-array-resident
// registers, to use what (g) relies on: Node 20's optimizing compiler lowers BigInt + - * & | ^ ===,
// and shifts by a constant, to 64-bit machine ops when operands come from and the result goes to a
// BigInt64Array/BigUint64Array. Immediates become BigInt literals in the generated source, so nothing
// converts between number and BigInt on the hot path. Registers stay in R (no locals, no write-back);
// addresses, set-less-than, ordered branches, W ops, mulh* and div use the Int32Array view r as in (e).
import { RAM_BASE, RAM_SIZE } from './rv.mjs';
import { O, decode } from './d-predecode.mjs';
import { mulhu64 } from './b-pairs.mjs';

const NAME = Object.fromEntries(Object.entries(O).map(([k, v]) => [v, k]));
const BRANCH = new Set(['BEQ', 'BNE', 'BLT', 'BGE', 'BLTU', 'BGEU']);
const MAX = 64;

export function createMachine({ mul = 'limb' } = {}) {
  if (mul !== 'limb') throw new Error('h-jsbig has one multiply');
  const buf = new ArrayBuffer(RAM_SIZE);
  const ram8 = new Uint8Array(buf), ram32 = new Int32Array(buf), ram64 = new BigInt64Array(buf), dv = new DataView(buf);
  const rbuf = new ArrayBuffer(32 * 8);
  const r = new Int32Array(rbuf), R = new BigInt64Array(rbuf), U = new BigUint64Array(rbuf);
  const MIN = -(1n << 63n);
  const st = { pc: RAM_BASE, halted: 0, ran: 0 };
  const blocks = new Array(RAM_SIZE >> 2).fill(null);
  const codePages = new Uint8Array(RAM_SIZE >> 12);
  const flush = () => { blocks.fill(null); codePages.fill(0); };
  function sub(d, xlo, xhi) {
    const lo = r[d], hi = r[d + 1];
    r[d] = (lo - xlo) | 0; r[d + 1] = (hi - xhi - ((lo >>> 0) < (xlo >>> 0) ? 1 : 0)) | 0;
  }
  function mulh(kind, d, a, b) { // d, a, b: register numbers; limbs as in (b)
    const alo = r[2 * a], ahi = r[2 * a + 1], blo = r[2 * b], bhi = r[2 * b + 1];
    mulhu64(r, 2 * d, alo, ahi, blo, bhi);
    if (kind !== 3 && ahi < 0) sub(2 * d, blo, bhi);
    if (kind === 1 && bhi < 0) sub(2 * d, alo, ahi);
  }
  function divrem(kind, d, a, b) { // 4 div, 5 divu, 6 rem, 7 remu
    const alo = r[2 * a], ahi = r[2 * a + 1], blo = r[2 * b], bhi = r[2 * b + 1];
    if (kind & 1) {
      if (ahi === 0 && bhi === 0) {
        if (blo === 0) { r[2 * d] = kind === 5 ? -1 : alo; r[2 * d + 1] = kind === 5 ? -1 : 0; return; }
        r[2 * d] = kind === 5 ? ((alo >>> 0) / (blo >>> 0)) | 0 : ((alo >>> 0) % (blo >>> 0)) | 0; r[2 * d + 1] = 0;
        return;
      }
      const x = U[a], y = U[b];
      U[d] = kind === 5 ? (y === 0n ? 0xffffffffffffffffn : x / y) : (y === 0n ? x : x % y);
    } else {
      if (ahi === alo >> 31 && bhi === blo >> 31) {
        if (blo === 0) { r[2 * d] = kind === 4 ? -1 : alo; r[2 * d + 1] = kind === 4 ? -1 : ahi; return; }
        const q = kind === 4 ? Math.trunc(alo / blo) : alo % blo;
        r[2 * d] = q | 0; r[2 * d + 1] = q < 0 ? -1 : 0;
        return;
      }
      const x = R[a], y = R[b];
      R[d] = kind === 4 ? (y === 0n ? -1n : x === MIN && y === -1n ? MIN : x / y) : (y === 0n ? x : x === MIN && y === -1n ? 0n : x % y);
    }
  }
  const ENV = { r, R, U, ram8, ram32, ram64, dv, st, codePages, flush, mulh, divrem };

  function translate(pc0) {
    const insts = [];
    for (let pc = pc0; insts.length < MAX; pc += 4) {
      const inst = ram32[(pc - RAM_BASE) >>> 2];
      const [op, imm] = decode(inst);
      const nm = NAME[op];
      insts.push({ pc, op: nm, imm, d: (inst >> 7) & 31, a: (inst >> 15) & 31, b: (inst >> 20) & 31 });
      if (BRANCH.has(nm) || nm === 'JAL' || nm === 'JALR' || nm === 'ECALL' || nm === 'ILL') break;
      if (((pc + 4 - RAM_BASE) & 0xfff) === 0) break;
    }
    const n = insts.length, last = insts[n - 1];
    const loop = BRANCH.has(last.op) && last.pc + last.imm === pc0;
    const ran = (j) => (loop ? `st.ran=it*${n}+${j};` : `st.ran=${j};`);
    const exit = (j, pcExpr, extra = '') => `{${extra}${ran(j)}return ${pcExpr};}`;
    const body = insts.map((x, j) => {
      const { d, a, b, imm } = x;
      const Rd = `R[${d}]`, Ra = `R[${a}]`, Rb = `R[${b}]`, Ua = `U[${a}]`;
      const la = `r[${2 * a}]`, ha = `r[${2 * a + 1}]`, lb = `r[${2 * b}]`, hb = `r[${2 * b + 1}]`;
      const set32 = (e) => `{const v=${e};r[${2 * d}]=v;r[${2 * d + 1}]=v>>31;}`;
      const setBool = (e) => `r[${2 * d}]=(${e})?1:0;r[${2 * d + 1}]=0;`;
      const fault = exit(j + 1, x.pc, 'st.halted=2;');
      const addr = `const o=(${la}>>>0)+${imm}-${RAM_BASE};if(${ha}!==0||!(o>=0&&o<=${RAM_SIZE - 8}))${fault}`;
      const cp = (size) => `if(codePages[o>>>12]!==0||codePages[(o+${size - 1})>>>12]!==0){flush();${exit(j + 1, x.pc + 4).slice(1, -1)}}`;
      const lt = `${ha}<${hb}||(${ha}===${hb}&&(${la}>>>0)<(${lb}>>>0))`;
      const ltu = `(${ha}>>>0)<(${hb}>>>0)||(${ha}===${hb}&&(${la}>>>0)<(${lb}>>>0))`;
      const B = (v) => `${BigInt(v)}n`;
      switch (x.op) {
        case 'NOP': return '';
        case 'LD': return `{${addr}${Rd}=(o&7)===0?ram64[o>>>3]:dv.getBigInt64(o,true);}`;
        case 'LW': return `{${addr}${set32('dv.getInt32(o,true)')}}`;
        case 'LWU': return `{${addr}r[${2 * d}]=dv.getInt32(o,true);r[${2 * d + 1}]=0;}`;
        case 'LH': return `{${addr}${set32('dv.getInt16(o,true)')}}`;
        case 'LHU': return `{${addr}r[${2 * d}]=dv.getUint16(o,true);r[${2 * d + 1}]=0;}`;
        case 'LB': return `{${addr}${set32('dv.getInt8(o)')}}`;
        case 'LBU': return `{${addr}r[${2 * d}]=ram8[o];r[${2 * d + 1}]=0;}`;
        case 'SD': return `{${addr}if((o&7)===0)ram64[o>>>3]=${Rb};else dv.setBigInt64(o,${Rb},true);${cp(8)}}`;
        case 'SW': return `{${addr}dv.setInt32(o,${lb},true);${cp(4)}}`;
        case 'SH': return `{${addr}dv.setInt16(o,${lb},true);${cp(2)}}`;
        case 'SB': return `{${addr}ram8[o]=${lb};${cp(1)}}`;
        case 'MV': return `${Rd}=${Ra};`;
        case 'ADDI': return `${Rd}=${Ra}+${B(imm)};`;
        case 'SLLI_LO': return `${Rd}=${Ra}<<${imm}n;`;
        case 'SLLI_HI': return `${Rd}=${Ra}<<${imm + 32}n;`;
        case 'SRLI_LO': return `${Rd}=${Ua}>>${imm}n;`;
        case 'SRLI_HI': return `${Rd}=${Ua}>>${imm + 32}n;`;
        case 'SRAI_LO': return `${Rd}=${Ra}>>${imm}n;`;
        case 'SRAI_HI': return `${Rd}=${Ra}>>${imm + 32}n;`;
        case 'SLTI': return setBool(`${ha}<${imm >> 31}||(${ha}===${imm >> 31}&&(${la}>>>0)<${imm >>> 0})`);
        case 'SLTIU': return setBool(`(${ha}>>>0)<${(imm >> 31) >>> 0}||(${ha}===${imm >> 31}&&(${la}>>>0)<${imm >>> 0})`);
        case 'XORI': return `${Rd}=${Ra}^${B(imm)};`;
        case 'ORI': return `${Rd}=${Ra}|${B(imm)};`;
        case 'ANDI': return `${Rd}=${Ra}&${B(imm)};`;
        case 'AUIPC': return `${Rd}=${B(x.pc + imm)};`;
        case 'LUI': return `${Rd}=${B(imm)};`;
        case 'ADDIW': return set32(`(${la}+${imm})|0`);
        case 'SLLIW': return set32(`${la}<<${imm}`);
        case 'SRLIW': return set32(`(${la}>>>${imm})|0`);
        case 'SRAIW': return set32(`${la}>>${imm}`);
        case 'ADD': return `${Rd}=${Ra}+${Rb};`;
        case 'SUB': return `${Rd}=${Ra}-${Rb};`;
        case 'XOR': return `${Rd}=${Ra}^${Rb};`;
        case 'OR': return `${Rd}=${Ra}|${Rb};`;
        case 'AND': return `${Rd}=${Ra}&${Rb};`;
        case 'MUL': return `${Rd}=${Ra}*${Rb};`;
        // shift by a register: switch on the amount's range in int32 terms (variable BigInt shifts are slow)
        case 'SLL': return `{const s=${lb}&63,al=${la},ah=${ha};if(s===0)${Rd}=${Ra};else if(s<32){r[${2 * d + 1}]=(ah<<s)|(al>>>(32-s));r[${2 * d}]=al<<s;}else{r[${2 * d + 1}]=al<<(s-32);r[${2 * d}]=0;}}`;
        case 'SRL': return `{const s=${lb}&63,al=${la},ah=${ha};if(s===0)${Rd}=${Ra};else if(s<32){r[${2 * d}]=(al>>>s)|(ah<<(32-s));r[${2 * d + 1}]=(ah>>>s)|0;}else{r[${2 * d}]=(ah>>>(s-32))|0;r[${2 * d + 1}]=0;}}`;
        case 'SRA': return `{const s=${lb}&63,al=${la},ah=${ha};if(s===0)${Rd}=${Ra};else if(s<32){r[${2 * d}]=(al>>>s)|(ah<<(32-s));r[${2 * d + 1}]=ah>>s;}else{r[${2 * d}]=ah>>(s-32);r[${2 * d + 1}]=ah>>31;}}`;
        case 'SLT': return setBool(lt);
        case 'SLTU': return setBool(ltu);
        case 'MULH': case 'MULHSU': case 'MULHU': return `mulh(${{ MULH: 1, MULHSU: 2, MULHU: 3 }[x.op]},${d},${a},${b});`;
        case 'DIV': case 'DIVU': case 'REM': case 'REMU': return `divrem(${{ DIV: 4, DIVU: 5, REM: 6, REMU: 7 }[x.op]},${d},${a},${b});`;
        case 'ADDW': return set32(`(${la}+${lb})|0`);
        case 'SUBW': return set32(`(${la}-${lb})|0`);
        case 'SLLW': return set32(`${la}<<(${lb}&31)`);
        case 'SRLW': return set32(`(${la}>>>(${lb}&31))|0`);
        case 'SRAW': return set32(`${la}>>(${lb}&31)`);
        case 'MULW': return set32(`Math.imul(${la},${lb})`);
        case 'DIVW': return `{const a=${la},b=${lb};${set32('b===0?-1:(a/b)|0')}}`;
        case 'DIVUW': return `{const a=${la},b=${lb};${set32('b===0?-1:((a>>>0)/(b>>>0))|0')}}`;
        case 'REMW': return `{const a=${la},b=${lb};${set32('b===0?a:(a%b)|0')}}`;
        case 'REMUW': return `{const a=${la},b=${lb};${set32('b===0?a:((a>>>0)%(b>>>0))|0')}}`;
        case 'BEQ': case 'BNE': case 'BLT': case 'BGE': case 'BLTU': case 'BGEU': {
          const cond = { BEQ: `${Ra}===${Rb}`, BNE: `${Ra}!==${Rb}`, BLT: lt, BGE: `!(${lt})`, BLTU: ltu, BGEU: `!(${ltu})` }[x.op];
          return loop
            ? `it++;if(!(${cond})){st.ran=it*${n};return ${x.pc + 4};}if(it*${n}>=budget){st.ran=it*${n};return ${pc0};}`
            : `st.ran=${n};return (${cond})?${x.pc + imm}:${x.pc + 4};`;
        }
        case 'JAL': return `${d ? `${Rd}=${B(x.pc + 4)};` : ''}${exit(n, x.pc + imm)}`;
        case 'JALR': return `{const t=(${la}>>>0)+${ha}*4294967296+${imm};${d ? `${Rd}=${B(x.pc + 4)};` : ''}${exit(n, 't-(t&1)')}}`;
        case 'ECALL': return exit(n, x.pc, 'st.halted=1;');
        default: return exit(n, x.pc, 'st.halted=2;');
      }
    });
    if (!BRANCH.has(last.op) && !['JAL', 'JALR', 'ECALL', 'ILL'].includes(last.op)) body.push(exit(n, last.pc + 4));
    const src = loop ? `let it=0;for(;;){${body.join('\n')}}` : body.join('\n');
    const f = new Function(...Object.keys(ENV), `return function block(budget){${src}}`)(...Object.values(ENV));
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
      pc = f(n - i);
      i += st.ran;
      if (st.halted !== 0) break;
    }
    st.pc = pc;
    return i;
  }

  return {
    name: 'h-jsbig',
    reset(image) { ram8.set(image); r.fill(0); flush(); st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => R[i],
    setReg: (i, v) => { R[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
