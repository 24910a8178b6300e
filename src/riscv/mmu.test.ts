import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CSR, MSTATUS_MXR, MSTATUS_SUM, PRIV_S, PRIV_U, PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X,
} from './constants.js';
import { csrWrite } from './csr.js';
import { TRAP, type Hart } from './hart.js';
import { translate } from './mmu.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, TLB_MASK, TLB_SIZE } from './tlb.js';
import {
  A, RAM_BASE, STVEC, csrRaw, getX, makeHart, read64, run, setCsrRaw, setX, step, write32, write64, type Rig,
} from './testing.js';

const ROOT = RAM_BASE + 0x10000;
const L1 = RAM_BASE + 0x11000;
const L0 = RAM_BASE + 0x12000;
const PAGE = RAM_BASE + 0x20000; // the 4 KiB page mapped at VA_PAGE
const VA_PAGE = 0x4000_0000; // VPN2 = 1, VPN1 = 0, VPN0 = 0
const VA_MEGA = 0x4020_0000; // VPN2 = 1, VPN1 = 1: a 2 MiB leaf
const VA_BADMEGA = 0x4040_0000; // VPN2 = 1, VPN1 = 2: a 2 MiB leaf whose PPN is not 2 MiB aligned
const SATP_SV39 = (8n << 60n) | BigInt(ROOT / 4096);

function pte(pa: number, flags: number): bigint {
  return (BigInt(Math.floor(pa / 4096)) << 10n) | BigInt(flags);
}

const RWX_AD = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;

/** Sv39 tables: identity gigapage for RAM (so S-mode can run code there) plus the test mappings. */
function sv39(leafFlags = RWX_AD): Rig {
  const r = makeHart();
  write64(r, ROOT + 2 * 8, pte(0x8000_0000, RWX_AD)); // VA 0x8000_0000.. -> PA 0x8000_0000 (1 GiB)
  write64(r, ROOT + 1 * 8, pte(L1, PTE_V));
  write64(r, L1 + 0 * 8, pte(L0, PTE_V));
  write64(r, L0 + 0 * 8, pte(PAGE, leafFlags));
  write64(r, L1 + 1 * 8, pte(RAM_BASE, RWX_AD));
  write64(r, L1 + 2 * 8, pte(RAM_BASE + 0x1000, RWX_AD));
  writeSatp(r.h, SATP_SV39);
  return r;
}

function writeSatp(h: Hart, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  assert.ok(csrWrite(h, CSR.satp, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0));
}

function enter(h: Hart, priv: number, mstatusBits = 0): void {
  h.priv = priv;
  h.mstatus |= mstatusBits;
  h.updateTlbContext();
}

type Outcome = { pa: number } | { cause: number; tval: bigint };

function tr(h: Hart, va: number, kind: number): Outcome {
  try {
    return { pa: translate(h, va, kind) };
  } catch (e) {
    if (e !== TRAP) throw e;
    return { cause: h.trapCause, tval: (BigInt(h.trapTvalHi | 0) << 32n) | BigInt(h.trapTvalLo >>> 0) };
  }
}

function fault(cause: number, va: number): Outcome {
  return { cause, tval: BigInt(va) };
}

test('a 4 KiB page translates load, store and fetch to the PPN plus the page offset', () => {
  const { h } = sv39();
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE + 0x123, ACCESS_LOAD), { pa: PAGE + 0x123 });
  assert.deepEqual(tr(h, VA_PAGE + 0xff8, ACCESS_STORE), { pa: PAGE + 0xff8 });
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_FETCH), { pa: PAGE });
});

test('a 2 MiB megapage maps VPN[0] and the offset through to the physical address', () => {
  const { h } = sv39();
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_MEGA + 0x1_2345, ACCESS_LOAD), { pa: RAM_BASE + 0x1_2345 });
  assert.deepEqual(tr(h, VA_MEGA + 0x8_0010, ACCESS_STORE), { pa: RAM_BASE + 0x8_0010 });
});

test('a misaligned megapage (PPN[0] != 0) page-faults with the virtual address in tval', () => {
  const { h } = sv39();
  enter(h, PRIV_S);
  const va = VA_BADMEGA + 0x345;
  assert.deepEqual(tr(h, va, ACCESS_FETCH), fault(12, va));
  assert.deepEqual(tr(h, va, ACCESS_LOAD), fault(13, va));
  assert.deepEqual(tr(h, va, ACCESS_STORE), fault(15, va));
});

