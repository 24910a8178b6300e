/**
 * The interpreter: fetch, decode and execute RV64GC instructions on a hart until a budget runs out or an
 * instruction needs the run loop (a CSR write, xRET, WFI, a fence of the address space, a trap).
 *
 * Registers are (lo, hi) pairs in an Int32Array; addresses are numbers. Loads, stores and fetches to RAM hit the
 * software TLB inline; everything else goes to the MMU's slow paths, which raise traps by throwing TRAP.
 */
import { executeFp, FP_OK } from './fpu/index.js';
import { compressedTable } from './compressed.js';
import { decodeInto } from './decode-cache.js';
import { CAUSE, CSR, MIP_SEIP, MSTATUS_FS, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, PRIV_M, PRIV_S, PRIV_U } from './constants.js';
import { csrRead, csrReadOnly, csrWrite } from './csr.js';
import { TRAP, type Hart } from './hart.js';
import { divrem32, divrem64, divremu64, mul64, mulh64 } from './muldiv.js';
import { fetchParcel, loadSlow, loadSlowAt, storeSlow, storeSlowAt, translate } from './mmu.js';
import { ACCESS_LOAD, ACCESS_STORE, TLB_MASK } from './tlb.js';
import { mret, sret, takeTrap } from './trap.js';
import { amoAtomic, fullBarrier, lrAtomic, scAtomic } from './amo-atomic.js';
import { watched, type BranchWatch } from './branch-watch.js';

const TWO32 = 4294967296;
const FS_DIRTY = MSTATUS_FS;

/**
 * Runs up to `budget` instructions. Returns the number retired (a trapping instruction does not retire). With a
 * `watch` (the translator's), also stops after a taken jump or branch whose target the watch picks out.
 */
