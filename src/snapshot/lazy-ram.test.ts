import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PendingPages } from '../memory/ram.js';
import { LazyRamLoader } from './lazy-ram.js';
import { fileSource, PAGE_SIZE, readRamIndex, writeRamFileSync } from './ram-file.js';
import { SnapshotError } from './errors.js';

const PAGES = 1024;

function sampleRam(): Uint8Array {
  const u8 = new Uint8Array(PAGES * PAGE_SIZE);
  for (let p = 0; p < PAGES; p += 3) u8.fill((p % 251) + 1, p * PAGE_SIZE + 100, p * PAGE_SIZE + 200);
  return u8;
}

function open(file: string, size: number): { loader: LazyRamLoader; target: { u8: Uint8Array; pending: PendingPages | null } } {
  const fd = fs.openSync(file, 'r');
  const st = fs.fstatSync(fd);
  const index = readRamIndex(fileSource(fd, st.size), size);
  const target = { u8: new Uint8Array(size), pending: null as PendingPages | null };
  return { loader: new LazyRamLoader(fd, st.size, index, target), target };
}

function tmpFile(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-lazy-'));
  return { dir, file: path.join(dir, 'ram') };
}

test('pages load on first touch, the rest in the background, and RAM ends up exact', async () => {
  const ram = sampleRam();
  const { dir, file } = tmpFile();
  writeRamFileSync(file, ram);
  const { loader, target } = open(file, ram.length);
  assert.equal(target.pending, loader);
  // Untouched pages read as zero until loaded; a touched one is exact.
  loader.ensure(3 * PAGE_SIZE + 150, 1);
  assert.deepEqual(target.u8.subarray(3 * PAGE_SIZE, 4 * PAGE_SIZE), ram.subarray(3 * PAGE_SIZE, 4 * PAGE_SIZE));
  assert.equal(target.u8[6 * PAGE_SIZE + 150], 0);
  // A range crossing pages loads each of them.
  loader.ensure(6 * PAGE_SIZE + 4000, 8200);
  assert.deepEqual(target.u8.subarray(6 * PAGE_SIZE, 9 * PAGE_SIZE), ram.subarray(6 * PAGE_SIZE, 9 * PAGE_SIZE));
  assert.equal(target.u8[9 * PAGE_SIZE + 150], 0);
  assert.equal(loader.stats().onDemand, 2);
  // The guest writes a loaded page; the background fill must not overwrite it.
  target.u8[3 * PAGE_SIZE + 150] = 0x5a;
  await loader.fillInBackground();
  assert.equal(target.pending, null);
  assert.equal(loader.stats().remaining, 0);
  assert.equal(target.u8[3 * PAGE_SIZE + 150], 0x5a);
  target.u8[3 * PAGE_SIZE + 150] = ram[3 * PAGE_SIZE + 150]!;
  assert.deepEqual(target.u8, ram);
  fs.rmSync(dir, { recursive: true });
});

test('a page corrupted after the header was checked fails on touch with a clear error, and keeps failing', async () => {
  const ram = sampleRam();
  const { dir, file } = tmpFile();
  writeRamFileSync(file, ram);
  const { loader } = open(file, ram.length);
  // Corrupt record 2 (RAM page 6) behind the loader's back.
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, new Uint8Array([0x77]), 0, 1, PAGE_SIZE + 2 * PAGE_SIZE + 120);
  fs.closeSync(fd);
  assert.throws(() => loader.ensure(6 * PAGE_SIZE, 4), (e: unknown) => e instanceof SnapshotError && /page 6 .*checksum mismatch/.test(e.message));
  assert.throws(() => loader.ensure(0, 4), SnapshotError);
  await assert.rejects(loader.fillInBackground(), SnapshotError);
  loader.close();
  fs.rmSync(dir, { recursive: true });
});

test('close() during a background read leaves no descriptor behind and stops loading', async () => {
  const ram = sampleRam();
  const { dir, file } = tmpFile();
  writeRamFileSync(file, ram);
  const before = fs.readdirSync('/proc/self/fd').length;
  const { loader, target } = open(file, ram.length);
  const bg = loader.fillInBackground();
  loader.close();
  await bg;
  assert.equal(target.pending, null);
  assert.equal(fs.readdirSync('/proc/self/fd').length, before);
  fs.rmSync(dir, { recursive: true });
});

test('an all-zero RAM file needs no loading at all', () => {
  const { dir, file } = tmpFile();
  writeRamFileSync(file, new Uint8Array(16 * PAGE_SIZE));
  const { target } = open(file, 16 * PAGE_SIZE);
  assert.equal(target.pending, null);
  assert.ok(target.u8.every((b) => b === 0));
  fs.rmSync(dir, { recursive: true });
});
