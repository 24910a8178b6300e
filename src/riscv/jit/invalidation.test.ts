/**
 * The translator's correctness cases that random programs rarely reach: code that rewrites itself while it is
 * translated, a page-table change under running translated code, a fault inside a translated block, indirect
 * jumps to addresses where doubles round. Each
 * runs on both engines; the end states must match each other and the expected values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, MTVEC, RAM_BASE, RAM_SIZE, getX, iType, read64, setCsrRaw, setX, write64, type Rig } from '../testing.js';
import { CAUSE, CSR, PRIV_S } from '../constants.js';
import { diffState, makeEngineHart, runUntilIdle } from './test-rig.js';
import { TLB_MASK, TLB_SIZE } from '../tlb.js';

const CODE = RAM_BASE + 0x1000;
const WFI = 0x10500073;

function place(rig: Rig, addr: number, words: readonly number[]): void {
  words.forEach((w, i) => (rig.ram.i32[(addr - RAM_BASE) / 4 + i] = w));
}

/**
 * Runs `prepare` on an interpreter hart and a translator hart, both until WFI; returns both. With `cold`, the
 * translator compiles nothing: its WebAssembly interpreter runs the code.
 */
function both(prepare: (rig: Rig) => void, cold = false): [Rig, Rig] {
  const rigs = [makeEngineHart('interp'), makeEngineHart('jit')] as const;
  if (cold) Object.assign(rigs[1].h.jit!.tuning, { hot: 0x7fff_ffff });
  for (const rig of rigs) {
    place(rig, MTVEC, [WFI]);
    rig.h.pc = CODE;
    prepare(rig);
    assert.ok(runUntilIdle(rig.h, 2_000_000), `${rig.h.engine}: reaches the WFI`);
  }
  assert.deepEqual(diffState(rigs[0], rigs[1]), []);
  return [rigs[0], rigs[1]];
}

test('self-modifying code: a translated loop sees its rewritten instruction, also when translated code writes it', () => {
  const [, jit] = both((rig) => {
    const table = RAM_BASE + 0x8000;
    place(rig, table, [A.addi(5, 5, 1), A.addi(5, 5, 1000)]);
    place(rig, CODE, [
      A.addi(31, 0, 50), //             0: inner count
      A.addi(5, 5, 1), //               4: the instruction rewritten below
      A.addi(31, 31, -1), //            8
      A.bne(31, 0, -8), //             12
      iType(0x13, 10, 7, 6, 1), //     16: andi x10, x6, 1
      A.slli(10, 10, 2), //            20
      A.add(10, 10, 8), //             24
      A.lw(7, 10, 0), //               28
      A.sw(7, 9, 4), //                32: rewrite CODE + 4
      A.addi(6, 6, -1), //             36
      A.bne(6, 0, -40), //             40: outer loop
      A.ecall(), //                    44
    ]);
    setX(rig.h, 6, 30n);
    setX(rig.h, 8, BigInt(table));
    setX(rig.h, 9, BigInt(CODE));
  });
  // Outer pass i (30 down to 1) runs the word written by pass i+1: the first pass the original (+1), then +1 when
  // the previous x6 was even, +1000 when odd.
  let expect = 50n;
  for (let x6 = 30; x6 > 1; x6--) expect += (x6 & 1) === 0 ? 50n : 50000n;
  assert.equal(getX(jit.h, 5), expect);
  const stats = jit.h.jit!.stats;
  assert.ok(stats.compiled > 0 && stats.dropped > 0, JSON.stringify(stats));
});

/** Sv39 tables for the page-table tests: RAM mapped at its own address, and va's 2 MiB as the L0 table says. */
const PT = { root: RAM_BASE + 0x10000, l1: RAM_BASE + 0x11000, l0: RAM_BASE + 0x12000, va: 0x1000_0000 };
/** A leaf PTE for physical page `pa`: V R W X A D. */
const leaf = (pa: number): bigint => (BigInt(pa / 4096) << 10n) | 0xcfn;

/** Writes the tables, with va + 4096 * i mapped to pages[i], and runs the hart in S-mode with them. */
function sv39(rig: Rig, pages: readonly number[]): void {
  write64(rig, PT.root + 8 * 2, leaf(0x8000_0000)); // gigapage: RAM at its own address
  write64(rig, PT.root + 8 * 0, (BigInt(PT.l1 / 4096) << 10n) | 1n);
  write64(rig, PT.l1 + 8 * 128, (BigInt(PT.l0 / 4096) << 10n) | 1n);
  pages.forEach((pa, i) => write64(rig, PT.l0 + 8 * i, leaf(pa)));
  setCsrRaw(rig.h, CSR.satp, (8n << 60n) | BigInt(PT.root / 4096));
  rig.h.priv = PRIV_S;
  rig.h.updateTlbContext();
}

