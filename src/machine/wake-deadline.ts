/**
 * How long a hart waiting in WFI may sleep: until the first of its timers (the CLINT's mtimecmp, Sstc's
 * stimecmp) that can still wake it.
 */
import type { Clint } from '../devices/clint.js';
import type { Hart } from '../riscv/hart.js';
import { MIP_STIP } from '../riscv/constants.js';
import { stce, ticksUntilSupervisorTimer } from '../riscv/sstc.js';

/**
 * Timer ticks until the hart's next timer deadline that has not raised its interrupt yet (0: one is due and the
 * run loop's next check raises it), Infinity if none. A timer whose interrupt is already raised did not wake the
 * hart (the hart masks it) and will not again: counting it would not sleep at all, and a guest that masks a due
 * timer and waits would keep the host busy (on the machine's thread, starving the event loop).
 */
export function ticksUntilWake(clint: Clint, h: Hart): number {
  const m = clint.mtip(h.hartId) ? Infinity : clint.ticksUntilDeadline(h.hartId);
  const s = stce(h) && (h.mipHw & MIP_STIP) !== 0 ? Infinity : ticksUntilSupervisorTimer(h);
  return Math.min(m, s);
}
