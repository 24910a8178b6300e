/**
 * End to end through the CLI: virtio disks on raw image files made by `typevisor disk create`, the entropy
 * device, and the virtio console, each driven by the guest's own Linux drivers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GuestConsole, TYPEVISOR_BIN } from '../testing/guest-console.js';

const dir = mkdtempSync(join(tmpdir(), 'typevisor-devices-'));

function typevisor(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TYPEVISOR_BIN, ...args], { encoding: 'utf8', input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('disk create makes a sparse raw image and refuses to overwrite one', () => {
  const img = join(dir, 'sparse.img');
  const r = typevisor('disk', 'create', img, '1G');
  assert.equal(r.status, 0, r.stderr);
  const st = statSync(img);
  assert.equal(st.size, 1024 ** 3);
  assert.ok(st.blocks * 512 < 1024 * 1024, 'takes (almost) no space');
  const again = typevisor('disk', 'create', img, '1G');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists \(use --force/);
  assert.equal(typevisor('disk', 'create', img, '1G', '--force').status, 0);
  assert.match(typevisor('disk', 'create', join(dir, 'odd.img'), '1000').stderr, /not a multiple of 512/);
});

test('bad --disk specs and missing images are one-line errors', () => {
  const missing = typevisor('run', '--disk', join(dir, 'nope.img'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^typevisor: cannot open disk image '.*nope.img': no such file\n$/);
  const bad = typevisor('run', '--disk', `${join(dir, 'sparse.img')},frobnicate`);
  assert.match(bad.stderr, /unknown option 'frobnicate'/);
});

test('a virtio disk is written by the guest, survives power-off, and comes back read-only', { timeout: 240_000 }, async () => {
  const img = join(dir, 'data.img');
  assert.equal(typevisor('disk', 'create', img, '64M').status, 0);
  let vm = new GuestConsole(['run', '--disk', `${img},serial=tv-disk-1`]);
  try {
    await vm.waitForShell();
    assert.equal((await vm.run('cat /sys/block/vda/size')).trim(), String((64 * 1048576) / 512));
    assert.equal((await vm.run('cat /sys/block/vda/serial')).trim(), 'tv-disk-1');
    await vm.run('echo typevisor-disk-marker | dd of=/dev/vda bs=512 seek=8 conv=sync 2>/dev/null; sync');
    // A larger write, checked on the host below: 4 MiB of a repeating pattern.
    await vm.run("yes 0123456789abcde | head -c 4194304 | dd of=/dev/vda bs=65536 seek=64 2>/dev/null; sync");
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
  const data = readFileSync(img);
  assert.equal(data.subarray(8 * 512, 8 * 512 + 22).toString(), 'typevisor-disk-marker\n');
  const pattern = data.subarray(64 * 65536, 64 * 65536 + 4194304).toString();
  assert.equal(pattern, '0123456789abcde\n'.repeat(262144));

  vm = new GuestConsole(['run', '--disk', `${img},readonly`]);
  try {
    await vm.waitForShell();
    assert.equal((await vm.run('dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -c 21')).trim(), 'typevisor-disk-marker');
    assert.equal((await vm.run('cat /sys/block/vda/ro')).trim(), '1');
    assert.match(await vm.run('echo x | dd of=/dev/vda 2>&1; echo status=$?'), /status=1/);
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});

test('/dev/hwrng gives random bytes; --no-rng leaves the device out', { timeout: 240_000 }, async () => {
  let vm = new GuestConsole(['run']);
  try {
    await vm.waitForShell();
    assert.equal((await vm.run('head -c 64 /dev/hwrng | wc -c')).trim(), '64');
    assert.match(await vm.run('cat /sys/class/misc/hw_random/rng_current'), /virtio_rng/);
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
  vm = new GuestConsole(['run', '--no-rng']);
  try {
    await vm.waitForShell();
    assert.match(await vm.run('cat /sys/class/misc/hw_random/rng_current 2>&1'), /none|No such/);
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});

test('--console virtio: the shell runs on the virtio console (hvc0)', { timeout: 240_000 }, async () => {
  const vm = new GuestConsole(['run', '--console', 'virtio']);
  try {
    await vm.waitForShell();
    assert.equal((await vm.run('cat /proc/cmdline')).trim(), 'console=hvc0');
    assert.match(await vm.run('readlink /proc/self/fd/0'), /hvc0|console/);
    assert.equal((await vm.run('echo $((6*7))')).trim(), '42');
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});
