/**
 * End to end through the CLI and the control API: a Linux guest with a running counter, files in tmpfs and on
 * an ext4 disk, is paused, snapshotted and killed with SIGKILL; `typevisor restore` brings it back (lazily,
 * eagerly, with the clock caught up), several times from the same snapshot, and the counter goes on from the
 * next number with every file there. A snapshot taken while the guest writes its disk restores to a guest
 * that finishes the job consistently; a disk changed after the snapshot is refused unless --force.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GuestConsole } from '../testing/guest-console.js';
import { runCli as cli } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'typevisor-snap-'));
const haveMkfs = spawnSync('mkfs.ext4', ['-V'], { stdio: 'ignore' }).error === undefined;


async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `typevisor ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The counter's numbers in order of appearance ("tick N" lines; the echoed command has "tick $i"). */
function ticks(text: string): number[] {
  return [...text.matchAll(/tick (\d+)\r?\n/g)].map((m) => Number(m[1]));
}

function assertConsecutive(seq: number[], what: string): void {
  assert.ok(seq.length > 0, `${what}: no ticks`);
  for (let i = 1; i < seq.length; i++) {
    assert.equal(seq[i], seq[i - 1]! + 1, `${what}: tick ${seq[i - 1]} is followed by ${seq[i]} (${seq.slice(Math.max(0, i - 3), i + 3).join(',')})`);
  }
}

test(
  'snapshot, kill -9, restore: the counter continues from the next number and the files are there, again and again',
  { timeout: 300_000, skip: !haveMkfs && 'needs mkfs.ext4 (e2fsprogs)' },
  async () => {
    const img = join(dir, 'data.img');
    assert.equal((await cli('disk', 'create', img, '32M')).code, 0);
    const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', img], { encoding: 'utf8' });
    assert.equal(mkfs.status, 0, mkfs.stderr);
    const sock = join(dir, 'vm1.sock');
    const snap = join(dir, 'snap1');
    const vm = new GuestConsole(['run', '--api-sock', sock, '--disk', img]);
    let before: string;
    try {
      await vm.waitForShell();
      await vm.run('echo tmpfs-keeps-this > /tmp/keep');
      await vm.run('mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo disk-keeps-this > /mnt/file && sync');
      // Read-only from here on, so the guest writes nothing more and every restore finds the disk unchanged.
      await vm.run('mount -o remount,ro /mnt');
      vm.send('i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); echo "tick $i"; usleep 20000; done &');
      await vm.waitFor('tick 30\r\n', 60_000);
      await ok('pause', '--api-sock', sock);
      const status = JSON.parse(await ok('status', '--api-sock', sock, '--json')) as { state: string };
      assert.equal(status.state.toLowerCase(), 'paused');
      await ok('snapshot', '--api-sock', sock, '--out', snap);
      vm.child.kill('SIGKILL');
      await vm.closed;
      before = vm.output;
    } finally {
      vm.kill();
    }
    const last = ticks(before).at(-1)!;
    assert.ok(last >= 30);
    const variants: string[][] = [[], ['--eager'], ['--clock', 'catch-up']];
    for (const extra of variants) {
      const r = new GuestConsole(['restore', snap, ...extra]);
      try {
        await r.waitFor(`tick ${last + 20}\r\n`, 60_000);
        // The output continues exactly where it stopped: together there are no gaps and no repeats.
        assertConsecutive(ticks(before + r.output), `restore ${extra.join(' ') || '(lazy)'}`);
        await r.run('kill %1');
        assert.match(await r.run('cat /tmp/keep /mnt/file'), /tmpfs-keeps-this\s+disk-keeps-this/);
        assert.equal((await r.run('echo $((6*7))')).trim(), '42');
      } finally {
        r.kill();
        await r.closed;
      }
    }
  },
);

