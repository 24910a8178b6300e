import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BURST_MS, MAX_BURST, MIN_BURST, nextBurst } from './burst.js';

test('a burst lasts about BURST_MS at the rate the last one ran', () => {
  // 5,000 M instructions/s: 250,000 in 0.05 ms.
  assert.equal(nextBurst(500_000, 0.1), Math.floor(500_000 * BURST_MS / 0.1));
  assert.equal(nextBurst(250_000, 0.05), 250_000);
});

test('slow code keeps the minimum, very fast code the maximum', () => {
  // The interpreter: 16,384 instructions in ~0.16 ms.
  assert.equal(nextBurst(16_384, 0.16), MIN_BURST);
  // A burst cut short (the hart idles at once) says nothing about the rate: the minimum.
  assert.equal(nextBurst(3, 0.02), MIN_BURST);
  assert.equal(nextBurst(50_000_000, 0.05), MAX_BURST);
  // No measurable time (the clock's resolution): the maximum, and the next measurement corrects it.
  assert.equal(nextBurst(16_384, 0), MAX_BURST);
});
