// Candidate (g): (d1) with a third view on the register buffer. Node 20's optimizing compiler turns
// BigInt arithmetic whose operands are loaded from, and whose result is stored straight into, a
// BigInt64Array into plain 64-bit machine ops (no BigInt allocation) for + - * & | ^, shifts by a
// constant and ===; it does not for BigInt(number), Number(bigint), shifts by a variable, or < giving 1n/0n.
// So: ADD/SUB/MUL/logic/ADDI/SLLI (as a multiply by 2^sh)/LD/SD/LUI/AUIPC/BEQ/BNE go through
// BigInt64Array views, with each instruction's immediate pre-converted to a BigInt in `imB` at decode;
// right shifts, compares, W ops, mulh* and div go through the Int32Array view as in (b)/(d1).
import { RAM_BASE, RAM_SIZE } from './rv.mjs';
import { mulhu32, mulhu64 } from './b-pairs.mjs';
import { O, decode } from './d-predecode.mjs';

// The hot switch spells op numbers as literals (see d-predecode.mjs); check them against O.
{
  const src = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8');
  for (const [, num, name] of src.matchAll(/case (\d+) \/\* (\w+) \*\//g)) {
    if (O[name] !== Number(num)) throw new Error(`g-hybrid: case ${num} is not ${name}`);
  }
}

export function createMachine({ mul = 'limb' } = {}) {
  const buf = new ArrayBuffer(RAM_SIZE);
  const ram8 = new Uint8Array(buf), ram32 = new Int32Array(buf), dv = new DataView(buf);
  const pk = new Int32Array(RAM_SIZE >> 2), im = new Int32Array(RAM_SIZE >> 2), imB = new BigInt64Array(RAM_SIZE >> 2);
  const ram64 = new BigInt64Array(buf);
  const rbuf = new ArrayBuffer(32 * 8);
  const r = new Int32Array(rbuf), r64 = new BigInt64Array(rbuf), ru64 = new BigUint64Array(rbuf);
  const MIN = -(1n << 63n);
  const st = { pc: RAM_BASE, halted: 0 };
  if (mul !== 'limb') throw new Error('g-hybrid implements the limb multiply only');

  function fill(idx) {
    const inst = ram32[idx];
    const [op, imm] = decode(inst);
    const w = (op << 24) | ((((inst >> 7) & 31) << 1) << 16) | ((((inst >> 15) & 31) << 1) << 8) | (((inst >> 20) & 31) << 1);
    im[idx] = imm; pk[idx] = w;
    imB[idx] = op === O.SLLI_LO ? 1n << BigInt(imm) : op === O.SLLI_HI ? BigInt.asIntN(64, 1n << BigInt(imm + 32))
      : op === O.AUIPC ? BigInt(RAM_BASE + idx * 4 + imm) : BigInt(imm);
    return w;
  }
  function slow64(op, d, s1, s2) { // 64-bit div/rem when an operand does not fit in 32 bits
    const a = r64[s1 >> 1], b = r64[s2 >> 1], ua = ru64[s1 >> 1], ub = ru64[s2 >> 1];
    switch (op) {
      case 48 /* DIV */: r64[d >> 1] = b === 0n ? -1n : a === MIN && b === -1n ? MIN : a / b; break;
      case 49 /* DIVU */: ru64[d >> 1] = ub === 0n ? 0xffffffffffffffffn : ua / ub; break;
      case 50 /* REM */: r64[d >> 1] = b === 0n ? a : a === MIN && b === -1n ? 0n : a % b; break;
      case 51 /* REMU */: ru64[d >> 1] = ub === 0n ? ua : ua % ub; break;
    }
  }

  function run(n) {
    let pc = st.pc, i = 0;
    for (; i < n; i++) {
      const off = pc - RAM_BASE;
      if (off < 0 || off >= RAM_SIZE) { st.halted = 2; break; }
      const idx = off >>> 2;
      let w = pk[idx];
      if (w === 0) w = fill(idx);
      const imm = im[idx], d = (w >> 16) & 0xff, s1 = (w >> 8) & 0xff, s2 = w & 0xff;
      let npc = pc + 4;
      switch (w >>> 24) {
        case 1 /* NOP */: break;
        case 4 /* LB */: case 5 /* LH */: case 6 /* LW */: case 7 /* LD */: case 8 /* LBU */: case 9 /* LHU */: case 10 /* LWU */: {
          const o = (r[s1] >>> 0) + imm - RAM_BASE;
          if (r[s1 + 1] !== 0 || !(o >= 0 && o <= RAM_SIZE - 8)) { st.halted = 2; break; }
          switch (w >>> 24) {
            case 7 /* LD */:
              if ((o & 7) === 0) r64[d >> 1] = ram64[o >>> 3];
              else { r[d] = dv.getInt32(o, true); r[d + 1] = dv.getInt32(o + 4, true); }
              break;
            case 6 /* LW */: { const v = (o & 3) === 0 ? ram32[o >>> 2] : dv.getInt32(o, true); r[d] = v; r[d + 1] = v >> 31; break; }
            case 10 /* LWU */: r[d] = dv.getInt32(o, true); r[d + 1] = 0; break;
            case 4 /* LB */: { const v = dv.getInt8(o); r[d] = v; r[d + 1] = v >> 31; break; }
            case 5 /* LH */: { const v = dv.getInt16(o, true); r[d] = v; r[d + 1] = v >> 31; break; }
            case 8 /* LBU */: r[d] = ram8[o]; r[d + 1] = 0; break;
            case 9 /* LHU */: r[d] = dv.getUint16(o, true); r[d + 1] = 0; break;
          }
          break;
        }
        case 11 /* SB */: case 12 /* SH */: case 13 /* SW */: case 14 /* SD */: {
          const o = (r[s1] >>> 0) + imm - RAM_BASE;
          if (r[s1 + 1] !== 0 || !(o >= 0 && o <= RAM_SIZE - 8)) { st.halted = 2; break; }
          switch (w >>> 24) {
            case 14 /* SD */:
              if ((o & 7) === 0) ram64[o >>> 3] = r64[s2 >> 1];
              else { dv.setInt32(o, r[s2], true); dv.setInt32(o + 4, r[s2 + 1], true); }
              pk[o >>> 2] = 0; pk[(o + 7) >>> 2] = 0;
              break;
            case 13 /* SW */: dv.setInt32(o, r[s2], true); pk[o >>> 2] = 0; pk[(o + 3) >>> 2] = 0; break;
            case 12 /* SH */: dv.setInt16(o, r[s2], true); pk[o >>> 2] = 0; pk[(o + 1) >>> 2] = 0; break;
            case 11 /* SB */: ram8[o] = r[s2]; pk[o >>> 2] = 0; break;
          }
          break;
        }
        case 27 /* MV */: r64[d >> 1] = r64[s1 >> 1]; break;
        case 15 /* ADDI */: r64[d >> 1] = r64[s1 >> 1] + imB[idx]; break;
        case 16 /* SLLI_LO */: r64[d >> 1] = r64[s1 >> 1] * imB[idx]; break;
        case 17 /* SLLI_HI */: r64[d >> 1] = r64[s1 >> 1] * imB[idx]; break;
        case 21 /* SRLI_LO */: { const ahi = r[s1 + 1]; r[d] = (r[s1] >>> imm) | (ahi << (32 - imm)); r[d + 1] = ahi >>> imm; break; }
        case 22 /* SRLI_HI */: r[d] = r[s1 + 1] >>> imm; r[d + 1] = 0; break;
        case 23 /* SRAI_LO */: { const ahi = r[s1 + 1]; r[d] = (r[s1] >>> imm) | (ahi << (32 - imm)); r[d + 1] = ahi >> imm; break; }
        case 24 /* SRAI_HI */: { const ahi = r[s1 + 1]; r[d] = ahi >> imm; r[d + 1] = ahi >> 31; break; }
        case 18 /* SLTI */: { const ahi = r[s1 + 1], bhi = imm >> 31; r[d] = ahi < bhi || (ahi === bhi && (r[s1] >>> 0) < (imm >>> 0)) ? 1 : 0; r[d + 1] = 0; break; }
        case 19 /* SLTIU */: { const ahi = r[s1 + 1], bhi = imm >> 31; r[d] = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (r[s1] >>> 0) < (imm >>> 0)) ? 1 : 0; r[d + 1] = 0; break; }
        case 20 /* XORI */: r64[d >> 1] = r64[s1 >> 1] ^ imB[idx]; break;
        case 25 /* ORI */: r64[d >> 1] = r64[s1 >> 1] | imB[idx]; break;
        case 26 /* ANDI */: r64[d >> 1] = r64[s1 >> 1] & imB[idx]; break;
        case 28 /* AUIPC */: r64[d >> 1] = imB[idx]; break;
        case 29 /* LUI */: r64[d >> 1] = imB[idx]; break;
        case 30 /* ADDIW */: { const v = (r[s1] + imm) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 31 /* SLLIW */: { const v = r[s1] << imm; r[d] = v; r[d + 1] = v >> 31; break; }
        case 32 /* SRLIW */: { const v = (r[s1] >>> imm) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 33 /* SRAIW */: { const v = r[s1] >> imm; r[d] = v; r[d + 1] = v >> 31; break; }
        case 34 /* ADD */: r64[d >> 1] = r64[s1 >> 1] + r64[s2 >> 1]; break;
        case 35 /* SUB */: r64[d >> 1] = r64[s1 >> 1] - r64[s2 >> 1]; break;
        case 36 /* SLL */: case 40 /* SRL */: case 41 /* SRA */: {
          const sh = r[s2] & 63, alo = r[s1], ahi = r[s1 + 1], op = w >>> 24;
          if (sh === 0) { r[d] = alo; r[d + 1] = ahi; }
          else if (op === O.SLL) {
            if (sh < 32) { r[d + 1] = (ahi << sh) | (alo >>> (32 - sh)); r[d] = alo << sh; } else { r[d + 1] = alo << (sh - 32); r[d] = 0; }
          } else if (sh < 32) { r[d] = (alo >>> sh) | (ahi << (32 - sh)); r[d + 1] = op === O.SRA ? ahi >> sh : ahi >>> sh; }
          else if (op === O.SRA) { r[d] = ahi >> (sh - 32); r[d + 1] = ahi >> 31; }
          else { r[d] = ahi >>> (sh - 32); r[d + 1] = 0; }
          break;
        }
        case 37 /* SLT */: { const ahi = r[s1 + 1], bhi = r[s2 + 1]; r[d] = ahi < bhi || (ahi === bhi && (r[s1] >>> 0) < (r[s2] >>> 0)) ? 1 : 0; r[d + 1] = 0; break; }
        case 38 /* SLTU */: { const ahi = r[s1 + 1], bhi = r[s2 + 1]; r[d] = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (r[s1] >>> 0) < (r[s2] >>> 0)) ? 1 : 0; r[d + 1] = 0; break; }
        case 39 /* XOR */: r64[d >> 1] = r64[s1 >> 1] ^ r64[s2 >> 1]; break;
        case 42 /* OR */: r64[d >> 1] = r64[s1 >> 1] | r64[s2 >> 1]; break;
        case 43 /* AND */: r64[d >> 1] = r64[s1 >> 1] & r64[s2 >> 1]; break;
        case 44 /* MUL */: r64[d >> 1] = r64[s1 >> 1] * r64[s2 >> 1]; break;
        case 45 /* MULH */: case 46 /* MULHSU */: case 47 /* MULHU */: {
          const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1], op = w >>> 24;
          mulhu64(r, d, alo, ahi, blo, bhi);
          if (op !== O.MULHU && ahi < 0) sub64(d, blo, bhi);
          if (op === O.MULH && bhi < 0) sub64(d, alo, ahi);
          break;
        }
        case 48 /* DIV */: case 50 /* REM */: {
          const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1];
          if (ahi !== alo >> 31 || bhi !== blo >> 31) { slow64(w >>> 24, d, s1, s2); break; }
          const div = (w >>> 24) === O.DIV;
          if (blo === 0) { r[d] = div ? -1 : alo; r[d + 1] = div ? -1 : ahi; break; }
          const q = div ? Math.trunc(alo / blo) : alo % blo;
          r[d] = q | 0; r[d + 1] = q < 0 ? -1 : 0;
          break;
        }
        case 49 /* DIVU */: case 51 /* REMU */: {
          const alo = r[s1], blo = r[s2];
          if (r[s1 + 1] !== 0 || r[s2 + 1] !== 0) { slow64(w >>> 24, d, s1, s2); break; }
          const div = (w >>> 24) === O.DIVU;
          if (blo === 0) { r[d] = div ? -1 : alo; r[d + 1] = div ? -1 : 0; break; }
          r[d] = div ? ((alo >>> 0) / (blo >>> 0)) | 0 : ((alo >>> 0) % (blo >>> 0)) | 0; r[d + 1] = 0;
          break;
        }
        case 52 /* ADDW */: { const v = (r[s1] + r[s2]) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 53 /* SUBW */: { const v = (r[s1] - r[s2]) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 54 /* SLLW */: { const v = r[s1] << (r[s2] & 31); r[d] = v; r[d + 1] = v >> 31; break; }
        case 55 /* SRLW */: { const v = (r[s1] >>> (r[s2] & 31)) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 56 /* SRAW */: { const v = r[s1] >> (r[s2] & 31); r[d] = v; r[d + 1] = v >> 31; break; }
        case 57 /* MULW */: { const v = Math.imul(r[s1], r[s2]); r[d] = v; r[d + 1] = v >> 31; break; }
        case 58 /* DIVW */: { const a = r[s1], b = r[s2], v = b === 0 ? -1 : (a / b) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 59 /* DIVUW */: { const a = r[s1], b = r[s2], v = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 60 /* REMW */: { const a = r[s1], b = r[s2], v = b === 0 ? a : (a % b) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 61 /* REMUW */: { const a = r[s1], b = r[s2], v = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0; r[d] = v; r[d + 1] = v >> 31; break; }
        case 62 /* BEQ */: if (r64[s1 >> 1] === r64[s2 >> 1]) npc = pc + imm; break;
        case 63 /* BNE */: if (r64[s1 >> 1] !== r64[s2 >> 1]) npc = pc + imm; break;
        case 64 /* BLT */: case 65 /* BGE */: {
          const ahi = r[s1 + 1], bhi = r[s2 + 1];
          const lt = ahi < bhi || (ahi === bhi && (r[s1] >>> 0) < (r[s2] >>> 0));
          if (lt === ((w >>> 24) === O.BLT)) npc = pc + imm;
          break;
        }
        case 66 /* BLTU */: case 67 /* BGEU */: {
          const ahi = r[s1 + 1] >>> 0, bhi = r[s2 + 1] >>> 0;
          const lt = ahi < bhi || (ahi === bhi && (r[s1] >>> 0) < (r[s2] >>> 0));
          if (lt === ((w >>> 24) === O.BLTU)) npc = pc + imm;
          break;
        }
        case 68 /* JAL */: r[d] = npc | 0; r[d + 1] = Math.floor(npc / 4294967296) | 0; r[0] = 0; r[1] = 0; npc = pc + imm; break;
        case 69 /* JALR */: {
          const t = (r[s1] >>> 0) + r[s1 + 1] * 4294967296 + imm;
          r[d] = npc | 0; r[d + 1] = Math.floor(npc / 4294967296) | 0; r[0] = 0; r[1] = 0;
          npc = t - (t & 1);
          break;
        }
        case 3 /* ECALL */: st.halted = 1; break;
        default: st.halted = 2;
      }
      if (st.halted !== 0) { i++; break; }
      pc = npc;
    }
    st.pc = pc;
    return i;
  }
  function sub64(d, xlo, xhi) {
    const lo = r[d], hi = r[d + 1];
    r[d] = (lo - xlo) | 0;
    r[d + 1] = (hi - xhi - ((lo >>> 0) < (xlo >>> 0) ? 1 : 0)) | 0;
  }

  return {
    name: 'g-hybrid',
    reset(image) { ram8.set(image); r.fill(0); pk.fill(0); st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => r64[i],
    setReg: (i, v) => { r64[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
