/**
 * Address translation (Sv39, Sv48) and the slow paths of memory access: TLB misses, misaligned and
 * page-crossing accesses, device registers. Successful translations of whole RAM pages are cached in the TLB so
 * the interpreter's fast path finds them.
 */
import { BUS_ERROR } from '../memory/bus.js';
import {
  CAUSE,
  CSR,
  MSTATUS_MXR,
  MSTATUS_SUM,
  PRIV_M,
  PRIV_S,
  PRIV_U,
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_R,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
  SATP_MODE_BARE,
  SATP_MODE_SV39,
  SATP_MODE_SV48,
} from './constants.js';
import type { Hart } from './hart.js';
import { PMP_ALLOW, PMP_DENY } from './pmp.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, TLB_MASK, tlbContext } from './tlb.js';

const TWO32 = 4294967296;
/** Physical addresses are 56 bits wide. */
const PA_LIMIT = 2 ** 56;

const PAGE_FAULT = [CAUSE.INSTRUCTION_PAGE_FAULT, CAUSE.LOAD_PAGE_FAULT, CAUSE.STORE_PAGE_FAULT] as const;
const ACCESS_FAULT = [CAUSE.INSTRUCTION_ACCESS_FAULT, CAUSE.LOAD_ACCESS_FAULT, CAUSE.STORE_ACCESS_FAULT] as const;

/** The privilege an access of `kind` is made at. */
function accessPriv(h: Hart, kind: number): number {
  return kind === ACCESS_FETCH ? h.priv : h.dataPriv();
}

/**
 * Translates virtual address `va` for an access of `kind`, checking permissions and PMP, and caches the page in
 * the TLB when it is plain RAM. Returns the physical address; raises the architectural fault otherwise.
 * `faultVa` is the address reported in tval (the start of the access for a misaligned one).
 */
export function translate(h: Hart, va: number, kind: number, faultVa: number = va): number {
  const priv = accessPriv(h, kind);
  const mode = h.satpMode();
  const bare = priv === PRIV_M || mode === SATP_MODE_BARE;
  const sum = (h.mstatus & MSTATUS_SUM) !== 0;
  const context = tlbContext(priv, kind !== ACCESS_FETCH && sum, bare);
  // The TLB's second way holds pages a fill pushed out of the first: no walk for those (tlb.ts).
  const vaOff = (va | 0) & 0xfff;
  const cached = h.tlb.lookupWay2(context, kind, va - vaOff);
  if (cached >= 0) return h.bus.ram.base + cached + vaOff;
  let pa: number;
  if (bare) {
    if (va < 0 || va >= PA_LIMIT) h.raiseAt(ACCESS_FAULT[kind]!, faultVa);
    pa = va;
  } else {
    const io = h.tlb.lookupIo(context, kind, va - vaOff);
    if (io >= 0) return io + vaOff;
    pa = walk(h, va, kind, priv, mode, faultVa);
  }
  const offset = (pa | 0) & 0xfff;
  const page = pa - offset;
  const pmp = h.pmp.checkPage(page, priv, kind);
  if (pmp !== PMP_ALLOW) {
    if (pmp === PMP_DENY || !h.pmp.check(pa, 1, priv, kind)) h.raiseAt(ACCESS_FAULT[kind]!, faultVa);
    return pa;
  }
  const ram = h.bus.ram;
  if (!ram.contains(page, 4096)) {
    // A device's page (as Linux maps the UART with ioremap): no walk for its next access.
    if (!bare) h.tlb.insertIo(context, kind, va - vaOff, page);
    return pa;
  }
  // A lazily restored snapshot loads the page before anything (the TLB's fast paths included) reaches it.
  if (ram.pending !== null) ram.ensure(page - ram.base, 4096);
  if (cacheable(h, page, kind)) {
    h.tlb.insert(context, kind, va - offset, page - ram.base, !bare && h.walkGlobal, bare ? 0 : h.walkLevel);
    if (!bare && h.walkLevel > 0) prefill(h, context, kind, va - vaOff, page);
  }
  return pa;
}

/**
 * Whether the TLB may map the RAM page at physical `page` for accesses of `kind`: not where a device sits on top
 * of RAM (bus.ts overlayRam), and not for stores to a page holding decoded code, which stay on the slow path that
 * keeps the decode cache right.
 */
