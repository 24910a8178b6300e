import { setFlagsFromString } from 'node:v8';
import { TYPEVISOR_BIN_PATH } from './bundled.js';

/**
 * The Node.js options a `typevisor` process starts with: bin/typevisor.cjs's shebang line passes them, and what
 * re-runs the CLI (tap-attach.ts, the tests' and benchmarks' child processes, through typevisorArgv) passes
 * them too (node-flags.test.ts checks that the two agree).
 *
 * `--v8-pool-size=1`: one thread for V8's background work instead of four. A VM's harts run on the main thread,
 * and V8 compiles (the translator's blocks, then the optimized code of the hot ones and of the emulator's own
 * functions) on its pool: ~0.7 s of CPU in a boot of ~0.6 s. With four pool threads on a 2-core host, the main
 * thread waited ~180 ms of a boot on the run queue; with one, ~2 ms, and the boot to the shell took ~100 ms
 * less (docs/benchmarks.md, 2026-11-26 fifth session). Options of this kind cannot be set once Node has started.
 */
export const NODE_FLAGS: readonly string[] = ['--v8-pool-size=1'];

/**
 * V8's options for a process that runs a VM, set by applyV8Flags once the VM's console is up rather than on the
 * command line: V8 takes a code cache only under the options it was made with, and that holds for the cache of
 * Node's own built-in modules inside the node executable too. Started with these, Node compiled from source
 * every built-in module it loads after its start-up snapshot (the streams of stdin and stdout, timers/promises,
 * vm, v8, ...): ~20 ms of every `typevisor run` before its first guest instruction (stdin's and stdout's streams
 * alone 12-18 ms against 2-3 ms; docs/benchmarks.md, eighteenth session).
 * Both are read where they act (TurboFan's inlining at each compile, the tiering budget when a WebAssembly
 * instance is made and each time it runs out), so setting them later changes nothing else.
 *
 * `--max-inlined-bytecode-size-cumulative=230` (V8's default 920): TurboFan inlines less into each function it
 * optimizes, so each compile is shorter. A boot queues ~0.3 s of TurboFan compiles of the emulator's own
 * functions on that one pool thread, and what waits there runs unoptimized meanwhile. In-process boot medians
 * of 8 pairs 463 -> 443 ms and 495 -> 463 ms (6 runs), CLI boot 588 -> 579 ms (12 pairs) and 620 -> 612 ms
 * (16 pairs); sha256 and a shell loop no slower.
 *
 * `--wasm-tiering-budget=700000` (V8's default 1800000, roughly bytes of Liftoff code run): a translated block
 * is recompiled by TurboFan after about a third of the running it took before. A workload's first run after the
 * boot ramped up over ~0.6 s while its blocks waited out that budget in Liftoff code (the shell loop's first
 * 100 ms at ~170 MIPS, ~600 after 0.6 s). In-process, 8 pairs in turns: shell loop first run paired 0.932,
 * second run 0.926; bench:mips' loop from the command line 0.907 (12 pairs); command line boot 0.954 and 0.997
 * (24 pairs each); sha256sum and gzip the same within noise. 200000 made boots slower (1.079: more of the
 * kernel's blocks recompiled on the one pool thread).
 *
 * Programs that run a Machine in their own process (tools/duo.mjs) pass them on their command line, where they
 * act the same.
 */
export const V8_FLAGS: readonly string[] = ['--max-inlined-bytecode-size-cumulative=230', '--wasm-tiering-budget=700000'];

/**
 * The environment variable that replaces V8_FLAGS for this process: space-separated V8 options, or empty for
 * none (V8 prints "unrecognized flag" for one it does not know, and goes on). tools/code-cache.mjs empties it: a
 * code cache made after the options changed is refused by every start.
 */
export const V8_FLAGS_ENV = 'TYPEVISOR_V8_FLAGS';

let applied = false;

/**
 * Sets V8_FLAGS (or $TYPEVISOR_V8_FLAGS) in this process, once: VmSession calls it when the console's streams
 * exist, the last of Node's built-in modules a run needs.
 */
export function applyV8Flags(env: NodeJS.ProcessEnv = process.env): void {
  if (applied) return;
  applied = true;
  const flags = env[V8_FLAGS_ENV] ?? V8_FLAGS.join(' ');
  if (flags.trim() !== '') setFlagsFromString(flags);
}

/**
 * Environment variables a `typevisor` process starts without: the shebang line unsets them (`env -u`), and
 * typevisorEnv leaves them out for the processes that re-run the CLI.
 *
 * `NODE_EXTRA_CA_CERTS`: Node 20 reads and parses the certificates it names before running any JavaScript,
 * whether or not the process ever makes a TLS connection. Set to the system's bundle (/etc/ssl/certs, ~140
 * certificates), as on the machines this project is built on, that was ~60 ms of every start, more than the
 * rest of Node's own start (node on an empty script: 80-110 ms with it, 25-35 ms without). Typevisor makes no
 * TLS connections; what will (a cluster's etcd client) should take its certificate authority as an option of
 * its own.
 */
export const DROPPED_ENV: readonly string[] = ['NODE_EXTRA_CA_CERTS'];

/** `env` without DROPPED_ENV: the environment a `typevisor` child process gets. */
export function typevisorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of DROPPED_ENV) delete out[name];
  return out;
}

/** The executable's shebang line: Node started with NODE_FLAGS and without DROPPED_ENV. */
export function shebangLine(): string {
  return `#!/usr/bin/env -S ${DROPPED_ENV.map((n) => `-u ${n} `).join('')}node ${NODE_FLAGS.join(' ')}`;
}

/** The arguments for process.execPath that run `typevisor` with `args`: Node's options, the executable, `args`. */
export function typevisorArgv(args: readonly string[]): string[] {
  return [...NODE_FLAGS, TYPEVISOR_BIN_PATH, ...args];
}
