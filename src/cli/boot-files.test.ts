import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BootImage } from '../machine/boot.js';
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
/** The bytes of a boot file: as read, or read now from a FileImage into a buffer of its size. */
async function bytesOf(image: BootImage | undefined): Promise<Uint8Array> {
  assert.ok(image !== undefined);
  if (image instanceof Uint8Array) return new Uint8Array(image);
  const dest = new Uint8Array(image.size);
  await image.readInto(dest);
  return dest;
}
const config = (paths: Partial<Pick<VmConfig, 'kernel' | 'initrd' | 'firmware'>>): VmConfig =>
  ({ kernel: join(dir, 'kernel'), initrd: 'none', firmware: join(dir, 'fw'), ...paths }) as VmConfig;

test('a regular kernel and initrd are opened with their first bytes read, the rest read when asked; the firmware at once', async () => {
  const big = new Uint8Array(3 * 1048576 + 5).map((_, i) => (i * 7) & 0xff);
  const files = readBootFiles(config({ kernel: file('kernel', big.subarray(0, 4096)), initrd: file('initrd', big), firmware: file('fw', Uint8Array.of(1, 2, 3)) }));
  assert.deepEqual(new Uint8Array(files.firmware as Uint8Array), Uint8Array.of(1, 2, 3));
  const initrd = await files.initrd!;
  assert.ok(!(initrd instanceof Uint8Array));
  assert.equal(initrd.size, big.length);
  assert.deepEqual(initrd.head, big.subarray(0, 64));
  assert.deepEqual(await bytesOf(initrd), big);
  await assert.rejects(initrd.readInto(new Uint8Array(big.length)), /read already/);
  assert.deepEqual(await bytesOf(await files.kernel), big.subarray(0, 4096)); // not gzip: as it is
  // A destination of another size is refused, and the file can still be read.
  const other = await readBootFiles(config({ kernel: file('kernel2', Uint8Array.of(0)), initrd: join(dir, 'initrd') })).initrd!;
  assert.ok(!(other instanceof Uint8Array));
  await assert.rejects(other.readInto(new Uint8Array(big.length - 1)), /is 3145733 bytes, not 3145732/);
  assert.deepEqual(await bytesOf(other), big);
  assert.equal(readBootFiles(config({ initrd: 'none' })).initrd, undefined);
});

test('a file that cannot be opened is a UsageError at once; an empty or device file reads as what it holds', async () => {
  file('kernel', Uint8Array.of(0));
  file('fw', Uint8Array.of(0));
  assert.throws(() => readBootFiles(config({ initrd: join(dir, 'missing') })), (e) => e instanceof UsageError && /initrd .*no such file/.test(e.message));
  assert.throws(() => readBootFiles(config({ initrd: dir })), (e) => e instanceof UsageError && /is a directory/.test(e.message));
  assert.equal((await bytesOf(await readBootFiles(config({ initrd: file('empty', new Uint8Array(0)) })).initrd)).length, 0);
  const device = await readBootFiles(config({ initrd: '/dev/null' })).initrd;
  assert.ok(device instanceof Uint8Array, 'a device is read to its end at once');
  assert.equal(device.length, 0);
});

test('a file that shrinks before it is read is a UsageError that says so; a large one costs no buffer until read', async () => {
  const path = file('shrinks', new Uint8Array(100_000).fill(0x30));
  const files = readBootFiles(config({ kernel: file('kernel', Uint8Array.of(0)), initrd: path }));
  const initrd = await files.initrd!;
  assert.ok(!(initrd instanceof Uint8Array));
  truncateSync(path, 4096);
  await assert.rejects(initrd.readInto(new Uint8Array(100_000)), (e) => e instanceof UsageError && /cannot read initrd .*shrank to 4096 bytes/.test(e.message));
  const huge = join(dir, 'huge');
  writeFileSync(huge, Uint8Array.of(0x30, 0x37));
  truncateSync(huge, 2 ** 31 + 4096); // sparse: no disk space
  try {
    const image = await readBootFiles(config({ kernel: file('kernel', Uint8Array.of(0)), initrd: huge })).initrd!;
    assert.ok(!(image instanceof Uint8Array));
    assert.equal(image.size, 2 ** 31 + 4096);
  } finally {
    rmSync(huge);
  }
});

test('a gzip-compressed kernel is inflated, any other read as it is; a missing kernel or directory is a UsageError at once', async () => {
  const image = new Uint8Array(200_000).map((_, i) => (i * 13) & 0xff);
  const inflated = await readBootFiles(config({ kernel: file('k.gz', gzipSync(image)) })).kernel;
  assert.ok(inflated instanceof Uint8Array);
  assert.deepEqual(new Uint8Array(inflated), image);
  assert.deepEqual(await bytesOf(await readBootFiles(config({ kernel: file('k', image) })).kernel), image);
  assert.deepEqual(await bytesOf(await readBootFiles(config({ kernel: file('k1', Uint8Array.of(0x1f)) })).kernel), Uint8Array.of(0x1f));
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
