/**
 * The translator's front end: which instructions it compiles, and the trace of them (a block) that starts at a
 * pc. Everything else (SYSTEM instructions but CSR accesses to INLINE_CSRS, FP arithmetic, and every illegal
 * encoding) is left to the interpreter: a block ends before it.
 */
import { CSR } from '../constants.js';
import { decodeInto } from '../decode-cache.js';

/** One instruction of a block: its pc, its 32-bit encoding (compressed ones expanded) and its length. */
export interface BlockInsn {
  readonly pc: number;
  readonly insn: number;
  readonly len: number;
  /**
   * The first instruction on another page (a call's target), or one that ends on the next page: translated code
   * checks that the fetch TLB still maps virtual page `pageVa` to RAM offset `ramOffset` before it, else leaves
   * the block for the pc.
   */
  readonly guard: { readonly pageVa: number; readonly ramOffset: number } | undefined;
  /** A conditional branch the trace follows on its taken side (its fall-through leaves the block). */
  readonly taken: boolean;
}

/** Whether the trace follows the conditional branch at `pc` to its taken `target` (on the same page, RAM page `ramPage`). */
export type TakeBranch = (pc: number, target: number, ramPage: number) => boolean;

/** The RAM page (offset / 4096) the fetch TLB maps virtual page `pageVa` to now, or -1. */
export type FetchPage = (pageVa: number) => number;

/** AMO funct5 values: add, swap, xor, or, and, min, max, minu, maxu. */
const AMO_OPS = new Set([0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c]);

/** Zihintpause's PAUSE, the hint of spin-wait loops. */
const PAUSE = 0x0100000f;

/**
 * CSRs whose accesses stay in a block: translated code calls the interpreter for the one instruction (compile.ts)
 * and goes on unless it trapped or changed what the block depends on (jit-hart.ts systemHelper). Kernel code
 * masks interrupts (sstatus.SIE) and opens user memory (sstatus.SUM) around short sequences, and its trap entry
 * and exit read and write the trap CSRs; each of those ended a block. Not here: satp and PMP, whose writes flush
 * the TLB the block was found through, and the FP CSRs (their writes change mstatus.FS, which ends a block anyway).
 */
const INLINE_CSRS = new Set<number>([
  CSR.sstatus, CSR.sie, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.sip,
  CSR.mstatus, CSR.mie, CSR.mscratch, CSR.mepc, CSR.mcause, CSR.mtval, CSR.mip,
  CSR.cycle, CSR.time, CSR.instret,
]);

/** Whether `insn` is a CSR access (CSRRW, CSRRS, CSRRC and their immediate forms). */
export function isCsrAccess(insn: number): boolean {
  const f3 = (insn >>> 12) & 7;
  return (insn & 0x7f) === 0x73 && f3 !== 0 && f3 !== 4;
}

/** Longest block, in instructions. */
export const MAX_BLOCK = 64;

/**
 * Whether `insn` (32-bit form) is one the translator compiles: a legal integer, load/store or jump. With
 * `parallel` (harts running at the same time), FENCE.I is left to the interpreter, which drops this hart's
 * decoded code and translations there (other harts' stores to code reach neither), and so is PAUSE.
 */