export function runBlock(h: Hart, budget: number, watch?: BranchWatch): number {
  const x = h.x;
  const f = h.fp.f;
  const tmp = h.tmp;
  const ram = h.bus.ram;
  const u8 = ram.u8;
  const u16 = ram.u16;
  const i32 = ram.i32;
  const cexp = compressedTable();
  const tlb = h.tlb;
  const fTags = tlb.fetchTags;
  const fOffs = tlb.fetchOffs;
  const lTags = tlb.loadTags;
  const lOffs = tlb.loadOffs;
  const sTags = tlb.storeTags;
  const sOffs = tlb.storeOffs;
  const decode = h.decode;
  let pc = h.pc;
  let n = 0;
  // The page instructions are being fetched from: its virtual base, its RAM offset in 16-bit units, and its
  // decoded instructions. Forgotten after anything that may write RAM or change translation.
  let fetchPage = NaN;
  let fetchBase = 0;
  let dec: Int32Array = NO_PAGE;
  // Instructions of this call already added to h.instret (before a SYSTEM instruction).
  let counted = 0;
  try {
    for (; n < budget; n++) {
      // ---- fetch ----
      let insn: number;
      let ilen: number;
      let v = 0;
      const d = pc - fetchPage;
      if (d >= 0 && d < 4094) {
        const k = d >>> 1;
        v = dec[k]!;
        if (v === 0) v = decodeInto(dec, k, u16, fetchBase + k);
      } else {
        const plo = pc | 0;
        const poff = plo & 0xfff;
        const pidx = (plo >>> 12) & TLB_MASK;
        if (fTags[pidx] === pc - poff && poff !== 0xffe) {
          fetchPage = pc - poff;
          fetchBase = fOffs[pidx]! >>> 1;
          dec = decode.page(fOffs[pidx]! >>> 12);
          const k = poff >>> 1;
          v = dec[k]!;
          if (v === 0) v = decodeInto(dec, k, u16, fetchBase + k);
        }
      }
      if (v !== 0) {
        if ((v & 1) !== 0) {
          insn = v;
          ilen = 4;
        } else {
          insn = v | 3;
          ilen = 2;
        }
      } else {
        // A TLB miss, an instruction crossing a page, code outside RAM, or an illegal compressed parcel: fetch
        // through the MMU (which also refills the TLB).
        h.addr[0] = pc;
        insn = fetchSlow(h, 0);
        if ((insn & 3) === 3) {
          insn |= fetchSlow(h, 2) << 16;
          ilen = 4;
        } else {
          // An illegal parcel expands to 0; make it an opcode the switch sends to `illegal`.
          insn = cexp[insn]! || ILLEGAL_OPCODE;
          ilen = 2;
        }
      }
      let npc = pc + ilen;
      const rd = ((insn >>> 7) & 31) << 1;
      const rs1 = ((insn >>> 15) & 31) << 1;
      const rs2 = ((insn >>> 20) & 31) << 1;
      const f3 = (insn >>> 12) & 7;

      // ---- execute ----
      // Dense case labels (opcode >> 2) let V8 dispatch through a jump table. Every instruction here ends in
      // 0b11 (compressed ones are expanded), so bits 6:2 alone select the case.
      switch ((insn >>> 2) & 31) {
        case 0x00: {
          // LOAD
          const va = x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0) + (insn >> 20);
          const vlo = va | 0;
          const off = vlo & 0xfff;
          const idx = (vlo >>> 12) & TLB_MASK;
          const hit = lTags[idx] === va - off;
          const base = lOffs[idx]! + off;
          switch (f3) {
            case 0: {
              let v: number;
              if (hit) v = u8[base]!;
              else {
                h.addr[0] = va;
                loadSlowAt(h, 1);
                fetchPage = NaN;
                v = tmp[0]!;
              }
              v = (v << 24) >> 24;
              x[rd] = v;
              x[rd + 1] = v >> 31;
              break;
            }
            case 1:
            case 5: {
              let v: number;
              if (hit && (off & 1) === 0) v = u16[base >>> 1]!;
              else {
                h.addr[0] = va;
                loadSlowAt(h, 2);
                fetchPage = NaN;
                v = tmp[0]!;
              }
              if (f3 === 1) {
                v = (v << 16) >> 16;
                x[rd + 1] = v >> 31;
              } else x[rd + 1] = 0;
              x[rd] = v;
              break;
            }
            case 2:
            case 6: {
              let v: number;
              if (hit && (off & 3) === 0) v = i32[base >>> 2]!;
              else {
                h.addr[0] = va;
                loadSlowAt(h, 4);
                fetchPage = NaN;
                v = tmp[0]!;
              }
              x[rd] = v;
              x[rd + 1] = f3 === 2 ? v >> 31 : 0;
              break;
            }
            case 3: {
              if (hit && (off & 7) === 0) {
                const p = base >>> 2;
                x[rd] = i32[p]!;
                x[rd + 1] = i32[p + 1]!;
              } else {
                h.addr[0] = va;
                loadSlowAt(h, 8);
                fetchPage = NaN;
                x[rd] = tmp[0]!;
                x[rd + 1] = tmp[1]!;
              }
              break;
            }
            case 4: {
              let v: number;
              if (hit) v = u8[base]!;
              else {
                h.addr[0] = va;
                loadSlowAt(h, 1);
                fetchPage = NaN;
                v = tmp[0]!;
              }
              x[rd] = v;
              x[rd + 1] = 0;
              break;
            }
            default:
              illegal(h);
          }
          break;
        }
        case 0x08: {
          // STORE
          const imm = ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
          const va = x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0) + imm;
          const vlo = va | 0;
          const off = vlo & 0xfff;
          const idx = (vlo >>> 12) & TLB_MASK;
          const hit = sTags[idx] === va - off;
          const base = sOffs[idx]! + off;
          const lo = x[rs2]!;
          switch (f3) {
            case 0:
              if (hit) u8[base] = lo;
              else {
                h.addr[0] = va;
                tmp[0] = lo;
                storeSlowAt(h, 1);
                fetchPage = NaN;
              }
              break;
            case 1:
              if (hit && (off & 1) === 0) u16[base >>> 1] = lo;
              else {
                h.addr[0] = va;
                tmp[0] = lo;
                storeSlowAt(h, 2);
                fetchPage = NaN;
              }
              break;
            case 2:
              if (hit && (off & 3) === 0) i32[base >>> 2] = lo;
              else {
                h.addr[0] = va;
                tmp[0] = lo;
                storeSlowAt(h, 4);
                fetchPage = NaN;
              }
              break;
            case 3:
              if (hit && (off & 7) === 0) {
                const p = base >>> 2;
                i32[p] = lo;
                i32[p + 1] = x[rs2 + 1]!;
              } else {
                h.addr[0] = va;
                tmp[0] = lo;
                tmp[1] = x[rs2 + 1]!;
                storeSlowAt(h, 8);
                fetchPage = NaN;
              }
              break;
            default:
              illegal(h);
          }
          break;
        }
        case 0x04: {
          // OP-IMM
          const imm = insn >> 20;
          const alo = x[rs1]!;
          const ahi = x[rs1 + 1]!;
          switch (f3) {
            case 0: {
              const lo = (alo + imm) | 0;
              x[rd + 1] = (ahi + (imm >> 31) + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
              x[rd] = lo;
              break;
            }
            case 1: {
              if (insn >>> 26 !== 0) illegal(h);
              sll(x, rd, rs1, imm & 63);
              break;
            }
            case 2: {
              const ihi = imm >> 31;
              x[rd] = ahi < ihi || (ahi === ihi && alo >>> 0 < imm >>> 0) ? 1 : 0;
              x[rd + 1] = 0;
              break;
            }
            case 3: {
              const ihi = imm >> 31;
              x[rd] = ahi >>> 0 < ihi >>> 0 || (ahi === ihi && alo >>> 0 < imm >>> 0) ? 1 : 0;
              x[rd + 1] = 0;
              break;
            }
            case 4:
              x[rd] = alo ^ imm;
              x[rd + 1] = ahi ^ (imm >> 31);
              break;
            case 5: {
              const top = insn >>> 26;
              const sh = imm & 63;
              if (top === 0) srl(x, rd, rs1, sh);
              else if (top === 0x10) sra(x, rd, rs1, sh);
              else illegal(h);
              break;
            }
            case 6:
              x[rd] = alo | imm;
              x[rd + 1] = ahi | (imm >> 31);
              break;
            default:
              x[rd] = alo & imm;
              x[rd + 1] = ahi & (imm >> 31);
          }
          break;
        }
        case 0x0c: {
          // OP
          const alo = x[rs1]!;
          const ahi = x[rs1 + 1]!;
          const blo = x[rs2]!;
          const bhi = x[rs2 + 1]!;
          const f7 = insn >>> 25;
          if (f7 === 0) {
            switch (f3) {
              case 0: {
                const lo = (alo + blo) | 0;
                x[rd + 1] = (ahi + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
                x[rd] = lo;
                break;
              }
              case 1:
                sll(x, rd, rs1, blo & 63);
                break;
              case 2:
                x[rd] = ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0) ? 1 : 0;
                x[rd + 1] = 0;
                break;
              case 3:
                x[rd] = ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0) ? 1 : 0;
                x[rd + 1] = 0;
                break;
              case 4:
                x[rd] = alo ^ blo;
                x[rd + 1] = ahi ^ bhi;
                break;
              case 5:
                srl(x, rd, rs1, blo & 63);
                break;
              case 6:
                x[rd] = alo | blo;
                x[rd + 1] = ahi | bhi;
                break;
              default:
                x[rd] = alo & blo;
                x[rd + 1] = ahi & bhi;
            }
          } else if (f7 === 0x20) {
            if (f3 === 0) {
              const lo = (alo - blo) | 0;
              x[rd + 1] = (ahi - bhi - (alo >>> 0 < blo >>> 0 ? 1 : 0)) | 0;
              x[rd] = lo;
            } else if (f3 === 5) sra(x, rd, rs1, blo & 63);
            else illegal(h);
          } else if (f7 === 1) {
            mulDiv(x, rd, rs1, rs2, f3, tmp);
          } else illegal(h);
          break;
        }
        case 0x06: {
          // OP-IMM-32
          const alo = x[rs1]!;
          let v: number;
          if (f3 === 0) v = (alo + (insn >> 20)) | 0;
          else if (f3 === 1 && insn >>> 25 === 0) v = alo << ((insn >>> 20) & 31);
          else if (f3 === 5 && insn >>> 25 === 0) v = alo >>> ((insn >>> 20) & 31);
          else if (f3 === 5 && insn >>> 25 === 0x20) v = alo >> ((insn >>> 20) & 31);
          else illegal(h);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 0x0e: {
          // OP-32
          const a = x[rs1]!;
          const b = x[rs2]!;
          const f7 = insn >>> 25;
          let v: number;
          if (f7 === 0) {
            if (f3 === 0) v = (a + b) | 0;
            else if (f3 === 1) v = a << (b & 31);
            else if (f3 === 5) v = a >>> (b & 31);
            else illegal(h);
          } else if (f7 === 0x20) {
            if (f3 === 0) v = (a - b) | 0;
            else if (f3 === 5) v = a >> (b & 31);
            else illegal(h);
          } else if (f7 === 1) {
            if (f3 === 0) v = Math.imul(a, b);
            else if (f3 >= 4) v = divRem32(x, rs1, rs2, f3);
            else illegal(h);
          } else illegal(h);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case 0x0d:
          // LUI
          x[rd] = insn & 0xfffff000;
          x[rd + 1] = insn >> 31;
          break;
        case 0x05: {
          // AUIPC
          const v = pc + (insn & 0xfffff000);
          x[rd] = v | 0;
          x[rd + 1] = Math.floor(v / TWO32) | 0;
          break;
        }
        case 0x1b: {
          // JAL
          const imm =
            ((insn >> 31) << 20) | (insn & 0xff000) | (((insn >>> 20) & 1) << 11) | (((insn >>> 21) & 0x3ff) << 1);
          x[rd] = npc | 0;
          x[rd + 1] = Math.floor(npc / TWO32) | 0;
          npc = pc + imm;
          // Stopping: this instruction is the loop's last (`n < budget` fails after it).
          if (watch !== undefined && watched(watch, npc)) budget = n + 1;
          break;
        }
        case 0x19: {
          // JALR
          if (f3 !== 0) illegal(h);
          const t = x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0) + (insn >> 20);
          x[rd] = npc | 0;
          x[rd + 1] = Math.floor(npc / TWO32) | 0;
          npc = t - (t & 1 ? 1 : 0);
          if (watch !== undefined && watched(watch, npc)) budget = n + 1;
          break;
        }
        case 0x18: {
          // BRANCH
          const alo = x[rs1]!;
          const ahi = x[rs1 + 1]!;
          const blo = x[rs2]!;
          const bhi = x[rs2 + 1]!;
          let taken: boolean;
          switch (f3) {
            case 0:
              taken = alo === blo && ahi === bhi;
              break;
            case 1:
              taken = alo !== blo || ahi !== bhi;
              break;
            case 4:
              taken = ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0);
              break;
            case 5:
              taken = !(ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0));
              break;
            case 6:
              taken = ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0);
              break;
            case 7:
              taken = !(ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0));
              break;
            default:
              illegal(h);
          }
          if (taken) {
            npc =
              pc +
              (((insn >> 31) << 12) | (((insn >>> 7) & 1) << 11) | (((insn >>> 25) & 0x3f) << 5) |
                (((insn >>> 8) & 0xf) << 1));
            if (watch !== undefined && watched(watch, npc)) budget = n + 1;
          }
          break;
        }
        case 0x03:
          // MISC-MEM: FENCE and FENCE.I. One hart alone needs neither (its own stores drop its decoded code).
          // With harts in parallel, FENCE is a full barrier (the host may let a load pass an earlier store, which
          // FENCE W,R forbids), and FENCE.I is where other harts' stores to code become visible.
          if (f3 > 1) illegal(h);
          if (h.parallel) {
            fullBarrier();
            if (f3 === 1) {
              h.decode.clear();
              fetchPage = NaN;
            } else if (insn === PAUSE) h.onPause();
          }
          break;
        case 0x0b:
          INSN[0] = insn;
          amo(h, rd, rs1, rs2, f3);
          fetchPage = NaN;
          break;
        case 0x01: {
          // LOAD-FP
          if ((h.mstatus & MSTATUS_FS) === 0 || (f3 !== 2 && f3 !== 3)) illegal(h);
          const va = x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0) + (insn >> 20);
          const fd = rd;
          loadSlowOrFast(h, va, f3 === 3 ? 8 : 4, lTags, lOffs, i32);
          fetchPage = NaN;
          f[fd] = tmp[0]!;
          f[fd + 1] = f3 === 3 ? tmp[1]! : -1;
          h.mstatus |= FS_DIRTY;
          break;
        }
        case 0x09: {
          // STORE-FP
          if ((h.mstatus & MSTATUS_FS) === 0 || (f3 !== 2 && f3 !== 3)) illegal(h);
          const imm = ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
          const va = x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0) + imm;
          storeSlowOrFast(h, va, f3 === 3 ? 8 : 4, f[rs2]!, f[rs2 + 1]!, sTags, sOffs, i32);
          fetchPage = NaN;
          break;
        }
        case 0x10:
        case 0x11:
        case 0x12:
        case 0x13:
        case 0x14:
          if ((h.mstatus & MSTATUS_FS) === 0 || fpOp(h, insn) !== FP_OK) illegal(h);
          h.mstatus |= FS_DIRTY;
          break;
        case 0x1c: {
          // SYSTEM: these may change privilege, interrupts or translation, so the block ends after them.
          h.pc = pc;
          INSN[0] = insn;
          h.addr[0] = npc;
          // A CSR access to instret or cycle counts the instructions this block has retired before it.
          h.instret += n;
          counted = n;
          const trapped = system(h, rd, rs1, f3);
          x[0] = 0;
          x[1] = 0;
          if (trapped) return n;
          h.instret += 1;
          return n + 1;
        }
        default:
          illegal(h);
      }
      x[0] = 0;
      x[1] = 0;
      pc = npc;
    }
  } catch (e) {
    if (e !== TRAP) throw e;
    takeThrownTrap(h, pc);
    h.instret += n - counted;
    return n;
  }
  h.pc = pc;
  h.instret += n;
  return n;
}

