import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DROPPED_ENV, shebangLine, typevisorEnv, V8_FLAGS, V8_FLAGS_ENV } from './node-flags.js';
import { TYPEVISOR_BIN_PATH } from './bundled.js';

test('the executable starts Node with NODE_FLAGS and without DROPPED_ENV', () => {
  const first = readFileSync(TYPEVISOR_BIN_PATH, 'utf8').split('\n')[0];
  assert.equal(first, shebangLine());
  assert.equal(first, '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1');
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
    assert.deepEqual(JSON.parse(p.stdout), [null, ['--v8-pool-size=1']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * applyV8Flags in a process of its own (V8's options are the process's): `--allow-natives-syntax` stands for any
 * option, since whether it is on shows in what JavaScript compiles.
 */
function v8FlagsProbe(env: string | undefined): { natives: boolean[]; status: number | null; stderr: string } {
  const nodeFlags = new URL('./node-flags.js', import.meta.url).href;
  const script = `
    const { applyV8Flags } = await import(${JSON.stringify(nodeFlags)});
    const natives = () => { try { new Function('%IsBeingInterpreted()'); return true; } catch { return false; } };
    const before = natives();
    applyV8Flags();
    const after = natives();
    applyV8Flags({ ${JSON.stringify(V8_FLAGS_ENV)}: '--no-allow-natives-syntax' });
    console.log(JSON.stringify([before, after, natives()]));`;
  const childEnv = { ...process.env };
  delete childEnv[V8_FLAGS_ENV];
  if (env !== undefined) childEnv[V8_FLAGS_ENV] = env;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: childEnv });
  return { natives: r.status === 0 ? (JSON.parse(r.stdout) as boolean[]) : [], status: r.status, stderr: r.stderr };
}

test('applyV8Flags sets the options of $TYPEVISOR_V8_FLAGS, once; an empty one sets none', () => {
  const set = v8FlagsProbe('--allow-natives-syntax');
  assert.equal(set.status, 0, set.stderr);
  assert.deepEqual(set.natives, [false, true, true]);
  const none = v8FlagsProbe('');
  assert.equal(none.status, 0, none.stderr);
  assert.deepEqual(none.natives, [false, false, false]);
});

test('without $TYPEVISOR_V8_FLAGS, applyV8Flags sets V8_FLAGS: options V8 knows', () => {
  const r = v8FlagsProbe(undefined);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.natives, [false, false, false]);
  assert.deepEqual(V8_FLAGS, ['--max-inlined-bytecode-size-cumulative=230', '--wasm-tiering-budget=700000']);
  // Node starts with options V8 knows, and refuses one it does not ("bad option").
  const known = spawnSync(process.execPath, [...V8_FLAGS, '-e', '0'], { encoding: 'utf8' });
  assert.equal(known.status, 0, known.stderr);
  const unknown = spawnSync(process.execPath, ['--wasm-no-such-option=1', '-e', '0'], { encoding: 'utf8' });
  assert.notEqual(unknown.status, 0);
});