test('an invalid PTE page-faults with cause 12/13/15 by access kind', () => {
  const { h } = sv39();
  enter(h, PRIV_S);
  const va = VA_PAGE + 0x1008; // L0[1] is zero
  assert.deepEqual(tr(h, va, ACCESS_FETCH), fault(12, va));
  assert.deepEqual(tr(h, va, ACCESS_LOAD), fault(13, va));
  assert.deepEqual(tr(h, va, ACCESS_STORE), fault(15, va));
});

test('a non-canonical Sv39 address (bits 63:39 not all equal to bit 38) page-faults', () => {
  const { h } = sv39();
  enter(h, PRIV_S);
  const va = 2 ** 38 + VA_PAGE; // bit 38 set, upper bits clear
  assert.deepEqual(tr(h, va, ACCESS_LOAD), fault(13, va));
});

test('W without R is reserved and page-faults', () => {
  const { h } = sv39(PTE_V | PTE_W | PTE_A | PTE_D);
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_STORE), fault(15, VA_PAGE));
});

test('a store to a read-only page faults with cause 15; a fetch from a non-X page with 12', () => {
  const { h } = sv39(PTE_V | PTE_R | PTE_A | PTE_D);
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE + 4, ACCESS_LOAD), { pa: PAGE + 4 });
  assert.deepEqual(tr(h, VA_PAGE + 4, ACCESS_STORE), fault(15, VA_PAGE + 4));
  assert.deepEqual(tr(h, VA_PAGE + 4, ACCESS_FETCH), fault(12, VA_PAGE + 4));
});

test('translation sets A on any access and D on a store, in the PTE in memory', () => {
  const r = sv39(PTE_V | PTE_R | PTE_W);
  enter(r.h, PRIV_S);
  const pteAddr = L0;
  tr(r.h, VA_PAGE, ACCESS_LOAD);
  let v = read64(r, pteAddr);
  assert.equal(v & BigInt(PTE_A), BigInt(PTE_A), 'A set by a load');
  assert.equal(v & BigInt(PTE_D), 0n, 'D not set by a load');
  assert.deepEqual(tr(r.h, VA_PAGE + 8, ACCESS_STORE), { pa: PAGE + 8 });
  v = read64(r, pteAddr);
  assert.equal(v & BigInt(PTE_D), BigInt(PTE_D), 'D set by a store');
  assert.equal(v >> 10n, BigInt(PAGE / 4096), 'PPN untouched');
});

test('A and D are set when the access comes from an executed load and store', () => {
  const r = sv39(PTE_V | PTE_R | PTE_W);
  enter(r.h, PRIV_S);
  setX(r.h, 10, BigInt(VA_PAGE));
  setX(r.h, 5, 0x55n);
  run(r, [A.ld(6, 10, 0), A.sd(5, 10, 8)]);
  assert.equal(r.h.pc, RAM_BASE + 8, 'no trap');
  assert.equal(read64(r, PAGE + 8), 0x55n);
  const v = read64(r, L0);
  assert.equal(v & BigInt(PTE_A | PTE_D), BigInt(PTE_A | PTE_D));
});

test('S-mode may not touch U pages without SUM, may load/store with SUM, and may never fetch from them', () => {
  const { h } = sv39(RWX_AD | PTE_U);
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), fault(13, VA_PAGE));
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_STORE), fault(15, VA_PAGE));
  enter(h, PRIV_S, MSTATUS_SUM);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), { pa: PAGE });
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_STORE), { pa: PAGE });
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_FETCH), fault(12, VA_PAGE));
  // Clearing SUM again must not leave a cached permission behind.
  h.mstatus &= ~MSTATUS_SUM;
  h.updateTlbContext();
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), fault(13, VA_PAGE));
});

test('U-mode may not access a supervisor page', () => {
  const { h } = sv39();
  enter(h, PRIV_U);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), fault(13, VA_PAGE));
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_FETCH), fault(12, VA_PAGE));
});

test('MXR makes execute-only pages readable', () => {
  const { h } = sv39(PTE_V | PTE_X | PTE_A | PTE_D);
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), fault(13, VA_PAGE));
  enter(h, PRIV_S, MSTATUS_MXR);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), { pa: PAGE });
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_STORE), fault(15, VA_PAGE), 'MXR does not grant writes');
});

