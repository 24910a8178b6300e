import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32 } from './crc32.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSource, loadRam, loadRamEager, PAGE_SIZE, parseRamFile, readRamIndex, saveRam, writeRamFileSync } from './ram-file.js';
import { SnapshotError } from './errors.js';

const PAGES = 16;

function ramWith(writes: readonly (readonly [number, number])[]): Uint8Array {
  const u8 = new Uint8Array(PAGES * PAGE_SIZE);
  for (const [addr, v] of writes) u8[addr % u8.length] = v;
  return u8;
}

const writesArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 40 });

function rejects(bytes: Uint8Array, size: number, re: RegExp): void {
  assert.throws(
    () => loadRam(bytes, new Uint8Array(size)),
    (e: unknown) => e instanceof SnapshotError && re.test(e.message),
  );
}

/** Recomputes the header CRC (for a file of `count` pages) so that a test reaches the checks after it. */
function reseal(b: Uint8Array, count: number): Uint8Array {
  const at = 24 + count * 8;
  new DataView(b.buffer, b.byteOffset).setUint32(at, crc32(b.subarray(0, at)), true);
  return b;
}

test('only non-zero pages are stored; round trip is exact', () => {
  const ram = ramWith([[5, 1], [3 * PAGE_SIZE + 4095, 0xff], [15 * PAGE_SIZE, 2]]);
  const file = saveRam(ram);
  assert.equal(file.length, PAGE_SIZE + 3 * PAGE_SIZE);
  assert.deepEqual([...parseRamFile(file, ram.length).pages], [0, 3, 15]);
  const into = new Uint8Array(ram.length).fill(0xaa);
  loadRam(file, into);
  assert.deepEqual(into, ram);
  assert.equal(saveRam(new Uint8Array(PAGES * PAGE_SIZE)).length, PAGE_SIZE);
  // An unaligned view saves the same bytes.
  const buf = new Uint8Array(ram.length + 1);
  buf.set(ram, 1);
  assert.deepEqual(saveRam(buf.subarray(1)), file);
});

test('clear errors for wrong size, bad indices, bad magic, truncation, checksum', () => {
  const ram = ramWith([[0, 1], [PAGE_SIZE * 2, 1]]);
  const file = saveRam(ram);
  rejects(file, ram.length * 2, /RAM size 65536 does not match this machine's 131072 bytes/);
  const magic = file.slice();
  magic[2] = 0;
  rejects(magic, ram.length, /bad magic/);
  rejects(file.subarray(0, file.length - 1), ram.length, /truncated: 2 pages need \d+ bytes/);
  const flipped = file.slice();
  flipped[26]! ^= 1;
  rejects(flipped, ram.length, /header checksum mismatch/);
  const page = file.slice();
  page[PAGE_SIZE + 5]! ^= 1;
  rejects(page, ram.length, /page 0 \(guest-physical offset 0x0\) checksum mismatch/);
  const pad = file.slice();
  pad[200] = 1;
  rejects(pad, ram.length, /non-zero byte in the header padding at offset 200/);
  const out = file.slice();
  new DataView(out.buffer).setUint32(24 + 4, PAGES, true);
  rejects(reseal(out, 2), ram.length, /record 1: page index 16 is outside RAM/);
  const dup = file.slice();
  new DataView(dup.buffer).setUint32(24 + 4, 0, true);
  rejects(reseal(dup, 2), ram.length, /record 1: page index 0 repeats/);
  const count = file.slice();
  new DataView(count.buffer).setUint32(16, 1000, true);
  rejects(count, ram.length, /page count 1000 exceeds/);
  const offset = file.slice();
  new DataView(offset.buffer).setUint32(20, 8192, true);
  rejects(offset, ram.length, /data offset 8192 is wrong for 2 pages/);
  // A bad header is found before RAM is touched.
  const into = new Uint8Array(ram.length).fill(9);
  assert.throws(() => loadRam(flipped, into), SnapshotError);
  assert.ok(into.every((b) => b === 9));
});

test('property: random RAM contents round-trip', () => {
  fc.assert(
    fc.property(writesArb, (w) => {
      const ram = ramWith(w);
      const into = new Uint8Array(ram.length).fill(1);
      loadRam(saveRam(ram), into);
      assert.deepEqual(into, ram);
    }),
    { numRuns: 200 },
  );
});

function onlySnapshotErrors(bytes: Uint8Array, size: number): void {
  try {
    loadRam(bytes, new Uint8Array(size));
  } catch (e) {
    if (e instanceof SnapshotError) return;
    throw new Error(`non-SnapshotError thrown: ${String(e)}`);
  }
  throw new Error('corrupted RAM file was accepted');
}

test('property: byte flips, truncations and extensions are rejected with SnapshotError', () => {
  fc.assert(
    fc.property(writesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (w, pos, x, cut) => {
      const ram = ramWith(w);
      const file = saveRam(ram);
      const c = file.slice();
      c[pos % c.length]! ^= x;
      onlySnapshotErrors(c, ram.length);
      onlySnapshotErrors(file.subarray(0, cut % file.length), ram.length);
      const ext = new Uint8Array(file.length + 1 + (cut % 8));
      ext.set(file);
      onlySnapshotErrors(ext, ram.length);
    }),
    { numRuns: 300 },
  );
});

test('property: garbage never throws anything but SnapshotError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (g) => {
      try {
        loadRam(g, new Uint8Array(PAGE_SIZE));
      } catch (e) {
        assert.ok(e instanceof SnapshotError, String(e));
      }
    }),
  );
});

test('writeRamFileSync streams the same bytes saveRam builds, and a file source reads them back', () => {
  const ram = ramWith([[1, 1], [PAGE_SIZE + 7, 2], [2 * PAGE_SIZE, 3], [9 * PAGE_SIZE + 4095, 4]]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-ram-'));
  const file = path.join(dir, 'ram');
  const size = writeRamFileSync(file, ram);
  assert.deepEqual(new Uint8Array(fs.readFileSync(file)), saveRam(ram));
  assert.equal(size, fs.statSync(file).size);
  const fd = fs.openSync(file, 'r');
  const src = fileSource(fd, size);
  const into = new Uint8Array(ram.length);
  loadRamEager(src, readRamIndex(src, ram.length), into);
  fs.closeSync(fd);
  assert.deepEqual(into, ram);
  fs.rmSync(dir, { recursive: true });
});
