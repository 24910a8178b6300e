import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, EMPTY_TAG64, MAX_STORE_PAGES, Tlb, TLB_MASK, TLB_OFFS_AT, TLB_SET_BYTES, TLB_SETS, TLB_SIZE, TLB_TAGS64_AT, TLB_WAY2_AT,
} from './tlb.js';

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

test("flushPage inside a superpage drops every entry filled from it, and only those", () => {
  const t = new Tlb();
  const mega = -0x2800_0000 * 0x100 + 0x20_0000 * 3; // a 2 MiB-aligned kernel address (Sv39's linear map)
  const a = mega + 0x5000;
  const b = mega + 0x1f_f000; // the superpage's last 4 KiB
  const outside = mega + 0x20_0000; // the next 2 MiB
  t.insert(1, ACCESS_LOAD, a, 0x10_5000, true, 1);
  t.insert(2, ACCESS_STORE, b, 0x11_f000, false, 1);
  t.insert(1, ACCESS_LOAD, outside, 0x12_0000, true, 1);
  t.insert(1, ACCESS_FETCH, mega + 0x7000, 0x10_7000); // a 4 KiB page's entry in the same range: dropped too
  t.flushPage(mega + 0x12_3456);
  assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_LOAD]![slot(a)]!), 'another 4 KiB piece, loads');
  assert.ok(Number.isNaN(t.tags[2 * 3 + ACCESS_STORE]![slot(b)]!), 'another piece, another context');
  assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_FETCH]![slot(mega + 0x7000)]!));
  assert.equal(t.tags[1 * 3 + ACCESS_LOAD]![slot(outside)], outside, 'the next superpage stays');
  // 4 KiB pages only: one page goes, its neighbours stay.
  const u = new Tlb();
  u.insert(0, ACCESS_LOAD, 0x40_0000, 0x1000);
  u.insert(0, ACCESS_LOAD, 0x40_1000, 0x2000);
  u.flushPage(0x40_0000);
  assert.ok(Number.isNaN(u.tags[ACCESS_LOAD]![slot(0x40_0000)]!));
  assert.equal(u.tags[ACCESS_LOAD]![slot(0x40_1000)], 0x40_1000);
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

test('dropStorePage sweeps only for pages a store entry was filled for since, and again after a new fill', () => {
  const t = new Tlb();
  t.insert(1, ACCESS_STORE, 0x4000, 0x9000);
  t.dropStorePage(0x9000);
  assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_STORE]![slot(0x4000)]!));
  // Filled again for the same page (at another address, in another context): dropped again.
  t.insert(2, ACCESS_STORE, 0x7000, 0x9000);
  t.dropStorePage(0x9000);
  assert.ok(Number.isNaN(t.tags[2 * 3 + ACCESS_STORE]![slot(0x7000)]!));
  // An entry pushed to the second way is still found; after flushAll, a fill counts anew.
  t.insert(1, ACCESS_STORE, 0x5000, 0xa000);
  t.insert(1, ACCESS_STORE, 0x5000 + TLB_SIZE * 4096, 0xb000);
  t.dropStorePage(0xa000);
  assert.ok(Number.isNaN(t.tags2[1 * 3 + ACCESS_STORE]![slot(0x5000)]!));
  t.flushAll();
  t.insert(3, ACCESS_STORE, 0x8000_a000, 0xa000);
  t.dropStorePage(0xa000);
  assert.ok(Number.isNaN(t.tags[3 * 3 + ACCESS_STORE]![slot(0x8000_a000)]!));
});

test('dropStorePage still finds store entries after the list of stored-to pages was rebuilt', () => {
  const t = new Tlb();
  t.insert(1, ACCESS_STORE, 0x4000, 0x9000);
  // More pages stored to than the list keeps (in another context): it is rebuilt from the sets.
  for (let p = 0; p <= MAX_STORE_PAGES; p++) t.insert(0, ACCESS_STORE, p * 4096, 0x100_0000 + p * 4096);
  const last = MAX_STORE_PAGES * 4096;
  t.dropStorePage(0x9000);
  assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_STORE]![slot(0x4000)]!), 'the entry filled before the rebuild');
  t.dropStorePage(0x100_0000 + last);
  assert.ok(Number.isNaN(t.tags[0 * 3 + ACCESS_STORE]![slot(last)]!), 'the entry filled after it');
  assert.equal(t.tags[0 * 3 + ACCESS_STORE]![slot(last - 4096)], last - 4096, 'others stay');
});