/**
 * Runs the SYSTEM instruction `insn` at h.pc (fetched already: the translator's WebAssembly interpreter and blocks
 * hand it over) exactly as runBlock runs it, without runBlock's set-up and fetch. Returns the instructions
 * retired: 1, or 0 when it trapped (the trap taken).
 */
export function runSystem(h: Hart, insn: number): number {
  const pc = h.pc;
  const x = h.x;
  try {
    INSN[0] = insn;
    h.addr[0] = pc + 4;
    const trapped = system(h, ((insn >>> 7) & 31) << 1, ((insn >>> 15) & 31) << 1, (insn >>> 12) & 7);
    x[0] = 0;
    x[1] = 0;
    if (trapped) return 0;
    h.instret += 1;
    return 1;
  } catch (e) {
    if (e !== TRAP) throw e;
    takeThrownTrap(h, pc);
    return 0;
  }
}

/** After an instruction at `pc` threw TRAP (Hart.raise recorded it): x0 zero again, and the trap taken. */
function takeThrownTrap(h: Hart, pc: number): void {
  h.x[0] = 0;
  h.x[1] = 0;
  h.addr[0] = pc;
  trapAtAddr(h);
}

const NO_PAGE = new Int32Array(2048);
/** Zihintpause's PAUSE: FENCE with predecessor W and no successor, the hint spin-wait loops issue. */
const PAUSE = 0x0100000f;
/** Opcode 0b1111111 (reserved for long encodings): what an illegal compressed parcel becomes. */
const ILLEGAL_OPCODE = 0x7f;

