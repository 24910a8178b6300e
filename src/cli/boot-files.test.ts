import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readBootFiles } from './boot-files.js';
import { BUNDLED, BUNDLED_KERNEL, kernelPath } from './bundled.js';
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

test('a file larger than the largest guest RAM is refused when it would be read, without a buffer for it', async () => {
  const huge = join(dir, 'huge');
  writeFileSync(huge, Uint8Array.of(0x30, 0x37));
  truncateSync(huge, 2 ** 31 + 4096); // sparse: no disk space
  try {
    const files = readBootFiles(config({ kernel: file('kernel', Uint8Array.of(0)), initrd: huge }));
    await assert.rejects(files.initrd!, (e) => e instanceof UsageError && /cannot read initrd .*2147487744 bytes, more than the largest guest RAM/.test(e.message));
  } finally {
    rmSync(huge);
  }
});

test('a gzip-compressed kernel is inflated, any other read as it is; a missing kernel or directory is a UsageError at once', async () => {
  const image = new Uint8Array(200_000).map((_, i) => (i * 13) & 0xff);
  assert.deepEqual(new Uint8Array(await readBootFiles(config({ kernel: file('k.gz', gzipSync(image)) })).kernel), image);
  assert.deepEqual(new Uint8Array(await readBootFiles(config({ kernel: file('k', image) })).kernel), image);
  assert.deepEqual(new Uint8Array(await readBootFiles(config({ kernel: file('k1', Uint8Array.of(0x1f)) })).kernel), Uint8Array.of(0x1f));
  assert.throws(() => readBootFiles(config({ kernel: join(dir, 'missing') })), (e) => e instanceof UsageError && /kernel .*no such file/.test(e.message));
  assert.throws(() => readBootFiles(config({ kernel: dir })), (e) => e instanceof UsageError && /kernel .*is a directory/.test(e.message));
});

test('the bundled kernel is the copy the build inflated, unless the compressed one is newer or the copy is missing', () => {
  // The build made the copy from guest/images/Image.gz.
  assert.equal(BUNDLED.kernel, BUNDLED_KERNEL.inflated);
  assert.ok(Buffer.from(gunzipSync(readFileSync(BUNDLED_KERNEL.gz))).equals(readFileSync(BUNDLED_KERNEL.inflated)), 'dist/bundle/Image is stale: npm run build writes it');
  const gz = file('Image.gz', Uint8Array.of(1));
  const inflated = file('Image', Uint8Array.of(2));
  utimesSync(gz, 1000, 1000);
  utimesSync(inflated, 2000, 2000);
  assert.equal(kernelPath(gz, inflated), inflated);
  utimesSync(gz, 3000, 3000);
  assert.equal(kernelPath(gz, inflated), gz);
  assert.equal(kernelPath(gz, join(dir, 'none')), gz);
});