test("with a backing, the i64 tags translated code compares always agree with the f64 tags", () => {
  const buffer = new ArrayBuffer(2 * 12 * TLB_SET_BYTES + 64);
  const t = new Tlb({ buffer, byteOffset: 0, selectedAt: 2 * 12 * TLB_SET_BYTES });
  const tag64 = (k: number, va: number): bigint => new BigInt64Array(buffer, k * TLB_SET_BYTES + TLB_TAGS64_AT, TLB_SIZE)[slot(va)]!;
  const kernel = -0x3f_ffff_f000; // 0xffffffc000001000
  const user = 0x3f_ffff_f000; // the top user page of Sv39
  const S_LOAD = 1 * 3 + ACCESS_LOAD;
  const S_STORE = 1 * 3 + ACCESS_STORE;
  assert.equal(tag64(S_LOAD, kernel), BigInt(EMPTY_TAG64), 'empty at first');
  t.insert(1, ACCESS_LOAD, kernel, 0x1000);
  t.insert(1, ACCESS_LOAD, user, 0x2000);
  t.insert(1, ACCESS_STORE, user, 0x2000);
  assert.equal(tag64(S_LOAD, kernel), -0x3f_ffff_f000n, 'sign-extended high half');
  assert.equal(tag64(S_LOAD, user), 0x3f_ffff_f000n);
  t.flushPage(kernel);
  assert.equal(tag64(S_LOAD, kernel), BigInt(EMPTY_TAG64));
  assert.equal(tag64(S_LOAD, user), 0x3f_ffff_f000n, 'another page stays');
  t.dropStorePage(0x2000);
  assert.equal(tag64(S_STORE, user), BigInt(EMPTY_TAG64));
  assert.equal(tag64(S_LOAD, user), 0x3f_ffff_f000n, 'loads stay');
  t.flushTranslated();
  assert.equal(tag64(S_LOAD, user), BigInt(EMPTY_TAG64));
  t.insert(3, ACCESS_FETCH, 0x8000_0000, 0);
  t.flushAll();
  assert.equal(tag64(3 * 3 + ACCESS_FETCH, 0x8000_0000), BigInt(EMPTY_TAG64));
});

test('with a backing, the second way is there too, its i64 tags agreeing with its f64 tags', () => {
  const buffer = new ArrayBuffer(2 * TLB_SETS * TLB_SET_BYTES + 64);
  const t = new Tlb({ buffer, byteOffset: 0, selectedAt: 2 * TLB_SETS * TLB_SET_BYTES });
  const S_LOAD = 1 * 3 + ACCESS_LOAD;
  const way = (w: number, va: number): [bigint, number] => {
    const at = S_LOAD * TLB_SET_BYTES + w * TLB_WAY2_AT;
    return [new BigInt64Array(buffer, at + TLB_TAGS64_AT, TLB_SIZE)[slot(va)]!, new Int32Array(buffer, at + TLB_OFFS_AT, TLB_SIZE)[slot(va)]!];
  };
  const a = 0x4000_0000;
  const b = a + TLB_SIZE * 4096; // the same entry
  t.insert(1, ACCESS_LOAD, a, 0x1000);
  assert.equal(way(1, a)[0], BigInt(EMPTY_TAG64), 'empty at first');
  t.insert(1, ACCESS_LOAD, b, 0x2000);
  assert.deepEqual(way(0, b), [BigInt(b), 0x2000]);
  assert.deepEqual(way(1, a), [BigInt(a), 0x1000], 'the page replaced went to the second way');
  assert.equal(t.lookupWay2(1, ACCESS_LOAD, a), 0x1000);
  assert.deepEqual(way(0, a), [BigInt(a), 0x1000], 'a hit there swaps the ways');
  assert.deepEqual(way(1, b), [BigInt(b), 0x2000]);
  t.flushPage(b);
  assert.equal(way(1, b)[0], BigInt(EMPTY_TAG64), 'a flush of the page in the second way empties it');
  t.insert(1, ACCESS_LOAD, b, 0x2000);
  t.flushTranslated();
  assert.equal(way(0, b)[0], BigInt(EMPTY_TAG64));
  assert.equal(way(1, a)[0], BigInt(EMPTY_TAG64), 'and flushes empty both ways');
  for (let n = 0; n < 2 * TLB_SIZE; n++) t.insert(1, ACCESS_LOAD, a + n * 4096, n * 4096);
  t.flushAll();
  for (let i = 0; i < TLB_SIZE; i += 97) {
    assert.equal(new BigInt64Array(buffer, S_LOAD * TLB_SET_BYTES + TLB_WAY2_AT + TLB_TAGS64_AT, TLB_SIZE)[i], BigInt(EMPTY_TAG64));
  }
});