test('a load page fault from S-mode code is delegated via medeleg with stval = the virtual address', () => {
  const r = sv39();
  setCsrRaw(r.h, CSR.stvec, BigInt(STVEC));
  r.h.medeleg = 1 << 13;
  enter(r.h, PRIV_S);
  setX(r.h, 10, BigInt(VA_PAGE + 0x1000));
  run(r, [A.ld(6, 10, 0x10)]);
  assert.equal(csrRaw(r.h, CSR.scause), 13n);
  assert.equal(csrRaw(r.h, CSR.stval), BigInt(VA_PAGE + 0x1010));
  assert.equal(csrRaw(r.h, CSR.sepc), BigInt(RAM_BASE));
  assert.equal(r.h.pc, STVEC);
  assert.equal(r.h.priv, PRIV_S);
  assert.equal(csrRaw(r.h, CSR.mcause), 0n, 'M-mode trap CSRs untouched');
});

test('a store page fault taken in M-mode records cause 15 and the faulting address in mtval', () => {
  const r = sv39(PTE_V | PTE_R | PTE_A);
  enter(r.h, PRIV_S);
  setX(r.h, 10, BigInt(VA_PAGE));
  run(r, [A.sd(0, 10, 0x20)]);
  assert.equal(csrRaw(r.h, CSR.mcause), 15n);
  assert.equal(csrRaw(r.h, CSR.mtval), BigInt(VA_PAGE + 0x20));
  assert.equal(getX(r.h, 0), 0n);
});

test('writing satp with an unsupported mode (Sv57) leaves satp unchanged', () => {
  const r = sv39();
  setX(r.h, 5, (10n << 60n) | 0x1234n);
  run(r, [A.csrrw(0, CSR.satp, 5), A.csrrs(6, CSR.satp, 0)]);
  assert.equal(csrRaw(r.h, CSR.satp), SATP_SV39);
  assert.equal(BigInt.asUintN(64, getX(r.h, 6)), SATP_SV39);
});

test('writing satp with Sv48 when maxSatpMode is Sv39 leaves satp unchanged; Sv48 is accepted when allowed', () => {
  const r = sv39();
  r.h.maxSatpMode = 8;
  const sv48 = (9n << 60n) | BigInt(ROOT / 4096);
  writeSatp(r.h, sv48);
  assert.equal(csrRaw(r.h, CSR.satp), SATP_SV39);
  r.h.maxSatpMode = 9;
  writeSatp(r.h, sv48);
  assert.equal(csrRaw(r.h, CSR.satp), sv48);
  writeSatp(r.h, 0n);
  assert.equal(csrRaw(r.h, CSR.satp), 0n, 'Bare is always accepted');
});

test('M-mode ignores satp: its accesses are untranslated', () => {
  const { h } = sv39();
  assert.deepEqual(tr(h, PAGE + 0x10, ACCESS_LOAD), { pa: PAGE + 0x10 });
});

/** Whether the selected load TLB set caches virtual page `va`. */
function loadCached(h: Hart, va: number): boolean {
  return h.tlb.loadTags[((va | 0) >>> 12) & TLB_MASK] === va;
}

const SFENCE_VMA = (rs1: number, rs2: number): number => 0x12000073 | (rs2 << 20) | (rs1 << 15);

test('satp keeps 16 ASID bits; satp writes and SFENCE.VMA of one ASID keep global translations, SFENCE.VMA of all and mode changes drop them', () => {
  const r = sv39(RWX_AD | PTE_G); // VA_PAGE global, the megapage at VA_MEGA not
  const { h } = r;
  const asid = (a: bigint): bigint => a << 44n;
  writeSatp(h, SATP_SV39 | asid(0xabcdn));
  assert.equal(csrRaw(h, CSR.satp), SATP_SV39 | asid(0xabcdn));
  enter(h, PRIV_S);
  const fill = (): void => {
    assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), { pa: PAGE });
    assert.deepEqual(tr(h, VA_MEGA, ACCESS_LOAD), { pa: RAM_BASE });
    assert.ok(loadCached(h, VA_PAGE) && loadCached(h, VA_MEGA));
  };
  fill();
  writeSatp(h, SATP_SV39 | asid(1n));
  assert.ok(loadCached(h, VA_PAGE), 'a satp write keeps the global page');
  assert.ok(!loadCached(h, VA_MEGA), 'and drops the others');
  fill();
  // SFENCE.VMA x0, x7 (one address space), then x0, x0 (all), run from RAM (identity-mapped).
  h.pc = RAM_BASE + 0x3000;
  setX(h, 7, 1n);
  run(r, [SFENCE_VMA(0, 7)]);
  assert.ok(loadCached(h, VA_PAGE) && !loadCached(h, VA_MEGA), 'SFENCE.VMA of one ASID keeps global pages');
  fill();
  run(r, [SFENCE_VMA(0, 0)]);
  assert.ok(!loadCached(h, VA_PAGE) && !loadCached(h, VA_MEGA), 'SFENCE.VMA of all drops global pages too');
  fill();
  writeSatp(h, 0n);
  assert.ok(!loadCached(h, VA_PAGE) && !loadCached(h, VA_MEGA), 'a change of mode drops global pages too');
});

