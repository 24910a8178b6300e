// Candidate (d2): the int32-pair registers of (b), with a cache of per-instruction closures.
//
// The first execution of a RAM word builds a closure specialised on its fields (registers as
// pre-doubled indices, immediate unscrambled, shift split at 32 chosen, writes to x0 dropped);
// the hot loop is then `pc = fn(pc)`. Guest stores clear the closures of the words they overlap.
import { RAM_BASE, RAM_SIZE } from './rv.mjs';
import { mulhu32, mulhu64 } from './b-pairs.mjs';

export function createMachine({ mul = 'limb' } = {}) {
  if (mul !== 'limb') throw new Error('d-closures implements the limb multiply only');
  const buf = new ArrayBuffer(RAM_SIZE);
  const ram8 = new Uint8Array(buf), ram32 = new Int32Array(buf), dv = new DataView(buf);
  const rbuf = new ArrayBuffer(32 * 8);
  const r = new Int32Array(rbuf), r64 = new BigInt64Array(rbuf), ru64 = new BigUint64Array(rbuf);
  const MIN = -(1n << 63n);
  const st = { pc: RAM_BASE, halted: 0 };
  const fns = new Array(RAM_SIZE >> 2).fill(null);
  const HALT = -1; // returned instead of a pc to stop

  const fault = () => { st.halted = 2; return HALT; };
  const nop = (pc) => pc + 4;
  const addr = (s1, imm) => { // RAM offset of rs1 + imm, or -1 if not in RAM
    const o = (r[s1] >>> 0) + imm - RAM_BASE;
    return r[s1 + 1] === 0 && o >= 0 && o <= RAM_SIZE - 8 ? o : -1;
  };
  const inval = (o, size) => { fns[o >>> 2] = null; fns[(o + size - 1) >>> 2] = null; };
  const set32 = (d, v) => { r[d] = v; r[d + 1] = v >> 31; };
  function sub64(d, xlo, xhi) {
    const lo = r[d], hi = r[d + 1];
    r[d] = (lo - xlo) | 0;
    r[d + 1] = (hi - xhi - ((lo >>> 0) < (xlo >>> 0) ? 1 : 0)) | 0;
  }

  function compile(inst) {
    const rd = (inst >> 7) & 31, f3 = (inst >> 12) & 7, f7 = inst >>> 25, alt = (inst & 0x40000000) !== 0;
    const d = rd << 1, s1 = ((inst >> 15) & 31) << 1, s2 = ((inst >> 20) & 31) << 1, immI = inst >> 20;
    const opc = inst & 0x7f;
    if (rd === 0 && [0x03, 0x13, 0x17, 0x1b, 0x33, 0x37, 0x3b].includes(opc)) return nop;
    switch (opc) {
      case 0x03: {
        const imm = immI;
        switch (f3) {
          case 3: return (pc) => {
            const o = addr(s1, imm); if (o < 0) return fault();
            if ((o & 7) === 0) { r[d] = ram32[o >>> 2]; r[d + 1] = ram32[(o >>> 2) + 1]; }
            else { r[d] = dv.getInt32(o, true); r[d + 1] = dv.getInt32(o + 4, true); }
            return pc + 4;
          };
          case 2: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); set32(d, dv.getInt32(o, true)); return pc + 4; };
          case 6: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); r[d] = dv.getInt32(o, true); r[d + 1] = 0; return pc + 4; };
          case 0: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); set32(d, dv.getInt8(o)); return pc + 4; };
          case 1: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); set32(d, dv.getInt16(o, true)); return pc + 4; };
          case 4: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); r[d] = ram8[o]; r[d + 1] = 0; return pc + 4; };
          case 5: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); r[d] = dv.getUint16(o, true); r[d + 1] = 0; return pc + 4; };
        }
        return fault;
      }
      case 0x23: {
        const imm = ((inst >> 25) << 5) | ((inst >> 7) & 31);
        switch (f3) {
          case 3: return (pc) => {
            const o = addr(s1, imm); if (o < 0) return fault();
            if ((o & 7) === 0) { ram32[o >>> 2] = r[s2]; ram32[(o >>> 2) + 1] = r[s2 + 1]; }
            else { dv.setInt32(o, r[s2], true); dv.setInt32(o + 4, r[s2 + 1], true); }
            inval(o, 8);
            return pc + 4;
          };
          case 2: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); dv.setInt32(o, r[s2], true); inval(o, 4); return pc + 4; };
          case 1: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); dv.setInt16(o, r[s2], true); inval(o, 2); return pc + 4; };
          case 0: return (pc) => { const o = addr(s1, imm); if (o < 0) return fault(); ram8[o] = r[s2]; inval(o, 1); return pc + 4; };
        }
        return fault;
      }
      case 0x13: {
        const imm = immI, ihi = imm >> 31, sh = imm & 63;
        switch (f3) {
          case 0:
            if (imm === 0) return (pc) => { r[d] = r[s1]; r[d + 1] = r[s1 + 1]; return pc + 4; };
            return (pc) => { const alo = r[s1], lo = (alo + imm) | 0; r[d + 1] = (r[s1 + 1] + ihi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0; r[d] = lo; return pc + 4; };
          case 1:
            if (sh === 0) return (pc) => { r[d] = r[s1]; r[d + 1] = r[s1 + 1]; return pc + 4; };
            if (sh < 32) return (pc) => { const alo = r[s1]; r[d + 1] = (r[s1 + 1] << sh) | (alo >>> (32 - sh)); r[d] = alo << sh; return pc + 4; };
            return (pc) => { r[d + 1] = r[s1] << (sh - 32); r[d] = 0; return pc + 4; };
          case 2: return (pc) => { const ahi = r[s1 + 1]; r[d] = ahi < ihi || (ahi === ihi && (r[s1] >>> 0) < (imm >>> 0)) ? 1 : 0; r[d + 1] = 0; return pc + 4; };
          case 3: return (pc) => { const ahi = r[s1 + 1]; r[d] = (ahi >>> 0) < (ihi >>> 0) || (ahi === ihi && (r[s1] >>> 0) < (imm >>> 0)) ? 1 : 0; r[d + 1] = 0; return pc + 4; };
          case 4: return (pc) => { r[d] = r[s1] ^ imm; r[d + 1] = r[s1 + 1] ^ ihi; return pc + 4; };
          case 6: return (pc) => { r[d] = r[s1] | imm; r[d + 1] = r[s1 + 1] | ihi; return pc + 4; };
          case 7: return (pc) => { r[d] = r[s1] & imm; r[d + 1] = r[s1 + 1] & ihi; return pc + 4; };
          case 5:
            if (sh === 0) return (pc) => { r[d] = r[s1]; r[d + 1] = r[s1 + 1]; return pc + 4; };
            if (sh < 32) return alt
              ? (pc) => { const ahi = r[s1 + 1]; r[d] = (r[s1] >>> sh) | (ahi << (32 - sh)); r[d + 1] = ahi >> sh; return pc + 4; }
              : (pc) => { const ahi = r[s1 + 1]; r[d] = (r[s1] >>> sh) | (ahi << (32 - sh)); r[d + 1] = ahi >>> sh; return pc + 4; };
            return alt
              ? (pc) => { const ahi = r[s1 + 1]; r[d] = ahi >> (sh - 32); r[d + 1] = ahi >> 31; return pc + 4; }
              : (pc) => { r[d] = r[s1 + 1] >>> (sh - 32); r[d + 1] = 0; return pc + 4; };
        }
        return fault;
      }
      case 0x17: { const imm = inst & ~0xfff; return (pc) => { const v = pc + imm; r[d] = v | 0; r[d + 1] = Math.floor(v / 4294967296) | 0; return pc + 4; }; }
      case 0x37: { const lo = inst & ~0xfff; return (pc) => { r[d] = lo; r[d + 1] = lo >> 31; return pc + 4; }; }
      case 0x1b: {
        const imm = immI, sh = immI & 31;
        if (f3 === 0) return (pc) => { set32(d, (r[s1] + imm) | 0); return pc + 4; };
        if (f3 === 1) return (pc) => { set32(d, r[s1] << sh); return pc + 4; };
        if (f3 === 5) return alt ? (pc) => { set32(d, r[s1] >> sh); return pc + 4; } : (pc) => { set32(d, (r[s1] >>> sh) | 0); return pc + 4; };
        return fault;
      }
      case 0x33:
        if (f7 === 1) {
          switch (f3) {
            case 0: return (pc) => {
              const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1];
              r[d + 1] = (mulhu32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0; r[d] = Math.imul(alo, blo);
              return pc + 4;
            };
            case 1: case 2: case 3: return (pc) => {
              const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1];
              mulhu64(r, d, alo, ahi, blo, bhi);
              if (f3 !== 3 && ahi < 0) sub64(d, blo, bhi);
              if (f3 === 1 && bhi < 0) sub64(d, alo, ahi);
              return pc + 4;
            };
            case 4: case 6: return (pc) => {
              const alo = r[s1], ahi = r[s1 + 1], blo = r[s2], bhi = r[s2 + 1];
              if (ahi === alo >> 31 && bhi === blo >> 31) {
                if (blo === 0) { r[d] = f3 === 4 ? -1 : alo; r[d + 1] = f3 === 4 ? -1 : ahi; return pc + 4; }
                const q = f3 === 4 ? Math.trunc(alo / blo) : alo % blo;
                r[d] = q | 0; r[d + 1] = q < 0 ? -1 : 0;
                return pc + 4;
              }
              const a = r64[s1 >> 1], b = r64[s2 >> 1];
              if (f3 === 4) r64[d >> 1] = b === 0n ? -1n : a === MIN && b === -1n ? MIN : a / b;
              else r64[d >> 1] = b === 0n ? a : a === MIN && b === -1n ? 0n : a % b;
              return pc + 4;
            };
            case 5: case 7: return (pc) => {
              const alo = r[s1], blo = r[s2];
              if (r[s1 + 1] === 0 && r[s2 + 1] === 0) {
                if (blo === 0) { r[d] = f3 === 5 ? -1 : alo; r[d + 1] = f3 === 5 ? -1 : 0; return pc + 4; }
                r[d] = f3 === 5 ? ((alo >>> 0) / (blo >>> 0)) | 0 : ((alo >>> 0) % (blo >>> 0)) | 0; r[d + 1] = 0;
                return pc + 4;
              }
              const a = ru64[s1 >> 1], b = ru64[s2 >> 1];
              if (f3 === 5) ru64[d >> 1] = b === 0n ? 0xffffffffffffffffn : a / b;
              else ru64[d >> 1] = b === 0n ? a : a % b;
              return pc + 4;
            };
          }
          return fault;
        }
        switch (f3) {
          case 0: return alt
            ? (pc) => { const alo = r[s1], blo = r[s2]; r[d + 1] = (r[s1 + 1] - r[s2 + 1] - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0; r[d] = (alo - blo) | 0; return pc + 4; }
            : (pc) => { const alo = r[s1], lo = (alo + r[s2]) | 0; r[d + 1] = (r[s1 + 1] + r[s2 + 1] + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0; r[d] = lo; return pc + 4; };
          case 1: case 5: return (pc) => {
            const sh = r[s2] & 63, alo = r[s1], ahi = r[s1 + 1];
            if (sh === 0) { r[d] = alo; r[d + 1] = ahi; }
            else if (f3 === 1) {
              if (sh < 32) { r[d + 1] = (ahi << sh) | (alo >>> (32 - sh)); r[d] = alo << sh; } else { r[d + 1] = alo << (sh - 32); r[d] = 0; }
            } else if (sh < 32) { r[d] = (alo >>> sh) | (ahi << (32 - sh)); r[d + 1] = alt ? ahi >> sh : ahi >>> sh; }
            else if (alt) { r[d] = ahi >> (sh - 32); r[d + 1] = ahi >> 31; }
            else { r[d] = ahi >>> (sh - 32); r[d + 1] = 0; }
            return pc + 4;
          };
          case 2: return (pc) => { const ahi = r[s1 + 1], bhi = r[s2 + 1]; r[d] = ahi < bhi || (ahi === bhi && (r[s1] >>> 0) < (r[s2] >>> 0)) ? 1 : 0; r[d + 1] = 0; return pc + 4; };
          case 3: return (pc) => { const ahi = r[s1 + 1], bhi = r[s2 + 1]; r[d] = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (r[s1] >>> 0) < (r[s2] >>> 0)) ? 1 : 0; r[d + 1] = 0; return pc + 4; };
          case 4: return (pc) => { r[d] = r[s1] ^ r[s2]; r[d + 1] = r[s1 + 1] ^ r[s2 + 1]; return pc + 4; };
          case 6: return (pc) => { r[d] = r[s1] | r[s2]; r[d + 1] = r[s1 + 1] | r[s2 + 1]; return pc + 4; };
          case 7: return (pc) => { r[d] = r[s1] & r[s2]; r[d + 1] = r[s1 + 1] & r[s2 + 1]; return pc + 4; };
        }
        return fault;
      case 0x3b:
        if (f7 === 1) {
          switch (f3) {
            case 0: return (pc) => { set32(d, Math.imul(r[s1], r[s2])); return pc + 4; };
            case 4: return (pc) => { const a = r[s1], b = r[s2]; set32(d, b === 0 ? -1 : (a / b) | 0); return pc + 4; };
            case 5: return (pc) => { const a = r[s1], b = r[s2]; set32(d, b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0); return pc + 4; };
            case 6: return (pc) => { const a = r[s1], b = r[s2]; set32(d, b === 0 ? a : (a % b) | 0); return pc + 4; };
            case 7: return (pc) => { const a = r[s1], b = r[s2]; set32(d, b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0); return pc + 4; };
          }
          return fault;
        }
        switch (f3) {
          case 0: return alt ? (pc) => { set32(d, (r[s1] - r[s2]) | 0); return pc + 4; } : (pc) => { set32(d, (r[s1] + r[s2]) | 0); return pc + 4; };
          case 1: return (pc) => { set32(d, r[s1] << (r[s2] & 31)); return pc + 4; };
          case 5: return alt ? (pc) => { set32(d, r[s1] >> (r[s2] & 31)); return pc + 4; } : (pc) => { set32(d, (r[s1] >>> (r[s2] & 31)) | 0); return pc + 4; };
        }
        return fault;
      case 0x63: {
        const imm = ((inst >> 31) << 12) | (((inst >> 7) & 1) << 11) | (((inst >> 25) & 63) << 5) | (((inst >> 8) & 15) << 1);
        const lt = (a, b) => r[a + 1] < r[b + 1] || (r[a + 1] === r[b + 1] && (r[a] >>> 0) < (r[b] >>> 0));
        const ltu = (a, b) => (r[a + 1] >>> 0) < (r[b + 1] >>> 0) || (r[a + 1] === r[b + 1] && (r[a] >>> 0) < (r[b] >>> 0));
        switch (f3) {
          case 0: return (pc) => (r[s1] === r[s2] && r[s1 + 1] === r[s2 + 1] ? pc + imm : pc + 4);
          case 1: return (pc) => (r[s1] !== r[s2] || r[s1 + 1] !== r[s2 + 1] ? pc + imm : pc + 4);
          case 4: return (pc) => (lt(s1, s2) ? pc + imm : pc + 4);
          case 5: return (pc) => (lt(s1, s2) ? pc + 4 : pc + imm);
          case 6: return (pc) => (ltu(s1, s2) ? pc + imm : pc + 4);
          case 7: return (pc) => (ltu(s1, s2) ? pc + 4 : pc + imm);
        }
        return fault;
      }
      case 0x6f: {
        const imm = ((inst >> 31) << 20) | (((inst >> 12) & 255) << 12) | (((inst >> 20) & 1) << 11) | (((inst >> 21) & 1023) << 1);
        return (pc) => { const n = pc + 4; r[d] = n | 0; r[d + 1] = Math.floor(n / 4294967296) | 0; r[0] = 0; r[1] = 0; return pc + imm; };
      }
      case 0x67: {
        const imm = immI;
        return (pc) => {
          const t = (r[s1] >>> 0) + r[s1 + 1] * 4294967296 + imm, n = pc + 4;
          r[d] = n | 0; r[d + 1] = Math.floor(n / 4294967296) | 0; r[0] = 0; r[1] = 0;
          return t - (t & 1);
        };
      }
      case 0x73: return inst === 0x73 ? () => { st.halted = 1; return HALT; } : fault;
    }
    return fault;
  }

  function run(n) {
    let pc = st.pc, i = 0;
    for (; i < n; i++) {
      const off = pc - RAM_BASE;
      if (off < 0 || off >= RAM_SIZE) { st.halted = 2; break; }
      let f = fns[off >>> 2];
      if (f === null) f = fns[off >>> 2] = compile(ram32[off >>> 2]);
      const npc = f(pc);
      if (npc === HALT) { i++; break; }
      pc = npc;
    }
    st.pc = pc;
    return i;
  }

  return {
    name: 'd2-closures',
    reset(image) { ram8.set(image); r.fill(0); fns.fill(null); st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => r64[i],
    setReg: (i, v) => { r64[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
