/**
 * The translator's back end: one block of guest instructions (scan.ts) becomes one WebAssembly function
 * `(area: i32, budget: i32) -> i32` over the hart's area (layout.ts) and guest RAM in the same memory.
 *
 * - Guest registers the block touches live in i64 locals: loaded at entry, stored back at every exit.
 * - Loads and stores look up the hart's TLB inline (the load or store set selected now, whose address is in the
 *   area) and do the access on RAM directly. A miss, a misaligned access or a store to a code page (never in the
 *   store TLB) exits the block *before* the instruction with the "slow" flag: the interpreter then executes that
 *   one instruction, so faults, MMIO and code invalidation keep the interpreter's exact behaviour. A run of
 *   accesses through one base register (a function saving its registers) has one check for all (accessRun).
 * - A block that branches back to its own start loops inside wasm while the budget lasts; a region (a block
 *   compiled with the other hot blocks on a cycle through it, region.ts) goes on with any of its traces likewise.
 * - Every exit writes the next pc (an f64, as Hart.pc) into the area, adds the instructions retired to the
 *   area's counter, and returns the table slot of the next block when the exit is linked to one (chaining:
 *   the hub keeps calling), else EXIT_JUMP (the hub looks the pc up), EXIT_SLOW or EXIT_BUDGET.
 * Every value is computed exactly as the interpreter computes it, including pcs and jump targets as doubles.
 */
import { Code, F64, I32, I64, moduleBytes, type AtomicName, type MemName } from './wasm-code.js';
import {
  AREA_CSR,
  AREA_F,
  AREA_FETCH_SET,
  AREA_LAST_EXIT,
  AREA_LOAD_SET,
  AREA_MSTATUS,
  AREA_PAGE_CACHES,
  AREA_PAGE_DELTAS,
  AREA_PC,
  AREA_PC64,
  AREA_RESERVATION,
  AREA_RESERVED_VALUE,
  AREA_RETIRED,
  AREA_STORE_SET,
  AREA_X,
  TLB_SET_OFFS,
  TLB_SET_TAGS64,
} from './layout.js';
import { branchOffset, jalOffset, type BlockInsn } from './scan.js';
import { exitTargets } from './region.js';
import { TLB_MASK } from '../tlb.js';
import { emitDivRem, emitMulh } from './wasm-muldiv.js';
import { emitTlbOffset, emitTlbTag } from './tlb-lookup.js';
import { sstatusCommit, sstatusSie } from './sstatus-sie.js';
import { isEpc, isPlainCsr, plainCsrAccess, plainCsrAllowed } from './plain-csrs.js';
import { CSR, MSTATUS_FS } from '../constants.js';

// Locals: parameters, i32 temporaries, i64 temporaries, f64s, then guest registers x1..x31.
const L_AREA = 0;
const L_BUDGET = 1;
const L_LSET = 2;
const L_SSET = 3;
const L_IDX = 4;
const L_DONE = 5;
const L_XA = 6;
const L_XB = 7;
const L_CODE = 8; // a link cell's content
const L_VA = 9;
const L_TA = 10;
const L_TB = 11;
const L_TC = 12;
const L_TD = 13;
const L_TF = 14;
const L_REG0 = 14; // local of register r is L_REG0 + r (r >= 1)
const L_SLOW_K = 46; // a slow exit: the instructions retired before it (i32)
const L_SLOW_PC = 47; // and its pc (f64)
/**
 * Page caches (see pageCaches): the page (i64) at L_CACHE_PAGE + i; at L_CACHE_RAM + i (i32) its RAM offset less
 * the page's low 32 bits (access's pageDelta).
 */
const PAGE_CACHES = 8;
/** The longest looping trace unrolled once (compileBlock loopAround). */
const UNROLL_MAX = 24;
/** The longest trace taken in at a side exit (compileBlock tails), and how many instructions a block takes in so. */
const TAIL_MAX = 32;
const TAILS_MAX = 96;
/** The fewest loads (or stores) through one base register that share one check as a run (see accessRun). */
const RUN_MIN = 3;
/**
 * Opcodes of the instructions a run may have between its accesses: OP-IMM, OP, their 32-bit forms, LUI, AUIPC,
 * and loads and stores (integer or FP) that are not the run's own.
 */
const RUN_BETWEEN = new Set([0x13, 0x33, 0x1b, 0x3b, 0x37, 0x17, 0x03, 0x23, 0x07, 0x27]);
/** Those of RUN_BETWEEN whose rd field is an integer register they write. */
const RUN_BETWEEN_WRITES = new Set([0x13, 0x33, 0x1b, 0x3b, 0x37, 0x17, 0x03]);
const L_CACHE_PAGE = 48;
const L_CACHE_RAM = L_CACHE_PAGE + PAGE_CACHES;
/** A region's trace to run next (see compileBlock's `more`). */
const L_WHICH = L_CACHE_RAM + PAGE_CACHES;
/** The RAM offset of a run's lowest byte (see emitRun; not L_XB, which DIVW and REMW use). */
const L_RUN = L_WHICH + 1;
/** A cached page that matches no access: an access's masked address has at most its low 3 bits set. */
const NO_PAGE = 0xfff;

const LOCALS: readonly (readonly [number, number])[] = [
  [7, I32],
  [5, I64],
  [1, F64],
  [31, I64],
  [1, I32],
  [1, F64],
  [PAGE_CACHES, I64],
  [PAGE_CACHES, I32],
  [2, I32],
];

/** Block results below zero: look the pc up (in the jump cache, else the dispatcher), the interpreter must run
 * the instruction at the pc, or the budget does not cover the block. */
export const EXIT_JUMP = -1;
export const EXIT_SLOW = -2;
export const EXIT_BUDGET = -3;
/** After a CSR access that trapped or changed what translated code depends on: back to the dispatcher. */
export const EXIT_SYSTEM = -4;
/**
 * The WebAssembly interpreter's only (interp-wasm.ts): an aligned fetch, load or store missed the TLB; its kind
 * and address are in the area (layout.ts AREA_FILL_KIND, AREA_FILL_VA), and the interpreter goes on at the same
 * instruction once the TLB holds the page.
 */
export const EXIT_FILL = -5;

/**
 * The interpreter's helper blocks import as "e"."s" (function 0): runs the CSR access at pc (an f64) with the
 * instructions retired before it in this run of translated code (an i32); returns SYSTEM_GO_ON, or
 * SYSTEM_RETIRED / SYSTEM_TRAPPED after writing the pc to go on at into the area (jit-hart.ts).
 */
export const SYSTEM_HELPER_TYPE: readonly [readonly number[], readonly number[]] = [[F64, I32], [I32]];
export const SYSTEM_GO_ON = 0;
export const SYSTEM_RETIRED = 1;
export const SYSTEM_TRAPPED = 2;
/** Blocks' function indices start after the imported helper. */
export const SYSTEM_HELPER = 0;

const LOADS: readonly MemName[] = [
  'i64.load8_s', 'i64.load16_s', 'i64.load32_s', 'i64.load', 'i64.load8_u', 'i64.load16_u', 'i64.load32_u',
];
const STORES: readonly MemName[] = ['i64.store8', 'i64.store16', 'i64.store32', 'i64.store'];
const BRANCH = ['i64.eq', 'i64.ne', null, null, 'i64.lt_s', 'i64.ge_s', 'i64.lt_u', 'i64.ge_u'] as const;
const TWO32 = 4294967296;

