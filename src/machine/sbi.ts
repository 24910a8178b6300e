/**
 * The RISC-V Supervisor Binary Interface (SBI spec v2.0) implemented by the VMM, as KVM implements it for its
 * guests: the kernel enters in S-mode with no M-mode firmware below it, and its ECALLs land here (Hart.sbi).
 * Booting without OpenSBI saves its ~6 million instructions of start-up (a tenth of a boot to the shell).
 *
 * Extensions: BASE, TIME, IPI, RFENCE, HSM, SRST, and the legacy calls Linux's early consoles and older kernels
 * use (set_timer, console_putchar, console_getchar, shutdown). What one hart asks of another (an IPI, a remote
 * fence, a start) goes through SbiHarts: nothing to do with one hart; with several, each in its worker thread,
 * sbi-harts.ts passes it through the machine's control block.
 *
 * Every call is guest input: unknown extensions and functions answer SBI_ERR_NOT_SUPPORTED, bad hart masks,
 * addresses and types SBI_ERR_INVALID_PARAM or SBI_ERR_INVALID_ADDRESS, as the spec lists for each function.
 */
import { CAUSE, CSR, MEDELEG_WRITABLE, MIDELEG_WRITABLE, MIP_SSIP, MSTATUS_SIE, PRIV_M, PRIV_S } from '../riscv/constants.js';
import type { Hart } from '../riscv/hart.js';
import { numberHi, pairToNumber, TWO32 } from '../riscv/pairs.js';
import { MENVCFG_STCE_HI, updateSupervisorTimer } from '../riscv/sstc.js';

export const SBI_SUCCESS = 0;
export const SBI_ERR_FAILED = -1;
export const SBI_ERR_NOT_SUPPORTED = -2;
export const SBI_ERR_INVALID_PARAM = -3;
export const SBI_ERR_INVALID_ADDRESS = -5;
export const SBI_ERR_ALREADY_AVAILABLE = -6;

/** Extension IDs (a7), by the names the spec gives them. */
export const SBI_EXT = {
  LEGACY_SET_TIMER: 0x00,
  LEGACY_CONSOLE_PUTCHAR: 0x01,
  LEGACY_CONSOLE_GETCHAR: 0x02,
  LEGACY_SHUTDOWN: 0x08,
  BASE: 0x10,
  TIME: 0x54494d45,
  IPI: 0x735049,
  RFENCE: 0x52464e43,
  HSM: 0x48534d,
  SRST: 0x53525354,
} as const;

/** Spec version 2.0: major in bits 30:24, minor in 23:0. */
export const SBI_SPEC_VERSION = 2 << 24;
/**
 * Implementation ID: not one of those RISC-V International assigns (0 BBL, 1 OpenSBI, 3 KVM, ...), which Linux
 * only prints. ASCII "TV".
 */
export const SBI_IMPL_ID = 0x5456;
export const SBI_IMPL_VERSION = 1;

/** HSM states, as hart_get_status returns them. */
export const HSM_STARTED = 0;
export const HSM_STOPPED = 1;
export const HSM_START_PENDING = 2;
/** What an SbiHarts operation returns when the machine is stopping its harts: the hart makes the call again later. */
export const SBI_RETRY = 1;
const SUSPEND_RETENTIVE = 0;
const SUSPEND_NON_RETENTIVE = 0x8000_0000;
const RESET_SHUTDOWN = 0;
const RESET_WARM_REBOOT = 2;
const RESET_VENDOR = 0xf000_0000;
/** Reset reasons 2..0xDFFFFFFF are reserved (0 none, 1 system failure, then implementation and vendor ones). */
const REASON_RESERVED_END = 0xe000_0000;
/** Above this many pages a remote SFENCE.VMA flushes everything rather than page by page. */
const FENCE_PAGES_MAX = 64;

