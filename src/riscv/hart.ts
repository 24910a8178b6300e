/**
 * The architectural state of one RV64GC hart, and the hooks it needs from the platform. The interpreter
 * (execute.ts), the CSR file (csr.ts), traps (trap.ts) and the MMU (mmu.ts) operate on it.
 */
import type { SystemBus } from '../memory/bus.js';
import type { FpState } from './fpu/index.js';
import {
  CSR,
  MISA_EXTENSIONS,
  MSTATUS_MPP,
  MSTATUS_MPRV,
  MSTATUS_SUM,
  PRIV_M,
  SATP_MODE_BARE,
} from './constants.js';
import { Tlb, tlbContext } from './tlb.js';
import { Pmp } from './pmp.js';
import { DecodeCache } from './decode-cache.js';
import type { Engine } from './engine.js';
import type { JitHart } from './jit/jit-hart.js';
import { AREA_CONSOLE_IO, AREA_CSR, AREA_F, AREA_LOAD_SET, AREA_TLB, AREA_X } from './jit/layout.js';

/** Thrown (as this one object, with no stack) to unwind the interpreter when an instruction traps. */
export const TRAP = { trap: true } as const;

/** What the platform gives a hart. */
export interface HartPlatform {
  /** The current value of mtime (the `time` CSR). */
  readTime(): number;
}

export interface HartOptions {
  /**
   * Keep registers and TLB in the hart's own arrays even on wasm-backed RAM, leaving the hart's area in the
   * WebAssembly memory to another Hart object (the machine's record of a hart that runs in a worker thread).
   */
  readonly ownStorage?: boolean;
}

export class Hart {
  readonly hartId: number;
  readonly bus: SystemBus;
  readonly platform: HartPlatform;

  /**
   * Integer registers as (lo, hi) pairs: x[2*i] is the low half of register i. x0 is kept zero. On wasm-backed
   * RAM this is a view of the hart's area in the WebAssembly memory, where translated code reaches it.
   */
  readonly x: Int32Array;
  /** Which engine runHart uses: the interpreter, or the translator (which needs wasm-backed RAM). */
  engine: Engine = 'interp';
  /** The translator's per-hart state, made on first use (src/riscv/jit). */
  jit: JitHart | undefined = undefined;
  /**
   * Where the translator hands the bytes WebAssembly queued for the console UART's THR (jit/layout.ts
   * AREA_CONSOLE_OUT), in order, whenever WebAssembly returns; set with that fast path
   * (machine/console-fast-path.ts). The bytes are a view: take them before returning.
   */
  consoleOut: ((bytes: Uint8Array) => void) | undefined = undefined;
  /** The byte offset of this hart's area in the WebAssembly memory, or -1 (RAM not wasm-backed). */
  readonly area: number;
  /** FP registers and fcsr, shared with the FPU. */
  readonly fp: FpState;
  /** The program counter, as a number (sign-extended 64-bit value; exact for all valid addresses). */
  pc = 0;
  priv: number = PRIV_M;

  /**
   * Plain-storage CSRs, indexed by CSR number, as (lo, hi) pairs. CSRs with side effects or packed fields
   * (mstatus, mip, mie, ...) live in fields below instead.
   */
  readonly csr: Int32Array;
  mstatus = 0;
  /** Interrupt-pending bits driven by devices (MEIP, MTIP, MSIP, and the PLIC's SEIP). */
  mipHw = 0;
  /** Interrupt-pending bits written by software (SSIP, STIP, SEIP). */
  mipSw = 0;
  mie = 0;
  medeleg = 0;
  mideleg = 0;
  mcounteren = 0;
  scounteren = 0;
  misa = MISA_EXTENSIONS;
  /** The largest satp MODE this hart accepts (a configuration: Sv39 = 8 or Sv48 = 9). Larger modes are ignored. */
  maxSatpMode = 9;
  /** Instructions retired since reset (also the cycle count). Never written by the guest. */
  instret = 0;
  /** What the guest added by writing minstret/mcycle: the counters read instret + counterOffset. */
  counterOffset = 0;

  /** LR/SC reservation: the physical address reserved, or -1. */
  reservation = -1;
  /** With `parallel`, the value LR loaded (SC compares memory against it). */
  reservedLo = 0;
  reservedHi = 0;
  /**
   * Set when other harts run at the same time on the same RAM (worker threads): AMOs and SC become atomic
   * operations on the shared memory, and FENCE.I drops this hart's decoded code, since other harts' stores do
   * not reach its caches (RISC-V asks the hart that runs modified code to execute FENCE.I first).
   */
  parallel = false;
  /**
   * Called (with `parallel`) when the hart executes PAUSE, the hint in spin-wait loops: the host may give its
   * CPU to another hart's thread, which the spinning hart may well be waiting for.
   */
  onPause: () => void = () => {};
  /** Set by WFI until an interrupt becomes pending. */
  waiting = false;
  /**
   * The supervisor binary interface when the VMM implements it in place of M-mode firmware (as KVM does for its
   * guests): an ECALL from S-mode calls this with pc already past the ECALL, and a trap that would go to M-mode
   * goes to S-mode instead. Undefined when firmware runs in M-mode.
   */
  sbi: ((h: Hart) => void) | undefined = undefined;

