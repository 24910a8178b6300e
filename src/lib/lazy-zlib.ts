/**
 * Node's zlib, loaded on first use. Requiring node:zlib compiles Node's stream modules with it, 7-10 ms of a
 * start (measured 2026-11-27), and a boot of the bundled kernel needs none of it: the kernel is inflated by
 * the build, the compressed-instruction table read from the file the build writes (riscv/compressed.ts), and
 * snapshots are not taken. Those that may need it call this instead of importing it.
 */
import { createRequire } from 'node:module';

let zlib: typeof import('node:zlib') | undefined;

export function lazyZlib(): typeof import('node:zlib') {
  zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return zlib;
}