/**
 * Raises an illegal-instruction trap. mtval wants the instruction's own bits; rather than carrying them here
 * (passing the instruction word to a call would box it on every instruction, see mmu.ts loadSlowAt), tval's high
 * half -1 (never instruction bits) asks the trap path to read them again from memory.
 */
function illegal(h: Hart): never {
  return h.raise(CAUSE.ILLEGAL_INSTRUCTION, 0, -1);
}

/** Fetches the parcel at h.addr[0] + `offset` through the MMU (the address travels unboxed, see loadSlowAt). */
function fetchSlow(h: Hart, offset: number): number {
  return fetchParcel(h, h.addr[0]! + offset);
}

/** Takes the pending synchronous trap for the instruction at h.addr[0], completing an illegal one's mtval. */
function trapAtAddr(h: Hart): void {
  const pc = h.addr[0]!;
  if (h.trapCause === CAUSE.ILLEGAL_INSTRUCTION && h.trapTvalHi === -1) {
    h.trapTvalLo = instructionBits(h, pc);
    h.trapTvalHi = 0;
  }
  takeTrap(h, h.trapCause, false, h.trapTvalLo, h.trapTvalHi, pc);
}

/** The bits of the instruction at `pc` (16 or 32), for mtval. */
function instructionBits(h: Hart, pc: number): number {
  try {
    const lo = fetchParcel(h, pc);
    return (lo & 3) === 3 ? (lo | (fetchParcel(h, pc + 2) << 16)) >>> 0 : lo;
  } catch {
    return 0;
  }
}

