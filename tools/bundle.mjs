// Bundles the command line (dist/cli/main.js) and the hart worker thread (dist/machine/smp/hart-worker.js)
// into dist/bundle/, after tsc, then makes the command line's code cache (tools/code-cache.mjs). Node resolved,
// read and compiled the CLI's ~150 ES modules one by one, ~100 ms of every start, where one bundle takes a
// fraction of that (boot to the prompt from the command line, 6 pairs in turns: medians ~876 -> ~810 ms).
// The command line is a CommonJS bundle (typevisor.cjs) because Node 20 keeps V8's code cache for scripts only
// (src/cli/bundle-loader.ts, built into loader.cjs, which bin/typevisor.cjs requires); code loaded on demand
// (the control API server, restore, TAP, the network stack) is in it too, run when first imported. The packages
// in node_modules stay outside it, but Commander. The bundle sits two directories below the repository, as
// dist/cli/ does, so the paths the code finds from import.meta.url (guest/images/, package.json, bin/, the
// worker) are the same: import.meta.url becomes the bundle file's URL. The worker is an ES module of its own
// because hart-pool.ts starts it as './hart-worker.js' next to itself. The tests run the modules in dist/
// directly, and the ones that start the command line run the bundle.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../dist/cli/node-flags.js';
import { interpreterModuleBytes, prebuiltInterpreterName } from '../dist/riscv/jit/interp-wasm.js';
import { COMPRESSED_TABLE_FILE, storedCompressedTable } from '../dist/riscv/compressed.js';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(new URL('../dist/bundle', import.meta.url), { recursive: true, force: true });
// The packages stay in node_modules, but Commander, which every start loads (~8 ms from there).
const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(dependencies).filter((name) => name !== 'commander');
const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', external, sourcemap: true, logLevel: 'warning' };
/**
 * Commander requires node:child_process when it loads, for executable subcommands (`spawn`), which Typevisor has
 * none of: ~3.5 ms of every start (timed inside the bundle, 2026-11-26). In the bundle it requires it on first use.
 * The build fails if Commander's line changes, rather than bundle it eagerly unnoticed.
 */
const commanderLazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) throw new Error(`${args.path} no longer has "${eager}": update tools/bundle.mjs`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};
/** A CommonJS bundle whose import.meta.url is its own file's URL. */
const commonJs = (entry, outfile) =>
  build({
    ...common,
    plugins: [commanderLazyChildProcess],
    entryPoints: [entry],
    outfile,
    format: 'cjs',
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: 'const importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
await commonJs('dist/cli/main.js', 'dist/bundle/typevisor.cjs');
// What bin/typevisor.cjs requires: the loader (its paths are the same from dist/bundle/).
await commonJs('dist/cli/bundle-loader.js', 'dist/bundle/loader.cjs');
await build({ ...common, entryPoints: ['dist/machine/smp/hart-worker.js'], outfile: 'dist/bundle/hart-worker.js', format: 'esm' });

// The WebAssembly interpreter's module, each variant, where the bundles find it (src/riscv/jit/interp-wasm.ts
// prebuiltInterpreterName): made here once rather than by every start.
for (let variant = 0; variant < 4; variant++) {
  writeFileSync(new URL(`../dist/bundle/${prebuiltInterpreterName(variant)}`, import.meta.url), interpreterModuleBytes(variant));
}

// The compressed-instruction table unpacked, next to the module that reads it and to the bundle
// (src/riscv/compressed.ts compressedTable): a start then neither loads zlib nor unpacks it.
const cexp = new Uint8Array(storedCompressedTable().buffer);
for (const dir of ['../dist/riscv/', '../dist/bundle/']) writeFileSync(new URL(dir + COMPRESSED_TABLE_FILE, import.meta.url), cexp);

// The bundled kernel inflated (src/cli/bundled.ts kernelPath): a boot then does not wait for zlib. Made by
// every build, so it is never older than guest/images/Image.gz.
const gz = new URL('../guest/images/Image.gz', import.meta.url);
if (existsSync(gz)) writeFileSync(new URL('../dist/bundle/Image', import.meta.url), gunzipSync(readFileSync(gz)));

// The code cache: a boot of the bundled guest in a process of its own (with the executable's Node options).
const made = spawnSync(process.execPath, [...NODE_FLAGS, fileURLToPath(new URL('code-cache.mjs', import.meta.url))], {
  stdio: ['ignore', 'ignore', 'inherit'],
  timeout: 120_000,
});
if (made.status !== 0) console.warn('tools/bundle.mjs: no code cache made; typevisor starts without one');