function cacheable(h: Hart, page: number, kind: number): boolean {
  return h.bus.isRam(page, 4096) && !(kind === ACCESS_STORE && h.decode.isCode((page - h.bus.ram.base) / 4096));
}

/**
 * Pages after the one a walk was for that it also caches when the leaf is a superpage: the kernel's linear map
 * is made of superpages, and it runs over consecutive pages (clearing and copying them, struct page arrays): a
 * boot's S-mode page walks ~18 k -> ~13 k (~6.5 k -> ~1.4 k with device pages cached, tlb.ts insertIo).
 */
const PREFILL = 16;

/**
 * After a walk that found a superpage: the next pages of it into the TLB too, those that are RAM and PMP lets the
 * access have whole, as translate would cache them (the same leaf PTE, already with A, and D for a store).
 */
function prefill(h: Hart, context: number, kind: number, pageVa: number, page: number): void {
  const ram = h.bus.ram;
  if (ram.pending !== null) return;
  const span = 2 ** (9 * h.walkLevel);
  const priv = accessPriv(h, kind);
  for (let k = 1; k <= PREFILL; k++) {
    const va = pageVa + k * 4096;
    if (Math.floor(va / 4096) % span === 0) return;
    const pa = page + k * 4096;
    if (!ram.contains(pa, 4096) || h.pmp.checkPage(pa, priv, kind) !== PMP_ALLOW) return;
    if (cacheable(h, pa, kind)) h.tlb.insert(context, kind, va, pa - ram.base, h.walkGlobal, h.walkLevel);
  }
}

/** Reads a page-table entry into h.tmp; raises an access fault when it is not in RAM or PMP denies it. */
function readPte(h: Hart, pteAddr: number, kind: number, faultVa: number): number {
  const ram = h.bus.ram;
  if (!h.bus.isRam(pteAddr, 8) || !h.pmp.check(pteAddr, 8, PRIV_S, ACCESS_LOAD)) {
    h.raiseAt(ACCESS_FAULT[kind]!, faultVa);
  }
  if (ram.pending !== null) ram.ensure(pteAddr - ram.base, 8);
  const i = (pteAddr - ram.base) >>> 2;
  h.tmp[0] = ram.i32[i]!;
  h.tmp[1] = ram.i32[i + 1]!;
  return i;
}

/** What walkOnce returns when another hart changed a PTE between its read and the A/D update. */
const WALK_AGAIN = -1;

/** Translates `va` by walking the page table, as often as another hart's PTE changes make it start again. */
function walk(h: Hart, va: number, kind: number, priv: number, mode: number, faultVa: number): number {
  for (;;) {
    const pa = walkOnce(h, va, kind, priv, mode, faultVa);
    if (pa !== WALK_AGAIN) return pa;
  }
}