/** Shift of register pair `src` by `sh` (0..63) into `rd` (indices, not values: see illegal()). */
function sll(x: Int32Array, rd: number, src: number, sh: number): void {
  const lo = x[src]!;
  const hi = x[src + 1]!;
  if (sh === 0) {
    x[rd] = lo;
    x[rd + 1] = hi;
  } else if (sh < 32) {
    x[rd + 1] = (hi << sh) | (lo >>> (32 - sh));
    x[rd] = lo << sh;
  } else {
    x[rd + 1] = lo << (sh - 32);
    x[rd] = 0;
  }
}

/** Shift of register pair `src` by `sh` (0..63) into `rd` (indices, not values: see illegal()). */
function srl(x: Int32Array, rd: number, src: number, sh: number): void {
  const lo = x[src]!;
  const hi = x[src + 1]!;
  if (sh === 0) {
    x[rd] = lo;
    x[rd + 1] = hi;
  } else if (sh < 32) {
    x[rd] = (lo >>> sh) | (hi << (32 - sh));
    x[rd + 1] = hi >>> sh;
  } else {
    x[rd] = hi >>> (sh - 32);
    x[rd + 1] = 0;
  }
}

/** Shift of register pair `src` by `sh` (0..63) into `rd` (indices, not values: see illegal()). */
function sra(x: Int32Array, rd: number, src: number, sh: number): void {
  const lo = x[src]!;
  const hi = x[src + 1]!;
  if (sh === 0) {
    x[rd] = lo;
    x[rd + 1] = hi;
  } else if (sh < 32) {
    x[rd] = (lo >>> sh) | (hi << (32 - sh));
    x[rd + 1] = hi >> sh;
  } else {
    x[rd] = hi >> (sh - 32);
    x[rd + 1] = hi >> 31;
  }
}

