import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { crc32 } from './crc32.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  MAX_SECTION_BYTES,
  SnapshotError,
  SNAPSHOT_FORMAT_VERSION,
} from './container.js';

test('crc32 matches known values and zlib', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
      const ab = new Uint8Array(a.length + b.length);
      ab.set(a);
      ab.set(b, a.length);
      assert.equal(crc32(b, crc32(a)), crc32(ab));
      if (zcrc) assert.equal(crc32(ab), zcrc(ab));
    }),
  );
});

const sample = (): Map<string, unknown> =>
  new Map<string, unknown>([
    ['hart0', { pc: '0000000080000000', x: [1, 2, 3] }],
    ['uart', { fifo: [65, 66], lsr: 0x60 }],
    ['meta.v1', 'hello'],
  ]);

function rejects(bytes: Uint8Array, re: RegExp): void {
  assert.throws(() => decodeSnapshot(bytes), (e: unknown) => e instanceof SnapshotError && re.test(e.message));
}

test('round trip keeps names, order and values', () => {
  const m = sample();
  const back = decodeSnapshot(encodeSnapshot(m));
  assert.deepEqual([...back.keys()], [...m.keys()]);
  assert.deepEqual(back, m);
  assert.deepEqual(decodeSnapshot(encodeSnapshot(new Map())), new Map());
});

test('header errors: magic, version, truncated', () => {
  const b = encodeSnapshot(sample());
  rejects(new Uint8Array(0), /truncated|magic/);
  rejects(b.subarray(0, 10), /truncated: header/);
  const bad = b.slice();
  bad[0] = 0x58;
  rejects(bad, /bad magic/);
  const v = b.slice();
  new DataView(v.buffer).setUint32(8, 7, true);
  rejects(v, new RegExp(`unsupported format version 7 \\(this Typevisor reads ${SNAPSHOT_FORMAT_VERSION}\\)`));
});

test('section errors name the section', () => {
  const b = encodeSnapshot(sample());
  // Flip a byte inside the first body.
  const flipped = b.slice();
  flipped[16 + 1 + 5 + 4 + 2]! ^= 0x20;
  rejects(flipped, /section 'hart0': checksum mismatch/);
  rejects(b.subarray(0, b.length - 3), /truncated: section 2 \('meta.v1'\) needs \d+ bytes, \d+ left/);
  const extra = new Uint8Array(b.length + 1);
  extra.set(b);
  rejects(extra, /unexpected bytes after the last section/);
});

test('lying sizes, bad names and duplicates are rejected', () => {
  const one = encodeSnapshot(new Map([['a', 1]]));
  const big = one.slice();
  new DataView(big.buffer).setUint32(16 + 2, MAX_SECTION_BYTES + 1, true);
  rejects(big, /exceeds the limit/);
  const lying = one.slice();
  new DataView(lying.buffer).setUint32(16 + 2, 1000, true);
  rejects(lying, /truncated: section 0 \('a'\) needs 1004 bytes, \d+ left/);
  const count = one.slice();
  new DataView(count.buffer).setUint32(12, 0xffffffff, true);
  rejects(count, /section count/);
  const name = one.slice();
  name[17] = 0x41; // 'A'
  rejects(name, /invalid name "A"/);
  const dup = new Uint8Array(one.length * 2 - 16);
  dup.set(one);
  dup.set(one.subarray(16), one.length);
  new DataView(dup.buffer).setUint32(12, 2, true);
  rejects(dup, /duplicate section name 'a'/);
  assert.throws(() => encodeSnapshot(new Map([['Bad Name', 1]])), SnapshotError);
  assert.throws(() => encodeSnapshot(new Map([['x', undefined]])), SnapshotError);
});

test('non-JSON and non-UTF-8 bodies are rejected', () => {
  // Build a section by hand with a valid CRC over garbage.
  for (const [body, re] of [
    [new Uint8Array([0x7b]), /not valid JSON/],
    [new Uint8Array([0xff, 0xfe]), /not valid UTF-8/],
  ] as const) {
    const rec = new Uint8Array(1 + 1 + 4 + body.length);
    rec[0] = 1;
    rec[1] = 0x61;
    new DataView(rec.buffer).setUint32(2, body.length, true);
    rec.set(body, 6);
    const file = new Uint8Array(16 + rec.length + 4);
    file.set(encodeSnapshot(new Map()).subarray(0, 16));
    new DataView(file.buffer).setUint32(12, 1, true);
    file.set(rec, 16);
    new DataView(file.buffer).setUint32(16 + rec.length, crc32(rec), true);
    rejects(file, re);
  }
});

const nameArb = fc.stringMatching(/^[a-z0-9._-]{1,64}$/);
const mapArb = fc
  .uniqueArray(fc.tuple(nameArb, fc.jsonValue()), { maxLength: 6, selector: ([n]) => n })
  .map((entries) => new Map<string, unknown>(entries));

test('property: random section maps round-trip', () => {
  fc.assert(
    fc.property(mapArb, (m) => {
      const back = decodeSnapshot(encodeSnapshot(m));
      // JSON normalises -0 to 0; compare through JSON.
      assert.deepEqual(
        [...back].map(([k, v]) => [k, JSON.stringify(v)]),
        [...m].map(([k, v]) => [k, JSON.stringify(v)]),
      );
    }),
    { numRuns: 300 },
  );
});

function onlySnapshotErrors(bytes: Uint8Array): void {
  try {
    decodeSnapshot(bytes);
  } catch (e) {
    if (e instanceof SnapshotError) return;
    throw new Error(`non-SnapshotError thrown: ${String(e)}`);
  }
  throw new Error('corrupted snapshot was accepted');
}

test('property: any byte flip is rejected with SnapshotError', () => {
  fc.assert(
    fc.property(
      mapArb.filter((m) => m.size > 0),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (m, pos, x) => {
        const b = encodeSnapshot(m);
        const c = b.slice();
        c[pos % c.length]! ^= x;
        onlySnapshotErrors(c);
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: any truncation or extension is rejected with SnapshotError', () => {
  fc.assert(
    fc.property(mapArb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (m, cut, tail) => {
      const b = encodeSnapshot(m);
      onlySnapshotErrors(b.subarray(0, cut % b.length));
      const ext = new Uint8Array(b.length + tail.length);
      ext.set(b);
      ext.set(tail, b.length);
      onlySnapshotErrors(ext);
    }),
    { numRuns: 500 },
  );
});

test('property: random garbage never throws anything but SnapshotError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (g, withHeader) => {
      let b = g;
      if (withHeader) {
        b = new Uint8Array(16 + g.length);
        b.set(encodeSnapshot(new Map()).subarray(0, 12));
        b.set(g.subarray(0, 4), 12);
        b.set(g, 16);
      }
      try {
        decodeSnapshot(b);
      } catch (e) {
        assert.ok(e instanceof SnapshotError, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});