  /** Pending trap, filled in before TRAP is thrown. */
  trapCause = 0;
  trapTvalLo = 0;
  trapTvalHi = 0;

  readonly tlb: Tlb;
  /** Decoded instructions of the RAM pages code runs from. */
  readonly decode: DecodeCache;
  readonly pmp = new Pmp();
  /** Scratch results of slow-path loads and of M-extension helpers, and a slow store's value. */
  readonly tmp = new Int32Array(2);
  /** Whether the last page walk ended at a global (G) leaf: its TLB entries may outlive a satp write (tlb.ts). */
  walkGlobal = false;
  /** And the level of that leaf (0: a 4 KiB page; 1 and up: a superpage), which flushPage needs (tlb.ts). */
  walkLevel = 0;
  /** A slow-path access's virtual address (see mmu.ts loadSlowAt). */
  readonly addr = new Float64Array(1);

  /**
   * `decode`: a decoded-instruction cache shared with the other harts of the machine (every hart must see every
   * write to code); by default the hart has its own. Each hart adds its TLB to the cache, so that a page
   * becoming code leaves every hart's store TLB.
   */
  constructor(hartId: number, bus: SystemBus, platform: HartPlatform, fp: FpState, decode?: DecodeCache, options: HartOptions = {}) {
    this.hartId = hartId;
    this.bus = bus;
    this.platform = platform;
    this.fp = fp;
    this.area = options.ownStorage === true ? -1 : bus.ram.hartArea(hartId);
    if (this.area >= 0) {
      const buffer = bus.ram.buffer;
      this.x = new Int32Array(buffer, this.area + AREA_X, 64);
      // The plain CSRs too, where translated code reaches sscratch, sepc, scause and stval (jit/plain-csrs.ts).
      this.csr = new Int32Array(buffer, this.area + AREA_CSR, 4096 * 2);
      // FP registers next to the integer ones, where translated FP loads and stores reach them.
      const f = new Int32Array(buffer, this.area + AREA_F, 64);
      f.set(fp.f);
      this.fp = { f, fflags: fp.fflags, frm: fp.frm };
      // Nothing published for the console's fast path until machine/console-fast-path.ts turns it on.
      this.tlb = new Tlb({ buffer, byteOffset: this.area + AREA_TLB, selectedAt: this.area + AREA_LOAD_SET, publishedAt: this.area + AREA_CONSOLE_IO });
    } else {
      this.x = new Int32Array(64);
      this.csr = new Int32Array(4096 * 2);
      this.tlb = new Tlb();
    }
    this.decode = decode ?? new DecodeCache(bus.ram.size);
    // A page becoming code must leave the store TLB, so that every store to it goes where it is seen.
    this.decode.addTlb(this.tlb);
    this.reset(0);
  }

  /** Resets to the state the privileged spec gives at reset: M-mode, MIE and MPRV clear, at `pc`. */
  reset(pc: number): void {
    this.x.fill(0);
    this.fp.f.fill(0);
    this.fp.fflags = 0;
    this.fp.frm = 0;
    this.csr.fill(0);
    this.csr[CSR.mhartid * 2] = this.hartId;
    this.pc = pc;
    this.priv = PRIV_M;
    this.mstatus = 0;
    this.mipHw = 0;
    this.mipSw = 0;
    this.mie = 0;
    this.medeleg = 0;
    this.mideleg = 0;
    this.mcounteren = 0;
    this.scounteren = 0;
    this.instret = 0;
    this.counterOffset = 0;
    this.reservation = -1;
    this.waiting = false;
    this.pmp.reset();
    this.tlb.flushAll();
    this.decode.clear();
  }

  /** Records a trap and unwinds to the run loop. */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.trapCause = cause;
    this.trapTvalLo = tvalLo;
    this.trapTvalHi = tvalHi;
    throw TRAP;
  }

  /** Records a trap whose tval is an address held as a number. */
  raiseAt(cause: number, addr: number): never {
    return this.raise(cause, addr | 0, Math.floor(addr / 4294967296) | 0);
  }

  /** satp's MODE field. */
  satpMode(): number {
    return (this.csr[CSR.satp * 2 + 1]! >>> 28) & 0xf;
  }

  /** The privilege level data accesses are made at (MPRV makes M-mode loads and stores use MPP). */
  dataPriv(): number {
    if (this.priv === PRIV_M && (this.mstatus & MSTATUS_MPRV) !== 0) {
      return (this.mstatus & MSTATUS_MPP) >>> 11;
    }
    return this.priv;
  }

  /**
   * Chooses the TLB contexts for the current privilege and mstatus: translation differs between U, S (with and
   * without SUM) and M (or bare), so each has its own entries and switching costs nothing.
   */
  updateTlbContext(): void {
    const bare = this.satpMode() === SATP_MODE_BARE;
    const sum = (this.mstatus & MSTATUS_SUM) !== 0;
    this.tlb.select(tlbContext(this.priv, false, bare), tlbContext(this.dataPriv(), sum, bare));
  }
}