/** The M extension's 64-bit operations (funct3 0..7) on registers `rs1`, `rs2` into `rd` (indices). */
function mulDiv(x: Int32Array, rd: number, rs1: number, rs2: number, f3: number, tmp: Int32Array): void {
  const alo = x[rs1]!;
  const ahi = x[rs1 + 1]!;
  const blo = x[rs2]!;
  const bhi = x[rs2 + 1]!;
  switch (f3) {
    case 0:
      mul64(tmp, alo, ahi, blo, bhi);
      break;
    case 1:
      mulh64(tmp, alo, ahi, blo, bhi, 0);
      break;
    case 2:
      mulh64(tmp, alo, ahi, blo, bhi, 1);
      break;
    case 3:
      mulh64(tmp, alo, ahi, blo, bhi, 2);
      break;
    case 4:
      divrem64(tmp, alo, ahi, blo, bhi, false);
      break;
    case 5:
      divremu64(tmp, alo, ahi, blo, bhi, false);
      break;
    case 6:
      divrem64(tmp, alo, ahi, blo, bhi, true);
      break;
    default:
      divremu64(tmp, alo, ahi, blo, bhi, true);
  }
  x[rd] = tmp[0]!;
  x[rd + 1] = tmp[1]!;
}

/** DIVW, DIVUW, REMW, REMUW (funct3 4..7) on registers `rs1`, `rs2` (indices). */
function divRem32(x: Int32Array, rs1: number, rs2: number, f3: number): number {
  return divrem32(x[rs1]!, x[rs2]!, (f3 & 1) === 1, f3 >= 6);
}

/** FP loads: the TLB when aligned, the slow path otherwise. Result in h.tmp. */
function loadSlowOrFast(h: Hart, va: number, size: number, tags: Float64Array, offs: Int32Array, i32: Int32Array): void {
  const vlo = va | 0;
  const off = vlo & 0xfff;
  const idx = (vlo >>> 12) & TLB_MASK;
  if (tags[idx] === va - off && (off & (size - 1)) === 0) {
    const p = (offs[idx]! + off) >>> 2;
    h.tmp[0] = i32[p]!;
    h.tmp[1] = size === 8 ? i32[p + 1]! : 0;
  } else loadSlow(h, va, size);
}

function storeSlowOrFast(
  h: Hart, va: number, size: number, lo: number, hi: number, tags: Float64Array, offs: Int32Array, i32: Int32Array,
): void {
  const vlo = va | 0;
  const off = vlo & 0xfff;
  const idx = (vlo >>> 12) & TLB_MASK;
  if (tags[idx] === va - off && (off & (size - 1)) === 0) {
    const p = (offs[idx]! + off) >>> 2;
    i32[p] = lo;
    if (size === 8) i32[p + 1] = hi;
  } else storeSlow(h, va, size, lo, hi);
}