test('an instruction crossing into another page runs from both pages, and again after the second is remapped', () => {
  const r = sv39();
  const { h } = r;
  const PAGE2 = RAM_BASE + 0x22000; // not the physical page after PAGE
  const PAGE3 = RAM_BASE + 0x23000;
  const L0 = RAM_BASE + 0x12000;
  write64(r, L0 + 8, pte(PAGE2, RWX_AD));
  const add7 = A.addi(5, 5, 7);
  const add100 = A.addi(5, 5, 100);
  assert.equal(add7 & 0xffff, add100 & 0xffff, 'the two differ in their upper half only');
  r.ram.u16[(PAGE + 0xffe - RAM_BASE) / 2] = add7 & 0xffff;
  r.ram.u16[(PAGE2 - RAM_BASE) / 2] = add7 >>> 16;
  r.ram.u16[(PAGE3 - RAM_BASE) / 2] = add100 >>> 16;
  enter(h, PRIV_S);
  for (let k = 0; k < 3; k++) {
    h.pc = VA_PAGE + 0xffe;
    assert.equal(step(h, 1), 1);
    assert.equal(h.pc, VA_PAGE + 0x1002);
  }
  assert.equal(getX(h, 5), 21n);
  write64(r, L0 + 8, pte(PAGE3, RWX_AD));
  h.pc = RAM_BASE + 0x3000;
  write32(r, RAM_BASE + 0x3000, SFENCE_VMA(0, 0));
  assert.equal(step(h, 1), 1);
  h.pc = VA_PAGE + 0xffe;
  assert.equal(step(h, 1), 1);
  assert.equal(getX(h, 5), 121n);
});

test('a page a TLB fill pushed out is found in the second way, without walking the page table again', () => {
  const r = sv39();
  const { h } = r;
  const L0B = RAM_BASE + 0x13000;
  const PAGE2 = RAM_BASE + 0x22000;
  const vaB = VA_PAGE + 2 * TLB_SIZE * 4096; // 2 TLB spans on: the same TLB entry as VA_PAGE
  write64(r, L1 + ((2 * TLB_SIZE * 4096) / (2 * 1024 * 1024)) * 8, pte(L0B, PTE_V));
  write64(r, L0B, pte(PAGE2, RWX_AD));
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), { pa: PAGE });
  assert.deepEqual(tr(h, vaB, ACCESS_LOAD), { pa: PAGE2 });
  assert.ok(loadCached(h, vaB) && !loadCached(h, VA_PAGE), 'one entry for the two pages');
  // Take VA_PAGE's mapping away in memory, without SFENCE.VMA: the cached translation is still used (a walk
  // would fault), and comes back to the first way.
  write64(r, RAM_BASE + 0x12000, 0n);
  assert.deepEqual(tr(h, VA_PAGE + 8, ACCESS_LOAD), { pa: PAGE + 8 });
  assert.ok(loadCached(h, VA_PAGE));
  // SFENCE.VMA empties both ways: now the walk faults.
  h.tlb.flushTranslated();
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_LOAD), fault(13, VA_PAGE));
});

test('SFENCE.VMA with an address in a megapage drops the translations of its other 4 KiB pieces too', () => {
  const r = sv39();
  const { h } = r;
  enter(h, PRIV_S);
  // Two pieces of the megapage at VA_MEGA, each cached by its own walk.
  assert.deepEqual(tr(h, VA_MEGA + 0x1000, ACCESS_LOAD), { pa: RAM_BASE + 0x1000 });
  assert.deepEqual(tr(h, VA_MEGA + 0x5_0000, ACCESS_LOAD), { pa: RAM_BASE + 0x5_0000 });
  assert.ok(loadCached(h, VA_MEGA + 0x1000) && loadCached(h, VA_MEGA + 0x5_0000));
  // The leaf now points 2 MiB higher; SFENCE.VMA names one address inside the megapage, not the pieces cached.
  write64(r, L1 + 1 * 8, pte(RAM_BASE + 0x20_0000, RWX_AD));
  h.pc = RAM_BASE + 0x3000;
  setX(h, 7, BigInt(VA_MEGA + 0x10_0000));
  run(r, [SFENCE_VMA(7, 0)]);
  enter(h, PRIV_S);
  assert.ok(!loadCached(h, VA_MEGA + 0x1000) && !loadCached(h, VA_MEGA + 0x5_0000));
  assert.deepEqual(tr(h, VA_MEGA + 0x5_0000, ACCESS_LOAD), { pa: RAM_BASE + 0x25_0000 });
});

