import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DROPPED_ENV, shebangLine, typevisorEnv } from './node-flags.js';
import { TYPEVISOR_BIN_PATH } from './bundled.js';

test('the executable starts Node with NODE_FLAGS and without DROPPED_ENV', () => {
  const first = readFileSync(TYPEVISOR_BIN_PATH, 'utf8').split('\n')[0];
  assert.equal(first, shebangLine());
  assert.equal(first, '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1 --max-inlined-bytecode-size-cumulative=230 --wasm-tiering-budget=700000');
});

test('typevisorEnv leaves out DROPPED_ENV and keeps the rest', () => {
  const env = typevisorEnv({ NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', PATH: '/usr/bin', HOME: '/root' });
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/root' });
  assert.deepEqual(DROPPED_ENV, ['NODE_EXTRA_CA_CERTS']);
});

test('run through its shebang line, the executable answers, and Node starts without DROPPED_ENV', () => {
  const r = spawnSync(TYPEVISOR_BIN_PATH, ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
  // The same line on a script that prints what Node saw: a certificate file that does not exist makes Node warn.
  const dir = mkdtempSync(join(tmpdir(), 'tv-shebang-'));
  try {
    const script = join(dir, 'probe.cjs');
    writeFileSync(script, `${shebangLine()}\nconsole.log(JSON.stringify([process.env.NODE_EXTRA_CA_CERTS ?? null, process.execArgv]));\n`, { mode: 0o755 });
    const p = spawnSync(script, [], { encoding: 'utf8', env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') } });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stderr, '');
    assert.deepEqual(JSON.parse(p.stdout), [null, ['--v8-pool-size=1', '--max-inlined-bytecode-size-cumulative=230', '--wasm-tiering-budget=700000']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