test('a page-table change (PTE store and SFENCE.VMA) under translated code switches to the new code', () => {
  const p1 = RAM_BASE + 0x20000;
  const p2 = RAM_BASE + 0x21000;
  const [, jit] = both((rig) => {
    const loop = (k: number): number[] => [A.addi(5, 5, k), A.addi(31, 31, -1), A.bne(31, 0, -8), A.jalr(0, 1, 0)];
    place(rig, p1, loop(1));
    place(rig, p2, loop(1000));
    place(rig, CODE, [
      A.addi(31, 0, 40),
      A.jalr(1, 20, 0), // run the loop at va (p1)
      A.sd(21, 22, 0), //  point va at p2
      0x12000073, //       sfence.vma x0, x0
      A.addi(31, 0, 40),
      A.jalr(1, 20, 0), // run the loop at va (p2)
      A.ecall(),
    ]);
    setX(rig.h, 20, BigInt(PT.va));
    setX(rig.h, 21, leaf(p2));
    setX(rig.h, 22, BigInt(PT.l0));
    sv39(rig, [p1]);
  });
  assert.equal(getX(jit.h, 5), 40n + 40n * 1000n);
  assert.ok(jit.h.jit!.stats.compiled > 0);
});

test('a fault inside a translated block: precise pc, tval and registers', () => {
  const end = RAM_BASE + RAM_SIZE;
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(7, 7, 1), //   0
      A.ld(5, 10, 0), //    4: faults once x10 reaches the end of RAM
      A.add(6, 6, 5), //    8
      A.addi(10, 10, 8), // 12
      A.bne(10, 11, -16), // 16
      A.ecall(),
    ]);
    for (let i = 0; i < 100; i++) write64(rig, end - 800 + 8 * i, BigInt(i + 1));
    setX(rig.h, 10, BigInt(end - 800));
    setX(rig.h, 11, 1n);
  });
  const h = jit.h;
  assert.equal(getX(h, 7), 101n, 'the instruction before the load in the same block ran');
  assert.equal(getX(h, 6), 5050n, 'the loads before the fault');
  assert.equal(getX(h, 10), BigInt(end));
  assert.equal(h.csr[CSR.mcause * 2], CAUSE.LOAD_ACCESS_FAULT);
  assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + 4);
  assert.equal(h.csr[CSR.mtval * 2]! >>> 0, end >>> 0);
  assert.ok(h.jit!.stats.compiled > 0);
});

test('an indirect jump from translated code lands where the interpreter lands, also at addresses beyond 2^53', () => {
  // jalr's target is computed in doubles (the pc is a number): translated code must round exactly as the
  // interpreter does, so the fault at each target (mepc, mtval) is the same on both engines. (Tried: the target in
  // i64 while that is exact, a shorter sequence, measured no faster.)
  // 0x1236 + 5 is odd (bit 0 cleared); 2^54 + 2 + 5 rounds twice in doubles (to 2^54, then 2^54 + 4) but once
  // from the exact sum (2^54 + 8).
  const targets = [0x1236n, -8n, (1n << 53n) - 4100n, (1n << 53n) - 2047n, (1n << 53n) + 7n, (1n << 54n) + 2n, -(1n << 63n), (1n << 63n) - 1n];
  for (const v of targets) {
    const [, jit] = both((rig) => {
      place(rig, CODE, [
        A.addi(31, 0, 50), //           0
        A.addi(31, 31, -1), //          4: loop
        A.bne(31, 0, 8), //             8: → 16 until the last pass
        A.add(6, 5, 0), //             12: last pass: x6 = the target under test
        A.jalr(1, 6, 5), //            16
        A.ecall(), //                  20
        A.jal(0, -20), //              24: → 4
      ]);
      setX(rig.h, 5, BigInt.asIntN(64, v));
      setX(rig.h, 6, BigInt(CODE + 24 - 5));
    });
    assert.ok(jit.h.jit!.stats.compiled > 0);
  }
});

const HELPER = RAM_BASE + 0x3000;

/** x10 through the helper below: x12 = x10 << 3; x10 ^= x12 (or += after the rewrite); x12 = x10 >> 5; x10 ^= x12. */
function helper(x10: bigint, add: boolean): bigint {
  const m = (1n << 64n) - 1n;
  let v = x10 & m;
  const a = (v << 3n) & m;
  v = add ? (v + a) & m : v ^ a;
  return v ^ (v >> 5n);
}

function helperWords(): number[] {
  return [
    A.slli(12, 10, 3), //              0
    A.xor(10, 10, 12), //              4: rewritten to add x10, x10, x12 by the second test
    A.srli(12, 10, 5), //              8
    A.xor(10, 10, 12), //             12
    A.jalr(0, 1, 0), //               16: ret
  ];
}

test('a call to another page is followed into the caller\'s block, and the return comes back into it', () => {
  const [, jit] = both((rig) => {
    place(rig, HELPER, helperWords());
    place(rig, CODE, [
      A.addi(31, 0, 300), //           0
      A.addi(10, 10, 7), //            4: loop
      A.jal(1, HELPER - (CODE + 8)), // 8: call the helper on another page
      A.add(11, 11, 10), //           12
      A.addi(31, 31, -1), //          16
      A.bne(31, 0, -16), //           20: → 4
      A.ecall(), //                   24
    ]);
  });
  let x10 = 0n;
  let x11 = 0n;
  for (let i = 0; i < 300; i++) {
    x10 = helper(x10 + 7n, false);
    x11 = (x11 + x10) & ((1n << 64n) - 1n);
  }
  assert.equal(BigInt.asUintN(64, getX(jit.h, 10)), x10);
  assert.equal(BigInt.asUintN(64, getX(jit.h, 11)), x11);
  assert.ok(jit.h.jit!.stats.callsFollowed > 0, JSON.stringify(jit.h.jit!.stats));
});

