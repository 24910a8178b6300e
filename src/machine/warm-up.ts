/**
 * Warming up the interpreter engine once per process, before the first guest instruction (riscv/warmup.ts says
 * why). The run command calls this as early as it can, while the kernel inflates and the rest of the machine's
 * code loads: V8 compiles the optimized interpreter in the background after the warm-up, and a guest that starts
 * before then runs unoptimized code. Machine calls it too (a no-op after the first call).
 *
 * Only the interpreter engine is warmed up. The translator had a warm-up of its own (its dispatcher and code
 * generator on a small program, ~28 ms): with V8's background work on one thread (cli/node-flags.ts) it cost
 * more than it saved (boot to the prompt from the command line, medians of 10 pairs, 694 ms with it and 664 ms
 * without), so it went. Since cold code runs in the WebAssembly interpreter (jit/interp-wasm.ts), the translator
 * leaves only single instructions to the TypeScript one (~25 k a boot), and warming that up cost more than it
 * saved too: boot to the prompt from the command line, 16 and 20 pairs in turns, paired ratios 0.957 and 0.963
 * without it (2026-11-26, docs/benchmarks.md).
 */
import { warmUpInterpreter } from '../riscv/warmup.js';
import { defaultEngine, type Engine } from '../riscv/engine.js';

let warmedUp = false;

/** Warms up the interpreter if `engine` is the interpreter. Only the first such call does anything. */
export function warmUpEngines(engine: Engine = defaultEngine()): void {
  if (warmedUp || engine !== 'interp') return;
  warmedUp = true;
  warmUpInterpreter();
}
