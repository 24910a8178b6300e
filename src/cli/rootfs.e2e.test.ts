/**
 * End to end: Linux boots with its root filesystem on a virtio disk (ext4, no initramfs), writes to it, powers
 * off, boots again and finds its files. The disk is made on the host from the bundled initramfs's contents.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unpackCpio } from '../testing/cpio.js';
import { GuestConsole, TYPEVISOR_BIN } from '../testing/guest-console.js';

const initramfs = fileURLToPath(new URL('../../guest/images/initramfs.cpio', import.meta.url));
const haveMkfs = spawnSync('mkfs.ext4', ['-V'], { stdio: 'ignore' }).error === undefined;

test('root filesystem on an ext4 virtio disk survives a power cycle', { timeout: 240_000, skip: !haveMkfs && 'needs mkfs.ext4 (e2fsprogs)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-rootfs-'));
  const tree = join(dir, 'tree');
  unpackCpio(readFileSync(initramfs), tree);
  const img = join(dir, 'root.img');
  assert.equal(spawnSync(process.execPath, [TYPEVISOR_BIN, 'disk', 'create', img, '64M']).status, 0);
  const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', '-d', tree, img], { encoding: 'utf8' });
  assert.equal(mkfs.status, 0, mkfs.stderr);
  const args = ['run', '--initrd', 'none', '--disk', img, '--append', 'console=ttyS0 root=/dev/vda rw init=/init'];

  let vm = new GuestConsole(args);
  try {
    await vm.waitForShell();
    assert.match(await vm.run('grep " / " /proc/mounts'), /\/dev\/(vda|root) \/ ext4 rw/);
    await vm.run('echo kept-across-boots > /persist.txt; mkdir -p /data && seq 1 1000 > /data/numbers; sync');
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
  vm = new GuestConsole(args);
  try {
    await vm.waitForShell();
    assert.equal((await vm.run('cat /persist.txt')).trim(), 'kept-across-boots');
    assert.equal((await vm.run('wc -l < /data/numbers')).trim(), '1000');
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
  const fsck = spawnSync('e2fsck', ['-f', '-n', img], { encoding: 'utf8' });
  assert.equal(fsck.status, 0, `the guest left a clean file system: ${fsck.stdout}${fsck.stderr}`);
});
