import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, Tlb, TLB_MASK } from './tlb.js';

const slot = (va: number): number => ((va | 0) >>> 12) & TLB_MASK;

test('flushPage drops one virtual page in the U and S contexts and keeps the others', () => {
  const t = new Tlb();
  const a = -0x7fe0_0000; // 0xffffffff80200000, a kernel address
  const b = a + 0x1000;
  for (const ctx of [0, 1, 2, 3]) {
    for (const kind of [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE]) {
      t.insert(ctx, kind, a, 0x1000);
      t.insert(ctx, kind, b, 0x2000);
    }
  }
  t.flushPage(a + 0x123);
  for (const ctx of [0, 1, 2]) {
    for (const kind of [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE]) {
      assert.ok(Number.isNaN(t.tags[ctx * 3 + kind]![slot(a)]!), `ctx ${ctx} kind ${kind} dropped`);
      assert.equal(t.tags[ctx * 3 + kind]![slot(b)], b);
    }
  }
  assert.equal(t.tags[3 * 3 + ACCESS_LOAD]![slot(a)], a, 'M-mode (untranslated) entries stay');
});

test('dropStorePage removes store entries pointing at a RAM page in every context, and nothing else', () => {
  const t = new Tlb();
  t.insert(1, ACCESS_STORE, 0x4000, 0x9000);
  t.insert(3, ACCESS_STORE, 0x8000_9000, 0x9000);
  t.insert(1, ACCESS_LOAD, 0x4000, 0x9000);
  t.dropStorePage(0x9000);
  assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_STORE]![slot(0x4000)]!));
  assert.ok(Number.isNaN(t.tags[3 * 3 + ACCESS_STORE]![slot(0x8000_9000)]!));
  assert.equal(t.tags[1 * 3 + ACCESS_LOAD]![slot(0x4000)], 0x4000);
});
