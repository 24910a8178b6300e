/**
 * Trap entry and return (privileged spec 3.1.6-3.1.9, 3.3.2, 4.1.1): delegation, the mstatus stack of
 * interrupt-enable and previous-privilege bits, vectored interrupts, and the choice among pending interrupts.
 */
import {
  CAUSE,
  CSR,
  IRQ_PRIORITY,
  MSTATUS_MIE,
  MSTATUS_MPIE,
  MSTATUS_MPP,
  MSTATUS_MPRV,
  MSTATUS_SIE,
  MSTATUS_SPIE,
  MSTATUS_SPP,
  PRIV_M,
  PRIV_S,
  PRIV_U,
} from './constants.js';
import type { Hart } from './hart.js';
import { numberHi, pairToNumber } from './pairs.js';

/** Enters the trap handler for `cause` (an interrupt when `interrupt`), taken at instruction address `epc`. */
export function takeTrap(h: Hart, cause: number, interrupt: boolean, tvalLo: number, tvalHi: number, epc: number): void {
  const deleg = interrupt ? h.mideleg : h.medeleg;
  const causeHi = interrupt ? 0x8000_0000 | 0 : 0;
  const epcLo = epc | 0;
  const epcHi = numberHi(epc);
  const c = h.csr;
  h.reservation = -1;
  h.waiting = false;
  const sbi = h.sbi;
  if (sbi !== undefined && h.priv === PRIV_S && !interrupt && cause === CAUSE.ECALL_FROM_S) {
    h.pc = epc + 4;
    sbi(h);
    return;
  }
  // With the SBI in the VMM nothing runs in M-mode: what is not delegated goes to S-mode all the same.
  if (h.priv <= PRIV_S && (((deleg >>> cause) & 1) !== 0 || sbi !== undefined)) {
    c[CSR.scause * 2] = cause;
    c[CSR.scause * 2 + 1] = causeHi;
    c[CSR.sepc * 2] = epcLo;
    c[CSR.sepc * 2 + 1] = epcHi;
    c[CSR.stval * 2] = tvalLo;
    c[CSR.stval * 2 + 1] = tvalHi;
    let s = h.mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
    if ((h.mstatus & MSTATUS_SIE) !== 0) s |= MSTATUS_SPIE;
    if (h.priv === PRIV_S) s |= MSTATUS_SPP;
    h.mstatus = s;
    h.priv = PRIV_S;
    h.pc = vector(c[CSR.stvec * 2]!, c[CSR.stvec * 2 + 1]!, interrupt, cause);
  } else {
    c[CSR.mcause * 2] = cause;
    c[CSR.mcause * 2 + 1] = causeHi;
    c[CSR.mepc * 2] = epcLo;
    c[CSR.mepc * 2 + 1] = epcHi;
    c[CSR.mtval * 2] = tvalLo;
    c[CSR.mtval * 2 + 1] = tvalHi;
    let s = h.mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
    if ((h.mstatus & MSTATUS_MIE) !== 0) s |= MSTATUS_MPIE;
    s |= h.priv << 11;
    h.mstatus = s;
    h.priv = PRIV_M;
    h.pc = vector(c[CSR.mtvec * 2]!, c[CSR.mtvec * 2 + 1]!, interrupt, cause);
  }
  h.updateTlbContext();
}

function vector(lo: number, hi: number, interrupt: boolean, cause: number): number {
  const base = pairToNumber(lo & ~3, hi);
  return interrupt && (lo & 3) === 1 ? base + 4 * cause : base;
}

/** MRET: returns to the privilege in MPP. */
export function mret(h: Hart): void {
  const s = h.mstatus;
  const mpp = (s & MSTATUS_MPP) >>> 11;
  let n = s & ~(MSTATUS_MIE | MSTATUS_MPP);
  if ((s & MSTATUS_MPIE) !== 0) n |= MSTATUS_MIE;
  n |= MSTATUS_MPIE;
  if (mpp !== PRIV_M) n &= ~MSTATUS_MPRV;
  h.mstatus = n;
  h.priv = mpp;
  h.pc = pairToNumber(h.csr[CSR.mepc * 2]!, h.csr[CSR.mepc * 2 + 1]!);
  h.updateTlbContext();
}

/** SRET: returns to the privilege in SPP. */
export function sret(h: Hart): void {
  const s = h.mstatus;
  const spp = (s & MSTATUS_SPP) !== 0 ? PRIV_S : PRIV_U;
  let n = s & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
  if ((s & MSTATUS_SPIE) !== 0) n |= MSTATUS_SIE;
  n |= MSTATUS_SPIE;
  h.mstatus = n;
  h.priv = spp;
  h.pc = pairToNumber(h.csr[CSR.sepc * 2]!, h.csr[CSR.sepc * 2 + 1]!);
  h.updateTlbContext();
}

/** The interrupt that would be taken now, or -1 (privileged spec 3.1.9). */
export function pendingInterrupt(h: Hart): number {
  const pending = (h.mipHw | h.mipSw) & h.mie;
  if (pending === 0) return -1;
  const priv = h.priv;
  const mEnabled = priv < PRIV_M || (h.mstatus & MSTATUS_MIE) !== 0;
  const sEnabled = priv < PRIV_S || (priv === PRIV_S && (h.mstatus & MSTATUS_SIE) !== 0);
  let enabled = 0;
  if (mEnabled) enabled |= pending & ~h.mideleg;
  if (sEnabled) enabled |= pending & h.mideleg;
  if (enabled === 0) return -1;
  for (const irq of IRQ_PRIORITY) if (((enabled >>> irq) & 1) !== 0) return irq;
  return -1;
}

/** Takes the highest-priority enabled pending interrupt, if any. Returns whether one was taken. */
export function checkInterrupts(h: Hart): boolean {
  const irq = pendingInterrupt(h);
  if (irq < 0) return false;
  takeTrap(h, irq, true, 0, 0, h.pc);
  return true;
}
