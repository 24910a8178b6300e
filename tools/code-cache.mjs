// Makes dist/bundle/typevisor.cache (see src/cli/bundle-loader.ts): loads the command line's bundle as
// bin/typevisor.cjs does, boots the bundled guest to its shell prompt, and writes V8's code cache of the bundle
// as it is then, with every function the boot compiled. tools/bundle.mjs runs it with the executable's Node
// options (V8 rejects a cache made under other flags).
import { writeFileSync } from 'node:fs';
import { BUNDLE_FILE, CODE_CACHE_FILE, loadBundle } from '../dist/cli/bundle-loader.js';
import { V8_FLAGS_ENV } from '../dist/cli/node-flags.js';

const PROMPT = '~ # ';
// Compiled from source (no cache): the cache written is a fresh one.
const bundle = loadBundle(BUNDLE_FILE, null);
let out = '';
process.stdout.write = (chunk) => {
  out = (out + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'))).slice(-64);
  if (out.includes(PROMPT)) {
    writeFileSync(CODE_CACHE_FILE, bundle.codeCache());
    process.exit(0);
  }
  return true;
};
setTimeout(() => {
  process.stderr.write('tools/code-cache.mjs: the guest did not reach its prompt in 60 s\n');
  process.exit(1);
}, 60_000).unref();
// V8's options stay those of the start (src/cli/node-flags.ts): the cache records them, and every start loads it
// before it sets V8_FLAGS.
process.env[V8_FLAGS_ENV] = '';
await bundle.main(['run']);
process.stderr.write('tools/code-cache.mjs: the guest stopped before its prompt\n');
process.exit(1);
