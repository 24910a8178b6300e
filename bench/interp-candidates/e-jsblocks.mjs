// Candidate (e): not an interpreter but a first translator, to see what one buys: each basic block
// (up to a branch/jump/ecall, at most 64 instructions) becomes a JS function made with `new Function`,
// in the int32-pair representation of (b) but with the guest registers it touches held in JS locals
// (lN/hN) and written back at block exit. A block whose final branch jumps to its own start is
// compiled as a JS loop (bounded by the batch budget), so a hot guest loop stays in one JS frame.
// Stores check a per-4-KiB "has translated code" byte; a hit flushes every block (and exits the block).
// mul uses 16-bit limbs inline; mulh*/div/rem call helpers (limbs; BigInt for 64-bit div/rem).
import { RAM_BASE, RAM_SIZE } from './rv.mjs';
import { O, decode } from './d-predecode.mjs';
import { mulhu32, mulhu64 } from './b-pairs.mjs';

const NAME = Object.fromEntries(Object.entries(O).map(([k, v]) => [v, k]));
const BRANCH = new Set(['BEQ', 'BNE', 'BLT', 'BGE', 'BLTU', 'BGEU']);
const MAX = 64;

export function createMachine({ mul = 'limb' } = {}) {
  if (mul !== 'limb') throw new Error('e-jsblocks implements the limb multiply only');
  const buf = new ArrayBuffer(RAM_SIZE);
  const ram8 = new Uint8Array(buf), ram32 = new Int32Array(buf), dv = new DataView(buf);
  const rbuf = new ArrayBuffer(32 * 8);
  const r = new Int32Array(rbuf), r64 = new BigInt64Array(rbuf);
  const tbuf = new ArrayBuffer(32);
  const tmp = new Int32Array(tbuf), t64 = new BigInt64Array(tbuf), tu64 = new BigUint64Array(tbuf);
  const MIN = -(1n << 63n);
  const st = { pc: RAM_BASE, halted: 0, ran: 0 };
  const blocks = new Array(RAM_SIZE >> 2).fill(null);
  const codePages = new Uint8Array(RAM_SIZE >> 12);
  const flush = () => { blocks.fill(null); codePages.fill(0); };

  // helpers called from generated code; results in tmp[0], tmp[1]
  function mulh(kind, alo, ahi, blo, bhi) {
    mulhu64(tmp, 0, alo, ahi, blo, bhi);
    if (kind !== 3 && ahi < 0) sub(blo, bhi);
    if (kind === 1 && bhi < 0) sub(alo, ahi);
  }
  function sub(xlo, xhi) {
    const lo = tmp[0], hi = tmp[1];
    tmp[0] = (lo - xlo) | 0; tmp[1] = (hi - xhi - ((lo >>> 0) < (xlo >>> 0) ? 1 : 0)) | 0;
  }
  function divrem(kind, alo, ahi, blo, bhi) { // kind: 4 div, 5 divu, 6 rem, 7 remu
    if (kind & 1) {
      if (ahi === 0 && bhi === 0) {
        if (blo === 0) { tmp[0] = kind === 5 ? -1 : alo; tmp[1] = kind === 5 ? -1 : 0; return; }
        tmp[0] = kind === 5 ? ((alo >>> 0) / (blo >>> 0)) | 0 : ((alo >>> 0) % (blo >>> 0)) | 0; tmp[1] = 0;
        return;
      }
      tmp[0] = blo; tmp[1] = bhi; const b = tu64[0]; tmp[0] = alo; tmp[1] = ahi; const a = tu64[0];
      tu64[0] = kind === 5 ? (b === 0n ? 0xffffffffffffffffn : a / b) : (b === 0n ? a : a % b);
    } else {
      if (ahi === alo >> 31 && bhi === blo >> 31) {
        if (blo === 0) { tmp[0] = kind === 4 ? -1 : alo; tmp[1] = kind === 4 ? -1 : ahi; return; }
        const q = kind === 4 ? Math.trunc(alo / blo) : alo % blo;
        tmp[0] = q | 0; tmp[1] = q < 0 ? -1 : 0;
        return;
      }
      tmp[0] = blo; tmp[1] = bhi; const b = t64[0]; tmp[0] = alo; tmp[1] = ahi; const a = t64[0];
      t64[0] = kind === 4 ? (b === 0n ? -1n : a === MIN && b === -1n ? MIN : a / b) : (b === 0n ? a : a === MIN && b === -1n ? 0n : a % b);
    }
  }
  const ENV = { r, ram8, ram32, dv, st, codePages, flush, tmp, mulhu32, mulh, divrem };

  function translate(pc0) {
    const insts = [];
    for (let pc = pc0; insts.length < MAX; pc += 4) {
      const off = pc - RAM_BASE;
      if (off >= RAM_SIZE) break;
      const inst = ram32[off >>> 2];
      const [op, imm] = decode(inst);
      insts.push({ pc, op: NAME[op], imm, d: (inst >> 7) & 31, a: (inst >> 15) & 31, b: (inst >> 20) & 31 });
      const nm = NAME[op];
      if (BRANCH.has(nm) || nm === 'JAL' || nm === 'JALR' || nm === 'ECALL' || nm === 'ILL') break;
      if (((pc + 4 - RAM_BASE) & 0xfff) === 0) break; // do not run into the next page
    }
    const n = insts.length, last = insts[n - 1];
    const loop = BRANCH.has(last.op) && last.pc + last.imm === pc0;
    const used = new Set(), written = new Set();
    for (const x of insts) { used.add(x.a); used.add(x.b); if (x.op !== 'NOP' && !/^S[BHWD]$/.test(x.op) && !BRANCH.has(x.op)) { used.add(x.d); written.add(x.d); } }
    used.delete(0); written.delete(0);
    const L = (k) => (k === 0 ? '0' : `l${k}`), H = (k) => (k === 0 ? '0' : `h${k}`);
    const wb = [...written].map((k) => `r[${2 * k}]=l${k};r[${2 * k + 1}]=h${k};`).join('');
    const ran = (j) => (loop ? `st.ran=it*${n}+${j};` : `st.ran=${j};`);
    const exit = (j, pcExpr, extra = '') => `{${wb}${extra}${ran(j)}return ${pcExpr};}`;
    const hiOf = (v) => Math.floor(v / 4294967296) | 0;
    const body = [];
    insts.forEach((x, j) => {
      const { d, a, b, imm } = x, Ld = L(d), Hd = H(d), La = L(a), Ha = H(a), Lb = L(b), Hb = H(b);
      const ih = imm >> 31;
      const ab = `const al=${La},ah=${Ha},bl=${Lb},bh=${Hb};`;
      const set32 = (e) => `{const v=${e};${Ld}=v;${Hd}=v>>31;}`;
      const fault = exit(j + 1, x.pc, 'st.halted=2;');
      const addr = `const o=(${La}>>>0)+${imm}-${RAM_BASE};if(${Ha}!==0||!(o>=0&&o<=${RAM_SIZE - 8}))${fault}`;
      const cp = (size) => `if(codePages[o>>>12]!==0||codePages[(o+${size - 1})>>>12]!==0){flush();${exit(j + 1, x.pc + 4).slice(1, -1)}}`;
      let c;
      switch (x.op) {
        case 'NOP': c = ''; break;
        case 'LD': c = `{${addr}if((o&7)===0){${Ld}=ram32[o>>>2];${Hd}=ram32[(o>>>2)+1];}else{${Ld}=dv.getInt32(o,true);${Hd}=dv.getInt32(o+4,true);}}`; break;
        case 'LW': c = `{${addr}${set32('dv.getInt32(o,true)')}}`; break;
        case 'LWU': c = `{${addr}${Ld}=dv.getInt32(o,true);${Hd}=0;}`; break;
        case 'LH': c = `{${addr}${set32('dv.getInt16(o,true)')}}`; break;
        case 'LHU': c = `{${addr}${Ld}=dv.getUint16(o,true);${Hd}=0;}`; break;
        case 'LB': c = `{${addr}${set32('dv.getInt8(o)')}}`; break;
        case 'LBU': c = `{${addr}${Ld}=ram8[o];${Hd}=0;}`; break;
        case 'SD': c = `{${addr}if((o&7)===0){ram32[o>>>2]=${Lb};ram32[(o>>>2)+1]=${Hb};}else{dv.setInt32(o,${Lb},true);dv.setInt32(o+4,${Hb},true);}${cp(8)}}`; break;
        case 'SW': c = `{${addr}dv.setInt32(o,${Lb},true);${cp(4)}}`; break;
        case 'SH': c = `{${addr}dv.setInt16(o,${Lb},true);${cp(2)}}`; break;
        case 'SB': c = `{${addr}ram8[o]=${Lb};${cp(1)}}`; break;
        case 'MV': c = `${Ld}=${La};${Hd}=${Ha};`; break;
        case 'ADDI': c = `{const al=${La},lo=(al+${imm})|0;${Hd}=(${Ha}+${ih}+((lo>>>0)<(al>>>0)?1:0))|0;${Ld}=lo;}`; break;
        case 'SLLI_LO': c = `{const al=${La},ah=${Ha};${Hd}=(ah<<${imm})|(al>>>${32 - imm});${Ld}=al<<${imm};}`; break;
        case 'SLLI_HI': c = `${Hd}=${La}<<${imm};${Ld}=0;`; break;
        case 'SRLI_LO': c = `{const al=${La},ah=${Ha};${Ld}=(al>>>${imm})|(ah<<${32 - imm});${Hd}=(ah>>>${imm})|0;}`; break;
        case 'SRLI_HI': c = `${Ld}=(${Ha}>>>${imm})|0;${Hd}=0;`; break;
        case 'SRAI_LO': c = `{const al=${La},ah=${Ha};${Ld}=(al>>>${imm})|(ah<<${32 - imm});${Hd}=ah>>${imm};}`; break;
        case 'SRAI_HI': c = `{const ah=${Ha};${Ld}=ah>>${imm};${Hd}=ah>>31;}`; break;
        case 'SLTI': c = `{const ah=${Ha};${Ld}=ah<${ih}||(ah===${ih}&&(${La}>>>0)<${imm >>> 0})?1:0;${Hd}=0;}`; break;
        case 'SLTIU': c = `{const ah=${Ha}>>>0;${Ld}=ah<${ih >>> 0}||(ah===${ih >>> 0}&&(${La}>>>0)<${imm >>> 0})?1:0;${Hd}=0;}`; break;
        case 'XORI': c = `${Ld}=${La}^${imm};${Hd}=${Ha}^${ih};`; break;
        case 'ORI': c = `${Ld}=${La}|${imm};${Hd}=${Ha}|${ih};`; break;
        case 'ANDI': c = `${Ld}=${La}&${imm};${Hd}=${Ha}&${ih};`; break;
        case 'AUIPC': { const v = x.pc + imm; c = `${Ld}=${v | 0};${Hd}=${hiOf(v)};`; break; }
        case 'LUI': c = `${Ld}=${imm};${Hd}=${ih};`; break;
        case 'ADDIW': c = set32(`(${La}+${imm})|0`); break;
        case 'SLLIW': c = set32(`${La}<<${imm}`); break;
        case 'SRLIW': c = set32(`(${La}>>>${imm})|0`); break;
        case 'SRAIW': c = set32(`${La}>>${imm}`); break;
        case 'ADD': c = `{${ab}const lo=(al+bl)|0;${Hd}=(ah+bh+((lo>>>0)<(al>>>0)?1:0))|0;${Ld}=lo;}`; break;
        case 'SUB': c = `{${ab}${Ld}=(al-bl)|0;${Hd}=(ah-bh-((al>>>0)<(bl>>>0)?1:0))|0;}`; break;
        case 'SLL': c = `{${ab}const s=bl&63;if(s===0){${Ld}=al;${Hd}=ah;}else if(s<32){${Hd}=(ah<<s)|(al>>>(32-s));${Ld}=al<<s;}else{${Hd}=al<<(s-32);${Ld}=0;}}`; break;
        case 'SRL': c = `{${ab}const s=bl&63;if(s===0){${Ld}=al;${Hd}=ah;}else if(s<32){${Ld}=(al>>>s)|(ah<<(32-s));${Hd}=(ah>>>s)|0;}else{${Ld}=(ah>>>(s-32))|0;${Hd}=0;}}`; break;
        case 'SRA': c = `{${ab}const s=bl&63;if(s===0){${Ld}=al;${Hd}=ah;}else if(s<32){${Ld}=(al>>>s)|(ah<<(32-s));${Hd}=ah>>s;}else{${Ld}=ah>>(s-32);${Hd}=ah>>31;}}`; break;
        case 'SLT': c = `{${ab}${Ld}=ah<bh||(ah===bh&&(al>>>0)<(bl>>>0))?1:0;${Hd}=0;}`; break;
        case 'SLTU': c = `{${ab}${Ld}=(ah>>>0)<(bh>>>0)||(ah===bh&&(al>>>0)<(bl>>>0))?1:0;${Hd}=0;}`; break;
        case 'XOR': c = `${Ld}=${La}^${Lb};${Hd}=${Ha}^${Hb};`; break;
        case 'OR': c = `${Ld}=${La}|${Lb};${Hd}=${Ha}|${Hb};`; break;
        case 'AND': c = `${Ld}=${La}&${Lb};${Hd}=${Ha}&${Hb};`; break;
        case 'MUL': c = `{${ab}${Hd}=(mulhu32(al,bl)+Math.imul(al,bh)+Math.imul(ah,bl))|0;${Ld}=Math.imul(al,bl);}`; break;
        case 'MULH': case 'MULHSU': case 'MULHU': c = `mulh(${{ MULH: 1, MULHSU: 2, MULHU: 3 }[x.op]},${La},${Ha},${Lb},${Hb});${Ld}=tmp[0];${Hd}=tmp[1];`; break;
        case 'DIV': case 'DIVU': case 'REM': case 'REMU': c = `divrem(${{ DIV: 4, DIVU: 5, REM: 6, REMU: 7 }[x.op]},${La},${Ha},${Lb},${Hb});${Ld}=tmp[0];${Hd}=tmp[1];`; break;
        case 'ADDW': c = set32(`(${La}+${Lb})|0`); break;
        case 'SUBW': c = set32(`(${La}-${Lb})|0`); break;
        case 'SLLW': c = set32(`${La}<<(${Lb}&31)`); break;
        case 'SRLW': c = set32(`(${La}>>>(${Lb}&31))|0`); break;
        case 'SRAW': c = set32(`${La}>>(${Lb}&31)`); break;
        case 'MULW': c = set32(`Math.imul(${La},${Lb})`); break;
        case 'DIVW': c = `{const a=${La},b=${Lb};${set32('b===0?-1:(a/b)|0')}}`; break;
        case 'DIVUW': c = `{const a=${La},b=${Lb};${set32('b===0?-1:((a>>>0)/(b>>>0))|0')}}`; break;
        case 'REMW': c = `{const a=${La},b=${Lb};${set32('b===0?a:(a%b)|0')}}`; break;
        case 'REMUW': c = `{const a=${La},b=${Lb};${set32('b===0?a:((a>>>0)%(b>>>0))|0')}}`; break;
        case 'BEQ': case 'BNE': case 'BLT': case 'BGE': case 'BLTU': case 'BGEU': {
          const cond = {
            BEQ: `${La}===${Lb}&&${Ha}===${Hb}`, BNE: `${La}!==${Lb}||${Ha}!==${Hb}`,
            BLT: `${Ha}<${Hb}||(${Ha}===${Hb}&&(${La}>>>0)<(${Lb}>>>0))`, BGE: `!(${Ha}<${Hb}||(${Ha}===${Hb}&&(${La}>>>0)<(${Lb}>>>0)))`,
            BLTU: `(${Ha}>>>0)<(${Hb}>>>0)||(${Ha}===${Hb}&&(${La}>>>0)<(${Lb}>>>0))`, BGEU: `!((${Ha}>>>0)<(${Hb}>>>0)||(${Ha}===${Hb}&&(${La}>>>0)<(${Lb}>>>0)))`,
          }[x.op];
          c = loop
            ? `it++;if(!(${cond}))${exit(n, x.pc + 4).replace(`it*${n}+${n}`, `it*${n}`)}if(it*${n}>=budget)${exit(n, pc0).replace(`it*${n}+${n}`, `it*${n}`)}`
            : `{const t=${cond};${wb}st.ran=${n};return t?${x.pc + imm}:${x.pc + 4};}`;
          break;
        }
        case 'JAL': c = `${d ? `${Ld}=${(x.pc + 4) | 0};${Hd}=${hiOf(x.pc + 4)};` : ''}${exit(n, x.pc + imm)}`; break;
        case 'JALR': c = `{const t=(${La}>>>0)+${Ha}*4294967296+${imm};${d ? `${Ld}=${(x.pc + 4) | 0};${Hd}=${hiOf(x.pc + 4)};` : ''}${exit(n, 't-(t&1)')}}`; break;
        case 'ECALL': c = exit(n, x.pc, 'st.halted=1;'); break;
        default: c = exit(n, x.pc, 'st.halted=2;');
      }
      body.push(c);
    });
    if (!BRANCH.has(last.op) && !['JAL', 'JALR', 'ECALL', 'ILL'].includes(last.op)) body.push(exit(n, last.pc + 4));
    const decl = [...used].map((k) => `l${k}=r[${2 * k}],h${k}=r[${2 * k + 1}]`).join(',');
    const src = `${decl ? `let ${decl};` : ''}${loop ? `let it=0;for(;;){${body.join('\n')}}` : body.join('\n')}`;
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
    name: 'e-jsblocks',
    reset(image) { ram8.set(image); r.fill(0); flush(); st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => r64[i],
    setReg: (i, v) => { r64[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