export function translatable(insn: number, parallel = false): boolean {
  const f3 = (insn >>> 12) & 7;
  const f7 = insn >>> 25;
  switch (insn & 0x7f) {
    case 0x03: // LOAD
      return f3 !== 7;
    case 0x23: // STORE
      return f3 <= 3;
    case 0x13: // OP-IMM
      if (f3 === 1) return insn >>> 26 === 0;
      if (f3 === 5) return insn >>> 26 === 0 || insn >>> 26 === 0x10;
      return true;
    case 0x33: // OP
      return f7 === 0 || f7 === 1 || (f7 === 0x20 && (f3 === 0 || f3 === 5));
    case 0x1b: // OP-IMM-32
      return f3 === 0 || (f3 === 1 && f7 === 0) || (f3 === 5 && (f7 === 0 || f7 === 0x20));
    case 0x3b: // OP-32
      if (f7 === 0) return f3 === 0 || f3 === 1 || f3 === 5;
      if (f7 === 0x20) return f3 === 0 || f3 === 5;
      if (f7 === 1) return f3 === 0 || f3 >= 4;
      return false;
    case 0x37: // LUI
    case 0x17: // AUIPC
    case 0x6f: // JAL
      return true;
    case 0x67: // JALR
      return f3 === 0;
    case 0x63: // BRANCH
      return f3 !== 2 && f3 !== 3;
    case 0x0f: // FENCE, FENCE.I: nothing to do on one hart whose code writes are tracked
      // With harts in parallel, PAUSE (a FENCE hint) goes to the interpreter, where the hart may nap (Hart.onPause).
      return (f3 === 0 && !(parallel && insn === PAUSE)) || (f3 === 1 && !parallel);
    case 0x2f: // AMOs, LR (rs2 = 0), SC
      if (f3 !== 2 && f3 !== 3) return false;
      if (insn >>> 27 === 0x02) return ((insn >>> 20) & 31) === 0;
      return insn >>> 27 === 0x03 || AMO_OPS.has(insn >>> 27);
    case 0x07: // FLW, FLD
    case 0x27: // FSW, FSD
      return f3 === 2 || f3 === 3;
    case 0x73: // SYSTEM: CSR accesses to some CSRs
      return isCsrAccess(insn) && INLINE_CSRS.has(insn >>> 20);
    default:
      return false;
  }
}

/** Whether `insn` ends a block (a jump or branch). */
export function endsBlock(insn: number): boolean {
  const op = insn & 0x7f;
  return op === 0x6f || op === 0x67 || op === 0x63;
}

/**
 * The block at virtual `pc`, whose page is RAM page `ramPage` (RAM offset / 4096): a trace of translatable
 * instructions through conditional branches (whose taken side leaves the block) and direct jumps within the page
 * (followed), up to an indirect jump, at most MAX_BLOCK. Decodes through the decode cache `decode` (which makes
 * each page read a code page, so stores to it leave the store TLB). Empty when the first instruction is not
 * translatable. `parallel`: see translatable.
 *
 * With `takeBranch`, a conditional branch to the same page that it picks is followed to its target (the side mostly
 * taken while the code was interpreted), its fall-through becoming the side exit.
 *
 * With `fetchPage`, a call (`jal ra`) to another page that the fetch TLB maps now is followed too, its target
 * carrying a guard (BlockInsn.guard), and the callee's return (`jalr x0, 0(ra)`) goes on at the instruction after
 * the call (translated code checks ra). So is an instruction in the last two bytes of a page whose upper half is
 * on the next page, if the fetch TLB maps that (the instruction carries the guard), and the trace goes on there.
 * `pages` gets the RAM page of every page followed into besides the first: a write to any of them must drop the
 * block.
 */
