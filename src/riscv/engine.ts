/**
 * The CPU engines: the translator (jit/), which compiles hot guest code to WebAssembly and runs the rest in the
 * interpreter, and the interpreter alone (execute.ts), the reference. The translator is the default: it boots as
 * fast and runs guest work 6-30 times faster. TYPEVISOR_ENGINE=interp in the environment makes the interpreter
 * the default (so the whole test suite runs on it too); the command line's --engine overrides the default.
 */
export type Engine = 'interp' | 'jit';

export const ENGINES: readonly Engine[] = ['interp', 'jit'];

export function defaultEngine(): Engine {
  return process.env['TYPEVISOR_ENGINE'] === 'interp' ? 'interp' : 'jit';
}
