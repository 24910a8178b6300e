/**
 * Warming up the CPU engines once per process, before the first guest instruction (riscv/warmup.ts says why). The
 * run command calls this as early as it can, while the kernel inflates and the rest of the machine's code loads:
 * V8 compiles the optimized interpreter in the background after the warm-up, and a guest that starts before then
 * runs unoptimized code. Machine calls it too (a no-op after the first call).
 *
 * The translator had a warm-up of its own (its dispatcher and code generator on a small program, ~28 ms). With
 * V8's background work on one thread (cli/node-flags.ts) it cost more than it saved: boot to the prompt from the
 * command line, medians of 10 pairs, 694 ms with it and 664 ms without; the CPU workloads unchanged. So it went.
 */
import { warmUpInterpreter } from '../riscv/warmup.js';

let warmedUp = false;

/** Warms up the interpreter (which the translator runs too, for single instructions). Only the first call does anything. */
export function warmUpEngines(): void {
  if (warmedUp) return;
  warmedUp = true;
  warmUpInterpreter();
}