test('a snapshot taken while the guest writes its disk restores to a guest that finishes consistently; a changed disk is refused', { timeout: 300_000 }, async () => {
  const img = join(dir, 'busy.img');
  assert.equal((await cli('disk', 'create', img, '16M')).code, 0);
  const sock = join(dir, 'vm2.sock');
  const snap = join(dir, 'snap2');
  const vm = new GuestConsole(['run', '--api-sock', sock, '--disk', img]);
  try {
    await vm.waitForShell();
    // 600 blocks of 4 KiB, each with its own number, written with fsync one by one: the disk is busy throughout.
    vm.send(
      'n=0; while [ $n -lt 600 ]; do printf "block-%06d" $n | dd of=/dev/vda bs=4096 seek=$n conv=sync,fsync 2>/dev/null; n=$((n+1)); done; echo IO-$((1000+1))-DONE',
    );
    await new Promise((r) => setTimeout(r, 1500));
    const mid = await cli('snapshot', '--api-sock', sock, '--out', snap); // running: paused briefly
    assert.equal(mid.code, 0, mid.stderr);
    assert.match(mid.stdout, /snapshot written to/);
    await ok('pause', '--api-sock', sock);
    await ok('snapshot', '--api-sock', sock, '--out', snap); // and again, paused: replaces the first
    vm.child.kill('SIGKILL');
    await vm.closed;
    assert.ok(!vm.output.includes('IO-1001-DONE'), 'the snapshot must be taken while the writes are still going on');
  } finally {
    vm.kill();
  }
  const r = new GuestConsole(['restore', snap, '--api-sock', sock]);
  try {
    await r.waitFor('IO-1001-DONE', 120_000);
    await r.waitFor('~ # ');
    await ok('stop', '--api-sock', sock);
    await r.exited;
  } finally {
    r.kill();
    await r.closed;
  }
  // Every block holds its own number: none lost or misplaced across the snapshot.
  const disk = readFileSync(img);
  for (let n = 0; n < 600; n++) {
    assert.equal(disk.subarray(n * 4096, n * 4096 + 12).toString(), `block-${String(n).padStart(6, '0')}`, `block ${n}`);
    assert.ok(disk.subarray(n * 4096 + 12, (n + 1) * 4096).every((b) => b === 0), `block ${n} padding`);
  }
  // The restored guest wrote the disk after the snapshot: restoring that snapshot again is refused...
  const refused = await cli('restore', snap);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^typevisor: cannot restore .*disk '.*busy\.img' was modified after the snapshot was taken \(restore with --force/);
  // ...unless forced.
  const forced = new GuestConsole(['restore', snap, '--force']);
  try {
    await forced.waitFor('IO-1001-DONE', 120_000);
  } finally {
    forced.kill();
    await forced.closed;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('restore refuses corrupted, truncated, foreign-version and missing snapshots with one clear line', { timeout: 120_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'typevisor-badsnap-'));
  const sock = join(base, 'vm.sock');
  const snap = join(base, 'good');
  const vm = new GuestConsole(['run', '--api-sock', sock]);
  try {
    await vm.waitForShell();
    await ok('snapshot', '--api-sock', sock, '--out', snap);
    await ok('stop', '--api-sock', sock);
    await vm.exited;
  } finally {
    vm.kill();
  }
  const variant = (name: string, change: (state: Buffer, ramPath: string) => void): string => {
    const d = join(base, name);
    cpSync(snap, d, { recursive: true });
    const ram = readdirSync(d).find((f) => f.startsWith('ram-'))!;
    const state = readFileSync(join(d, 'state'));
    change(state, join(d, ram));
    writeFileSync(join(d, 'state'), state);
    return d;
  };
  const cases: [string, string[], RegExp][] = [
    [variant('flipped', (s) => (s[s.length - 100]! ^= 0x20)), [], /state: section '[a-z0-9.]+': checksum mismatch/],
    [variant('version', (s) => s.writeUInt32LE(7, 8)), [], /unsupported format version 7 \(this Typevisor reads 1\)/],
    [variant('magic', (s) => s.write('XX', 0)), [], /not a Typevisor snapshot: bad magic/],
    [variant('ram-page', (_s, ram) => {
      const fd = openSync(ram, 'r+');
      writeSync(fd, Buffer.from([0xaa]), 0, 1, statSync(ram).size - 5);
      closeSync(fd);
    }), ['--eager'], /RAM file: page \d+ \(guest-physical offset 0x[0-9a-f]+\) checksum mismatch/],
    [variant('ram-header', (_s, ram) => truncateSync(ram, 100)), [], /ram-[0-9a-f]+: 100 bytes, the snapshot says \d+/],
    [join(base, 'missing'), [], /no snapshot at '.*missing' \(no state file there\)/],
  ];
  const truncated = join(base, 'truncated');
  cpSync(snap, truncated, { recursive: true });
  truncateSync(join(truncated, 'state'), 200);
  cases.push([truncated, [], /state: truncated: section \d+ \('[a-z0-9.]+'\) needs \d+ bytes, \d+ left/]);
  for (const [d, extra, re] of cases) {
    const r = await cli('restore', d, ...extra);
    assert.equal(r.code, 1, `${d}: ${r.stderr}`);
    assert.match(r.stderr, /^typevisor: [^\n]+\n$/, d);
    assert.match(r.stderr, re, d);
  }
  rmSync(base, { recursive: true, force: true });
});
