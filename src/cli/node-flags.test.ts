import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { NODE_FLAGS } from './node-flags.js';
import { TYPEVISOR_BIN_PATH } from './bundled.js';

test('the executable starts Node with NODE_FLAGS', () => {
  const first = readFileSync(TYPEVISOR_BIN_PATH, 'utf8').split('\n')[0];
  assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
});

test('run through its shebang line, the executable answers', () => {
  const r = spawnSync(TYPEVISOR_BIN_PATH, ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
});
