import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBootFiles } from './boot-files.js';
import { UsageError } from './usage-error.js';
import type { VmConfig } from './vm-config.js';

const dir = mkdtempSync(join(tmpdir(), 'typevisor-boot-files-'));
const file = (name: string, bytes: Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const config = (paths: Partial<Pick<VmConfig, 'kernel' | 'initrd' | 'firmware'>>): VmConfig =>
  ({ kernel: join(dir, 'kernel'), initrd: 'none', firmware: join(dir, 'fw'), ...paths }) as VmConfig;

test('the initrd is read whole in the background, the kernel and firmware at once', async () => {
  const big = new Uint8Array(3 * 1048576 + 5).map((_, i) => (i * 7) & 0xff);
  const files = readBootFiles(config({ kernel: file('kernel', big.subarray(0, 4096)), initrd: file('initrd', big), firmware: file('fw', Uint8Array.of(1, 2, 3)) }));
  assert.deepEqual(new Uint8Array(files.firmware as Uint8Array), Uint8Array.of(1, 2, 3));
  assert.deepEqual(await files.initrd, new Uint8Array(readFileSync(join(dir, 'initrd'))));
  assert.deepEqual(new Uint8Array(await files.kernel), big.subarray(0, 4096)); // not gzip: as read
  assert.equal(readBootFiles(config({ initrd: 'none' })).initrd, undefined);
});

test('a file that cannot be opened is a UsageError at once; an empty or device file reads as what it holds', async () => {
  file('kernel', Uint8Array.of(0));
  file('fw', Uint8Array.of(0));
  assert.throws(() => readBootFiles(config({ initrd: join(dir, 'missing') })), (e) => e instanceof UsageError && /initrd .*no such file/.test(e.message));
  assert.throws(() => readBootFiles(config({ initrd: dir })), (e) => e instanceof UsageError && /is a directory/.test(e.message));
  assert.equal((await readBootFiles(config({ initrd: file('empty', new Uint8Array(0)) })).initrd)?.length, 0);
  assert.equal((await readBootFiles(config({ initrd: '/dev/null' })).initrd)?.length, 0);
});
