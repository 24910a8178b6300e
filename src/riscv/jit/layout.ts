/**
 * Layout of a hart's area in the WebAssembly memory (after guest RAM, see GuestRam.hartArea): the state that
 * translated code reads and writes directly. Byte offsets from the start of the area.
 */
import { TLB_OFFS_AT, TLB_SET_BYTES, TLB_SETS, TLB_TAGS64_AT, TLB_WAY2_AT } from '../tlb.js';
import { COMPILED_BYTES, WATCH_SIZE, watchIndex } from '../branch-watch.js';

/** x0..x31 as 32 little-endian i64 (the same bytes as Hart.x's (lo, hi) pairs). */
export const AREA_X = 0;
/** The pc a translated block exits to, as an f64 (a JS number, as Hart.pc). */
export const AREA_PC = 256;
/** i32: the byte address of the load TLB set in use (its tags; the offsets follow, see TLB_SET_OFFS). */
export const AREA_LOAD_SET = 264;
/** i32: the byte address of the store TLB set in use. */
export const AREA_STORE_SET = 268;
/** i32: the byte address of the fetch TLB set in use. */
export const AREA_FETCH_SET = 272;
/** i32: instructions retired by translated code since the dispatcher last reset it. */
export const AREA_RETIRED = 276;
/** i32: the area-relative address of the link cell of the exit last taken, or 0. */
export const AREA_LAST_EXIT = 280;
/** i32: the LR/SC reservation (RAM offset or -1), copied from and back to Hart.reservation around each run. */
export const AREA_RESERVATION = 288;
/**
 * i64: with harts in parallel (Hart.parallel), the value the last LR loaded (Hart.reservedLo/Hi), which SC
 * compares memory against; copied in and out with the reservation.
 */
export const AREA_RESERVED_VALUE = 296;
/**
 * i64: the same pc as AREA_PC, as an integer, written by the exits that return EXIT_JUMP: the hub's lookup of
 * their target compares it with the fetch TLB's i64 tags and indexes with it, with no conversion from f64.
 */
export const AREA_PC64 = 304;
/**
 * i32: instructions the wasm interpreter had compiled blocks run, through the hub, since the dispatcher last
 * reset it (the rest of what it retired it interpreted).
 */
export const AREA_CHAINED = 312;
/**
 * i32: mstatus (Hart.mstatus, whose bits all lie in the low word), the privilege (Hart.priv) and the interrupts
 * pending and enabled ((mipHw | mipSw) & mie), copied in by the dispatcher before translated code or the wasm
 * interpreter runs and after each call of the SYSTEM helper. The wasm interpreter and translated blocks change
 * sstatus.SIE and FS here (sstatus-sie.ts) and read mstatus.FS (an FP load or store), the rest only TypeScript
 * changes; mstatus is copied back after each run.
 */
export const AREA_MSTATUS = 316;
export const AREA_PRIV = 320;
export const AREA_PENDING = 324;
/**
 * The console's UART in WebAssembly (machine/console-fast-path.ts): what the WebAssembly interpreter needs to do
 * the two accesses Linux's 8250 console makes per character, a read of LSR and a write of THR, without leaving
 * for TypeScript. AREA_CONSOLE_IO: the UART page's translations, as the TLB publishes them (Tlb.publishIoPage:
 * i64 page tag and i32 set address for loads, then for stores). AREA_CONSOLE_LSR (i32): what a read of LSR
 * returns, or -1 when the read has effects (it clears error bits) or the fast path is off. AREA_CONSOLE_THR
 * (i32): 1 when a write of THR only transmits the byte (divisor latch closed, no loopback, no THRE interrupt
 * enabled). AREA_CONSOLE_OUT (i32): bytes written to THR and queued at AREA_CONSOLE_RING (CONSOLE_RING_BYTES of
 * room), which the translator hands the UART whenever WebAssembly returns, before anything else happens.
 */
