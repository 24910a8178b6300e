import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillRandom, randomBytes } from './entropy.js';

test('random bytes from the host: every length filled, and different each time', () => {
  for (const n of [0, 1, 32, 4096, 65536 + 3]) assert.equal(randomBytes(n).length, n);
  const a = randomBytes(64);
  const b = randomBytes(64);
  assert.notDeepEqual(a, b);
  // 64 random bytes are all zero with probability 2^-512.
  assert.ok(a.some((x) => x !== 0));
  // A view into a larger buffer: only its bytes change.
  const big = new Uint8Array(48);
  fillRandom(big.subarray(16, 32));
  assert.ok(big.subarray(0, 16).every((x) => x === 0) && big.subarray(32).every((x) => x === 0));
  assert.ok(big.subarray(16, 32).some((x) => x !== 0));
});