/** The other harts, for the calls that reach them. Hart ids are valid (below `count`) and not the caller's. */
export interface SbiHarts {
  readonly count: number;
  /** HSM state of hart `id`: HSM_STARTED, HSM_STOPPED or HSM_START_PENDING. */
  status(id: number): number;
  /**
   * Starts stopped hart `id` at `addr` in S-mode with a1 = opaque (each as lo, hi). SBI_SUCCESS,
   * SBI_ERR_ALREADY_AVAILABLE (it is not stopped) or SBI_RETRY.
   */
  start(id: number, addrLo: number, addrHi: number, opaqueLo: number, opaqueHi: number): number;
  /** Makes a supervisor software interrupt pending on hart `id`. */
  ipi(id: number): void;
  /** Has the harts `ids` drop their decoded code (FENCE.I) or their translations (SFENCE.VMA): SBI_SUCCESS or SBI_RETRY. */
  fence(ids: readonly number[], vma: boolean): number;
  /** Stops the calling hart `h` (hart_stop); false when it cannot stop (it is the last one running). */
  stop(h: Hart): boolean;
}

/** A machine of one hart: there is no other. */
export const ONE_HART: SbiHarts = {
  count: 1,
  status: () => HSM_STARTED,
  start: () => SBI_ERR_ALREADY_AVAILABLE,
  ipi: () => {},
  fence: () => SBI_SUCCESS,
  stop: () => false,
};

/** What the SBI needs from the machine around the hart. */
export interface SbiPlatform {
  /** Console output, one byte (legacy console_putchar). */
  putchar(byte: number): void;
  /** The next console input byte, or -1 (legacy console_getchar). */
  getchar(): number;
  /** Ends the run: the guest powered off or asked for a reboot (SRST, legacy shutdown). */
  reset(kind: 'poweroff' | 'reset'): void;
  /** Whether `pa` is guest RAM (where a hart may resume). */
  isRam(pa: number): boolean;
}

const A0 = 10 * 2;
const A1 = 11 * 2;
const A2 = 12 * 2;
const A3 = 13 * 2;
const A6 = 16 * 2;
const A7 = 17 * 2;

/** The supported extensions, for probe_extension. */
const EXTENSIONS: ReadonlySet<number> = new Set(Object.values(SBI_EXT));

/**
 * Puts the hart where M-mode firmware would leave it for a kernel: in S-mode at `entry`, with a0 = hart id and
 * a1 = `dtb`; every exception but ECALL from S-mode and the supervisor interrupts delegated; the counters open
 * to S- and U-mode and stimecmp (Sstc) to S-mode. Call after Hart.reset.
 */
export function enterSupervisor(h: Hart, entry: number, dtb: number): void {
  // Every exception but ECALL from S-mode (those are the SBI calls), and the supervisor interrupts.
  h.medeleg = MEDELEG_WRITABLE & ~(1 << CAUSE.ECALL_FROM_S);
  h.mideleg = MIDELEG_WRITABLE;
  // cycle, time and instret readable in S-mode, and (as OpenSBI sets scounteren) in U-mode until the kernel says
  // otherwise: user programs read the time with rdtime.
  h.mcounteren = 7;
  h.scounteren = 7;
  h.csr[CSR.menvcfg * 2 + 1] = MENVCFG_STCE_HI;
  // stimecmp resets to all ones, as OpenSBI leaves it: no timer interrupt until the kernel asks for one.
  h.csr[CSR.stimecmp * 2] = -1;
  h.csr[CSR.stimecmp * 2 + 1] = -1;
  updateSupervisorTimer(h);
  setReg(h, A0, h.hartId);
  setReg(h, A1, dtb);
  h.pc = entry;
  h.priv = PRIV_S;
  h.updateTlbContext();
}

/**
 * Marks a hart stopped (SBI HSM) with the built-in SBI: in M-mode, where nothing else runs then, waiting with
 * no interrupt enabled, so that it stays put (also across a snapshot) until hart_start.
 */
export function markStopped(h: Hart): void {
  h.priv = PRIV_M;
  h.mie = 0;
  h.waiting = true;
  h.updateTlbContext();
}

