/**
 * Starting the command line from its bundle (dist/bundle/typevisor.cjs, which tools/bundle.mjs builds after tsc)
 * with V8's code cache of it (dist/bundle/typevisor.cache, which tools/code-cache.mjs makes at build time by
 * booting the bundled guest to its prompt once). The cache holds the bytecode of every function that boot
 * compiled, so a start neither parses the bundle nor compiles those functions again as they are first called:
 * CLI boot to the prompt ~20 ms shorter (docs/benchmarks.md). A cache V8 rejects (another Node.js version,
 * other V8 flags, a bundle built since) is ignored and everything is compiled as without one. Node 20 has no
 * code cache for ES modules, hence a CommonJS bundle run as a script. bin/typevisor.cjs requires this module
 * as tools/bundle.mjs builds it into dist/bundle/loader.cjs: starting from CommonJS costs a few ms less.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The bundle and its code cache, next to each other in dist/bundle/. */
export const BUNDLE_FILE = fileURLToPath(new URL('../bundle/typevisor.cjs', import.meta.url));
export const CODE_CACHE_FILE = fileURLToPath(new URL('../bundle/typevisor.cache', import.meta.url));

export interface LoadedBundle {
  /** The command line's main (cli/main.ts): runs it on argv (without node and the script), returns the exit status. */
  readonly main: (argv: readonly string[]) => Promise<number>;
  /** Whether V8 compiled the bundle from the code cache. */
  readonly cached: boolean;
  /** A code cache of the bundle with every function compiled so far. */
  codeCache(): Buffer;
}

/**
 * The code cache in `file`, if there is one. It is trusted as the bundle is: both are the build's output in the
 * package's own directory (V8 checks that it was made from this source, by this V8, under these flags).
 */
function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Compiles and runs the CommonJS bundle `file`, with the code cache in `cacheFile` if there is one V8 takes
 * (null: compile from source).
 */
export function loadBundle(file = BUNDLE_FILE, cacheFile: string | null = CODE_CACHE_FILE): LoadedBundle {
  const source = readFileSync(file, 'utf8');
  const cachedData = cacheFile === null ? undefined : readCache(cacheFile);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const module = { exports: {} as { main?: LoadedBundle['main'] } };
  const wrapper = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  const main = module.exports.main;
  if (typeof main !== 'function') throw new Error(`${file} does not export main: run npm run build`);
  return { main, cached: cachedData !== undefined && !script.cachedDataRejected, codeCache: () => script.createCachedData() };
}

/** bin/typevisor.cjs: runs the command line on `argv`. */
export function runBundle(argv: readonly string[]): Promise<number> {
  return loadBundle().main(argv);
}
