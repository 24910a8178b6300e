// Candidate (a): registers in a BigInt64Array, all arithmetic in BigInt.
//
// Storing into a BigInt64Array wraps to 64 bits (ToBigInt64), so `r[rd] = a + b` already has RV64
// semantics; a BigUint64Array over the same buffer gives the unsigned view for sltu/srl/mulhu/divu.
// (Option `asIntN: true` wraps explicitly with BigInt.asIntN(64, ...) as well, to show what that costs.)
// The pc stays a JS number (it is < 2^53 here; see docs/design/integers.md for the general case).
import { RAM_BASE, RAM_SIZE } from './rv.mjs';

export function createMachine({ asIntN = false } = {}) {
  const buf = new ArrayBuffer(RAM_SIZE);
  const ram8 = new Uint8Array(buf), ram32 = new Int32Array(buf), ram64 = new BigInt64Array(buf);
  const dv = new DataView(buf);
  const r = new BigInt64Array(32), ru = new BigUint64Array(r.buffer);
  const MIN = -(1n << 63n);
  const st = { pc: RAM_BASE, halted: 0 };
  const W = asIntN ? (x) => BigInt.asIntN(64, x) : (x) => x;

  function run(n) {
    let pc = st.pc, i = 0;
    for (; i < n; i++) {
      const off = pc - RAM_BASE;
      if (off < 0 || off >= RAM_SIZE) { st.halted = 2; break; }
      const inst = ram32[off >>> 2];
      const rd = (inst >> 7) & 31, rs1 = (inst >> 15) & 31, rs2 = (inst >> 20) & 31, f3 = (inst >> 12) & 7;
      let npc = pc + 4;
      switch (inst & 0x7f) {
        case 0x03: { // LOAD
          const o = Number(r[rs1]) + (inst >> 20) - RAM_BASE;
          if (!(o >= 0 && o <= RAM_SIZE - 8)) { st.halted = 2; break; }
          switch (f3) {
            case 0: r[rd] = BigInt(dv.getInt8(o)); break;
            case 1: r[rd] = BigInt(dv.getInt16(o, true)); break;
            case 2: r[rd] = BigInt((o & 3) === 0 ? ram32[o >>> 2] : dv.getInt32(o, true)); break;
            case 3: r[rd] = (o & 7) === 0 ? ram64[o >>> 3] : dv.getBigInt64(o, true); break;
            case 4: r[rd] = BigInt(ram8[o]); break;
            case 5: r[rd] = BigInt(dv.getUint16(o, true)); break;
            case 6: r[rd] = BigInt(dv.getUint32(o, true)); break;
            default: st.halted = 2;
          }
          break;
        }
        case 0x13: { // OP-IMM
          const imm = inst >> 20, a = r[rs1];
          switch (f3) {
            case 0: r[rd] = W(a + BigInt(imm)); break;
            case 1: r[rd] = W(a << BigInt(imm & 63)); break;
            case 2: r[rd] = a < BigInt(imm) ? 1n : 0n; break;
            case 3: r[rd] = ru[rs1] < BigInt.asUintN(64, BigInt(imm)) ? 1n : 0n; break;
            case 4: r[rd] = a ^ BigInt(imm); break;
            case 5: r[rd] = imm & 0x400 ? a >> BigInt(imm & 63) : W(ru[rs1] >> BigInt(imm & 63)); break;
            case 6: r[rd] = a | BigInt(imm); break;
            case 7: r[rd] = a & BigInt(imm); break;
          }
          break;
        }
        case 0x17: r[rd] = BigInt(pc + (inst & ~0xfff)); break; // AUIPC
        case 0x1b: { // OP-IMM-32
          const imm = inst >> 20, a = Number(BigInt.asIntN(32, r[rs1]));
          switch (f3) {
            case 0: r[rd] = BigInt((a + imm) | 0); break;
            case 1: r[rd] = BigInt(a << (imm & 31)); break;
            case 5: r[rd] = BigInt(imm & 0x400 ? a >> (imm & 31) : (a >>> (imm & 31)) | 0); break;
            default: st.halted = 2;
          }
          break;
        }
        case 0x23: { // STORE
          const o = Number(r[rs1]) + (((inst >> 25) << 5) | ((inst >> 7) & 31)) - RAM_BASE;
          if (!(o >= 0 && o <= RAM_SIZE - 8)) { st.halted = 2; break; }
          const v = r[rs2];
          switch (f3) {
            case 0: ram8[o] = Number(v & 0xffn); break;
            case 1: dv.setInt16(o, Number(BigInt.asIntN(16, v)), true); break;
            case 2: dv.setInt32(o, Number(BigInt.asIntN(32, v)), true); break;
            case 3: if ((o & 7) === 0) ram64[o >>> 3] = v; else dv.setBigInt64(o, v, true); break;
            default: st.halted = 2;
          }
          break;
        }
        case 0x33: { // OP
          const a = r[rs1], b = r[rs2];
          if ((inst >>> 25) === 1) {
            switch (f3) {
              case 0: r[rd] = W(a * b); break;
              case 1: r[rd] = W((a * b) >> 64n); break;
              case 2: r[rd] = W((a * ru[rs2]) >> 64n); break;
              case 3: r[rd] = W((ru[rs1] * ru[rs2]) >> 64n); break;
              case 4: r[rd] = b === 0n ? -1n : a === MIN && b === -1n ? MIN : a / b; break;
              case 5: r[rd] = b === 0n ? -1n : W(ru[rs1] / ru[rs2]); break;
              case 6: r[rd] = b === 0n ? a : a === MIN && b === -1n ? 0n : a % b; break;
              case 7: r[rd] = b === 0n ? a : W(ru[rs1] % ru[rs2]); break;
            }
          } else {
            const alt = inst & 0x40000000;
            switch (f3) {
              case 0: r[rd] = W(alt ? a - b : a + b); break;
              case 1: r[rd] = W(a << (b & 63n)); break;
              case 2: r[rd] = a < b ? 1n : 0n; break;
              case 3: r[rd] = ru[rs1] < ru[rs2] ? 1n : 0n; break;
              case 4: r[rd] = a ^ b; break;
              case 5: r[rd] = alt ? a >> (b & 63n) : W(ru[rs1] >> (b & 63n)); break;
              case 6: r[rd] = a | b; break;
              case 7: r[rd] = a & b; break;
            }
          }
          break;
        }
        case 0x37: r[rd] = BigInt(inst & ~0xfff); break; // LUI
        case 0x3b: { // OP-32
          const a = Number(BigInt.asIntN(32, r[rs1])), b = Number(BigInt.asIntN(32, r[rs2]));
          if ((inst >>> 25) === 1) {
            switch (f3) {
              case 0: r[rd] = BigInt(Math.imul(a, b)); break;
              case 4: r[rd] = BigInt(b === 0 ? -1 : (a === -0x80000000 && b === -1) ? a : (a / b) | 0); break;
              case 5: r[rd] = BigInt(b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0); break;
              case 6: r[rd] = BigInt(b === 0 ? a : (a === -0x80000000 && b === -1) ? 0 : (a % b) | 0); break;
              case 7: r[rd] = BigInt(b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0); break;
              default: st.halted = 2;
            }
          } else {
            switch (f3) {
              case 0: r[rd] = BigInt(inst & 0x40000000 ? (a - b) | 0 : (a + b) | 0); break;
              case 1: r[rd] = BigInt(a << (b & 31)); break;
              case 5: r[rd] = BigInt(inst & 0x40000000 ? a >> (b & 31) : (a >>> (b & 31)) | 0); break;
              default: st.halted = 2;
            }
          }
          break;
        }
        case 0x63: { // BRANCH
          let t;
          switch (f3) {
            case 0: t = r[rs1] === r[rs2]; break;
            case 1: t = r[rs1] !== r[rs2]; break;
            case 4: t = r[rs1] < r[rs2]; break;
            case 5: t = r[rs1] >= r[rs2]; break;
            case 6: t = ru[rs1] < ru[rs2]; break;
            case 7: t = ru[rs1] >= ru[rs2]; break;
            default: st.halted = 2;
          }
          if (t) npc = pc + (((inst >> 31) << 12) | (((inst >> 7) & 1) << 11) | (((inst >> 25) & 63) << 5) | (((inst >> 8) & 15) << 1));
          break;
        }
        case 0x67: { // JALR
          const t = Number(BigInt.asUintN(64, r[rs1] + BigInt(inst >> 20)));
          r[rd] = BigInt(npc); npc = t - (t % 2); break;
        }
        case 0x6f: // JAL
          r[rd] = BigInt(npc);
          npc = pc + (((inst >> 31) << 20) | (((inst >> 12) & 255) << 12) | (((inst >> 20) & 1) << 11) | (((inst >> 21) & 1023) << 1));
          break;
        case 0x73: st.halted = 1; break; // ecall: stop
        default: st.halted = 2;
      }
      r[0] = 0n;
      if (st.halted !== 0) { i++; break; }
      pc = npc;
    }
    st.pc = pc;
    return i;
  }

  return {
    name: asIntN ? 'a-bigint-asIntN' : 'a-bigint',
    reset(image) { ram8.set(image); r.fill(0n); st.pc = RAM_BASE; st.halted = 0; },
    run,
    get halted() { return st.halted; },
    get pc() { return st.pc; },
    reg: (i) => r[i],
    setReg: (i, v) => { r[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