test('rewriting a callee that was followed into a block drops that block: the caller sees the new code', () => {
  const [, jit] = both((rig) => {
    place(rig, HELPER, helperWords());
    place(rig, CODE, [
      A.addi(31, 0, 300), //           0
      A.addi(10, 10, 7), //            4: loop
      A.addi(15, 31, -100), //         8
      A.bne(15, 0, 8), //             12: → 20 but in pass 100
      A.sw(13, 14, 4), //             16: rewrite the helper's second instruction
      A.jal(1, HELPER - (CODE + 20)), // 20
      A.add(11, 11, 10), //           24
      A.addi(31, 31, -1), //          28
      A.bne(31, 0, -28), //           32: → 4
      A.ecall(), //                   36
    ]);
    setX(rig.h, 13, BigInt(A.add(10, 10, 12)));
    setX(rig.h, 14, BigInt(HELPER));
  });
  let x10 = 0n;
  let x11 = 0n;
  let add = false;
  for (let i = 300; i > 0; i--) {
    if (i === 100) add = true;
    x10 = helper(x10 + 7n, add);
    x11 = (x11 + x10) & ((1n << 64n) - 1n);
  }
  assert.equal(BigInt.asUintN(64, getX(jit.h, 10)), x10);
  assert.equal(BigInt.asUintN(64, getX(jit.h, 11)), x11);
  const stats = jit.h.jit!.stats;
  assert.ok(stats.callsFollowed > 0 && stats.dropped > 0, JSON.stringify(stats));
});

test('a followed callee that returns elsewhere (it changed ra) leaves the block for where it really returns', () => {
  const [, jit] = both((rig) => {
    place(rig, HELPER, [
      iType(0x13, 12, 7, 31, 1), //     0: andi x12, x31, 1
      A.slli(12, 12, 2), //             4
      A.add(1, 1, 12), //               8: odd passes return one instruction further
      A.jalr(0, 1, 0), //              12: ret
    ]);
    place(rig, CODE, [
      A.addi(31, 0, 300), //           0
      A.jal(1, HELPER - (CODE + 4)), // 4: loop
      A.addi(11, 11, 1), //            8: skipped on odd passes
      A.addi(16, 16, 1), //           12
      A.addi(31, 31, -1), //          16
      A.bne(31, 0, -16), //           20: → 4
      A.ecall(), //                   24
    ]);
  });
  assert.equal(getX(jit.h, 11), 150n);
  assert.equal(getX(jit.h, 16), 300n);
  assert.ok(jit.h.jit!.stats.callsFollowed > 0, JSON.stringify(jit.h.jit!.stats));
});

test('a callee page followed into a block and then mapped elsewhere (PTE store, SFENCE.VMA) runs its new code', () => {
  const caller = RAM_BASE + 0x22000;
  const p1 = RAM_BASE + 0x20000;
  const p2 = RAM_BASE + 0x21000;
  const [, jit] = both((rig) => {
    place(rig, caller, [A.jal(1, 4096), A.addi(31, 31, -1), A.bne(31, 0, -8), A.jalr(0, 2, 0)]);
    place(rig, p1, [A.addi(5, 5, 1), A.jalr(0, 1, 0)]);
    place(rig, p2, [A.addi(5, 5, 1000), A.jalr(0, 1, 0)]);
    place(rig, CODE, [
      A.addi(31, 0, 40),
      A.jalr(2, 20, 0), // run the loop at va, calling p1
      A.sd(21, 22, 0), //  map the callee's page to p2
      0x12000073, //       sfence.vma x0, x0
      A.addi(31, 0, 40),
      A.jalr(2, 20, 0), // run it again: p2
      A.ecall(),
    ]);
    setX(rig.h, 20, BigInt(PT.va));
    setX(rig.h, 21, leaf(p2));
    setX(rig.h, 22, BigInt(PT.l0 + 8));
    sv39(rig, [caller, p1]); // va: the calling loop, va + 4096: the callee
  });
  assert.equal(getX(jit.h, 5), 40n + 40n * 1000n);
  assert.ok(jit.h.jit!.stats.callsFollowed > 0, JSON.stringify(jit.h.jit!.stats));
});

