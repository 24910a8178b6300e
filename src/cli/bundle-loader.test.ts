import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILE, CODE_CACHE_FILE, loadBundle } from './bundle-loader.js';

test('the build made a code cache of the command line that V8 takes', () => {
  const b = loadBundle();
  assert.equal(b.cached, true, `${CODE_CACHE_FILE} is missing or rejected: npm run build makes it`);
  assert.equal(typeof b.main, 'function');
  assert.ok(b.codeCache().length > 100_000);
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