function walkOnce(h: Hart, va: number, kind: number, priv: number, mode: number, faultVa: number): number {
  const levels = mode === SATP_MODE_SV39 ? 3 : mode === SATP_MODE_SV48 ? 4 : 0;
  const vaBits = 12 + 9 * levels;
  const limit = 2 ** (vaBits - 1);
  if (levels === 0 || va < -limit || va >= limit) h.raiseAt(PAGE_FAULT[kind]!, faultVa);
  const lo = va | 0;
  const hi = Math.floor(va / TWO32) | 0;
  const satpLo = h.csr[CSR.satp * 2]!;
  const satpHi = h.csr[CSR.satp * 2 + 1]!;
  let table = ((satpHi & 0xfff) * TWO32 + (satpLo >>> 0)) * 4096;
  const ram = h.bus.ram;
  for (let level = levels - 1; level >= 0; level--) {
    const vpn = vpnAt(lo, hi, level);
    const pteAddr = table + vpn * 8;
    const index = readPte(h, pteAddr, kind, faultVa);
    const pteLo = h.tmp[0]!;
    const pteHi = h.tmp[1]!;
    // Bits 63:54 (N, PBMT, reserved) are reserved without Svnapot/Svpbmt.
    if ((pteLo & PTE_V) === 0 || (pteLo & (PTE_R | PTE_W)) === PTE_W || (pteHi >>> 22) !== 0) {
      h.raiseAt(PAGE_FAULT[kind]!, faultVa);
    }
    const ppn = (pteHi & 0x3fffff) * 4194304 + (pteLo >>> 10);
    if ((pteLo & (PTE_R | PTE_X)) === 0) {
      // A pointer to the next level. A, D and U are reserved in non-leaf entries.
      if (level === 0 || (pteLo & (PTE_A | PTE_D | PTE_U)) !== 0) h.raiseAt(PAGE_FAULT[kind]!, faultVa);
      table = ppn * 4096;
      continue;
    }
    if (!leafAllows(h, pteLo, kind, priv)) h.raiseAt(PAGE_FAULT[kind]!, faultVa);
    // A superpage's PPN must be aligned to its size.
    const span = 2 ** (9 * level);
    if (ppn % span !== 0) h.raiseAt(PAGE_FAULT[kind]!, faultVa);
    // Set A, and D for stores, as hardware does (the spec allows this instead of faulting).
    const want = kind === ACCESS_STORE ? PTE_A | PTE_D : PTE_A;
    if ((pteLo & want) !== want) {
      // Atomically with the checks above (privileged spec 4.3.1): if another hart changed the entry since it
      // was read, walk again.
      if (Atomics.compareExchange(ram.i32, index, pteLo, pteLo | want) !== pteLo) return WALK_AGAIN;
      h.decode.written(index * 4, 4);
    }
    h.walkGlobal = (pteLo & PTE_G) !== 0;
    h.walkLevel = level;
    const pageInSpan = Math.floor(va / 4096) % span;
    const vpnLow = pageInSpan < 0 ? pageInSpan + span : pageInSpan;
    return (ppn + vpnLow) * 4096 + (lo & 0xfff);
  }
  return h.raiseAt(PAGE_FAULT[kind]!, faultVa);
}

function vpnAt(lo: number, hi: number, level: number): number {
  switch (level) {
    case 0:
      return (lo >>> 12) & 0x1ff;
    case 1:
      return (lo >>> 21) & 0x1ff;
    case 2:
      return ((lo >>> 30) | (hi << 2)) & 0x1ff;
    default:
      return (hi >>> 7) & 0x1ff;
  }
}

function leafAllows(h: Hart, pte: number, kind: number, priv: number): boolean {
  const user = (pte & PTE_U) !== 0;
  if (priv === PRIV_U && !user) return false;
  if (priv === PRIV_S && user) {
    if (kind === ACCESS_FETCH || (h.mstatus & MSTATUS_SUM) === 0) return false;
  }
  if (kind === ACCESS_FETCH) return (pte & PTE_X) !== 0;
  if (kind === ACCESS_LOAD) return (pte & PTE_R) !== 0 || ((h.mstatus & MSTATUS_MXR) !== 0 && (pte & PTE_X) !== 0);
  return (pte & PTE_W) !== 0;
}

/** Reads `size` bytes at physical `pa` (one page, no crossing) into h.tmp; raises an access fault on no device. */
function readPhys(h: Hart, pa: number, size: number, kind: number, faultVa: number): void {
  const bus = h.bus;
  const ram = bus.ram;
  if (bus.isRam(pa, size)) {
    const u8 = ram.u8;
    const o = pa - ram.base;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < size; i++) {
      if (i < 4) lo |= u8[o + i]! << (8 * i);
      else hi |= u8[o + i]! << (8 * (i - 4));
    }
    h.tmp[0] = lo;
    h.tmp[1] = hi;
    return;
  }
  // Device registers take naturally aligned accesses of 1, 2, 4 or 8 bytes.
  if (pa % size !== 0) h.raiseAt(ACCESS_FAULT[kind]!, faultVa);
  if (size === 8) {
    const lo = bus.read(pa, 4);
    const hi = bus.read(pa + 4, 4);
    if (lo === BUS_ERROR || hi === BUS_ERROR) h.raiseAt(ACCESS_FAULT[kind]!, faultVa);
    h.tmp[0] = lo;
    h.tmp[1] = hi;
    return;
  }
  const v = bus.read(pa, size as 1 | 2 | 4);
  if (v === BUS_ERROR) h.raiseAt(ACCESS_FAULT[kind]!, faultVa);
  h.tmp[0] = v;
  h.tmp[1] = 0;
}