test('flushTranslated empties every U and S entry filled since the last flush, few or many, and keeps M-mode ones', () => {
  for (const fills of [3, 100, 2000]) {
    const buffer = new ArrayBuffer(2 * 12 * TLB_SET_BYTES + 64);
    const t = new Tlb({ buffer, byteOffset: 0, selectedAt: 2 * 12 * TLB_SET_BYTES });
    const pages: number[] = [];
    for (let n = 0; n < fills; n++) {
      const va = 0x4000_0000 + n * 0x1000;
      pages.push(va);
      t.insert(n % 3, Math.floor(n / 3) % 3, va, n * 0x1000); // contexts U, S, S+SUM; every kind
    }
    t.insert(3, ACCESS_LOAD, 0x8000_0000, 0);
    t.flushTranslated();
    for (let k = 0; k < 9; k++) {
      const tags64 = new BigInt64Array(buffer, k * TLB_SET_BYTES + TLB_TAGS64_AT, TLB_SIZE);
      for (let i = 0; i < TLB_SIZE; i++) {
        assert.ok(Number.isNaN(t.tags[k]![i]!), `${fills} fills: set ${k} entry ${i} empty`);
        assert.equal(tags64[i], BigInt(EMPTY_TAG64));
      }
    }
    assert.equal(t.tags[3 * 3 + ACCESS_LOAD]![slot(0x8000_0000)], 0x8000_0000, 'M-mode entries stay');
    // And again after the log was used: a later fill is emptied by the next flush.
    t.insert(1, ACCESS_LOAD, pages[0]!, 0);
    t.flushTranslated();
    assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_LOAD]![slot(pages[0]!)]!));
  }
});

test('flushNonGlobal empties the non-global entries, few or many, and keeps global ones (when few were filled since); flushTranslated empties both', () => {
  for (const fills of [3, 2000]) {
    const t = new Tlb();
    const globalVa = 0x7fff_0000; // a slot no non-global fill below uses
    t.insert(1, ACCESS_FETCH, globalVa, 0x5000, true);
    t.insert(2, ACCESS_LOAD, globalVa, 0x5000, true);
    for (let n = 0; n < fills; n++) t.insert(n % 3, ACCESS_LOAD, 0x4000_0000 + (n % 512) * 0x1000, n * 0x1000);
    t.flushNonGlobal();
    if (fills < 256) {
      // Past the fill log the sets are emptied whole, global entries too (a TLB may always forget).
      assert.equal(t.tags[1 * 3 + ACCESS_FETCH]![slot(globalVa)], globalVa, `${fills} fills: the global fetch entry stays`);
      assert.equal(t.tags[2 * 3 + ACCESS_LOAD]![slot(globalVa)], globalVa, `${fills} fills: the global load entry stays`);
    }
    for (let k = 0; k < 9; k++) {
      for (let n = 0; n < 512; n++) assert.ok(Number.isNaN(t.tags[k]![slot(0x4000_0000 + n * 0x1000)]!), `set ${k}`);
    }
    // A fill after the flush goes with the next one, the global entries with a full flush.
    t.insert(0, ACCESS_STORE, 0x4000_0000, 0);
    t.flushNonGlobal();
    assert.ok(Number.isNaN(t.tags[ACCESS_STORE]![slot(0x4000_0000)]!));
    t.insert(1, ACCESS_FETCH, globalVa, 0x5000, true);
    t.flushNonGlobal();
    assert.equal(t.tags[1 * 3 + ACCESS_FETCH]![slot(globalVa)], globalVa);
    t.flushTranslated();
    assert.ok(Number.isNaN(t.tags[1 * 3 + ACCESS_FETCH]![slot(globalVa)]!));
  }
});