test('a CSR access inside a block that clears sstatus.SUM makes the next load of a user page fault there', () => {
  // The loop's block runs csrrs and csrrc through the interpreter and goes on: loads of the user page are allowed
  // while SUM is set. On the last pass csrrc clears SUM, and the second load must fault although the first one,
  // through the same base register and page, went through (a page cache kept across the access would let it).
  const userPage = RAM_BASE + 0x22000;
  const SUM = 1n << 18n;
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(31, 0, 50), //            0
      A.csrrs(0, CSR.sstatus, 9), //   4: loop: SUM on
      A.ld(5, 10, 0), //               8: the user page
      A.csrrc(0, CSR.sstatus, 8), //  12: SUM off on the last pass
      A.ld(6, 10, 0), //              16: faults on the last pass
      A.addi(31, 31, -1), //          20
      A.bne(31, 11, -20), //          24: → 4
      A.add(8, 9, 0), //              28: the last pass clears SUM
      A.jal(0, -28), //               32: → 4
    ]);
    write64(rig, userPage, 77n);
    sv39(rig, [RAM_BASE + 0x20000]);
    write64(rig, PT.l0 + 8, (BigInt(userPage / 4096) << 10n) | 0xdfn); // VA + 4 KiB, a user page
    setX(rig.h, 9, SUM);
    setX(rig.h, 10, BigInt(PT.va + 0x1000));
    setX(rig.h, 11, 1n);
  });
  const h = jit.h;
  assert.equal(h.csr[CSR.mcause * 2], CAUSE.LOAD_PAGE_FAULT);
  assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + 16);
  assert.equal(getX(h, 5), 77n);
  assert.equal(getX(h, 31), 1n);
  assert.ok(h.jit!.stats.compiled > 0);
});

/** Two virtual pages TLB_SIZE pages apart, which share an entry of the TLB: A at PT.va, B at vaB. */
const CONFLICT = { pageA: RAM_BASE + 0x20000, pageB: RAM_BASE + 0x21000, vaB: PT.va + TLB_SIZE * 4096 };

/** Maps CONFLICT's pages (holding 3 and 4) and runs the hart in S-mode with x10 pointing at A and x11 at B. */
function conflictingPages(rig: Rig): void {
  const l0b = RAM_BASE + 0x13000;
  write64(rig, CONFLICT.pageA, 3n);
  write64(rig, CONFLICT.pageB, 4n);
  sv39(rig, [CONFLICT.pageA]);
  write64(rig, PT.l1 + 8 * (128 + (CONFLICT.vaB - PT.va) / (2 * 1024 * 1024)), (BigInt(l0b / 4096) << 10n) | 1n);
  write64(rig, l0b, leaf(CONFLICT.pageB));
  setX(rig.h, 10, BigInt(PT.va));
  setX(rig.h, 11, BigInt(CONFLICT.vaB));
}

test('a translated loop loading from two pages that take the same TLB entry: the WebAssembly interpreter finds each in the second way', () => {
  // Translated code checks only the first way of the TLB, so the load of the page in the second way leaves the
  // block (a slow exit, to the WebAssembly interpreter through the hub); the interpreter finds the page in the
  // second way (tlb-lookup.ts emitTlbWays), swaps the ways and goes on, back into the block at the loop's branch,
  // without leaving WebAssembly. Before it looked there, each such load left for a TLB fill in TypeScript (which
  // then found the page in the second way), likely what once made a shell loop take twice QEMU's time.
  const { pageA, pageB, vaB } = CONFLICT;
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(31, 0, 1000), //   0
      A.ld(5, 10, 0), //        4: loop: page A
      A.ld(6, 11, 0), //        8: page B, the same TLB entry
      A.add(7, 7, 5), //       12
      A.add(7, 7, 6), //       16
      A.sd(7, 11, 8), //       20: page B, a store
      A.sd(7, 10, 8), //       24: page A, a store: the same entry of the store set
      A.addi(31, 31, -1), //   28
      A.bne(31, 0, -28), //    32: → 4
      A.ecall(), //            36
    ]);
    conflictingPages(rig);
  });
  assert.equal(((PT.va >>> 12) & TLB_MASK), ((vaB >>> 12) & TLB_MASK), 'the two pages share an entry');
  assert.equal(getX(jit.h, 7), 7000n);
  assert.equal(read64(jit, pageA + 8), 7000n);
  assert.equal(read64(jit, pageB + 8), 7000n);
  const stats = jit.h.jit!.stats;
  // Every pass interpreted the rest of its loop after the load the block left before; the two pages were filled
  // once each (and the code's), and the trips to the dispatcher were a few, not one a pass.
  assert.ok(stats.compiled > 0 && stats.interpretedWasm >= 1000, JSON.stringify(stats));
  assert.ok(stats.fills <= 10 && stats.slowExits <= 20, JSON.stringify(stats));
});

test('a page another evicted to the TLB\'s second way comes back to the first: the loop over it stays in its block', () => {
  // Page A is loaded, then page B, which takes A's entry (A goes to the second way); then a loop loads from A
  // alone. The first load of A the interpreter makes finds it in the second way and swaps the ways back, so the
  // block compiled for the loop finds A in the first way: one trip out, not one a pass.
  const [, jit] = both((rig) => {
    if (rig.h.jit !== undefined) Object.assign(rig.h.jit.tuning, { hot: 4, hotPrivileged: 4 });
    place(rig, CODE, [
      A.ld(5, 10, 0), //        0: page A
      A.ld(6, 11, 0), //        4: page B, the same TLB entry: A to the second way
      A.addi(31, 0, 2000), //   8
      A.ld(5, 10, 0), //       12: loop: page A
      A.add(7, 7, 5), //       16
      A.addi(31, 31, -1), //   20
      A.bne(31, 0, -12), //    24: → 12
      A.ecall(), //            28
    ]);
    conflictingPages(rig);
  });
  assert.equal(getX(jit.h, 7), 6000n);
  const stats = jit.h.jit!.stats;
  assert.ok(stats.compiled > 0, JSON.stringify(stats));
  assert.ok(stats.interpretedWasm < 200 && stats.slowExits <= 5, JSON.stringify(stats));
});

