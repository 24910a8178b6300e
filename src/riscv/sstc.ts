/**
 * Sstc: the supervisor timer compare register `stimecmp`. With menvcfg.STCE set, mip.STIP is the level
 * `time >= stimecmp` (unsigned), driven by the hart itself rather than written by M-mode software: Linux then sets
 * its next timer event with one CSR write instead of an SBI call (an ecall into the firmware, which wrote the
 * CLINT's mtimecmp and later forwarded the machine timer interrupt as STIP).
 *
 * The level is recomputed when stimecmp or menvcfg is written (so that a handler's write that moves the deadline
 * on takes STIP down before the next instruction) and, as time passes, by the run loop between bursts, as the
 * CLINT's MTIP is.
 */
import { CSR, MIP_STIP } from './constants.js';
import type { Hart } from './hart.js';

/** menvcfg.STCE (bit 63) in the CSR's high word. */
export const MENVCFG_STCE_HI = 0x8000_0000 | 0;

const TWO32 = 4294967296;

/** Whether menvcfg.STCE is set: stimecmp exists for S-mode, and drives STIP. */
export function stce(h: Hart): boolean {
  return (h.csr[CSR.menvcfg * 2 + 1]! & MENVCFG_STCE_HI) !== 0;
}

/** stimecmp as a number (2^64 - 1 reads as 2^64: exact below 2^53, which the time never reaches). */
function stimecmp(h: Hart): number {
  return (h.csr[CSR.stimecmp * 2 + 1]! >>> 0) * TWO32 + (h.csr[CSR.stimecmp * 2]! >>> 0);
}

/** Sets mip.STIP from the timer when STCE is on; leaves it alone (software's to write) when it is off. */
export function updateSupervisorTimer(h: Hart): void {
  if (!stce(h)) return;
  if (h.platform.readTime() >= stimecmp(h)) h.mipHw |= MIP_STIP;
  else h.mipHw &= ~MIP_STIP;
}

/** Timer ticks until STIP rises (0 if it is due; Infinity when STCE is off): for sleeping in WFI. */
export function ticksUntilSupervisorTimer(h: Hart): number {
  if (!stce(h)) return Infinity;
  return Math.max(0, stimecmp(h) - h.platform.readTime());
}
