import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUNDLE_FILE, CODE_CACHE_FILE, loadBundle } from './bundle-loader.js';
import { NODE_FLAGS } from './node-flags.js';

test('the build made a code cache of the command line that V8 takes under the executable\'s options', () => {
  // In a process started as bin/typevisor.cjs starts (V8 rejects a cache made under other V8 options).
  const loader = join(dirname(BUNDLE_FILE), 'loader.cjs');
  const script = `const b = require(${JSON.stringify(loader)}).loadBundle(); console.log(JSON.stringify({ cached: b.cached, size: b.codeCache().length }));`;
  const r = spawnSync(process.execPath, [...NODE_FLAGS, '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { cached, size } = JSON.parse(r.stdout) as { cached: boolean; size: number };
  assert.equal(cached, true, `${CODE_CACHE_FILE} is missing or rejected: npm run build makes it`);
  assert.ok(size > 100_000);
});

test('a damaged code cache is ignored: the bundle is compiled from source', async () => {
  const bad = join(mkdtempSync(join(tmpdir(), 'typevisor-cache-')), 'typevisor.cache');
  writeFileSync(bad, Buffer.alloc(4096, 0x5a));
  const b = loadBundle(BUNDLE_FILE, bad);
  assert.equal(b.cached, false);
  // It runs: an unknown option is a usage error (status 2), reported on stderr.
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    assert.equal(await b.main(['--no-such-option']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(err, /unknown option/);
});