function writePhys(h: Hart, pa: number, size: number, lo: number, hi: number, faultVa: number): void {
  const bus = h.bus;
  const ram = bus.ram;
  if (bus.isRam(pa, size)) {
    const u8 = ram.u8;
    const o = pa - ram.base;
    for (let i = 0; i < size; i++) u8[o + i] = i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4));
    h.decode.written(o, size);
    return;
  }
  if (pa % size !== 0) h.raiseAt(CAUSE.STORE_ACCESS_FAULT, faultVa);
  if (size === 8) {
    if (!bus.write(pa, 4, lo) || !bus.write(pa + 4, 4, hi)) h.raiseAt(CAUSE.STORE_ACCESS_FAULT, faultVa);
    return;
  }
  if (!bus.write(pa, size as 1 | 2 | 4, lo)) h.raiseAt(CAUSE.STORE_ACCESS_FAULT, faultVa);
}

/**
 * Loads `size` bytes (zero-extended) at virtual `va` into h.tmp. Misaligned and page-crossing accesses are
 * done byte by byte after translating every page they touch.
 */
export function loadSlow(h: Hart, va: number, size: number, kind: number = ACCESS_LOAD): void {
  const off = (va | 0) & 0xfff;
  if (off + size <= 4096) {
    readPhys(h, translate(h, va, kind), size, kind, va);
    return;
  }
  const first = 4096 - off;
  const pa1 = translate(h, va, kind);
  const pa2 = translate(h, va + first, kind, va);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < size; i++) {
    readPhys(h, i < first ? pa1 + i : pa2 + (i - first), 1, kind, va);
    const b = h.tmp[0]!;
    if (i < 4) lo |= b << (8 * i);
    else hi |= b << (8 * (i - 4));
  }
  h.tmp[0] = lo;
  h.tmp[1] = hi;
}

/** Stores the low `size` bytes of (lo, hi) at virtual `va`. */
export function storeSlow(h: Hart, va: number, size: number, lo: number, hi: number): void {
  const off = (va | 0) & 0xfff;
  if (off + size <= 4096) {
    writePhys(h, translate(h, va, ACCESS_STORE), size, lo, hi, va);
    return;
  }
  const first = 4096 - off;
  const pa1 = translate(h, va, ACCESS_STORE);
  const pa2 = translate(h, va + first, ACCESS_STORE, va);
  for (let i = 0; i < size; i++) {
    const b = i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4));
    writePhys(h, i < first ? pa1 + i : pa2 + (i - first), 1, b & 0xff, 0, va);
  }
}

/**
 * The interpreter's entry points to the slow paths take their operands from the hart's scratch arrays (the
 * address in h.addr[0], a store's value in h.tmp) rather than as arguments: a double or a large int32 passed to
 * a call must be boxed, and V8 hoists that boxing out of the rarely taken branch onto every load and store.
 */
export function loadSlowAt(h: Hart, size: number): void {
  loadSlow(h, h.addr[0]!, size);
}

export function storeSlowAt(h: Hart, size: number): void {
  storeSlow(h, h.addr[0]!, size, h.tmp[0]!, h.tmp[1]!);
}

/**
 * Fetches a 16-bit parcel at `va` (instruction fetch slow path: TLB misses, and instructions at a page's last
 * parcel, which may cross into the next page). The TLB is tried first: an instruction crossing a page in a hot
 * loop walked the page table twice per run (66 k walks in a piped gzip of 16 MiB).
 */
export function fetchParcel(h: Hart, va: number): number {
  const off = (va | 0) & 0xfff;
  const idx = ((va | 0) >>> 12) & TLB_MASK;
  const tlb = h.tlb;
  if (tlb.fetchTags[idx] === va - off) return h.bus.ram.u16[(tlb.fetchOffs[idx]! + off) >>> 1]!;
  readPhys(h, translate(h, va, ACCESS_FETCH), 2, ACCESS_FETCH, va);
  return h.tmp[0]! & 0xffff;
}