test('a translated loop walking virtual pages mapped to RAM pages in another order reads and writes each through its own', () => {
  // The loop's load and store go through a page cache (compile.ts pageCaches, in the area for a loop): each new
  // virtual page (every 512 passes) must be looked up again, and the cache's delta must be the new page's.
  const pages = [RAM_BASE + 0x23000, RAM_BASE + 0x21000, RAM_BASE + 0x24000, RAM_BASE + 0x20000];
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(31, 0, 2047), //   0: 4 pages of doublewords but the last
      A.ld(5, 10, 0), //        4: loop
      A.add(7, 7, 5), //        8
      A.addi(5, 5, 1), //      12
      A.sd(5, 10, 8), //       16: the next doubleword (on the next page at each page's end)
      A.addi(10, 10, 8), //    20
      A.addi(31, 31, -1), //   24
      A.bne(31, 0, -24), //    28: → 4
      A.ecall(), //            32
    ]);
    pages.forEach((pa, i) => write64(rig, pa, BigInt(1000 * (i + 1))));
    sv39(rig, pages);
    setX(rig.h, 10, BigInt(PT.va));
  });
  // Each pass loads what the last stored: the first page's value plus one per pass.
  assert.equal(getX(jit.h, 5), 1000n + 2047n);
  assert.equal(getX(jit.h, 7), 2047n * 1000n + (2046n * 2047n) / 2n);
  for (const [i, pa] of pages.entries()) {
    assert.equal(read64(jit, pa), i === 0 ? 1000n : 1000n + 512n * BigInt(i), `page ${i}`);
  }
  assert.ok(jit.h.jit!.stats.compiled > 0, JSON.stringify(jit.h.jit!.stats));
});

/** Writes 32-bit instructions at `addr` (2-byte aligned) as parcels; 0x0001 (C.NOP) where `words` has null. */
function placeParcels(rig: Rig, addr: number, words: readonly (number | null)[]): number {
  let at = (addr - RAM_BASE) / 2;
  for (const w of words) {
    if (w === null) rig.ram.u16[at++] = 0x0001;
    else {
      rig.ram.u16[at++] = w & 0xffff;
      rig.ram.u16[at++] = w >>> 16;
    }
  }
  return RAM_BASE + at * 2;
}

/**
 * A loop whose `addi x5, x5, 1` starts in the last two bytes of page `lo` (its upper half, the immediate, on the
 * next page) and goes on there. Returns the words from the next page on: `tail` before the loop's branch back.
 */
function straddlingLoop(rig: Rig, lo: number, hi: number, tail: readonly number[]): void {
  placeParcels(rig, lo + 0xff4, [A.addi(31, 0, 200), null, A.addi(6, 6, 2), A.addi(5, 5, 1)]);
  // From 0xff8 (the loop) to the branch back: 0xff8..0xfff on page lo, then 2 + 4 per word on the next page.
  const back = 0xff8 - (0x1000 + 2 + 4 + 4 * tail.length);
  placeParcels(rig, hi, [null, A.addi(31, 31, -1), ...tail, A.bne(31, 0, back), A.ecall()]);
  // The upper half of addi x5, x5, 1 is at the start of `hi` (after the C.NOP written over it above).
  rig.ram.u16[(hi - RAM_BASE) / 2] = A.addi(5, 5, 1) >>> 16;
}

/**
 * The straddling loop storing, at x31 = 100, the upper half of addi x5, x5, 3 over its instruction's upper half;
 * with `cold`, nothing is compiled. Returns the translator's hart.
 */
function storeOverUpperHalf(cold: boolean): Rig {
  const lo = RAM_BASE + 0x4000;
  const [, jit] = both((rig) => {
    rig.h.pc = lo + 0xff4;
    straddlingLoop(rig, lo, lo + 0x1000, [A.bne(31, 7, 8), A.sh(8, 9, 0)]);
    setX(rig.h, 7, 100n);
    setX(rig.h, 8, BigInt(A.addi(5, 5, 3) >>> 16));
    setX(rig.h, 9, BigInt(lo + 0x1000));
  }, cold);
  assert.equal(getX(jit.h, 6), 400n);
  assert.equal(getX(jit.h, 5), 100n + 3n * 100n);
  return jit;
}

/**
 * The straddling loop pointing, at x31 = 100, its second page at another with addi x5, x5, 3's upper half (a PTE
 * store and SFENCE.VMA); with `cold`, nothing is compiled. Returns the translator's hart.
 */
