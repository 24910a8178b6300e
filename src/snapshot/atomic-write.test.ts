import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tv-atomic-'));
}

test('writes, replaces, and leaves no temp files', async () => {
  const d = tmpdir();
  const p = path.join(d, 'snap');
  await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...fs.readFileSync(p)], [1, 2, 3]);
  writeFileAtomicSync(p, new Uint8Array([4, 5]));
  assert.deepEqual([...fs.readFileSync(p)], [4, 5]);
  await writeFileAtomic(p, new Uint8Array(0));
  assert.equal(fs.readFileSync(p).length, 0);
  assert.deepEqual(fs.readdirSync(d), ['snap']);
  fs.rmSync(d, { recursive: true });
});

test('a failure leaves the old file untouched and cleans up', async () => {
  const d = tmpdir();
  const p = path.join(d, 'snap');
  fs.writeFileSync(p, 'old');
  fs.chmodSync(d, 0o555);
  try {
    if (process.getuid?.() === 0) {
      // Root ignores directory permissions: try from a child without CAP_DAC_OVERRIDE (util-linux setpriv).
      const mod = new URL('./atomic-write.js', import.meta.url).href;
      const script = `import(${JSON.stringify(mod)}).then(async (m) => {
        const codes = [];
        try { await m.writeFileAtomic(${JSON.stringify(p)}, new Uint8Array([9, 9, 9])); } catch (e) { codes.push(e.code); }
        try { m.writeFileAtomicSync(${JSON.stringify(p)}, new Uint8Array([9])); } catch (e) { codes.push(e.code); }
        console.log(codes.join(','));
      })`;
      const drop = '-dac_override,-dac_read_search';
      const r = spawnSync('setpriv', ['--bounding-set', drop, '--inh-caps', drop, process.execPath, '-e', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /^(EACCES|EPERM),(EACCES|EPERM)$/);
    } else {
      await assert.rejects(writeFileAtomic(p, new Uint8Array([9, 9, 9])), /EACCES|EPERM/);
      assert.throws(() => writeFileAtomicSync(p, new Uint8Array([9])), /EACCES|EPERM/);
    }
    assert.equal(fs.readFileSync(p, 'utf8'), 'old');
  } finally {
    fs.chmodSync(d, 0o755);
  }
  assert.deepEqual(fs.readdirSync(d), ['snap']);
  fs.rmSync(d, { recursive: true });
});

test('a failure when renaming (target is a directory) leaves it and removes the temp file', async () => {
  const d = tmpdir();
  const p = path.join(d, 'snapdir');
  fs.mkdirSync(p);
  fs.writeFileSync(path.join(p, 'inner'), 'x');
  await assert.rejects(writeFileAtomic(p, new Uint8Array([1])));
  assert.deepEqual(fs.readdirSync(d), ['snapdir']);
  assert.equal(fs.readFileSync(path.join(p, 'inner'), 'utf8'), 'x');
  fs.rmSync(d, { recursive: true });
});

test('kill -9 in the middle of writing leaves the old file intact', async () => {
  const d = tmpdir();
  const p = path.join(d, 'snap');
  fs.writeFileSync(p, 'old snapshot');
  const mod = new URL('./atomic-write.js', import.meta.url).href;
  // The child writes a large file in many chunks forever; we kill it once a temp file has appeared.
  const script = `
    import { writeFileAtomic } from ${JSON.stringify(mod)};
    const big = new Uint8Array(64 * 1024 * 1024).fill(7);
    for (;;) await writeFileAtomic(${JSON.stringify(p)}, big);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !fs.readdirSync(d).some((n) => n.includes('.tmp-'))) {
    await new Promise((r) => setTimeout(r, 2));
  }
  const caughtMidWrite = fs.readdirSync(d).some((n) => n.includes('.tmp-'));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(caughtMidWrite, 'the child never started writing');
  const content = fs.readFileSync(p);
  // Either the old file or one complete new one: never a partial write.
  const ok = content.toString() === 'old snapshot' || (content.length === 64 * 1024 * 1024 && content.every((b) => b === 7));
  assert.ok(ok, `partial file of ${content.length} bytes at the destination`);
  fs.rmSync(d, { recursive: true });
});

test('a write that fails part-way (file size limit: EFBIG) leaves the old file and no temp file', async (t) => {
  if (process.platform === 'win32' || !fs.existsSync('/bin/sh')) {
    t.skip('needs a POSIX shell for ulimit');
    return;
  }
  const d = tmpdir();
  const p = path.join(d, 'snap');
  fs.writeFileSync(p, 'old');
  const mod = new URL('./atomic-write.js', import.meta.url).href;
  const script = `
    import { writeFileAtomic, writeFileAtomicSync } from ${JSON.stringify(mod)};
    const big = new Uint8Array(1 << 20).fill(1);
    const codes = [];
    try { await writeFileAtomic(${JSON.stringify(p)}, big); codes.push('ok'); } catch (e) { codes.push(e.code); }
    try { writeFileAtomicSync(${JSON.stringify(p)}, big); codes.push('ok'); } catch (e) { codes.push(e.code); }
    console.log(codes.join(','));
  `;
  // ulimit -f is in 512- or 1024-byte blocks depending on the shell: either way far below 1 MiB.
  const child = spawn('/bin/sh', ['-c', 'ulimit -f 64 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((r) => child.once('exit', r));
  assert.equal(out.trim(), 'EFBIG,EFBIG');
  assert.equal(fs.readFileSync(p, 'utf8'), 'old');
  assert.deepEqual(fs.readdirSync(d), ['snap']);
  fs.rmSync(d, { recursive: true });
});
