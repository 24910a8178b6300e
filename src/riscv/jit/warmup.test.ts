import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpTranslator } from './warmup.js';

test('the translator warm-up runs its program to the WFI through compiled blocks, slow exits and a followed call', () => {
  const w = warmUpTranslator();
  assert.equal(w.idle, true, 'reaches the WFI');
  // 200 passes of the loop; the helper is called in three passes of four.
  assert.ok(w.instructions > 2000, String(w.instructions));
  assert.ok(w.stats.compiled >= 3, JSON.stringify(w.stats));
  assert.ok(w.stats.slowExits >= 150, JSON.stringify(w.stats));
  assert.ok(w.stats.callsFollowed >= 1, JSON.stringify(w.stats));
});
