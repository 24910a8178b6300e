/**
 * The CPU engines: the interpreter (execute.ts), always there and the reference, and the translator (jit/),
 * which compiles hot guest code to WebAssembly. TYPEVISOR_ENGINE=jit in the environment makes the translator
 * the default (so the whole test suite can run on it); the command line's --engine overrides the default.
 */
export type Engine = 'interp' | 'jit';

export const ENGINES: readonly Engine[] = ['interp', 'jit'];

export function defaultEngine(): Engine {
  return process.env['TYPEVISOR_ENGINE'] === 'jit' ? 'jit' : 'interp';
}