export const AREA_CONSOLE_IO = 328;
export const AREA_CONSOLE_LSR = 360;
export const AREA_CONSOLE_THR = 364;
export const AREA_CONSOLE_OUT = 368;
export const AREA_CONSOLE_RING = 1024;
export const CONSOLE_RING_BYTES = 1024;
/** The offsets of the 16550's THR and LSR in its page (devices/uart16550.ts UART_REG, one byte per register). */
export const CONSOLE_THR = 0;
export const CONSOLE_LSR = 5;
/**
 * What the WebAssembly interpreter leaves with EXIT_FILL (compile.ts) for: the access kind (i32: tlb.ts
 * ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE) and the virtual address (f64) of a fetch, load or store that missed
 * the TLB, for the translator to fill the TLB with (jit-hart.ts fill) before the interpreter goes on.
 */
export const AREA_FILL_KIND = 372;
export const AREA_FILL_VA = 376;
/**
 * The page caches of a block that loops (compile.ts pageCaches): 8 i64 pages, then 8 i32 deltas (a page's RAM
 * offset less its low 32 bits). Only the block running uses them; it empties them at entry.
 */
export const AREA_PAGE_CACHES = 384;
export const AREA_PAGE_DELTAS = 448;
/** f0..f31 as 32 little-endian 64-bit values: Hart.fp.f is a view of these bytes. */
export const AREA_F = 512;
/**
 * The TLB sets: 12 of them (4 contexts x fetch, load, store), each f64 tags, i32 offsets, i64 tags (tlb.ts), then
 * their second ways, laid out alike.
 */
export const AREA_TLB = 4096;
/** Within a set: where the i32 RAM offsets start, and where the i64 tags start. */
export const TLB_SET_OFFS = TLB_OFFS_AT;
export const TLB_SET_TAGS64 = TLB_TAGS64_AT;
/** From a set to its second way. */
export const TLB_SET_WAY2 = TLB_WAY2_AT;
export { TLB_SET_BYTES };
/**
 * The jump cache, which translated code consults for jumps the link cells do not cover (indirect jumps, other
 * pages): JCACHE_SIZE entries of 16 bytes, indexed by jcacheIndex(pc): the block's pc (f64), the
 * RAM offset of its page (i32, checked against the fetch TLB's) and its table slot (i32). NaN pc = empty. The
 * interpreter stops at jumps to the pcs here (branch-watch.ts), which is how cold code finds compiled blocks.
 */
export const AREA_JCACHE = AREA_TLB + 2 * TLB_SETS * TLB_SET_BYTES;
export const JCACHE_SIZE = WATCH_SIZE;

/** The jump cache entry for a pc (the hub computes the same from the pc's low 32 bits). */
export const jcacheIndex = watchIndex;
/** The branch watch's counts (BranchWatch.counts, one i32 per jump cache entry): the wasm interpreter keeps them. */
export const AREA_COUNTS = AREA_JCACHE + JCACHE_SIZE * 16;
/** BranchWatch.compiled: COMPILED_BYTES bytes, a bit per compiledBit(pc). */
export const AREA_COMPILED = AREA_COUNTS + JCACHE_SIZE * 4;
/** The expansion of every 16-bit parcel (compressed.ts's table), one i32 each, for the wasm interpreter. */
export const AREA_CEXP = AREA_COMPILED + COMPILED_BYTES;
/**
 * The hart's plain CSRs (Hart.csr: 4,096 (lo, hi) pairs, little-endian i64s by CSR number): the wasm interpreter and
 * translated blocks read and write sscratch, sepc, scause and stval (and their M-mode counterparts) here
 * (plain-csrs.ts).
 */
export const AREA_CSR = AREA_CEXP + 65536 * 4;
/**
 * Link cells, one i32 per chainable exit of a compiled block: the table slot + 1 of the block the exit jumps to,
 * or 0 while unlinked. They run to the end of the area.
 */
export const AREA_CELLS = AREA_CSR + 4096 * 8;
