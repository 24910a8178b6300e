/**
 * Runs a hart for a number of instructions: takes pending interrupts between blocks of execution and honours
 * WFI. This is the CPU engine's entry point for the machine's run loop.
 */
import type { Hart } from './hart.js';
import { runBlock } from './execute.js';
import { checkInterrupts } from './trap.js';
import { JitHart } from './jit/jit-hart.js';

/** Runs up to about `budget` instructions. Returns early when the hart waits for an interrupt (WFI). */
export function runHart(h: Hart, budget: number): void {
  if (h.engine === 'jit' && h.area >= 0) {
    (h.jit ??= new JitHart(h)).run(budget);
    return;
  }
  let done = 0;
  while (done < budget) {
    if (h.waiting) {
      if (((h.mipHw | h.mipSw) & h.mie) === 0) return;
      h.waiting = false;
    }
    checkInterrupts(h);
    // The extra one guarantees progress when an instruction traps before retiring.
    done += runBlock(h, budget - done) + 1;
  }
}

/** Whether the hart is stopped in WFI with nothing pending. */
export function isIdle(h: Hart): boolean {
  return h.waiting && ((h.mipHw | h.mipSw) & h.mie) === 0;
}