test('a device page is translated once: later accesses use the cached translation until SFENCE.VMA', () => {
  const r = sv39();
  const { h } = r;
  const UART = 0x1000_0000;
  write64(r, L0 + 0 * 8, pte(UART, RWX_AD));
  enter(h, PRIV_S);
  assert.deepEqual(tr(h, VA_PAGE + 5, ACCESS_LOAD), { pa: UART + 5 });
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_STORE), { pa: UART });
  // Remapped without SFENCE.VMA: the cached translations stay (for loads and stores alike, which must not evict
  // each other), as a hardware TLB's may; the guest must not rely on either.
  write64(r, L0 + 0 * 8, pte(UART + 0x1000, RWX_AD));
  assert.deepEqual(tr(h, VA_PAGE + 5, ACCESS_LOAD), { pa: UART + 5 });
  assert.deepEqual(tr(h, VA_PAGE, ACCESS_STORE), { pa: UART });
  h.tlb.flushPage(VA_PAGE + 0x100);
  assert.deepEqual(tr(h, VA_PAGE + 5, ACCESS_LOAD), { pa: UART + 0x1005 });
  // Cached for its context only: U-mode still faults on the page (no U bit).
  enter(h, PRIV_U);
  assert.deepEqual(tr(h, VA_PAGE + 5, ACCESS_LOAD), fault(13, VA_PAGE + 5));
  // And a satp write drops it as it drops non-global RAM entries.
  enter(h, PRIV_S);
  write64(r, L0 + 0 * 8, pte(UART, RWX_AD));
  writeSatp(h, SATP_SV39);
  assert.deepEqual(tr(h, VA_PAGE + 5, ACCESS_LOAD), { pa: UART + 5 });
});

test('a walk that ends at a megapage caches the next pages of it too, and no more', () => {
  const r = sv39();
  const { h } = r;
  enter(h, PRIV_S);
  const tlb = h.tlb;
  /** The RAM offset the TLB's first way maps page `va` to for loads (or stores), or undefined. */
  const cached = (va: number, store = false): number | undefined => {
    const i = (va >>> 12) & TLB_MASK;
    return (store ? tlb.storeTags : tlb.loadTags)[i] === va ? (store ? tlb.storeOffs : tlb.loadOffs)[i] : undefined;
  };
  assert.deepEqual(tr(h, VA_MEGA + 0x1000, ACCESS_LOAD), { pa: RAM_BASE + 0x1000 });
  for (let k = 1; k <= 17; k++) assert.equal(cached(VA_MEGA + k * 0x1000), k * 0x1000);
  assert.equal(cached(VA_MEGA + 18 * 0x1000), undefined);
  assert.equal(cached(VA_MEGA), undefined, 'not the pages before');
  assert.equal(cached(VA_MEGA + 0x2000, true), undefined, 'only for the kind of access walked for');
  // Up to the end of RAM (1 MiB here), which comes before the megapage's.
  assert.deepEqual(tr(h, VA_MEGA + 0xf_8000, ACCESS_LOAD), { pa: RAM_BASE + 0xf_8000 });
  assert.equal(cached(VA_MEGA + 0xf_f000), 0xf_f000);
  assert.equal(cached(VA_MEGA + 0x10_0000), undefined);
  // SFENCE.VMA of any address in the megapage drops all of its pages.
  tlb.flushPage(VA_MEGA + 0x5000);
  assert.equal(cached(VA_MEGA + 0x2000), undefined);
  assert.equal(cached(VA_MEGA + 0xf_f000), undefined);
});

test('the pages a megapage walk caches after its own skip one a device sits on (overlayRam)', () => {
  const r = sv39();
  const { h } = r;
  r.bus.map(RAM_BASE + 0x8000, 8, { name: 'overlay', read: () => 0, write: () => {} }, { overlayRam: true });
  enter(h, PRIV_S);
  const cached = (va: number): boolean => h.tlb.loadTags[(va >>> 12) & TLB_MASK] === va;
  assert.deepEqual(tr(h, VA_MEGA + 0x1000, ACCESS_LOAD), { pa: RAM_BASE + 0x1000 });
  assert.equal(cached(VA_MEGA + 0x7000), true);
  assert.equal(cached(VA_MEGA + 0x8000), false, 'the device page stays off the TLB, as translate leaves it');
  assert.equal(cached(VA_MEGA + 0x9000), true);
});
