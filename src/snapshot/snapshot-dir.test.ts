import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSnapshot } from './container.js';
import { SnapshotError } from './errors.js';
import { loadRamEager } from './ram-file.js';
import { openSnapshotDir, readSnapshotState, writeSnapshotDir } from './snapshot-dir.js';

const PAGE = 4096;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tv-snapdir-'));
}

function restore(dir: string, memBytes: number): { sections: Map<string, unknown>; ram: Uint8Array } {
  const sections = readSnapshotState(dir);
  const opened = openSnapshotDir(dir, sections, memBytes);
  const ram = new Uint8Array(memBytes);
  try {
    loadRamEager(opened.ramSource, opened.ramIndex, ram);
  } finally {
    fs.closeSync(opened.ramFd);
  }
  return { sections, ram };
}

test('a snapshot directory round-trips, and a new snapshot replaces the old RAM file', () => {
  const dir = path.join(tmp(), 'snap');
  const ram = new Uint8Array(64 * PAGE);
  ram[5 * PAGE + 1] = 7;
  const first = writeSnapshotDir(dir, new Map([['hart.0', { pc: 1 }]]), ram);
  ram[9 * PAGE] = 9;
  const second = writeSnapshotDir(dir, new Map([['hart.0', { pc: 2 }]]), ram);
  assert.notEqual(first.ramFile, second.ramFile);
  assert.deepEqual(fs.readdirSync(dir).sort(), [second.ramFile, 'state'].sort());
  const back = restore(dir, ram.length);
  assert.deepEqual(back.sections.get('hart.0'), { pc: 2 });
  assert.deepEqual(back.ram, ram);
  assert.throws(() => writeSnapshotDir(dir, new Map([['ram', 1]]), ram), /reserved/);
});

test('missing, foreign and inconsistent snapshot directories get clear errors', () => {
  const base = tmp();
  const is = (re: RegExp) => (e: unknown) => e instanceof SnapshotError && re.test(e.message);
  assert.throws(() => readSnapshotState(path.join(base, 'nope')), is(/no snapshot at '.*nope' \(no state file there\)/));
  fs.writeFileSync(path.join(base, 'file'), 'x');
  assert.throws(() => readSnapshotState(path.join(base, 'file')), is(/is not a snapshot directory/));
  const foreign = path.join(base, 'foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'state'), 'hello, not a snapshot');
  assert.throws(() => readSnapshotState(foreign), is(/state: not a Typevisor snapshot: bad magic/));

  const dir = path.join(base, 'snap');
  const ram = new Uint8Array(16 * PAGE).fill(1);
  const w = writeSnapshotDir(dir, new Map([['x', 1]]), ram);
  const sections = readSnapshotState(dir);
  assert.throws(() => openSnapshotDir(dir, sections, 32 * PAGE), is(/RAM size 65536 does not match this machine's 131072/));
  // A RAM reference that tries to leave the directory, or names nothing.
  for (const file of ['../../etc/passwd', 'ram-zz', '']) {
    const bad = readSnapshotState(dir);
    bad.set('ram', { file, bytes: 1 });
    assert.throws(() => openSnapshotDir(dir, bad, ram.length), is(/names no valid RAM file/));
  }
  const lying = readSnapshotState(dir);
  lying.set('ram', { file: w.ramFile, bytes: w.ramFileBytes + 1 });
  assert.throws(() => openSnapshotDir(dir, lying, ram.length), is(/bytes, the snapshot says/));
  fs.truncateSync(path.join(dir, w.ramFile), w.ramFileBytes - 1);
  assert.throws(() => openSnapshotDir(dir, sections, ram.length), is(/bytes, the snapshot says/));
  fs.rmSync(path.join(dir, w.ramFile));
  assert.throws(() => openSnapshotDir(dir, sections, ram.length), is(/RAM file ram-[0-9a-f]+ is missing/));
  // A state file grown past any sane size is refused before it is read.
  fs.writeFileSync(path.join(dir, 'state'), encodeSnapshot(new Map([['x', 1]])));
  fs.truncateSync(path.join(dir, 'state'), 300 * 1048576);
  assert.throws(() => readSnapshotState(dir), is(/larger than any snapshot state file/));
  fs.rmSync(base, { recursive: true });
});

const WRITER = `
import { writeSnapshotDir } from ${JSON.stringify(new URL('./snapshot-dir.js', import.meta.url).href)};
const [dir, mem] = process.argv.slice(2);
const ram = new Uint8Array(Number(mem));
for (let gen = 2; ; gen++) {
  ram.fill(gen & 0xff);
  writeSnapshotDir(dir, new Map([['gen', gen]]), ram);
  process.stdout.write(gen + '\\n');
}
`;

test('kill -9 while snapshots are being written always leaves a complete, consistent snapshot', { timeout: 120_000 }, async () => {
  const base = tmp();
  const dir = path.join(base, 'snap');
  const mem = 32 * 1048576;
  const ram = new Uint8Array(mem).fill(1);
  writeSnapshotDir(dir, new Map([['gen', 1]]), ram);
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), `.kill-writer-${process.pid}.mjs`);
  fs.writeFileSync(script, WRITER);
  try {
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [script, dir, String(mem)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 600));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const { sections, ram: back } = restore(dir, mem);
      const gen = sections.get('gen') as number;
      const done = out.trim().split('\n').filter(Boolean).map(Number);
      // The snapshot is the last completed one, or the one in progress if its commit (the rename) happened.
      assert.ok(gen >= (done.at(-1) ?? 1), `round ${round}: gen ${gen}, completed ${done.at(-1)}`);
      assert.ok(back.every((b) => b === (gen & 0xff)), `round ${round}: RAM matches gen ${gen}`);
    }
    // The next snapshot clears what the killed writers left behind.
    writeSnapshotDir(dir, new Map([['gen', 99]]), ram);
    assert.equal(fs.readdirSync(dir).length, 2, fs.readdirSync(dir).join(' '));
  } finally {
    fs.rmSync(script, { force: true });
    fs.rmSync(base, { recursive: true, force: true });
  }
});
