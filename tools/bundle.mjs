// Bundles the command line (dist/cli/main.js) and the hart worker thread (dist/machine/smp/hart-worker.js)
// into dist/bundle/, after tsc. bin/typevisor.js loads the bundle: Node resolved, read and compiled the CLI's
// ~150 ES modules one by one, ~100 ms of every start, where one bundle takes a fraction of that (boot to the
// prompt from the command line, 6 pairs in turns: medians ~876 -> ~810 ms). The packages in node_modules stay
// outside it, and code loaded on demand (the control API server and Fastify, restore, TAP) stays in chunks of
// its own. The bundle sits two directories below the repository, as dist/cli/ does, so the paths the code
// finds from import.meta.url (guest/images/, package.json, bin/) are the same; the worker is an entry point of
// its own because hart-pool.ts starts it as './hart-worker.js' next to itself. The tests run the modules in
// dist/ directly, and the ones that start the command line run the bundle.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Chunk names change with their content: start from an empty directory.
rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { typevisor: 'dist/cli/main.js', 'hart-worker': 'dist/machine/smp/hart-worker.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