/** Whether a hart is stopped (markStopped). */
export function isStopped(h: Hart): boolean {
  return h.priv === PRIV_M;
}

/** hart_start's entry on the target: S-mode at `addr`, a0 = hart id, a1 = opaque, satp 0, SIE clear. */
export function startHart(h: Hart, addr: number, opaqueLo: number, opaqueHi: number): void {
  setReg(h, A0, h.hartId);
  h.x[A1] = opaqueLo;
  h.x[A1 + 1] = opaqueHi;
  h.csr[CSR.satp * 2] = 0;
  h.csr[CSR.satp * 2 + 1] = 0;
  h.mstatus &= ~MSTATUS_SIE;
  h.pc = addr;
  h.priv = PRIV_S;
  h.waiting = false;
  h.reservation = -1;
  h.tlb.flushAll();
  h.updateTlbContext();
}

/** The SBI of a hart (see the top of this file). */
export class Sbi {
  private readonly platform: SbiPlatform;
  private readonly harts: SbiHarts;

  constructor(platform: SbiPlatform, harts: SbiHarts = ONE_HART) {
    this.platform = platform;
    this.harts = harts;
  }

  /** Handles the ECALL the hart just made (Hart.sbi): arguments in a0..a5, FID in a6, EID in a7. */
  readonly call = (h: Hart): void => {
    const x = h.x;
    const eid = x[A7 + 1] === 0 ? x[A7]! >>> 0 : -1;
    const fid = x[A6 + 1] === 0 ? x[A6]! >>> 0 : -1;
    if (eid >= 0 && eid < 0x10) {
      this.legacy(h, eid);
      return;
    }
    let value = 0;
    let error = SBI_SUCCESS;
    switch (eid) {
      case SBI_EXT.BASE: {
        const v = base(fid, h);
        if (v === undefined) error = SBI_ERR_NOT_SUPPORTED;
        else value = v;
        break;
      }
      case SBI_EXT.TIME:
        if (fid === 0) setTimer(h, x[A0]!, x[A0 + 1]!);
        else error = SBI_ERR_NOT_SUPPORTED;
        break;
      case SBI_EXT.IPI:
        error = fid === 0 ? this.sendIpi(h) : SBI_ERR_NOT_SUPPORTED;
        break;
      case SBI_EXT.RFENCE:
        error = this.rfence(h, fid);
        if (error === SBI_RETRY) {
          this.retry(h);
          return;
        }
        break;
      case SBI_EXT.HSM: {
        const r = this.hsm(h, fid);
        if (r === undefined) return;
        [error, value] = r;
        break;
      }
      case SBI_EXT.SRST:
        error = fid === 0 ? this.systemReset(h) : SBI_ERR_NOT_SUPPORTED;
        break;
      default:
        error = SBI_ERR_NOT_SUPPORTED;
    }
    setReg(h, A0, error);
    setReg(h, A1, value);
  };

  /** Legacy extensions (SBI v0.1): the result in a0 alone, a1 kept. */
  private legacy(h: Hart, eid: number): void {
    const x = h.x;
    let r = 0;
    switch (eid) {
      case SBI_EXT.LEGACY_SET_TIMER:
        setTimer(h, x[A0]!, x[A0 + 1]!);
        break;
      case SBI_EXT.LEGACY_CONSOLE_PUTCHAR:
        this.platform.putchar(x[A0]! & 0xff);
        break;
      case SBI_EXT.LEGACY_CONSOLE_GETCHAR:
        r = this.platform.getchar();
        break;
      case SBI_EXT.LEGACY_SHUTDOWN:
        this.platform.reset('poweroff');
        h.waiting = true;
        return;
      default:
        // clear_ipi, send_ipi and the remote fences of v0.1 take hart masks in guest virtual memory; a kernel
        // told of v2.0 uses the IPI and RFENCE extensions instead.
        r = SBI_ERR_NOT_SUPPORTED;
    }
    setReg(h, A0, r);
  }

