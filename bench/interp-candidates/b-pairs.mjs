// Candidate (b): each 64-bit register is a pair of int32 in an Int32Array (lo at 2*i, hi at 2*i+1);
// add/sub carry via unsigned compare, shifts split at 32, compares hi-then-lo.
//
// mul/mulh*/div/rem (64-bit) take one of two paths, chosen by option `mul`:
//   'limb'   — 64x64 products from 32x32 partial products, each of those from 16-bit limbs with
//              Math.imul (no BigInt, no allocation); 64-bit div/rem still fall back to BigInt.
//   'bigint' — a BigInt64Array/BigUint64Array aliasing the same register buffer: r64[rd] = r64[a] * r64[b].
//   'convert' — mul by limbs; mulh*/div/rem via BigInts built from the halves with shifts and split back
//              with Number(v & 0xffffffffn) (what src/riscv/muldiv.ts does for mulh64 and 64-bit div).
// Division has a double fast path when both operands fit in 32 bits.
import { RAM_BASE, RAM_SIZE } from './rv.mjs';

/** High 32 bits of the unsigned 32x32 product, from four 16x16 products (all exact in int32 math). */
export function mulhu32(x, y) {
  const x0 = x & 0xffff, x1 = x >>> 16, y0 = y & 0xffff, y1 = y >>> 16;
  const p00 = Math.imul(x0, y0), p01 = Math.imul(x0, y1), p10 = Math.imul(x1, y0), p11 = Math.imul(x1, y1);
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** r[d], r[d+1] = high 64 bits of the unsigned 128-bit product (alo,ahi) * (blo,bhi). */
export function mulhu64(r, d, alo, ahi, blo, bhi) {
  const llh = mulhu32(alo, blo);
  const lhl = Math.imul(alo, bhi), lhh = mulhu32(alo, bhi);
  const hll = Math.imul(ahi, blo), hlh = mulhu32(ahi, blo);
  const hhl = Math.imul(ahi, bhi), hhh = mulhu32(ahi, bhi);
  const w1 = (llh >>> 0) + (lhl >>> 0) + (hll >>> 0);
  const w2 = (hhl >>> 0) + (lhh >>> 0) + (hlh >>> 0) + ((w1 / 4294967296) | 0);
  r[d] = w2 | 0;
  r[d + 1] = (hhh + ((w2 / 4294967296) | 0)) | 0;
}

/** r[d..d+1] -= (xlo, xhi), 64-bit. */
function sub64(r, d, xlo, xhi) {
  const lo = r[d], hi = r[d + 1];
  r[d] = (lo - xlo) | 0;
  r[d + 1] = (hi - xhi - ((lo >>> 0) < (xlo >>> 0) ? 1 : 0)) | 0;
}

export function createMachine({ mul = 'limb' } = {}) {
  const buf = new ArrayBuffer(RAM_SIZE);
  const ram8 = new Uint8Array(buf), ram32 = new Int32Array(buf), dv = new DataView(buf);
  const rbuf = new ArrayBuffer(32 * 8);
  const r = new Int32Array(rbuf), r64 = new BigInt64Array(rbuf), ru64 = new BigUint64Array(rbuf);
  const MIN = -(1n << 63n);
  const st = { pc: RAM_BASE, halted: 0 };

  // 64-bit M ops: f3 = funct3, d/s1/s2 = register numbers.
  function mLimb(f3, d, s1, s2) {
    const alo = r[2 * s1], ahi = r[2 * s1 + 1], blo = r[2 * s2], bhi = r[2 * s2 + 1];
    switch (f3) {
      case 0: { // mul
        const lo = Math.imul(alo, blo);
        r[2 * d + 1] = (mulhu32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
        r[2 * d] = lo;
        return;
      }
      case 1: // mulh
        mulhu64(r, 2 * d, alo, ahi, blo, bhi);
        if (ahi < 0) sub64(r, 2 * d, blo, bhi);
        if (bhi < 0) sub64(r, 2 * d, alo, ahi);
        return;
      case 2: // mulhsu
        mulhu64(r, 2 * d, alo, ahi, blo, bhi);
        if (ahi < 0) sub64(r, 2 * d, blo, bhi);
        return;
      case 3: mulhu64(r, 2 * d, alo, ahi, blo, bhi); return;
      default: divrem(f3, d, s1, s2, alo, ahi, blo, bhi);
    }
  }
  function mBig(f3, d, s1, s2) {
    switch (f3) {
      case 0: r64[d] = r64[s1] * r64[s2]; return;
      case 1: r64[d] = (r64[s1] * r64[s2]) >> 64n; return;
      case 2: r64[d] = (r64[s1] * ru64[s2]) >> 64n; return;
      case 3: ru64[d] = (ru64[s1] * ru64[s2]) >> 64n; return;
      default: divrem(f3, d, s1, s2, r[2 * s1], r[2 * s1 + 1], r[2 * s2], r[2 * s2 + 1]);
    }
  }
  function divrem(f3, d, s1, s2, alo, ahi, blo, bhi) {
    if (f3 & 1) { // unsigned
      if (ahi === 0 && bhi === 0) {
        if (blo === 0) { r[2 * d] = f3 === 5 ? -1 : alo; r[2 * d + 1] = f3 === 5 ? -1 : 0; return; }
        r[2 * d] = f3 === 5 ? ((alo >>> 0) / (blo >>> 0)) | 0 : ((alo >>> 0) % (blo >>> 0)) | 0;
        r[2 * d + 1] = 0;
        return;
      }
      const b = ru64[s2];
      if (f3 === 5) ru64[d] = b === 0n ? 0xffffffffffffffffn : ru64[s1] / b;
      else ru64[d] = b === 0n ? ru64[s1] : ru64[s1] % b;
    } else {
      if (ahi === alo >> 31 && bhi === blo >> 31) { // both sign-extended 32-bit
        if (blo === 0) { r[2 * d] = f3 === 4 ? -1 : alo; r[2 * d + 1] = f3 === 4 ? -1 : ahi; return; }
        const q = f3 === 4 ? Math.trunc(alo / blo) : alo % blo; // exact; -2^31 / -1 = 2^31 is fine
        r[2 * d] = q | 0; r[2 * d + 1] = q < 0 ? -1 : 0;
        return;
      }
      const a = r64[s1], b = r64[s2];
      if (f3 === 4) r64[d] = b === 0n ? -1n : a === MIN && b === -1n ? MIN : a / b;
      else r64[d] = b === 0n ? a : a === MIN && b === -1n ? 0n : a % b;
    }
  }
  const toU = (lo, hi) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const toS = (lo, hi) => (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  const setBig = (d, v) => { r[2 * d] = Number(v & 0xffffffffn) | 0; r[2 * d + 1] = Number((v >> 32n) & 0xffffffffn) | 0; };
  function mConvert(f3, d, s1, s2) {
    const alo = r[2 * s1], ahi = r[2 * s1 + 1], blo = r[2 * s2], bhi = r[2 * s2 + 1];
    switch (f3) {
      case 0: mLimb(0, d, s1, s2); return;
      case 1: setBig(d, (toS(alo, ahi) * toS(blo, bhi)) >> 64n); return;
      case 2: setBig(d, (toS(alo, ahi) * toU(blo, bhi)) >> 64n); return;
      case 3: setBig(d, (toU(alo, ahi) * toU(blo, bhi)) >> 64n); return;
      default:
        if ((f3 & 1) ? (ahi === 0 && bhi === 0) : (ahi === alo >> 31 && bhi === blo >> 31)) { divrem(f3, d, s1, s2, alo, ahi, blo, bhi); return; }
        if (f3 & 1) { const a = toU(alo, ahi), b = toU(blo, bhi); setBig(d, b === 0n ? (f3 === 5 ? -1n : a) : f3 === 5 ? a / b : a % b); }
        else { const a = toS(alo, ahi), b = toS(blo, bhi); setBig(d, b === 0n ? (f3 === 4 ? -1n : a) : a === MIN && b === -1n ? (f3 === 4 ? MIN : 0n) : f3 === 4 ? a / b : a % b); }
    }
  }
  const M = mul === 'bigint' ? mBig : mul === 'convert' ? mConvert : mLimb;

  function run(n) {
    let pc = st.pc, i = 0;
    for (; i < n; i++) {
      const off = pc - RAM_BASE;
      if (off < 0 || off >= RAM_SIZE) { st.halted = 2; break; }
      const inst = ram32[off >>> 2];
      const rd = (inst >> 7) & 31, f3 = (inst >> 12) & 7;
      const d = rd << 1, s1 = (inst >> 14) & 62, s2 = (inst >> 19) & 62;
      let npc = pc + 4;
      switch (inst & 0x7f) {
        case 0x03: { // LOAD: 64-bit address = rs1 + imm; fast path only when it lies in RAM
          const o = (r[s1] >>> 0) + (inst >> 20) - RAM_BASE;
          if (r[s1 + 1] !== 0 || !(o >= 0 && o <= RAM_SIZE - 8)) { st.halted = 2; break; }
          let lo;
          switch (f3) {
            case 0: lo = dv.getInt8(o); r[d + 1] = lo >> 31; break;
            case 1: lo = dv.getInt16(o, true); r[d + 1] = lo >> 31; break;
            case 2: lo = (o & 3) === 0 ? ram32[o >>> 2] : dv.getInt32(o, true); r[d + 1] = lo >> 31; break;
            case 3:
              if ((o & 7) === 0) { lo = ram32[o >>> 2]; r[d + 1] = ram32[(o >>> 2) + 1]; }
              else { lo = dv.getInt32(o, true); r[d + 1] = dv.getInt32(o + 4, true); }
              break;
            case 4: lo = ram8[o]; r[d + 1] = 0; break;
            case 5: lo = dv.getUint16(o, true); r[d + 1] = 0; break;
            case 6: lo = dv.getInt32(o, true); r[d + 1] = 0; break;
            default: lo = 0; st.halted = 2;
          }
          r[d] = lo;
          break;
        }
        case 0x13: { // OP-IMM
          const imm = inst >> 20, alo = r[s1], ahi = r[s1 + 1];
          switch (f3) {
            case 0: { const lo = (alo + imm) | 0; r[d + 1] = (ahi + (imm >> 31) + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0; r[d] = lo; break; }
            case 1: {
              const sh = imm & 63;
              if (sh === 0) { r[d] = alo; r[d + 1] = ahi; }
              else if (sh < 32) { r[d + 1] = (ahi << sh) | (alo >>> (32 - sh)); r[d] = alo << sh; }
              else { r[d + 1] = alo << (sh - 32); r[d] = 0; }
              break;
            }
            case 2: { const bhi = imm >> 31; r[d] = ahi < bhi || (ahi === bhi && (alo >>> 0) < (imm >>> 0)) ? 1 : 0; r[d + 1] = 0; break; }
            case 3: { const bhi = imm >> 31; r[d] = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (imm >>> 0)) ? 1 : 0; r[d + 1] = 0; break; }
            case 4: r[d] = alo ^ imm; r[d + 1] = ahi ^ (imm >> 31); break;
            case 5: {
              const sh = imm & 63;
              if (sh === 0) { r[d] = alo; r[d + 1] = ahi; }
              else if (sh < 32) { r[d] = (alo >>> sh) | (ahi << (32 - sh)); r[d + 1] = imm & 0x400 ? ahi >> sh : ahi >>> sh; }
              else if (imm & 0x400) { r[d] = ahi >> (sh - 32); r[d + 1] = ahi >> 31; }
              else { r[d] = ahi >>> (sh - 32); r[d + 1] = 0; }
              break;
            }
            case 6: r[d] = alo | imm; r[d + 1] = ahi | (imm >> 31); break;
            case 7: r[d] = alo & imm; r[d + 1] = ahi & (imm >> 31); break;
          }
          break;
        }
        case 0x17: { const v = pc + (inst & ~0xfff); r[d] = v | 0; r[d + 1] = Math.floor(v / 4294967296) | 0; break; } // AUIPC
        case 0x1b: { // OP-IMM-32
          const imm = inst >> 20, a = r[s1];
          let lo;
          switch (f3) {
            case 0: lo = (a + imm) | 0; break;
            case 1: lo = a << (imm & 31); break;
            case 5: lo = imm & 0x400 ? a >> (imm & 31) : (a >>> (imm & 31)) | 0; break;
            default: lo = 0; st.halted = 2;
          }
          r[d] = lo; r[d + 1] = lo >> 31;
          break;
        }
        case 0x23: { // STORE
          const o = (r[s1] >>> 0) + (((inst >> 25) << 5) | ((inst >> 7) & 31)) - RAM_BASE;
          if (r[s1 + 1] !== 0 || !(o >= 0 && o <= RAM_SIZE - 8)) { st.halted = 2; break; }
          switch (f3) {
            case 0: ram8[o] = r[s2]; break;
            case 1: dv.setInt16(o, r[s2], true); break;
            case 2: if ((o & 3) === 0) ram32[o >>> 2] = r[s2]; else dv.setInt32(o, r[s2], true); break;
            case 3:
              if ((o & 7) === 0) { ram32[o >>> 2] = r[s2]; ram32[(o >>> 2) + 1] = r[s2 + 1]; }
              else { dv.setInt32(o, r[s2], true); dv.setInt32(o + 4, r[s2 + 1], true); }
              break;
            default: st.halted = 2;
          }
          break;
        }
        case 0x33: { // OP
          if ((inst >>> 25) === 1) { M(f3, rd, s1 >> 1, s2 >> 1); break; }
          const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1];
          switch (f3) {
            case 0:
              if (inst & 0x40000000) { r[d] = (alo - blo) | 0; r[d + 1] = (ahi - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0; }
              else { const lo = (alo + blo) | 0; r[d + 1] = (ahi + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0; r[d] = lo; }
              break;
            case 1: {
              const sh = blo & 63;
              if (sh === 0) { r[d] = alo; r[d + 1] = ahi; }
              else if (sh < 32) { r[d + 1] = (ahi << sh) | (alo >>> (32 - sh)); r[d] = alo << sh; }
              else { r[d + 1] = alo << (sh - 32); r[d] = 0; }
              break;
            }
            case 2: r[d] = ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0)) ? 1 : 0; r[d + 1] = 0; break;
            case 3: r[d] = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0)) ? 1 : 0; r[d + 1] = 0; break;
            case 4: r[d] = alo ^ blo; r[d + 1] = ahi ^ bhi; break;
            case 5: {
              const sh = blo & 63, arith = inst & 0x40000000;
              if (sh === 0) { r[d] = alo; r[d + 1] = ahi; }
              else if (sh < 32) { r[d] = (alo >>> sh) | (ahi << (32 - sh)); r[d + 1] = arith ? ahi >> sh : ahi >>> sh; }
              else if (arith) { r[d] = ahi >> (sh - 32); r[d + 1] = ahi >> 31; }
              else { r[d] = ahi >>> (sh - 32); r[d + 1] = 0; }
              break;
            }
            case 6: r[d] = alo | blo; r[d + 1] = ahi | bhi; break;
            case 7: r[d] = alo & blo; r[d + 1] = ahi & bhi; break;
          }
          break;
        }
        case 0x37: { const lo = inst & ~0xfff; r[d] = lo; r[d + 1] = lo >> 31; break; } // LUI
        case 0x3b: { // OP-32
          const a = r[s1], b = r[s2];
          let lo;
          if ((inst >>> 25) === 1) {
            switch (f3) {
              case 0: lo = Math.imul(a, b); break;
              case 4: lo = b === 0 ? -1 : (a / b) | 0; break; // -2^31 / -1 wraps to -2^31 as required
              case 5: lo = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0; break;
              case 6: lo = b === 0 ? a : (a % b) | 0; break;
              case 7: lo = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0; break;
              default: lo = 0; st.halted = 2;
            }
          } else {
            switch (f3) {
              case 0: lo = inst & 0x40000000 ? (a - b) | 0 : (a + b) | 0; break;
              case 1: lo = a << (b & 31); break;
              case 5: lo = inst & 0x40000000 ? a >> (b & 31) : (a >>> (b & 31)) | 0; break;
              default: lo = 0; st.halted = 2;
            }
          }
          r[d] = lo; r[d + 1] = lo >> 31;
          break;
        }
        case 0x63: { // BRANCH
          const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1];
          let t = false;
          switch (f3) {
            case 0: t = alo === blo && ahi === bhi; break;
            case 1: t = alo !== blo || ahi !== bhi; break;
            case 4: t = ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0)); break;
            case 5: t = !(ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0))); break;
            case 6: t = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0)); break;
            case 7: t = !((ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0))); break;
            default: st.halted = 2;
          }
          if (t) npc = pc + (((inst >> 31) << 12) | (((inst >> 7) & 1) << 11) | (((inst >> 25) & 63) << 5) | (((inst >> 8) & 15) << 1));
          break;
        }
        case 0x67: { // JALR
          const t = (r[s1] >>> 0) + r[s1 + 1] * 4294967296 + (inst >> 20);
          r[d] = npc | 0; r[d + 1] = Math.floor(npc / 4294967296) | 0;
          npc = t - (t & 1);
          break;
        }
        case 0x6f: // JAL
          r[d] = npc | 0; r[d + 1] = Math.floor(npc / 4294967296) | 0;
          npc = pc + (((inst >> 31) << 20) | (((inst >> 12) & 255) << 12) | (((inst >> 20) & 1) << 11) | (((inst >> 21) & 1023) << 1));
          break;
        case 0x73: st.halted = 1; break;
        default: st.halted = 2;
      }
      r[0] = 0; r[1] = 0;
      if (st.halted !== 0) { i++; break; }
      pc = npc;
    }
    st.pc = pc;
    return i;
  }

  return {
    name: `b-pairs-${mul}`,
    reset(image) { ram8.set(image); r.fill(0); st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => r64[i],
    setReg: (i, v) => { r64[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
