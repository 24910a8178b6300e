import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFully } from './read-fully.js';

test('readFully reads the range asked for, or says where the file ended', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'typevisor-read-fully-')), 'f');
  const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r');
  try {
    const into = new Uint8Array(50_000);
    await readFully(fd, into, 10_000, () => new Error('end'));
    assert.deepEqual(into, bytes.subarray(10_000, 60_000));
    await readFully(fd, new Uint8Array(0), 200_000, () => new Error('end'));
    await assert.rejects(readFully(fd, new Uint8Array(1000), 99_500, (at) => new Error(`ended at ${at}`)), /ended at 100000/);
  } finally {
    closeSync(fd);
  }
});