  /**
   * The call is made again: the machine is stopping its harts (SbiHarts returned SBI_RETRY). Until the hart's
   * burst ends and it parks, each try returns at once; when the harts run on, the call is made for good.
   */
  private retry(h: Hart): void {
    h.pc -= 4;
  }

  /** The hart ids a (hart_mask, hart_mask_base) pair selects, or undefined if one is not a hart's. */
  private selected(mask: number, maskHi: number, base: number, baseHi: number): number[] | undefined {
    const count = this.harts.count;
    if (base === -1 && baseHi === -1) return Array.from({ length: count }, (_, i) => i);
    const ids: number[] = [];
    for (let bit = 0; bit < 64; bit++) {
      const set = bit < 32 ? (mask >>> bit) & 1 : (maskHi >>> (bit - 32)) & 1;
      if (set === 0) continue;
      if (baseHi !== 0 || (base >>> 0) + bit >= count) return undefined;
      ids.push((base >>> 0) + bit);
    }
    return ids;
  }

  private sendIpi(h: Hart): number {
    const x = h.x;
    const ids = this.selected(x[A0]!, x[A0 + 1]!, x[A1]!, x[A1 + 1]!);
    if (ids === undefined) return SBI_ERR_INVALID_PARAM;
    for (const id of ids) {
      if (id === h.hartId) h.mipSw |= MIP_SSIP;
      else this.harts.ipi(id);
    }
    return SBI_SUCCESS;
  }

  private rfence(h: Hart, fid: number): number {
    if (fid > 2) return SBI_ERR_NOT_SUPPORTED; // the hypervisor fences: there is no H extension
    const x = h.x;
    const ids = this.selected(x[A0]!, x[A0 + 1]!, x[A1]!, x[A1 + 1]!);
    if (ids === undefined) return SBI_ERR_INVALID_PARAM;
    const others = ids.filter((id) => id !== h.hartId);
    // The others first: a retry must not find this hart's part done twice (harmless) or half done.
    if (others.length > 0 && this.harts.fence(others, fid !== 0) === SBI_RETRY) return SBI_RETRY;
    // remote_fence_i on this hart: its own stores already drop its decoded code.
    if (fid === 0 || others.length === ids.length) return SBI_SUCCESS;
    const sizeLo = x[A3]!;
    const sizeHi = x[A3 + 1]!;
    const start = pairToNumber(x[A2]!, x[A2 + 1]!);
    const all = (sizeLo === -1 && sizeHi === -1) || (sizeLo === 0 && sizeHi === 0 && start === 0);
    const size = (sizeHi >>> 0) * TWO32 + (sizeLo >>> 0);
    if (all || size > FENCE_PAGES_MAX * 4096) {
      h.tlb.flushTranslated();
      return SBI_SUCCESS;
    }
    // The TLB does not tag entries with ASIDs: a fence for one ASID drops the pages in all of them.
    for (let page = start - (start % 4096); page < start + size; page += 4096) h.tlb.flushPage(page);
    return SBI_SUCCESS;
  }

  /** Hart state management; undefined when the call does not return (the hart resumes elsewhere). */
  private hsm(h: Hart, fid: number): [number, number] | undefined {
    const x = h.x;
    const target = x[A0 + 1] === 0 ? x[A0]! >>> 0 : -1;
    const valid = target >= 0 && target < this.harts.count;
    switch (fid) {
      case 0: {
        // hart_start(hartid, start_addr, opaque)
        if (!valid) return [SBI_ERR_INVALID_PARAM, 0];
        if (target === h.hartId) return [SBI_ERR_ALREADY_AVAILABLE, 0];
        if (!this.platform.isRam(pairToNumber(x[A1]!, x[A1 + 1]!))) return [SBI_ERR_INVALID_ADDRESS, 0];
        const r = this.harts.start(target, x[A1]!, x[A1 + 1]!, x[A2]!, x[A2 + 1]!);
        if (r === SBI_RETRY) {
          this.retry(h);
          return undefined;
        }
        return [r, 0];
      }
      case 1: // hart_stop: not the last hart running, which nothing could start again
        if (!this.harts.stop(h)) return [SBI_ERR_FAILED, 0];
        return undefined;
      case 2: // hart_get_status
        if (!valid) return [SBI_ERR_INVALID_PARAM, 0];
        return [SBI_SUCCESS, target === h.hartId ? HSM_STARTED : this.harts.status(target)];
      case 3:
        return this.suspend(h);
      default:
        return [SBI_ERR_NOT_SUPPORTED, 0];
    }
  }

