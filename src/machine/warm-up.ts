/**
 * Warming up the CPU engines once per process, before the first guest instruction (riscv/warmup.ts and
 * riscv/jit/warmup.ts say why). The run command calls this as early as it can, while the kernel inflates and the
 * rest of the machine's code loads: V8 compiles the optimized interpreter on another thread for ~40–60 ms after
 * the warm-up, and a guest that starts before then runs unoptimized code. Machine calls it too (a no-op after the
 * first call). Both decide whether harts run in worker threads by the same rule (hartsInParallel).
 */
import type { Engine } from '../riscv/engine.js';
import { warmUpInterpreter } from '../riscv/warmup.js';
import { warmUpTranslator } from '../riscv/jit/warmup.js';

let warmedUp = false;

/**
 * Warms up the interpreter and, for harts on the translator on this thread (`parallel` false), the
 * translator's dispatcher and code generator. Only the first call does anything.
 */
export function warmUpEngines(engine: Engine, parallel: boolean): void {
  if (warmedUp) return;
  warmedUp = true;
  warmUpInterpreter();
  // Harts on the translator run on this thread only when they do not run in parallel (in worker threads).
  if (engine === 'jit' && !parallel) warmUpTranslator();
}

/** Whether a machine's harts run in worker threads: as asked, else when there are several (MachineOptions.parallel). */
export function hartsInParallel(harts: number, parallel?: boolean): boolean {
  return parallel ?? harts > 1;
}