function secondPageRemapped(cold: boolean): Rig {
  const x = RAM_BASE + 0x20000;
  const y = RAM_BASE + 0x21000;
  const z = RAM_BASE + 0x22000;
  const [, jit] = both((rig) => {
    const tail = [A.bne(31, 7, 12), A.sd(8, 9, 0), 0x12000073 /* sfence.vma */];
    straddlingLoop(rig, x, y, tail);
    straddlingLoop(rig, x, z, tail);
    rig.ram.u16[(z - RAM_BASE) / 2] = A.addi(5, 5, 3) >>> 16;
    setX(rig.h, 7, 100n);
    setX(rig.h, 8, leaf(z));
    setX(rig.h, 9, BigInt(PT.l0 + 8));
    sv39(rig, [x, y]);
    rig.h.pc = PT.va + 0xff4;
  }, cold);
  assert.equal(getX(jit.h, 5), 100n + 3n * 100n);
  return jit;
}

/** Instructions the TypeScript interpreter ran one at a time for the translator (its slow paths). */
const slowRuns = (rig: Rig): number => rig.h.jit!.stats.interpreted - rig.h.jit!.stats.interpretedWasm;

test('an instruction across a page boundary runs translated, and a store to its upper half takes effect', () => {
  const stats = storeOverUpperHalf(false).h.jit!.stats;
  assert.ok(stats.dropped > 0, JSON.stringify(stats));
  // Left to the interpreter, the instruction across the pages would end a block in each of the 200 passes.
  assert.ok(stats.interpreted < 100, JSON.stringify(stats));
});

test('an instruction across a page boundary follows a page-table change of its second page', () => {
  const stats = secondPageRemapped(false).h.jit!.stats;
  assert.ok(stats.interpreted < 100, JSON.stringify(stats));
});

test('the WebAssembly interpreter runs an instruction across a page boundary, and a store to its upper half takes effect', () => {
  const jit = storeOverUpperHalf(true);
  assert.equal(jit.h.jit!.stats.compiled, 0);
  // Not one run of the TypeScript interpreter per pass (200 passes).
  assert.ok(slowRuns(jit) < 20, JSON.stringify(jit.h.jit!.stats));
});

test('the WebAssembly interpreter follows a page-table change of the second page of an instruction', () => {
  const jit = secondPageRemapped(true);
  assert.equal(jit.h.jit!.stats.compiled, 0);
  assert.ok(slowRuns(jit) < 20, JSON.stringify(jit.h.jit!.stats));
});

test('a fetch fault on the second half of an instruction across a page boundary is taken as the interpreter takes it', () => {
  const x = RAM_BASE + 0x20000;
  const [interp] = both((rig) => {
    // Only the first page is mapped: addi x5, x5, 1's upper half is on an unmapped page.
    straddlingLoop(rig, x, RAM_BASE + 0x21000, []);
    sv39(rig, [x]);
    rig.h.pc = PT.va + 0xff4;
  }, true);
  assert.equal(interp.h.csr[2 * CSR.mcause], CAUSE.INSTRUCTION_PAGE_FAULT);
  // The fault is on the second page; the pc is the instruction's.
  assert.equal(interp.h.csr[2 * CSR.mtval], PT.va + 0x1000);
  assert.equal(interp.h.csr[2 * CSR.mepc], PT.va + 0xffe);
});

/**
 * A loop calling a function that saves registers through x10 (a run of stores with arithmetic between them),
 * loads them back (a run of loads) and sums them, then moves its base (arithmetic, then a load into it) and
 * loads through it again; once per base in `bases` (a table at RAM_BASE + 0x8000). compile.ts checks such a run
 * once (accessRun) when its bytes are on one page the TLB maps, else each access does its own check.
 */
function accessRuns(rig: Rig, bases: readonly number[]): void {
  const table = RAM_BASE + 0x8000;
  bases.forEach((b, i) => write64(rig, table + 8 * i, BigInt(b)));
  const fn = CODE + 0x100;
  place(rig, CODE, [
    A.addi(31, 0, bases.length), //  0
    A.ld(10, 9, 0), //               4: loop
    A.jal(1, fn - (CODE + 8)), //    8
    A.addi(9, 9, 8), //             12
    A.addi(31, 31, -1), //          16
    A.bne(31, 0, -16), //           20: → 4
    A.ecall(), //                   24
  ]);
  place(rig, fn, [
    A.sw(8, 10, 4), //     0: the stores (from base + 4, not a multiple of 8)
    A.sd(5, 10, 8), //     4
    A.sd(24, 26, 8), //    8: another base, the same kind
    A.addi(5, 5, 3), //   12
    A.ld(24, 25, 0), //   16: another base, across pages: the interpreter does it, the block ends
    A.addi(22, 10, 16), // 20
    A.sd(6, 10, 16), //   24
    A.sd(7, 10, 24), //   28
    A.sd(22, 10, 32), //  32: base + 16
    A.lwu(13, 10, 4), //  36: the loads
    A.ld(11, 10, 8), //   40
    A.ld(12, 10, 16), //  44
    A.add(21, 21, 12), // 48
    A.ld(14, 10, 24), //  52
    A.add(21, 21, 11), // 56
    A.add(21, 21, 13), // 60
    A.add(21, 21, 14), // 64
    A.ld(15, 10, 16), //  68: not a run: the base moves
    A.addi(10, 10, 8), // 72
    A.ld(16, 10, 0), //   76: base + 8
    A.ld(17, 10, 8), //   80: base + 16
    A.ld(10, 10, 24), //  84: base + 32, which holds base + 16
    A.ld(18, 10, 0), //   88: a run through the loaded base: base + 16
    A.ld(19, 10, 8), //   92: base + 24
    A.lwu(23, 10, -12), // 96: base + 4
    // 100..124: x21 mixed with what the loads since 68 read (add, xor, add, ...).
    ...[15, 16, 17, 18, 19, 23, 24].map((r, j) => (j % 2 === 0 ? A.add : A.xor)(21, 21, r)),
    A.addi(6, 6, 7), //  128
    A.addi(7, 7, -5), // 132
    A.addi(8, 8, 11), // 136
    A.sd(21, 25, 0), //  140: across pages again
    A.jalr(0, 1, 0), //  144
  ]);
  setX(rig.h, 5, 1n);
  setX(rig.h, 6, 100n);
  setX(rig.h, 7, 0x1_0000_0000n);
  setX(rig.h, 8, 0xffff_fff0n);
  setX(rig.h, 9, BigInt(table));
  setX(rig.h, 25, BigInt(RAM_BASE + 0x33ffc));
  setX(rig.h, 26, BigInt(RAM_BASE + 0x34000));
}