  /** hart_suspend(type, resume_addr, opaque): sleeps as WFI does until an interrupt is pending. */
  private suspend(h: Hart): [number, number] | undefined {
    const x = h.x;
    const type = x[A0 + 1] === 0 ? x[A0]! >>> 0 : -1;
    if (type !== SUSPEND_RETENTIVE && type !== SUSPEND_NON_RETENTIVE) return [SBI_ERR_INVALID_PARAM, 0];
    if (type === SUSPEND_RETENTIVE) {
      // Resumes after the ECALL, as if the call returned, with success.
      setReg(h, A0, SBI_SUCCESS);
      setReg(h, A1, 0);
      sleep(h);
      return undefined;
    }
    const resume = pairToNumber(x[A1]!, x[A1 + 1]!);
    if (!this.platform.isRam(resume)) return [SBI_ERR_INVALID_ADDRESS, 0];
    // Non-retentive: resumes at resume_addr as a started hart would, a1 = opaque (then sleeps until an interrupt).
    startHart(h, resume, x[A2]!, x[A2 + 1]!);
    sleep(h);
    return undefined;
  }

  private systemReset(h: Hart): number {
    const x = h.x;
    const type = x[A0 + 1] === 0 ? x[A0]! >>> 0 : -1;
    const reason = x[A1 + 1] === 0 ? x[A1]! >>> 0 : -1;
    if (type < 0 || (type > RESET_WARM_REBOOT && type < RESET_VENDOR)) return SBI_ERR_INVALID_PARAM;
    if (reason < 0 || (reason >= 2 && reason < REASON_RESERVED_END)) return SBI_ERR_INVALID_PARAM;
    if (type >= RESET_VENDOR) return SBI_ERR_NOT_SUPPORTED;
    // As OpenSBI on this board: the reason does not change what happens.
    this.platform.reset(type === RESET_SHUTDOWN ? 'poweroff' : 'reset');
    // The call does not return: the hart waits while the run loop ends.
    h.waiting = true;
    return SBI_SUCCESS;
  }
}

/** set_timer: the next timer event at `time` >= stime_value, kept in stimecmp (Sstc), which clears STIP. */
function setTimer(h: Hart, lo: number, hi: number): void {
  h.csr[CSR.stimecmp * 2] = lo;
  h.csr[CSR.stimecmp * 2 + 1] = hi;
  updateSupervisorTimer(h);
}

/** Sleeps as WFI: unless an interrupt is pending already. */
function sleep(h: Hart): void {
  if (((h.mipHw | h.mipSw) & h.mie) === 0) h.waiting = true;
}

function setReg(h: Hart, at: number, v: number): void {
  h.x[at] = v | 0;
  h.x[at + 1] = numberHi(v);
}

/** A BASE function's value; undefined for a function that does not exist. */
function base(fid: number, h: Hart): number | undefined {
  switch (fid) {
    case 0:
      return SBI_SPEC_VERSION;
    case 1:
      return SBI_IMPL_ID;
    case 2:
      return SBI_IMPL_VERSION;
    case 3: {
      const x = h.x;
      return x[A0 + 1] === 0 && EXTENSIONS.has(x[A0]! >>> 0) ? 1 : 0;
    }
    case 4: // mvendorid, marchid, mimpid: the hart reports 0 for each ("not implemented").
    case 5:
    case 6:
      return 0;
    default:
      return undefined;
  }
}