/** The RAM offset (in bytes) of an aligned AMO/LR/SC target, after translation and checks. */
function amoTarget(h: Hart, va: number, size: number, kind: number): number {
  if ((va | 0) & (size - 1)) {
    h.raiseAt(kind === ACCESS_LOAD ? CAUSE.LOAD_ADDRESS_MISALIGNED : CAUSE.STORE_ADDRESS_MISALIGNED, va);
  }
  const tags = kind === ACCESS_LOAD ? h.tlb.loadTags : h.tlb.storeTags;
  const offs = kind === ACCESS_LOAD ? h.tlb.loadOffs : h.tlb.storeOffs;
  const off = (va | 0) & 0xfff;
  const idx = ((va | 0) >>> 12) & TLB_MASK;
  if (tags[idx] === va - off) return offs[idx]! + off;
  const pa = translate(h, va, kind);
  if (!h.bus.isRam(pa, size)) {
    h.raiseAt(kind === ACCESS_LOAD ? CAUSE.LOAD_ACCESS_FAULT : CAUSE.STORE_ACCESS_FAULT, va);
  }
  // An int32 (RAM is at most 2 GiB). As the double the subtraction gives before V8 optimizes this code, it made
  // Hart.reservation a double field the first time an LR missed the TLB (in every boot, in OpenSBI), and V8
  // then threw away all its optimized code that used a hart (runBlock, the dispatcher, the page walker, ...).
  const o = (pa - h.bus.ram.base) | 0;
  // An AMO or SC into a code page (never in the store TLB): forget its decoded instructions.
  if (kind === ACCESS_STORE) h.decode.written(o, size);
  return o;
}

/** The A extension: LR, SC and the AMOs, on RAM. The instruction is in INSN[0]. */
function amo(h: Hart, rd: number, rs1: number, rs2: number, f3: number): void {
  const insn = INSN[0]!;
  const x = h.x;
  if (f3 !== 2 && f3 !== 3) illegal(h);
  const size = f3 === 3 ? 8 : 4;
  const op = insn >>> 27;
  const va = x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0);
  const i32 = h.bus.ram.i32;
  if (h.parallel) {
    if (op === 0x02) {
      if (rs2 !== 0) illegal(h);
      lrAtomic(h, rd, amoTarget(h, va, size, ACCESS_LOAD), size);
    } else if (op === 0x03) scAtomic(h, rd, rs2, amoTarget(h, va, size, ACCESS_STORE), size);
    else if (!amoAtomic(h, op, rd, rs2, amoTarget(h, va, size, ACCESS_STORE), size)) illegal(h);
    return;
  }
  if (op === 0x02) {
    // LR
    if (rs2 !== 0) illegal(h);
    const o = amoTarget(h, va, size, ACCESS_LOAD);
    const lo = i32[o >>> 2]!;
    x[rd] = lo;
    x[rd + 1] = size === 8 ? i32[(o >>> 2) + 1]! : lo >> 31;
    h.reservation = o;
    return;
  }
  if (op === 0x03) {
    // SC
    const o = amoTarget(h, va, size, ACCESS_STORE);
    if (h.reservation === o) {
      i32[o >>> 2] = x[rs2]!;
      if (size === 8) i32[(o >>> 2) + 1] = x[rs2 + 1]!;
      x[rd] = 0;
    } else x[rd] = 1;
    x[rd + 1] = 0;
    h.reservation = -1;
    return;
  }
  const o = amoTarget(h, va, size, ACCESS_STORE) >>> 2;
  const alo = i32[o]!;
  const ahi = size === 8 ? i32[o + 1]! : alo >> 31;
  const blo = x[rs2]!;
  const bhi = size === 8 ? x[rs2 + 1]! : blo >> 31;
  let rlo: number;
  let rhi: number;
  switch (op) {
    case 0x01:
      rlo = blo;
      rhi = bhi;
      break;
    case 0x00:
      rlo = (alo + blo) | 0;
      rhi = (ahi + bhi + ((rlo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
      break;
    case 0x04:
      rlo = alo ^ blo;
      rhi = ahi ^ bhi;
      break;
    case 0x0c:
      rlo = alo & blo;
      rhi = ahi & bhi;
      break;
    case 0x08:
      rlo = alo | blo;
      rhi = ahi | bhi;
      break;
    case 0x10:
    case 0x14: {
      const less = ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0);
      const pickA = op === 0x10 ? less : !less;
      rlo = pickA ? alo : blo;
      rhi = pickA ? ahi : bhi;
      break;
    }
    case 0x18:
    case 0x1c: {
      const less = ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0);
      const pickA = op === 0x18 ? less : !less;
      rlo = pickA ? alo : blo;
      rhi = pickA ? ahi : bhi;
      break;
    }
    default:
      return illegal(h);
  }
  i32[o] = rlo;
  if (size === 8) i32[o + 1] = rhi;
  x[rd] = alo;
  x[rd + 1] = ahi;
}