test('runs of stores and of loads through one base register: on one page, across pages, misaligned, faulting', () => {
  const end = RAM_BASE + RAM_SIZE;
  // On one page (checked once), across a page boundary at +16, misaligned for the doublewords, and last at
  // RAM's end, where the third store faults.
  const at = (i: number): number => [0x30000 + 64 * i, 0x31000 - 16, 0x32003][i % 3]!;
  const bases = Array.from({ length: 30 }, (_, i) => RAM_BASE + at(i));
  const [, jit] = both((rig) => accessRuns(rig, [...bases, end - 16]));
  const h = jit.h;
  assert.equal(h.csr[CSR.mcause * 2], CAUSE.STORE_ACCESS_FAULT);
  assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + 0x100 + 24, 'the third store faults');
  assert.equal(h.csr[CSR.mtval * 2]! >>> 0, end >>> 0);
  // Pass p stores x5 = 1 + 3p at base + 8 and adds 3.
  assert.equal(read64(jit, end - 8), 1n + 3n * 30n, 'the stores before it were done');
  assert.equal(getX(h, 5), 1n + 3n * 31n, 'and the arithmetic between them');
  assert.equal(getX(h, 22), BigInt(end), 'base + 16');
  const across = BigInt.asIntN(64, read64(jit, RAM_BASE + 0x33ffc));
  assert.equal(getX(h, 24), across, 'what the pass before stored across pages');
  assert.ok(h.jit!.stats.slowExits > 30, 'the accesses across pages left the translated code');
  assert.ok(h.jit!.stats.accessRuns >= 3 && h.jit!.stats.compiled > 0, JSON.stringify(h.jit!.stats));
});

test('a run of accesses through one base on virtual pages mapped to RAM pages in another order', () => {
  const pages = [RAM_BASE + 0x23000, RAM_BASE + 0x21000, RAM_BASE + 0x24000, RAM_BASE + 0x20000];
  // Within pages 1, 2 and 3, across pages 0 → 1 and 2 → 3, with only the last store's last bytes on page 1;
  // last across page 3 → unmapped.
  const at = (i: number): number =>
    [0x1100 + 48 * (i % 4), 0x2200, 0x3300 + 48 * (i % 4), 0xff0, 0x2ff8, 0x1000 - 36][i % 6]!;
  const bases = Array.from({ length: 30 }, (_, i) => PT.va + at(i));
  const [, jit] = both((rig) => {
    accessRuns(rig, [...bases, PT.va + 0x3ff0]);
    sv39(rig, pages);
  });
  const h = jit.h;
  assert.equal(h.csr[CSR.mcause * 2], CAUSE.STORE_PAGE_FAULT);
  assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + 0x100 + 24);
  assert.equal(h.csr[CSR.mtval * 2]! >>> 0, PT.va + 0x4000);
  assert.equal(read64(jit, pages[1]! + 0x100 + 96 + 8), 1n + 3n * 18n, 'pass 18 stored at va page 1 + 0x168');
  assert.ok(h.jit!.stats.accessRuns >= 3 && h.jit!.stats.compiled > 0, JSON.stringify(h.jit!.stats));
});

/**
 * Cold code under Sv39 loading and storing through virtual pages 0..3 (RAM pages out of order, two of them with
 * A and D clear in their PTEs, which the page walk sets) and then through page 4, which faults: mapped read-only
 * (`page4Flags` set) for a store, or not at all. The WebAssembly interpreter leaves each TLB miss to be filled
 * (JitHart.fill) and takes the fault there; the TypeScript interpreter runs none of these instructions.
 */