test('two pages that take the same entry both stay cached: the one pushed out goes to the second way', () => {
  const buffer = new ArrayBuffer(2 * 12 * TLB_SET_BYTES + 64);
  const t = new Tlb({ buffer, byteOffset: 0, selectedAt: 2 * 12 * TLB_SET_BYTES });
  const a = 0x4000_0000;
  const b = a + TLB_SIZE * 4096; // the same index
  const k = 1 * 3 + ACCESS_LOAD;
  // What translated code reads: the first way's i64 tags.
  const tag64 = (va: number): bigint =>
    new BigInt64Array(buffer, k * TLB_SET_BYTES + TLB_TAGS64_AT, TLB_SIZE)[slot(va)]!;
  t.insert(1, ACCESS_LOAD, a, 0x1000);
  t.insert(1, ACCESS_LOAD, b, 0x2000);
  assert.equal(t.tags[k]![slot(a)], b, 'the newer page in the first way');
  assert.equal(t.tags2[k]![slot(a)], a, 'the one it replaced in the second');
  assert.equal(tag64(a), BigInt(b), 'the i64 tag translated code reads is the newer page\'s');
  // A miss on the first way finds it there and swaps the two.
  assert.equal(t.lookupWay2(1, ACCESS_LOAD, a), 0x1000);
  assert.equal(t.tags[k]![slot(a)], a);
  assert.equal(t.offs[k]![slot(a)], 0x1000);
  assert.equal(t.tags2[k]![slot(a)], b);
  assert.equal(tag64(a), BigInt(a), 'and the i64 tag follows');
  assert.equal(t.lookupWay2(1, ACCESS_LOAD, a + 2 * TLB_SIZE * 4096), -1);
  // Flushes and drops reach the second way.
  t.flushPage(b);
  assert.ok(Number.isNaN(t.tags2[k]![slot(a)]!));
  assert.equal(tag64(a), BigInt(EMPTY_TAG64));
  t.insert(1, ACCESS_STORE, a, 0x3000);
  t.insert(1, ACCESS_STORE, b, 0x4000);
  t.dropStorePage(0x3000);
  assert.ok(Number.isNaN(t.tags2[1 * 3 + ACCESS_STORE]![slot(a)]!), 'dropStorePage empties the second way');
  t.insert(1, ACCESS_LOAD, b, 0x2000);
  t.flushNonGlobal();
  assert.ok(Number.isNaN(t.tags[k]![slot(a)]!) && Number.isNaN(t.tags2[k]![slot(a)]!), 'a flush empties both ways');
});