const scratch = new Int32Array(2);
/**
 * The instruction word for the out-of-line handlers (SYSTEM, AMO, FP): handed over in a typed array, not as an
 * argument, so V8 need not box it on every instruction (see mmu.ts loadSlowAt).
 */
const INSN = new Int32Array(1);

function fpOp(h: Hart, insn: number): number {
  INSN[0] = insn;
  return executeFp(INSN[0]!, h.x, h.fp);
}

/**
 * SYSTEM instructions. On return h.pc is the next pc. Returns true when a trap was taken instead (h.pc is then
 * the handler), false when the instruction completed.
 */
function system(h: Hart, rd: number, rs1: number, f3: number): boolean {
  const insn = INSN[0]!;
  const npc = h.addr[0]!;
  const x = h.x;
  if (f3 === 0) {
    if (rd !== 0) illegal(h);
    switch (insn >>> 20) {
      case 0x000:
        if (rs1 !== 0) illegal(h);
        throwTrap(h, CAUSE.ECALL_FROM_U + h.priv, 0, 0);
        return true;
      case 0x001:
        if (rs1 !== 0) illegal(h);
        throwTrap(h, CAUSE.BREAKPOINT, h.pc | 0, Math.floor(h.pc / TWO32) | 0);
        return true;
      case 0x102:
        if (rs1 !== 0 || h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS_TSR) !== 0)) illegal(h);
        sret(h);
        return false;
      case 0x302:
        if (rs1 !== 0 || h.priv !== PRIV_M) illegal(h);
        mret(h);
        return false;
      case 0x105:
        if (rs1 !== 0 || h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS_TW) !== 0)) illegal(h);
        if (((h.mipHw | h.mipSw) & h.mie) === 0) h.waiting = true;
        h.pc = npc;
        return false;
    }
    if (insn >>> 25 === 0x09) {
      // SFENCE.VMA: with an address, that page's translations go (in every address space: the TLB does not tag
      // entries with ASIDs); without one, all of them, or with an ASID (rs2 not x0) all but the global ones.
      if (h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS_TVM) !== 0)) illegal(h);
      if (rs1 !== 0) h.tlb.flushPage(x[rs1 + 1]! * TWO32 + (x[rs1]! >>> 0));
      else if (((insn >>> 20) & 31) !== 0) h.tlb.flushNonGlobal();
      else h.tlb.flushTranslated();
      h.pc = npc;
      return false;
    }
    illegal(h);
  }
  if (f3 === 4) illegal(h);
  const num = insn >>> 20;
  const src = (f3 & 4) !== 0 ? rs1 >> 1 : 0;
  const srcLo = (f3 & 4) !== 0 ? src : x[rs1]!;
  const srcHi = (f3 & 4) !== 0 ? 0 : x[rs1 + 1]!;
  const op = f3 & 3;
  const writes = op === 1 || rs1 !== 0;
  if (writes && csrReadOnly(num)) illegal(h);
  let oldLo = 0;
  let oldHi = 0;
  if (op !== 1 || rd !== 0) {
    if (!csrRead(h, num, scratch)) illegal(h);
    oldLo = scratch[0]!;
    oldHi = scratch[1]!;
  }
  if (writes) {
    let lo = srcLo;
    let hi = srcHi;
    // Read-modify-write of mip uses the software-writable SEIP bit, not the PLIC's signal (privileged spec
    // 3.1.9): otherwise OpenSBI's `csrc mip, STIP` would latch a momentary external interrupt forever.
    const base = num === CSR.mip ? (oldLo & ~MIP_SEIP) | (h.mipSw & MIP_SEIP) : oldLo;
    if (op === 2) {
      lo = base | srcLo;
      hi = oldHi | srcHi;
    } else if (op === 3) {
      lo = base & ~srcLo;
      hi = oldHi & ~srcHi;
    }
    if (!csrWrite(h, num, lo, hi)) illegal(h);
  }
  x[rd] = oldLo;
  x[rd + 1] = oldHi;
  h.pc = npc;
  return false;
}

/** Takes a synchronous trap directly (no unwinding needed): for ECALL and EBREAK. */
function throwTrap(h: Hart, cause: number, tvalLo: number, tvalHi: number): void {
  takeTrap(h, cause, false, tvalLo, tvalHi, h.pc);
}