function fillsAndFault(store: boolean, page4Flags: bigint): Rig {
  const pages = [RAM_BASE + 0x22000, RAM_BASE + 0x20000, RAM_BASE + 0x23000, RAM_BASE + 0x21000];
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(31, 0, 5), //            0: pages 0..4
      A.ld(5, 10, 8), //              4: loop
      A.addi(5, 5, 1), //             8
      store ? A.sd(5, 10, 16) : A.ld(6, 10, 16), // 12: faults on page 4
      A.add(7, 7, 5), //             16
      A.lui(11, 0x1000), //          20: 4096
      A.add(10, 10, 11), //          24
      A.addi(31, 31, -1), //         28
      A.bne(31, 0, -28), //          32: → 4
      A.ecall(), //                  36
    ]);
    pages.forEach((pa, i) => write64(rig, pa + 8, BigInt(10 * (i + 1))));
    sv39(rig, pages);
    // Pages 1 and 3 without A and D (V R W), page 4 as asked.
    write64(rig, PT.l0 + 8 * 1, (BigInt(pages[1]! / 4096) << 10n) | 0x07n);
    write64(rig, PT.l0 + 8 * 3, (BigInt(pages[3]! / 4096) << 10n) | 0x07n);
    write64(rig, PT.l0 + 8 * 4, page4Flags === 0n ? 0n : (BigInt((RAM_BASE + 0x24000) / 4096) << 10n) | page4Flags);
    setX(rig.h, 10, BigInt(PT.va));
  }, true);
  const h = jit.h;
  assert.equal(h.csr[CSR.mcause * 2], store ? CAUSE.STORE_PAGE_FAULT : CAUSE.LOAD_PAGE_FAULT);
  // A load faults at the first access to page 4; a store after the load that page 4's flags let through.
  assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + (store ? 12 : 4));
  assert.equal(getX(h, 7), 11n + 21n + 31n + 41n, 'the passes over pages 0..3');
  for (const i of [1, 3]) {
    const pte = read64(jit, PT.l0 + 8 * i);
    assert.equal(pte & 0xc0n, store ? 0xc0n : 0x40n, `page ${i}'s PTE: A set, and D by a store`);
  }
  assert.equal(h.jit!.stats.compiled, 0);
  // The code's page and pages 0..3, once each; page 4's fault.
  assert.ok(h.jit!.stats.fills >= 5 && h.jit!.stats.fillFaults === 1, JSON.stringify(h.jit!.stats));
  // Only the WFI at mtvec went to the TypeScript interpreter (two, as counted, and the trap one).
  assert.ok(slowRuns(jit) <= 3, JSON.stringify(h.jit!.stats));
  return jit;
}

test('the WebAssembly interpreter has its TLB misses filled, A and D set, and a load page fault taken as the interpreter takes it', () => {
  const jit = fillsAndFault(false, 0n);
  assert.equal(jit.h.csr[CSR.mtval * 2]! >>> 0, PT.va + 0x4000 + 8);
});

test('the same with stores, and a store page fault on a read-only page', () => {
  const jit = fillsAndFault(true, 0x4bn); // V R X A: no W
  assert.equal(jit.h.csr[CSR.mtval * 2]! >>> 0, PT.va + 0x4000 + 16);
});

test('cold code returning to user mode (SRET) and calling the supervisor (ECALL), over and over, as the interpreter does', () => {
  // S-mode enters U-mode code that counts and makes an ECALL 50 times; the S-mode handler (ECALL from U
  // delegated) counts, steps sepc past the ECALL and returns with SRET. The U code ends with EBREAK (to M).
  const handler = CODE + 0x100;
  const [, jit] = both((rig) => {
    place(rig, CODE, [
      A.addi(6, 0, 50), //             0
      A.auipc(7, 0), //                4
      A.addi(7, 7, 20), //             8: CODE + 24
      A.csrrw(0, CSR.sepc, 7), //     12
      A.sret(), //                    16: to U (SPP clear)
      A.ecall(), //                   20: not reached
      A.addi(5, 5, 1), //             24: U
      A.ecall(), //                   28
      A.addi(6, 6, -1), //            32
      A.bne(6, 0, -12), //            36: → 24
      A.ebreak(), //                  40
    ]);
    place(rig, handler, [
      A.csrrs(8, CSR.sepc, 0), //      0
      A.addi(8, 8, 4), //              4
      A.csrrw(0, CSR.sepc, 8), //      8
      A.addi(9, 9, 1), //             12
      A.sret(), //                    16
    ]);
    rig.h.medeleg = 1 << CAUSE.ECALL_FROM_U;
    setCsrRaw(rig.h, CSR.stvec, BigInt(handler));
    rig.h.priv = PRIV_S;
    rig.h.updateTlbContext();
  }, true);
  const h = jit.h;
  assert.equal(getX(h, 5), 50n);
  assert.equal(getX(h, 9), 50n, 'the handler ran once per ECALL');
  assert.equal(h.csr[CSR.mcause * 2], CAUSE.BREAKPOINT);
  assert.equal(h.csr[CSR.mepc * 2]! >>> 0, CODE + 40);
  assert.equal(h.csr[CSR.scause * 2], CAUSE.ECALL_FROM_U);
  // None of the 51 SRETs, 50 ECALLs, the EBREAK and the WFI at mtvec went through runBlock; the handler's 100
  // accesses to sepc and the one before the first SRET were made in WebAssembly (plain-csrs.ts).
  assert.equal(h.jit!.stats.systemDirect, 51 + 50 + 2, JSON.stringify(h.jit!.stats));
});
