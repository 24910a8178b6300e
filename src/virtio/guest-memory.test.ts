import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ArrayGuestMemory } from './guest-memory.js';

const BASE = 0x8000_0000;

function mem(size = 64) {
  const writes: [number, number][] = [];
  const m = new ArrayGuestMemory(BASE, new Uint8Array(size), (o, n) => writes.push([o, n]));
  return { m, writes };
}

test('little-endian reads and writes of 16, 32 and 64 bits', () => {
  const { m } = mem();
  assert.ok(m.writeU32(BASE, 0x4433_2211));
  assert.ok(m.writeU32(BASE + 4, 0x0000_0102));
  assert.deepEqual([...m.read(BASE, 6)!], [0x11, 0x22, 0x33, 0x44, 0x02, 0x01]);
  assert.equal(m.readU16(BASE + 1), 0x3322);
  assert.equal(m.readU32(BASE), 0x4433_2211);
  assert.equal(m.readU64(BASE), 0x0102_4433_2211);
  assert.ok(m.writeU16(BASE + 8, 0x1ffff));
  assert.equal(m.readU16(BASE + 8), 0xffff);
});

test('ranges not entirely in RAM answer undefined or false and write nothing', () => {
  const { m, writes } = mem(16);
  for (const [addr, len] of [
    [BASE - 1, 2],
    [BASE + 15, 2],
    [BASE + 16, 0 + 1],
    [0, 4],
    [2 ** 64, 4],
    [NaN, 1],
    [BASE, -1],
    [BASE, NaN],
  ] as const) {
    assert.equal(m.view(addr, len), undefined);
    assert.equal(m.writableView(addr, len), undefined);
    assert.equal(m.read(addr, len), undefined);
  }
  assert.equal(m.readU32(BASE + 13), undefined);
  assert.equal(m.readU64(BASE + 9), undefined);
  assert.equal(m.writeU32(BASE + 13, 1), false);
  assert.equal(m.writeU16(BASE + 15, 1), false);
  assert.equal(m.write(BASE + 10, new Uint8Array(7)), false);
  assert.deepEqual(writes, []);
  assert.ok(m.bytes.every((b) => b === 0));
  assert.deepEqual(m.view(BASE + 16, 0), new Uint8Array(0), 'an empty range at the end is inside');
});

test('every write path reports the RAM offset and length it writes; reads report nothing', () => {
  const { m, writes } = mem();
  m.write(BASE + 3, new Uint8Array(5));
  m.writeU16(BASE + 10, 1);
  m.writeU32(BASE + 12, 1);
  m.writableView(BASE + 20, 7);
  m.view(BASE, 8);
  m.read(BASE, 8);
  m.readU64(BASE);
  assert.deepEqual(writes, [
    [3, 5],
    [10, 2],
    [12, 4],
    [20, 7],
  ]);
});

test('fromRam wraps anything with base and u8, sharing its bytes', () => {
  const ram = { base: 0x1000, u8: new Uint8Array(32) };
  const m = ArrayGuestMemory.fromRam(ram);
  m.writeU32(0x1004, 0xdeadbeef);
  assert.equal(ram.u8[4], 0xef);
  assert.throws(() => new ArrayGuestMemory(-1, new Uint8Array(1)), RangeError);
  assert.throws(() => new ArrayGuestMemory(0, [] as never), TypeError);
});

test('property: accessors agree with a plain bounds check and never throw', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: BASE - 40, max: BASE + 100 }), fc.double(), fc.constantFrom(2 ** 53, 2 ** 64, -0)),
      fc.oneof(fc.integer({ min: -2, max: 80 }), fc.double()),
      (addr, len) => {
        const { m } = mem(64);
        const inside = len >= 0 && addr >= BASE && addr - BASE + len <= 64;
        const intAligned = Number.isInteger(addr) && Number.isInteger(len);
        if (!intAligned) {
          m.view(addr, len);
          return;
        }
        assert.equal(m.view(addr, len) !== undefined, inside);
        assert.equal(m.readU32(addr) !== undefined, addr >= BASE && addr + 4 <= BASE + 64);
      },
    ),
    { numRuns: 2000 },
  );
});
