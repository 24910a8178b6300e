import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decayCounts, WATCH_SIZE } from '../branch-watch.js';
import { makeCountDecay } from './count-decay.js';
import { AREA_COUNTS } from './layout.js';

/** Counts as the watch makes them: recent visits in the low 16 bits, visits in all above. */
function randomCounts(seed: number): Int32Array {
  const counts = new Int32Array(WATCH_SIZE);
  let x = seed;
  for (let i = 0; i < counts.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    // A quarter empty, as most of the table is; the rest any recent and total parts, sign bit included.
    counts[i] = (x & 3) === 0 ? 0 : Math.imul(x, 2654435761);
  }
  return counts;
}

test('the WebAssembly decay halves each count as decayCounts does, for every number of halvings', () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const decay = makeCountDecay(memory);
  const area = 65536;
  const inArea = new Int32Array(memory.buffer, area + AREA_COUNTS, WATCH_SIZE);
  for (const times of [0, 1, 2, 5, 15, 16, 17, 40, 64, 1000]) {
    const expected = randomCounts(times + 1);
    inArea.set(expected);
    decayCounts(expected, times);
    decay(area, times);
    assert.deepEqual(inArea, expected, `${times} halvings`);
  }
});

test('the decay touches only the counts', () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const decay = makeCountDecay(memory);
  const area = 65536;
  const bytes = new Uint8Array(memory.buffer);
  bytes.fill(0xff);
  decay(area, 3);
  const start = area + AREA_COUNTS;
  const end = start + WATCH_SIZE * 4;
  assert.ok(bytes.subarray(0, start).every((b) => b === 0xff), 'before the counts');
  assert.ok(bytes.subarray(end).every((b) => b === 0xff), 'after the counts');
  assert.equal(new Int32Array(memory.buffer, start, WATCH_SIZE)[0], (0xffff_0000 | (0xffff >>> 3)) | 0);
});