export function scanBlock(
  pc: number,
  ramPage: number,
  decode: { page(ramPage: number): Int32Array },
  u16: Uint16Array,
  parallel = false,
  fetchPage?: FetchPage,
  pages?: number[],
  takeBranch?: TakeBranch,
): BlockInsn[] {
  const out: BlockInsn[] = [];
  let pageBase = pc - ((pc | 0) & 0xfff);
  let curRam = ramPage;
  let dec = decode.page(ramPage);
  const seen = new Set<number>();
  /** Calls followed: the return address, the caller's page to go back to, and how far out and pages were then. */
  const calls: { ret: number; pageBase: number; ram: number; dec: Int32Array; outLen: number; pagesLen: number }[] = [];
  let guard: BlockInsn['guard'];
  let p = pc;
  while (out.length < MAX_BLOCK) {
    const off = p - pageBase;
    if (off < 0 || off >= 4096 || seen.has(p)) break;
    const k = off >>> 1;
    const parcel = curRam * 2048 + k;
    let v = dec[k]!;
    // A 32-bit instruction in the last two bytes of the page, its upper half on the next page (RAM page `next`).
    let next = -1;
    let nextDec = dec;
    if (v === 0) {
      if (off === 0xffe && (u16[parcel]! & 3) === 3) {
        // Followed while the fetch TLB maps the next page (the guard checks it still does): inflate_fast has one
        // in its inner loop, which otherwise left translated code twice per round (61 k times in a boot).
        if (fetchPage === undefined) break;
        next = fetchPage(pageBase + 4096);
        if (next < 0) break;
        // Through the decode cache, which makes the page a code page (a store to it drops what was compiled).
        nextDec = decode.page(next);
        v = u16[parcel]! | (u16[next * 2048]! << 16);
      } else {
        v = decodeInto(dec, k, u16, parcel);
        if (v === 0) break; // illegal compressed parcel
      }
    }
    const len = (v & 1) !== 0 ? 4 : 2;
    const insn = len === 4 ? v : v | 3;
    if (!translatable(insn, parallel)) break;
    if (next >= 0) {
      if (guard !== undefined) break; // one guard per instruction (a callee starting at 0xffe)
      pages?.push(next);
      guard = { pageVa: pageBase + 4096, ramOffset: next * 4096 };
    }
    const op = insn & 0x7f;
    let taken = false;
    if (op === 0x63 && takeBranch !== undefined) {
      const target = p + branchOffset(insn);
      const t = target - pageBase;
      taken = t >= 0 && t < 4096 && target !== p && !seen.has(target) && takeBranch(p, target, curRam);
    }
    // Every field always, in one order: objects of one shape keep the code generator's property accesses
    // monomorphic (with the optional fields spread in, a shell loop's first trace that followed a branch threw
    // the optimized compileBlock away).
    out.push({ pc: p, insn, len, guard, taken });
    guard = undefined;
    seen.add(p);
    if (taken) {
      p += branchOffset(insn);
      continue;
    }
    if (op === 0x67) {
      // A return from a call this trace followed: on at the return address (translated code checks ra).
      const call = calls[calls.length - 1];
      if (call === undefined || insn !== RET) break;
      calls.pop();
      p = call.ret;
      pageBase = call.pageBase;
      curRam = call.ram;
      dec = call.dec;
      continue;
    }
    if (op !== 0x6f) {
      p += len;
      if (next >= 0) {
        // On along the next page, whose mapping the guard checked.
        pageBase += 4096;
        curRam = next;
        dec = nextDec;
      }
      continue;
    }
    const target = p + jalOffset(insn);
    const targetBase = target - ((target | 0) & 0xfff);
    if (targetBase === pageBase) {
      p = target;
      continue;
    }
    // A call to another page: followed while the fetch TLB maps it (the guard checks it still does).
    if (fetchPage === undefined || ((insn >>> 7) & 31) !== 1 || calls.length >= MAX_CALLS) break;
    const ram = fetchPage(targetBase);
    if (ram < 0) break;
    calls.push({ ret: p + len, pageBase, ram: curRam, dec, outLen: out.length, pagesLen: pages?.length ?? 0 });
    pages?.push(ram);
    pageBase = targetBase;
    curRam = ram;
    dec = decode.page(ram);
    guard = { pageVa: targetBase, ramOffset: ram * 4096 };
    p = target;
  }
  // Only whole calls: a trace that ends inside a callee ends at the outermost call instead (its jal the last
  // instruction, which leaves the block for the callee). Measured: partial callees made the shell loop slower.
  const open = calls[0];
  if (open !== undefined) {
    out.length = open.outLen;
    if (pages !== undefined) pages.length = open.pagesLen;
  }
  return out;
}

/** jalr x0, 0(ra). */
const RET = 0x00008067;
/** Calls to other pages a trace follows, nested. */
const MAX_CALLS = 2;

export function jalOffset(insn: number): number {
  return ((insn >> 31) << 20) | (insn & 0xff000) | (((insn >>> 20) & 1) << 11) | (((insn >>> 21) & 0x3ff) << 1);
}

export function branchOffset(insn: number): number {
  return ((insn >> 31) << 12) | (((insn >>> 7) & 1) << 11) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1);
}