/**
 * The integer registers an instruction reads, and the one it writes, packed in one number (x0 is never listed:
 * 0 for none): the destination in bits 0-4 (`operandRd`), the sources in bits 5-9 and 10-14 (`operandSrc`).
 * Called a few times for every instruction compiled: a number, not an object and an array each time (~5 MB of a
 * boot's ~37 MB of allocations, the code generator's largest).
 */
function operands(insn: number): number {
  const op = insn & 0x7f;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  if (op === 0x0f) return 0;
  // CSR accesses: the immediate forms have no source register.
  if (op === 0x73) return rd | (((insn >>> 12) & 4) === 0 ? rs1 << 5 : 0);
  // FP loads and stores: only the base register is an integer one.
  if (op === 0x07 || op === 0x27) return rs1 << 5;
  const src1 = op !== 0x37 && op !== 0x17 && op !== 0x6f ? rs1 : 0;
  const src2 = (op === 0x33 || op === 0x3b || op === 0x23 || op === 0x63 || op === 0x2f) && rs2 !== rs1 ? rs2 : 0;
  // The first source slot holds the first one there is.
  const packedSrcs = src1 !== 0 ? (src1 << 5) | (src2 << 10) : src2 << 5;
  return (op !== 0x23 && op !== 0x63 ? rd : 0) | packedSrcs;
}

/** The destination register in `operands`' result (0: none). */
const operandRd = (packed: number): number => packed & 31;
/** Source register `i` (0 or 1) in `operands`' result (0: none). */
const operandSrc = (packed: number, i: number): number => (packed >>> (5 + 5 * i)) & 31;

/** Registers a block reads or writes, and for each register it writes, the index of its first writer. */
function registers(insns: readonly BlockInsn[]): { used: Set<number>; firstWrite: Map<number, number> } {
  const used = new Set<number>();
  const firstWrite = new Map<number, number>();
  insns.forEach(({ insn }, k) => {
    const packed = operands(insn);
    for (let i = 0; i < 2; i++) {
      const r = operandSrc(packed, i);
      if (r !== 0) used.add(r);
    }
    const rd = operandRd(packed);
    if (rd !== 0) {
      used.add(rd);
      if (!firstWrite.has(rd)) firstWrite.set(rd, k);
    }
  });
  return { used, firstWrite };
}

/**
 * A conditional branch's two sides: the one that leaves the block, and the one the trace goes on with (for a
 * branch the trace follows, scan.ts BlockInsn.taken, the taken side).
 */
function branchSides({ pc, insn, len, taken }: BlockInsn): { out: number; on: number } {
  const target = pc + branchOffset(insn);
  return taken === true ? { out: pc + len, on: target } : { out: target, on: pc + len };
}

/** A page cache's key: the TLB set local (loads or stores) and the base register. */
function cacheKey(set: number, rs1: number): number {
  return set * 32 + rs1;
}

/**
 * The page caches of a block: for a base register that several of its loads (or several of its stores) go
 * through, two locals keep the page the last one went to and its RAM offset. The next access through that
 * register (whatever its value by then) that is aligned and on the same page needs one compare instead of a TLB
 * lookup (two dependent loads): stack and structure accesses mostly stay on one page. Valid while the TLB sets
 * are: inside a block they change only when the interpreter runs a CSR access, after which they are emptied.
 *
 * A store cache also serves the loads through its register that have no load cache (`loads`): a page the store
 * set maps is writable, so readable with the same translation (W implies R), and code pages are never in it.
 * Only stores fill it, so it is chosen when a store comes first or the block loops (a loop's load and store
 * through one pointer: from the second round on both hit it).
 */
interface PageCaches {
  /** cacheKey(set, base) to the cache's index, for the PAGE_CACHES keys used most. */
  readonly index: Map<number, number>;
  /** Base registers whose loads go through their store cache. */
  readonly loads: Set<number>;
}

function pageCaches(insns: readonly BlockInsn[], loops: boolean): PageCaches {
  const uses = new Map<number, number>();
  const firstIsStore = new Map<number, boolean>();
  for (const { insn } of insns) {
    const op = insn & 0x7f;
    const rs1 = (insn >>> 15) & 31;
    let set: number;
    if (op === 0x03 || op === 0x07 || (op === 0x2f && insn >>> 27 === 0x02)) set = L_LSET;
    else if (op === 0x23 || op === 0x27 || op === 0x2f) set = L_SSET;
    else continue;
    const key = cacheKey(set, rs1);
    uses.set(key, (uses.get(key) ?? 0) + 1);
    if (!firstIsStore.has(rs1)) firstIsStore.set(rs1, set === L_SSET);
  }
  const loads = new Set<number>();
  const weight = new Map<number, number>();
  for (const [key, n] of uses) {
    if (key < L_SSET * 32) {
      if (n >= 2) weight.set(key, n);
      continue;
    }
    const rs1 = key - L_SSET * 32;
    const viaLoads = uses.get(cacheKey(L_LSET, rs1)) ?? 0;
    const shared = viaLoads === 1 && (loops || firstIsStore.get(rs1) === true);
    if (shared) loads.add(rs1);
    if (n >= 2 || shared) weight.set(key, n + (shared ? viaLoads : 0));
  }
  const chosen = [...weight].sort((a, b) => b[1] - a[1]).slice(0, PAGE_CACHES);
  const index = new Map(chosen.map(([key], i) => [key, i]));
  for (const rs1 of loads) if (!index.has(cacheKey(L_SSET, rs1))) loads.delete(rs1);
  return { index, loads };
}

/** Whether a trace has an exit to its own start (region.ts exitTargets), which it then takes as a loop. */
function loopsOnItself(trace: readonly BlockInsn[]): boolean {
  return exitTargets(trace).includes(trace[0]!.pc);
}

/**
 * The function body for a block (see the module comment). `first` is non-empty. With `parallel` (other harts run
 * at the same time on the same memory, Hart.parallel), AMOs, LR and SC are wasm atomic operations with the
 * semantics of amo-atomic.ts, and FENCE a full fence. The block uses `area` (the hart's area, fixed for its life)
 * as a constant rather than its `area` parameter (the hub passes the same).
 *
 * With `more` (other blocks' traces, non-empty, whose starts differ), the function is a region (region.ts): it
 * enters at `first` and its exits to the start of any of its traces go on with that trace inside the function,
 * as a loop's jump back to its start does, while a whole further trace fits in the budget.
 *
 * `tailAt` gives the trace of the hot block at a pc of the block's page, if there is one: a block that does not
 * loop takes in short ones at its exits to them (the exit goes on with that trace inline instead of leaving for
 * its block), once each; `report.tails` counts them (and `report.accessRuns` the runs of accesses checked once,
 * see accessRun). A transition between blocks costs more than the few registers and the lookups the tail then
 * does again: shell loop paired 0.935 (12 pairs in one process), and 0.97 more with tails up to 32 instructions
 * instead of 16, 96 in all instead of 48 (64 and 192 measured no better).
 */