test('flushAll empties every entry of every context, both ways, whether few or many were filled since', () => {
  const everyEntryEmpty = (t: Tlb, tag64: (k: number) => BigInt64Array, what: string): void => {
    for (let k = 0; k < 12; k++) {
      assert.ok(t.tags[k]!.every(Number.isNaN), `${what}: set ${k} first way`);
      assert.ok(t.tags2[k]!.every(Number.isNaN), `${what}: set ${k} second way`);
      assert.ok(tag64(k).every((x) => x === BigInt(EMPTY_TAG64)), `${what}: set ${k} i64 tags`);
    }
  };
  // A page in every context and kind, and a second page on the same entry (the first goes to the second way).
  const fill = (t: Tlb, pages: number): void => {
    for (let p = 0; p < pages; p++) {
      for (const ctx of [0, 1, 2, 3]) {
        for (const kind of [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE]) {
          t.insert(ctx, kind, p * 4096, p * 4096, p % 2 === 0);
          t.insert(ctx, kind, (p + TLB_SIZE) * 4096, p * 4096);
        }
      }
    }
  };
  for (const pages of [2, 30, 500]) {
    const buffer = new ArrayBuffer(2 * 12 * TLB_SET_BYTES + 64);
    const t = new Tlb({ buffer, byteOffset: 0, selectedAt: 2 * 12 * TLB_SET_BYTES });
    const tag64 = (k: number): BigInt64Array => new BigInt64Array(buffer, k * TLB_SET_BYTES + TLB_TAGS64_AT, TLB_SIZE);
    fill(t, pages);
    t.flushAll();
    everyEntryEmpty(t, tag64, `${pages} pages`);
    // M-mode entries survive flushTranslated; flushAll then empties them, however many fills were lost before.
    fill(t, pages);
    t.flushTranslated();
    assert.equal(t.tags[3 * 3 + ACCESS_LOAD]![slot(4096)], (1 + TLB_SIZE) * 4096, `${pages} pages: M-mode stays`);
    fill(t, 1);
    t.flushAll();
    everyEntryEmpty(t, tag64, `${pages} pages, after flushTranslated`);
  }
});

test('publishIoPage: the last load and store translations of one device page, for the set of their context, until device pages are emptied', () => {
  const buffer = new ArrayBuffer(2 * 12 * TLB_SET_BYTES + 4096);
  const at = 2 * 12 * TLB_SET_BYTES + 64;
  const t = new Tlb({ buffer, byteOffset: 0, selectedAt: 2 * 12 * TLB_SET_BYTES, publishedAt: at });
  const pub = new Int32Array(buffer, at, 8);
  const uart = 0x1000_0000;
  const va = -0x3e_0000_0000; // 0xffffffc200000000, where Linux's ioremap puts it
  const setAddress = (context: number, kind: number): number => (context * 3 + kind) * TLB_SET_BYTES;
  const empty = [EMPTY_TAG64, 0, -1];
  t.publishIoPage(uart);
  assert.deepEqual([...pub.subarray(0, 3)], empty);
  assert.deepEqual([...pub.subarray(4, 7)], empty);
  t.insertIo(1, ACCESS_LOAD, va, uart);
  t.insertIo(1, ACCESS_FETCH, va, uart);
  t.insertIo(2, ACCESS_STORE, va + 0x1000, 0x1000_1000); // another device page: not published
  assert.deepEqual([...pub.subarray(0, 3)], [va | 0, Math.floor(va / 2 ** 32), setAddress(1, ACCESS_LOAD)]);
  assert.deepEqual([...pub.subarray(4, 7)], empty, 'no store translation yet, and fetches are never published');
  t.insertIo(2, ACCESS_STORE, va, uart);
  assert.deepEqual([...pub.subarray(4, 7)], [va | 0, Math.floor(va / 2 ** 32), setAddress(2, ACCESS_STORE)]);
  assert.equal(t.lookupIo(1, ACCESS_LOAD, va), uart, 'cached as before');
  // Each flush empties the device pages (flushPage, flushNonGlobal, flushAll): the published entries go with them.
  for (const flush of [() => t.flushPage(va), () => t.flushNonGlobal(), () => t.flushAll()]) {
    t.insertIo(1, ACCESS_LOAD, va, uart);
    t.insertIo(1, ACCESS_STORE, va, uart);
    flush();
    assert.deepEqual([...pub.subarray(0, 3)], empty);
    assert.deepEqual([...pub.subarray(4, 7)], empty);
  }
  assert.throws(() => new Tlb().publishIoPage(uart), /no backing/);
});