export function compileBlock(
  first: readonly BlockInsn[],
  cellFor: (target: number) => number,
  parallel: boolean,
  area: number,
  more: readonly (readonly BlockInsn[])[] = [],
  tailAt?: (pc: number) => readonly BlockInsn[] | undefined,
  report?: { tails: number; accessRuns: number },
): Code {
  const region = more.length > 0;
  const traces = [first, ...more];
  const all = region ? traces.flat() : first;
  // Room for the ~80 bytes of wasm an instruction takes on average (each doubling of the buffer copies it).
  const c = new Code(128 * all.length + 512);
  const start = first[0]!.pc;
  /** The index of the trace starting at a pc (a region's; else only the block's own start). */
  const traceAt = new Map(traces.map((t, i) => [t[0]!.pc, i]));
  // The trace being emitted (a region emits each of its traces in turn, see select).
  let insns = first;
  /** The index of the trace being emitted. */
  let current = 0;
  const select = (i: number): void => {
    current = i;
    insns = traces[i]!;
  };
  // A block with a direct jump or branch back to its own start loops inside wasm. That includes a last branch
  // whose fall-through is the start (a trace that jumped backwards on the way, as loops compiled with the test at
  // the bottom do).
  const loops = region || loopsOnItself(first);
  const { used, firstWrite } = registers(all);
  const caches = pageCaches(all, loops);
  const written = [...firstWrite.keys()];
  /**
   * Registers and TLB set addresses are loaded where the trace first needs them, and each exit stores only the
   * registers written before it: a trace usually leaves by an early side exit. A block that loops loads all its
   * registers at entry and stores all it writes instead, and reads the TLB set addresses at each lookup (pushSet).
   */
  const lazy = !loops;
  /** The label a jump back to the start of the trace being emitted goes to (see loopAround). */
  let backTo = 'top';
  /** One link cell per target: an unrolled loop's two copies of an exit share theirs. */
  const cells = new Map<number, number>();
  const cell = (target: number): number => {
    let x = cells.get(target);
    if (x === undefined) cells.set(target, (x = cellFor(target)));
    return x;
  };
  const defined = new Set<number>();
  /** Lazy code: the registers written on the way to the instruction being emitted, each with its first writer's index. */
  const pathWrite = new Map<number, number>();
  /**
   * The tails this block takes in (see tailAt), by their start: at most TAILS_MAX instructions of them, none
   * longer than TAIL_MAX, only for a block that does not loop.
   */
  const tails = new Map<number, readonly BlockInsn[]>();
  let longestTail = 0;
  if (tailAt !== undefined && lazy) {
    let room = TAILS_MAX;
    for (const target of exitTargets(first)) {
      if (target === start || tails.has(target)) continue;
      const t = tailAt(target);
      if (t === undefined || t.length === 0 || t.length > TAIL_MAX || t.length > room) continue;
      tails.set(target, t);
      room -= t.length;
      longestTail = Math.max(longestTail, t.length);
    }
  }
  /** Whether the TLB set locals hold their addresses yet (only blocks that do not loop use them). */
  let lsetLoaded = false;
  let ssetLoaded = false;

  const R = (r: number): void => {
    if (r === 0) c.i64(0);
    else c.get(L_REG0 + r);
  };
  /** Pops an i64 into rd (dropped for x0). */
  const W = (rd: number): void => {
    if (rd === 0) c.op('drop');
    else c.set(L_REG0 + rd);
  };
  /**
   * Stores register r's local back to the area if the block wrote it before instruction k (a block that loops:
   * if it writes it at all); elsewhere the area still holds its value.
   */
  const storeIfWritten = (r: number, k: number): void => {
    const first = lazy ? pathWrite.get(r) : firstWrite.get(r);
    if (first !== undefined && (!lazy || first < k)) c.get(L_AREA).get(L_REG0 + r).mem('i64.store', AREA_X + 8 * r);
  };
  /**
   * Leaves the block after k more instructions: the registers written so far back to the area, the
   * instructions retired added to its counter; then returns the table slot + 1 in link cell `cell` when that is
   * filled (the hub calls that block next, so the pc is not needed), else writes the next pc (`pc` pushes an
   * f64; null when it is in the area already) and the cell (0 for none) into the area and returns `code`; an
   * EXIT_JUMP exit also writes the pc as an i64 (`pc64` pushes it) for the hub's lookup. Each exit has its own
   * copy of this code (slow exits excepted, see slowExit): a shared exit entered through a br_table measured
   * slower (an indirect jump per exit; shell loop 50k 3.98 → 3.67 s, sha256 16 MiB 2.02 → 1.94 s, means of 3
   * pairs).
   */
  const exit = (k: number, pc: (() => void) | null, cell: number, code = EXIT_JUMP, pc64?: () => void): void => {
    for (const r of lazy ? pathWrite.keys() : written) storeIfWritten(r, k);
    c.get(L_AREA).get(L_AREA).mem('i32.load', AREA_RETIRED);
    if (!lazy) c.get(L_DONE).op('i32.add');
    c.i32(k).op('i32.add').mem('i32.store', AREA_RETIRED);
    if (cell !== 0) {
      c.get(L_AREA).mem('i32.load', cell).tee(L_CODE);
      c.if(() => c.get(L_CODE).i32(1).op('i32.sub').op('return'));
    }
    if (pc !== null) {
      c.get(L_AREA);
      pc();
      c.mem('f64.store', AREA_PC);
    }
    if (code === EXIT_JUMP) {
      if (pc64 === undefined) throw new Error('an EXIT_JUMP exit needs its pc as an i64');
      c.get(L_AREA);
      pc64();
      c.mem('i64.store', AREA_PC64);
    }
    c.get(L_AREA).i32(cell).mem('i32.store', AREA_LAST_EXIT);
    c.i32(code).op('return');
  };
  /**
   * Slow exits (a TLB miss, misalignment, FS not as needed: the interpreter does the instruction) share one
   * exit at the end of the function, which stores the registers written before the instruction (tested at run
   * time, see slowExit): a block has one per memory access, and each inline copy of the exit was ~90 bytes,
   * 30% of all the code compiled during boot.
   */
  let slowUsed = false;
  const exitTo = (k: number, pc: number, slow: boolean): void => {
    if (slow && lazy && !inTail) {
      c.i32(k).set(L_SLOW_K).f64(pc).set(L_SLOW_PC).br('slow');
      slowUsed = true;
      return;
    }
    const tail = slow || inTail ? undefined : tails.get(pc);
    if (tail !== undefined) {
      tails.delete(pc);
      if (report !== undefined) report.tails++;
      takeIn(tail, k);
      return;
    }
    if (slow) {
      // A loop (or a tail) keeps its own copies: the shared exit made a tight loop ~8% slower (bench:mips 3550 -> 3270).
      exit(k, () => c.f64(pc), 0, EXIT_SLOW);
      return;
    }
    const t = loops ? traceAt.get(pc) : undefined;
    if (t !== undefined) {
      // Around again while a whole further pass fits in the budget (the unrolled loop's first copy goes on
      // with its second; a region goes on with the trace at pc).
      c.get(L_DONE).i32(k).op('i32.add').tee(L_DONE).i32(traces[t]!.length).op('i32.add').get(L_BUDGET).op('i32.le_s');
      if (!region || t === current) c.brIf(backTo);
      else if (t > current) c.brIf(`t${t}`);
      else c.i32(t).set(L_WHICH).brIf('top');
      exit(0, () => c.f64(pc), cell(pc), EXIT_JUMP, () => c.i64(pc));
      return;
    }
    exit(k, () => c.f64(pc), cell(pc), EXIT_JUMP, () => c.i64(pc));
  };
  /** The shared slow exit (see slowUsed), reached with its instruction's index and pc in L_SLOW_K, L_SLOW_PC. */
  const slowExit = (): void => {
    for (const r of written) {
      const store = (): void => void c.get(L_AREA).get(L_REG0 + r).mem('i64.store', AREA_X + 8 * r);
      if (!lazy) store();
      else c.get(L_SLOW_K).i32(firstWrite.get(r)!).op('i32.gt_s').if(store);
    }
    c.get(L_AREA).get(L_AREA).mem('i32.load', AREA_RETIRED);
    if (!lazy) c.get(L_DONE).op('i32.add');
    c.get(L_SLOW_K).op('i32.add').mem('i32.store', AREA_RETIRED);
    c.get(L_AREA).get(L_SLOW_PC).mem('f64.store', AREA_PC);
    c.get(L_AREA).i32(0).mem('i32.store', AREA_LAST_EXIT);
    c.i32(EXIT_SLOW);
  };

  /**
   * Pushes the address of a TLB set. A block that loops reads it from the area at each lookup rather than keep
   * it in a local: a local is one more value V8 keeps in a register or spills across the loop, for lookups that
   * page caches mostly spare (bench:mips's loop, whose load and store go through one: ~4,700 -> ~5,000 MIPS).
   */
  const pushSet = (set: number): void => {
    if (lazy) c.get(set);
    else c.get(L_AREA).mem('i32.load', set === L_LSET ? AREA_LOAD_SET : AREA_STORE_SET);
  };
  /** Sets L_IDX to the TLB entry of L_VA and pushes that entry's i64 tag in `set`. */
  const tlbTag = (set: number): void => emitTlbTag(c, L_VA, L_IDX, () => pushSet(set));
  /** Pushes the RAM offset of entry L_IDX in `set`. */
  const tlbOffset = (set: number): void => emitTlbOffset(c, L_IDX, () => pushSet(set));
  /** Points page cache `cache` at L_VA's page, with the delta `delta` pushes. */
  const fillCache = (cache: number, delta: () => void): void => {
    setCacheDelta(cache, delta);
    setCachePage(cache, () => void c.get(L_VA).i64(-4096).op('i64.and'));
  };
  /**
   * The TLB lookup of a `size`-byte access at rs1 + imm through the load or store set (`set` is L_LSET or
   * L_SSET); exits with the slow flag unless it hits and is aligned. Leaves the access's linear address (an i32)
   * on the stack.
   */
  const access = (k: number, pc: number, rs1: number, imm: number, set: number, size: number): void => {
    R(rs1);
    c.i64(imm).op('i64.add').set(L_VA);
    const lookup = (): void => {
      // One compare checks the page and the alignment (tlb-lookup.ts). Checking the TLB's second way here,
      // inline or through a call, made a tight loop 9% and 30% slower.
      tlbTag(set);
      c.get(L_VA).i64(-4096 | (size - 1)).op('i64.and').op('i64.ne');
      c.if(() => exitTo(k, pc, true));
      tlbOffset(set);
    };
    const cache = caches.index.get(cacheKey(set, rs1));
    if (cache === undefined && set === L_LSET && caches.loads.has(rs1)) {
      // A load through a store cache (see pageCaches): on a miss, a lookup in the load set that leaves it as is.
      const shared = caches.index.get(cacheKey(L_SSET, rs1))!;
      c.get(L_VA).i64(-4096 | (size - 1)).op('i64.and');
      cachePage(shared);
      c.op('i64.eq');
      c.if(
        () => {
          cacheDelta(shared);
          c.set(L_XB);
        },
        () => {
          lookup();
          pageDelta();
          c.set(L_XB);
        },
      );
      c.get(L_XB).get(L_VA).op('i32.wrap_i64').op('i32.add');
      return;
    }
    if (cache === undefined) {
      lookup();
      c.get(L_VA).op('i32.wrap_i64').i32(0xfff).op('i32.and').op('i32.add');
      return;
    }
    // The page this base register's last access of the kind went to, if this one is aligned and on it too.
    c.get(L_VA).i64(-4096 | (size - 1)).op('i64.and');
    cachePage(cache);
    c.op('i64.ne');
    c.if(() =>
      fillCache(cache, () => {
        lookup();
        pageDelta();
      }),
    );
    // The access's linear address: its page's delta plus its own low 32 bits (one add, where the offset in the page
    // took a mask and an add).
    cacheDelta(cache);
    c.get(L_VA).op('i32.wrap_i64').op('i32.add');
  };
  /**
   * A block that loops keeps its page caches in the area rather than in locals: a hit reads them (loads, which
   * the host does three a cycle), and V8 has two fewer values per cache to keep in registers or move between
   * stack slots around the loop (bench:mips's loop spilled guest registers at each pass for them).
   */
  const cachesInArea = loops;
  /** Where a cache's page (i64) and delta (i32) are: an area offset and its width, or a local. */
  const PAGE = { at: AREA_PAGE_CACHES, bytes: 8, local: L_CACHE_PAGE } as const;
  const DELTA = { at: AREA_PAGE_DELTAS, bytes: 4, local: L_CACHE_RAM } as const;
  type CacheField = typeof PAGE | typeof DELTA;
  const getCache = (f: CacheField, i: number): void => {
    if (cachesInArea) c.get(L_AREA).mem(f.bytes === 8 ? 'i64.load' : 'i32.load', f.at + f.bytes * i);
    else c.get(f.local + i);
  };
  const setCache = (f: CacheField, i: number, value: () => void): void => {
    if (cachesInArea) c.get(L_AREA);
    value();
    if (cachesInArea) c.mem(f.bytes === 8 ? 'i64.store' : 'i32.store', f.at + f.bytes * i);
    else c.set(f.local + i);
  };
  const cachePage = (i: number): void => getCache(PAGE, i);
  const cacheDelta = (i: number): void => getCache(DELTA, i);
  const setCachePage = (i: number, value: () => void): void => setCache(PAGE, i, value);
  const setCacheDelta = (i: number, value: () => void): void => setCache(DELTA, i, value);
  /**
   * Turns the RAM offset of L_VA's page (on the stack) into what a page cache keeps: that offset less the page's
   * low 32 bits, so that adding an address on the page (wrapped to 32 bits) gives the address's RAM offset.
   */
  const pageDelta = (): void => {
    c.get(L_VA).op('i32.wrap_i64').i32(-4096).op('i32.and').op('i32.sub');
  };
  /** Empties the page caches (at entry, and after the interpreter ran a CSR access, which may change TLB sets). */
  const clearCaches = (): void => {
    for (const i of caches.index.values()) setCachePage(i, () => void c.i64(NO_PAGE));
  };

  /** Pushes the low 32 bits of a register as an i32. */
  const R32 = (r: number): void => {
    R(r);
    c.op('i32.wrap_i64');
  };

  /** Emits `trace` after `base` instructions retired, and its exit when it is cut short. */
  const emitTrace = (trace: readonly BlockInsn[], base: number): void => {
    instructions(trace, base);
    const end = trace[trace.length - 1]!;
    const endOp = end.insn & 0x7f;
    // A block cut short (by an instruction left to the interpreter, the page end, the size limit) goes on there.
    if (!(endOp === 0x63 || endOp === 0x6f || endOp === 0x67)) exitTo(base + trace.length, end.pc + end.len, false);
  };
  const body = (): void => emitTrace(insns, 0);
  /**
   * The trace being emitted in a wasm loop labelled `label`, which its jumps back to its start continue. A small
   * trace that loops is unrolled once: the body twice, the first copy's jumps back going on with the second. V8
   * puts its moves between register assignments, the stack check of a wasm loop and the budget check at the
   * top of the loop: once per two passes then (bench:mips' inner loop is one, alone or in a region with its
   * outer loop).
   */
  const loopAround = (label: string): void => {
    c.loop(label, () => {
      if (insns.length <= UNROLL_MAX && loopsOnItself(insns)) {
        backTo = `${label}.second`;
        c.block(backTo, () => {
          body();
          c.op('unreachable');
        });
      }
      backTo = label;
      body();
    });
  };
  /**
   * A tail (see tailAt) emitted at an exit after k instructions: what its code has loaded and written is its
   * own, so the state of the trace emitted so far is put back after it (the tail's code always leaves).
   */
  let inTail = false;
  const takeIn = (tail: readonly BlockInsn[], k: number): void => {
    const saved = { defined: new Set(defined), pathWrite: new Map(pathWrite), lsetLoaded, ssetLoaded };
    inTail = true;
    emitTrace(tail, k);
    inTail = false;
    defined.clear();
    for (const r of saved.defined) defined.add(r);
    pathWrite.clear();
    for (const [r, p] of saved.pathWrite) pathWrite.set(r, p);
    lsetLoaded = saved.lsetLoaded;
    ssetLoaded = saved.ssetLoaded;
  };
  const instructions = (trace: readonly BlockInsn[], base: number): void => {
    for (let i = 0; i < trace.length; ) {
      const end = accessRun(trace, i);
      if (end > i) {
        emitRun(trace, base, i, end);
        i = end;
      } else {
        emitGuard(trace[i]!, base + i);
        instruction(trace, base, i);
        i++;
      }
    }
  };
  /**
   * The first instruction of a callee on another page: only while the fetch TLB still maps that page to the RAM
   * page it was translated from, else leave for its pc (the hub finds it as any other jump).
   */
  const emitGuard = ({ guard, pc }: BlockInsn, k: number): void => {
    if (guard === undefined) return;
    const idx = ((guard.pageVa | 0) >>> 12) & TLB_MASK;
    c.get(L_AREA).mem('i32.load', AREA_FETCH_SET).tee(L_XA).mem('i64.load', TLB_SET_TAGS64 + 8 * idx);
    c.i64(guard.pageVa).op('i64.ne');
    c.get(L_XA).mem('i32.load', TLB_SET_OFFS + 4 * idx).i32(guard.ramOffset).op('i32.ne', 'i32.or');
    c.if(() => exitTo(k, pc, false));
  };
  /**
   * The end of a run of at least RUN_MIN integer loads (or stores) from trace[i] on through one base register
   * that none of them writes, with nothing between them but arithmetic and other accesses (RUN_BETWEEN) that
   * leave the base alone, or i when there is none. Functions save and restore their registers so (`sd ra,
   * 56(sp); sd s0, 48(sp); ...`), and copy between structures with loads through one and stores through another.
   */
  const accessRun = (trace: readonly BlockInsn[], i: number): number => {
    const op = trace[i]!.insn & 0x7f;
    const rs1 = (trace[i]!.insn >>> 15) & 31;
    if ((op !== 0x03 && op !== 0x23) || rs1 === 0) return i;
    let end = i;
    let accesses = 0;
    for (let j = i; j < trace.length; j++) {
      const { insn, guard } = trace[j]!;
      const o = insn & 0x7f;
      if (j > i && guard !== undefined) break;
      if (!runOwn(insn, op, rs1)) {
        // Arithmetic, and other loads and stores (which check for themselves), may sit between the accesses when
        // they leave the base alone.
        if (!RUN_BETWEEN.has(o) || (RUN_BETWEEN_WRITES.has(o) && ((insn >>> 7) & 31) === rs1)) break;
        continue;
      }
      if (op === 0x03 && ((insn >>> 7) & 31) === rs1) break;
      accesses++;
      end = j + 1;
    }
    return accesses >= RUN_MIN ? end : i;
  };
  /**
   * A run (see accessRun) checked once: when its bytes lie on one page that the TLB set maps, each access is one
   * wasm load or store at its offset from the run's first byte. Otherwise each instruction runs as it would alone
   * (its own checks, its slow exit). Alignment is not checked: the interpreter does a misaligned access within a
   * page of RAM as one access, as wasm does (an access alone checks it because across pages it may fault). What a
   * lazy block loads and records before an instruction is done for the whole run first, so that both ways leave
   * the same state.
   */
  const emitRun = (trace: readonly BlockInsn[], base: number, i: number, end: number): void => {
    const run = trace.slice(i, end);
    if (report !== undefined) report.accessRuns++;
    emitGuard(run[0]!, base + i);
    const op = run[0]!.insn & 0x7f;
    const rs1 = (run[0]!.insn >>> 15) & 31;
    const set = op === 0x03 ? L_LSET : L_SSET;
    const accesses = run.map(({ insn }) => (runOwn(insn, op, rs1) ? runAccess(insn) : undefined));
    const used = accesses.filter((a) => a !== undefined);
    const low = Math.min(...used.map((a) => a.offset));
    const high = Math.max(...used.map((a) => a.offset + a.size - 1));
    run.forEach(({ insn }, j) => prepare(insn, base + i + j));
    R(rs1);
    c.i64(low).op('i64.add').set(L_VA);
    c.get(L_VA);
    R(rs1);
    c.i64(high).op('i64.add', 'i64.xor').i64(12).op('i64.shr_u', 'i64.eqz');
    /** Pushes whether the TLB set maps L_VA's page (leaving L_IDX at its entry). */
    const tlbHit = (): void => {
      tlbTag(set);
      c.get(L_VA).i64(-4096).op('i64.and', 'i64.eq');
    };
    const tlbDelta = (): void => {
      tlbOffset(set);
      pageDelta();
    };
    // Through the base register's page cache when it has one (filled here from the TLB on a miss), as its
    // accesses alone would go.
    const cache = caches.index.get(cacheKey(set, rs1));
    if (cache === undefined) tlbHit();
    else {
      c.get(L_VA).i64(-4096).op('i64.and');
      cachePage(cache);
      c.op('i64.ne');
      c.if(() => {
        tlbHit();
        c.if(() => fillCache(cache, tlbDelta));
      });
      c.get(L_VA).i64(-4096).op('i64.and');
      cachePage(cache);
      c.op('i64.eq');
    }
    c.op('i32.and');
    c.if(
      () => {
        if (cache === undefined) tlbDelta();
        else cacheDelta(cache);
        c.get(L_VA).op('i32.wrap_i64', 'i32.add').set(L_RUN);
        run.forEach(({ insn }, j) => {
          if (accesses[j] === undefined) {
            instruction(trace, base, i + j);
            return;
          }
          const f3 = (insn >>> 12) & 7;
          c.get(L_RUN);
          if (op === 0x03) {
            c.mem(LOADS[f3]!, accesses[j]!.offset - low);
            W((insn >>> 7) & 31);
          } else {
            R((insn >>> 20) & 31);
            c.mem(STORES[f3]!, accesses[j]!.offset - low);
          }
        });
      },
      () => {
        for (let j = i; j < end; j++) instruction(trace, base, j);
      },
    );
  };
  /**
   * What an instruction needs before its code in a block that does not loop: its source registers loaded, the TLB
   * set it uses, its destination recorded as written (from instruction k on).
   */
  const prepare = (insn: number, k: number): void => {
    const op = insn & 0x7f;
    const packed = operands(insn);
    const dst = operandRd(packed);
    if (lazy) {
      for (let i = 0; i < 2; i++) {
        const r = operandSrc(packed, i);
        if (r !== 0 && !defined.has(r)) {
          c.get(L_AREA).mem('i64.load', AREA_X + 8 * r).set(L_REG0 + r);
          defined.add(r);
        }
      }
      const f3m = (insn >>> 12) & 7;
      const isAmo = op === 0x2f && (f3m === 2 || f3m === 3);
      if (!lsetLoaded && (op === 0x03 || op === 0x07 || (isAmo && insn >>> 27 === 0x02))) {
        c.get(L_AREA).mem('i32.load', AREA_LOAD_SET).set(L_LSET);
        lsetLoaded = true;
      }
      if (!ssetLoaded && (op === 0x23 || op === 0x27 || (isAmo && insn >>> 27 !== 0x02))) {
        c.get(L_AREA).mem('i32.load', AREA_STORE_SET).set(L_SSET);
        ssetLoaded = true;
      }
    }
    if (dst !== 0) {
      defined.add(dst);
      if (!pathWrite.has(dst)) pathWrite.set(dst, k);
    }
  };
  /** The code of trace[i] (after its guard), base + i instructions into the block. */
  const instruction = (trace: readonly BlockInsn[], base: number, i: number): void => {
    const bi = trace[i]!;
    const k = base + i;
    const isLast = i === trace.length - 1;
    const { pc, insn, len, taken } = bi;
    const op = insn & 0x7f;
    prepare(insn, k);
    const rd = (insn >>> 7) & 31;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const f3 = (insn >>> 12) & 7;
    const f7 = insn >>> 25;
    const immI = insn >> 20;
    switch (op) {
      case 0x03: {
        access(k, pc, rs1, immI, L_LSET, 1 << (f3 & 3));
        c.mem(LOADS[f3]!);
        W(rd);
        break;
      }
      case 0x23: {
        access(k, pc, rs1, storeOffset(insn), L_SSET, 1 << f3);
        R(rs2);
        c.mem(STORES[f3]!);
        break;
      }
      case 0x13: {
        if (rd === 0) break;
        R(rs1);
        switch (f3) {
          case 0: c.i64(immI).op('i64.add'); break;
          case 1: c.i64(immI & 63).op('i64.shl'); break;
          case 2: c.i64(immI).op('i64.lt_s', 'i64.extend_i32_u'); break;
          case 3: c.i64(immI).op('i64.lt_u', 'i64.extend_i32_u'); break;
          case 4: c.i64(immI).op('i64.xor'); break;
          case 5: c.i64(immI & 63).op(insn >>> 26 === 0 ? 'i64.shr_u' : 'i64.shr_s'); break;
          case 6: c.i64(immI).op('i64.or'); break;
          default: c.i64(immI).op('i64.and');
        }
        W(rd);
        break;
      }
      case 0x33: {
        if (rd === 0) break;
        if (f7 === 1) {
          mulDiv64(f3, rs1, rs2);
        } else {
          R(rs1);
          R(rs2);
          if (f7 === 0x20) c.op(f3 === 0 ? 'i64.sub' : 'i64.shr_s');
          else {
            switch (f3) {
              case 0: c.op('i64.add'); break;
              case 1: c.op('i64.shl'); break;
              case 2: c.op('i64.lt_s', 'i64.extend_i32_u'); break;
              case 3: c.op('i64.lt_u', 'i64.extend_i32_u'); break;
              case 4: c.op('i64.xor'); break;
              case 5: c.op('i64.shr_u'); break;
              case 6: c.op('i64.or'); break;
              default: c.op('i64.and');
            }
          }
        }
        W(rd);
        break;
      }
      case 0x1b: {
        if (rd === 0) break;
        R32(rs1);
        if (f3 === 0) c.i32(immI).op('i32.add');
        else c.i32(immI & 31).op(f3 === 1 ? 'i32.shl' : f7 === 0 ? 'i32.shr_u' : 'i32.shr_s');
        c.op('i64.extend_i32_s');
        W(rd);
        break;
      }
      case 0x3b: {
        if (rd === 0) break;
        if (f7 === 1 && f3 >= 4) divRem32(f3, rs1, rs2);
        else {
          R32(rs1);
          R32(rs2);
          if (f7 === 1) c.op('i32.mul');
          else if (f7 === 0x20) c.op(f3 === 0 ? 'i32.sub' : 'i32.shr_s');
          else c.op(f3 === 0 ? 'i32.add' : f3 === 1 ? 'i32.shl' : 'i32.shr_u');
        }
        c.op('i64.extend_i32_s');
        W(rd);
        break;
      }
      case 0x0f:
        // FENCE.I never gets here with `parallel` (scan.ts leaves it to the interpreter).
        if (parallel) c.atomicFence();
        break;
      case 0x07:
      case 0x27: {
        // FP load or store. The interpreter makes them illegal with FS off, and an FP load sets FS dirty:
        // stores need FS on, loads FS already dirty, else the interpreter does the instruction.
        const size = f3 === 3 ? 8 : 4;
        const load = op === 0x07;
        c.get(L_AREA).mem('i32.load', AREA_MSTATUS).i32(MSTATUS_FS).op('i32.and');
        if (load) c.i32(MSTATUS_FS).op('i32.ne');
        else c.op('i32.eqz');
        c.if(() => exitTo(k, pc, true));
        const imm = load ? immI : storeOffset(insn);
        access(k, pc, rs1, imm, load ? L_LSET : L_SSET, size);
        c.set(L_XA);
        const freg = AREA_F + 8 * (load ? rd : rs2);
        if (load && size === 8) c.get(L_AREA).get(L_XA).mem('i64.load').mem('i64.store', freg);
        else if (load) {
          // FLW NaN-boxes: the upper half all ones.
          c.get(L_AREA).get(L_XA).mem('i32.load').mem('i32.store', freg);
          c.get(L_AREA).i32(-1).mem('i32.store', freg + 4);
        } else if (size === 8) c.get(L_XA).get(L_AREA).mem('i64.load', freg).mem('i64.store');
        else c.get(L_XA).get(L_AREA).mem('i32.load', freg).mem('i32.store');
        break;
      }
      case 0x2f: {
        const size = f3 === 3 ? 8 : 4;
        const fn5 = insn >>> 27;
        if (parallel) {
          atomicAmo(k, pc, insn, size);
          break;
        }
        if (fn5 === 0x02) {
          // LR: load and reserve (the reservation is a RAM offset, as in the interpreter).
          access(k, pc, rs1, 0, L_LSET, size);
          c.set(L_XA);
          c.get(L_AREA).get(L_XA).mem('i32.store', AREA_RESERVATION);
          c.get(L_XA).mem(size === 8 ? 'i64.load' : 'i64.load32_s');
          W(rd);
          break;
        }
        if (fn5 === 0x03) {
          // SC: store if the reservation is this address; rd = 0 on success, 1 on failure; no reservation after.
          access(k, pc, rs1, 0, L_SSET, size);
          c.set(L_XA);
          c.get(L_AREA).mem('i32.load', AREA_RESERVATION).get(L_XA).op('i32.eq');
          c.if(
            () => {
              c.get(L_XA);
              R(rs2);
              c.mem(size === 8 ? 'i64.store' : 'i64.store32');
              c.i64(0);
              W(rd);
            },
            () => {
              c.i64(1);
              W(rd);
            },
          );
          c.get(L_AREA).i32(-1).mem('i32.store', AREA_RESERVATION);
          break;
        }
        // AMO: read, modify, write on RAM through the store TLB (as the interpreter's amoTarget).
        access(k, pc, rs1, 0, L_SSET, size);
        c.set(L_XA);
        c.get(L_XA).mem(size === 8 ? 'i64.load' : 'i64.load32_s').set(L_TA);
        R(rs2);
        if (size === 4) c.op('i32.wrap_i64', 'i64.extend_i32_s');
        c.set(L_TB);
        c.get(L_XA);
        const fn = insn >>> 27;
        const pick = (cmp: 'i64.lt_s' | 'i64.gt_s' | 'i64.lt_u' | 'i64.gt_u'): void => {
          c.get(L_TA).get(L_TB).get(L_TA).get(L_TB).op(cmp, 'select');
        };
        if (fn === 0x01) c.get(L_TB);
        else if (fn === 0x00) c.get(L_TA).get(L_TB).op('i64.add');
        else if (fn === 0x04) c.get(L_TA).get(L_TB).op('i64.xor');
        else if (fn === 0x08) c.get(L_TA).get(L_TB).op('i64.or');
        else if (fn === 0x0c) c.get(L_TA).get(L_TB).op('i64.and');
        else if (fn === 0x10) pick('i64.lt_s');
        else if (fn === 0x14) pick('i64.gt_s');
        else if (fn === 0x18) pick('i64.lt_u');
        else pick('i64.gt_u');
        c.mem(size === 8 ? 'i64.store' : 'i64.store32');
        c.get(L_TA);
        W(rd);
        break;
      }
      case 0x37:
        if (rd !== 0) c.i64(insn & 0xfffff000).set(L_REG0 + rd);
        break;
      case 0x17:
        if (rd !== 0) c.i64(pc + (insn & 0xfffff000)).set(L_REG0 + rd);
        break;
      case 0x6f: {
        if (rd !== 0) c.i64(pc + len).set(L_REG0 + rd);
        // Not the last instruction: the block goes on at the target.
        if (isLast) exitTo(k + 1, pc + jalOffset(insn), false);
        break;
      }
      case 0x67: {
        // The interpreter's target: t = hi * 2^32 + lo + imm in doubles, then t - (t & 1) = 2 * floor(t / 2).
        R(rs1);
        c.i64(32).op('i64.shr_s', 'i32.wrap_i64', 'f64.convert_i32_s').f64(TWO32).op('f64.mul');
        R32(rs1);
        c.op('f64.convert_i32_u', 'f64.add').f64(immI).op('f64.add');
        c.f64(0.5).op('f64.mul', 'f64.floor').f64(2).op('f64.mul').set(L_TF);
        // The same target as an integer for the hub (they differ only beyond 2^53, where no TLB entry is).
        R(rs1);
        c.i64(immI).op('i64.add').i64(-2).op('i64.and').set(L_TA);
        if (rd !== 0) c.i64(pc + len).set(L_REG0 + rd);
        const target64 = (): void => void c.get(L_TA);
        if (isLast) {
          exit(k + 1, () => c.get(L_TF), 0, EXIT_JUMP, target64);
          break;
        }
        // A return from a call the trace followed (scan.ts): on in the block while ra is the return address.
        c.get(L_TF).f64(trace[i + 1]!.pc).op('f64.ne');
        c.if(() => exit(k + 1, () => c.get(L_TF), 0, EXIT_JUMP, target64));
        break;
      }
      case 0x63: {
        R(rs1);
        R(rs2);
        c.op(BRANCH[f3]!);
        // A branch the trace follows (scan.ts) leaves when not taken.
        const { out, on } = branchSides(bi);
        if (taken === true) c.op('i32.eqz');
        c.if(() => exitTo(k + 1, out, false));
        // Not the last instruction: the block goes on with the next one.
        if (isLast) exitTo(k + 1, on, false);
        break;
      }
      case 0x73: {
        // A CSR access (scan.ts INLINE_CSRS): the interpreter does it, reading and writing the registers in the
        // area, so the source and the destination go there first (the destination too: if the access traps,
        // the exit stores it from its local, which is reloaded after the call), and the destination comes back.
        const src = operandSrc(operands(insn), 0);
        if (src !== 0) storeIfWritten(src, k);
        if (rd !== 0) storeIfWritten(rd, k);
        const helper = (): void => {
          c.f64(pc).get(L_AREA).mem('i32.load', AREA_RETIRED);
          if (!lazy) c.get(L_DONE).op('i32.add');
          c.i32(k).op('i32.add').call(SYSTEM_HELPER).set(L_CODE);
          if (rd !== 0) c.get(L_AREA).mem('i64.load', AREA_X + 8 * rd).set(L_REG0 + rd);
          // Leaving: the helper has written the pc to go on at.
          c.get(L_CODE).if(() => {
            c.get(L_CODE).i32(SYSTEM_RETIRED).op('i32.eq');
            c.if(
              () => exit(k + 1, null, 0, EXIT_SYSTEM),
              () => exit(k, null, 0, EXIT_SYSTEM),
            );
          });
        };
        /** The value read, on the stack, into rd (or dropped): rd's local and the area agree after it, as after the helper. */
        const setRd = (): void => {
          if (rd === 0) c.op('drop');
          else {
            c.set(L_REG0 + rd);
            c.get(L_AREA).get(L_REG0 + rd).mem('i64.store', AREA_X + 8 * rd);
          }
        };
        if (insn >>> 20 === CSR.sstatus) {
          // Changing only SIE and FS (Linux's local_irq_save and restore, its FP state's switches), done here as
          // the wasm interpreter does (interp-wasm.ts sstatusSie); anything else through the helper.
          sstatusSie(c, L_AREA, L_XA, L_XB, f3, () => void ((f3 & 4) !== 0 ? c.i32(rs1) : R32(rs1)));
          c.if(() => {
            sstatusCommit(c, L_AREA, L_XA, L_XB);
            setRd();
          }, helper);
        } else if (isPlainCsr(insn >>> 20)) {
          // sscratch, sepc, scause, stval (and the M-mode ones), as the wasm interpreter does them (plain-csrs.ts).
          const num = insn >>> 20;
          plainCsrAllowed(c, L_AREA, () => void c.i32(num));
          c.if(() => {
            plainCsrAccess(
              c,
              () => void c.get(L_AREA),
              AREA_CSR + 8 * num,
              () => void c.i32(isEpc(num) ? 1 : 0),
              f3,
              () => void ((f3 & 4) !== 0 ? c.i64(rs1) : R(rs1)),
              L_TA,
            );
            setRd();
          }, helper);
        } else helper();
        // sstatus.SUM may have changed the TLB sets in use.
        if (lsetLoaded) c.get(L_AREA).mem('i32.load', AREA_LOAD_SET).set(L_LSET);
        if (ssetLoaded) c.get(L_AREA).mem('i32.load', AREA_STORE_SET).set(L_SSET);
        clearCaches();
        if (isLast) exitTo(k + 1, pc + len, false);
        break;
      }
      default:
        throw new Error(`not translatable: ${insn.toString(16)}`);
    }
  };

  /**
   * LR, SC or an AMO as wasm atomic operations on the shared memory, as amo-atomic.ts does them: LR reserves the
   * address and the value it loaded (AREA_RESERVED_VALUE, sign-extended for a word as Hart.reservedLo/Hi), SC is
   * a compare-exchange against that value at the reserved address, min/max are compare-exchange loops. The
   * TLB lookup has checked alignment, which wasm atomics require.
   */
  function atomicAmo(k: number, pc: number, insn: number, size: number): void {
    const rd = (insn >>> 7) & 31;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const fn = insn >>> 27;
    const w = size === 4;
    /** Widens an i32 result of a word operation to the register value. */
    const widen = (): void => {
      if (w) c.op('i64.extend_i32_s');
    };
    if (fn === 0x02) {
      access(k, pc, rs1, 0, L_LSET, size);
      c.set(L_XA);
      c.get(L_XA).atomic(w ? 'i32.atomic.load' : 'i64.atomic.load');
      widen();
      c.set(L_TA);
      c.get(L_AREA).get(L_TA).mem('i64.store', AREA_RESERVED_VALUE);
      c.get(L_AREA).get(L_XA).mem('i32.store', AREA_RESERVATION);
      c.get(L_TA);
      W(rd);
      return;
    }
    access(k, pc, rs1, 0, L_SSET, size);
    c.set(L_XA);
    if (fn === 0x03) {
      c.get(L_AREA).mem('i32.load', AREA_RESERVATION).get(L_XA).op('i32.eq');
      c.if(
        () => {
          // rd = (cmpxchg(addr, reserved value, rs2) != reserved value): 0 on success, 1 on failure.
          c.get(L_XA).get(L_AREA).mem(w ? 'i32.load' : 'i64.load', AREA_RESERVED_VALUE);
          if (w) R32(rs2);
          else R(rs2);
          c.atomic(w ? 'i32.atomic.rmw.cmpxchg' : 'i64.atomic.rmw.cmpxchg');
          c.get(L_AREA).mem(w ? 'i32.load' : 'i64.load', AREA_RESERVED_VALUE);
          c.op(w ? 'i32.ne' : 'i64.ne', 'i64.extend_i32_u');
          W(rd);
        },
        () => {
          c.i64(1);
          W(rd);
        },
      );
      c.get(L_AREA).i32(-1).mem('i32.store', AREA_RESERVATION);
      return;
    }
    const rmw: Record<number, string> = { 0x00: 'add', 0x01: 'xchg', 0x04: 'xor', 0x08: 'or', 0x0c: 'and' };
    const name = rmw[fn];
    if (name !== undefined) {
      c.get(L_XA);
      if (w) R32(rs2);
      else R(rs2);
      c.atomic(`${w ? 'i32' : 'i64'}.atomic.rmw.${name}` as AtomicName);
      widen();
      W(rd);
      return;
    }
    // min/max: load, pick, compare-exchange until memory did not change in between (or nothing to write).
    // Word values are compared sign-extended, which keeps both the signed and the unsigned order.
    const cmp = fn === 0x10 ? 'i64.lt_s' : fn === 0x14 ? 'i64.gt_s' : fn === 0x18 ? 'i64.lt_u' : 'i64.gt_u';
    R(rs2);
    if (w) c.op('i32.wrap_i64', 'i64.extend_i32_s');
    c.set(L_TB);
    c.block('amo', () => {
      c.loop('retry', () => {
        c.get(L_XA).atomic(w ? 'i32.atomic.load' : 'i64.atomic.load');
        widen();
        c.set(L_TA);
        // new value into L_TC
        c.get(L_TA).get(L_TB).get(L_TA).get(L_TB).op(cmp, 'select').tee(L_TC);
        c.get(L_TA).op('i64.eq').brIf('amo');
        c.get(L_XA).get(L_TA);
        if (w) c.op('i32.wrap_i64');
        c.get(L_TC);
        if (w) c.op('i32.wrap_i64');
        c.atomic(w ? 'i32.atomic.rmw.cmpxchg' : 'i64.atomic.rmw.cmpxchg');
        widen();
        c.get(L_TA).op('i64.ne').brIf('retry');
      });
    });
    c.get(L_TA);
    W(rd);
  }

  /** MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU: pushes the result. */
  function mulDiv64(f3: number, rs1: number, rs2: number): void {
    R(rs1);
    c.set(L_TA);
    R(rs2);
    c.set(L_TB);
    if (f3 === 0) c.get(L_TA).get(L_TB).op('i64.mul');
    else if (f3 <= 3) emitMulh(c, f3 === 1 ? 2 : f3 === 2 ? 1 : 0, L_TA, L_TB, L_TC, L_TD, L_VA);
    else emitDivRem(c, 64, f3 <= 5, f3 === 4 || f3 === 6, L_TA, L_TB);
  }

  /** DIVW, DIVUW, REMW, REMUW: pushes the i32 result. */
  function divRem32(f3: number, rs1: number, rs2: number): void {
    R32(rs1);
    c.set(L_XA);
    R32(rs2);
    c.set(L_XB);
    emitDivRem(c, 32, f3 <= 5, f3 === 4 || f3 === 6, L_XA, L_XB);
  }

  // The hart's area as a constant, which V8 folds into every access's displacement: one register freed.
  c.i32(area).set(L_AREA);
  clearCaches();
  if (!lazy) {
    for (const r of used) c.get(L_AREA).mem('i64.load', AREA_X + 8 * r).set(L_REG0 + r);
  }
  // Only run when the whole block fits in the budget (else the dispatcher stops short or interprets), with the
  // longest tail it takes in.
  c.get(L_BUDGET).i32(first.length + longestTail).op('i32.lt_s');
  c.if(() => {
    c.get(L_AREA).f64(start).mem('f64.store', AREA_PC);
    c.get(L_AREA).i32(0).mem('i32.store', AREA_LAST_EXIT);
    c.i32(EXIT_BUDGET).op('return');
  });
  c.block('slow', () => {
    if (region) {
      // Trace t's code follows the end of block `t${t}`, in a loop of its own (`again${t}`): a trace goes on
      // with itself or a later one by a direct branch, with an earlier one through the br_table at the top (on
      // L_WHICH, which is 0 at entry). Each is unrolled as a loop block is when it is small and goes on with itself.
      c.loop('top', () => {
        const nest = (t: number): void => {
          if (t === 0) {
            c.get(L_WHICH).brTable(traces.map((_, i) => c.depth(`t${i}`)), c.depth('t0'));
            return;
          }
          c.block(`t${t - 1}`, () => nest(t - 1));
          select(t - 1);
          loopAround(`again${t - 1}`);
        };
        nest(traces.length);
      });
    } else if (loops) loopAround('top');
    else body();
    // Every path through the body has returned or gone to the slow exit.
    c.op('unreachable');
  });
  if (slowUsed) slowExit();
  else c.op('unreachable');
  return c;
}

export const BLOCK_TYPE: readonly [readonly number[], readonly number[]] = [[I32, I32], [I32]];
export { LOCALS as BLOCK_LOCALS, moduleBytes };

/** Whether `insn` is one of a run's own accesses: opcode `op` (a load or a store) through register rs1. */
function runOwn(insn: number, op: number, rs1: number): boolean {
  return (insn & 0x7f) === op && ((insn >>> 15) & 31) === rs1;
}

/** A store's offset: its S-type immediate. */
function storeOffset(insn: number): number {
  return ((insn >> 25) << 5) | ((insn >>> 7) & 0x1f);
}

/** An integer load's or store's offset and size in bytes. */
function runAccess(insn: number): { offset: number; size: number } {
  const f3 = (insn >>> 12) & 7;
  if ((insn & 0x7f) === 0x03) return { offset: insn >> 20, size: 1 << (f3 & 3) };
  return { offset: storeOffset(insn), size: 1 << f3 };
}
