/**
 * The translator's per-hart state and its run loop (the dispatcher). Code runs in the interpreter until a block
 * start (the target of a taken jump or branch) has been reached `tuning.hot` times; then the block (scan.ts) is
 * compiled to a WebAssembly function (compile.ts) in a table slot, and runs there from then on, through the hub
 * (hub.ts), chained to its successors. The interpreter counts the visits itself and stops only at block starts
 * that are hot or compiled (branch-watch.ts), so cold code runs at its speed.
 *
 * Finding blocks: by the RAM page the fetch TLB maps the pc to, then by pc. So a block runs only where the
 * interpreter would fetch the same bytes with the same permissions, and satp writes, SFENCE.VMA and privilege
 * changes need nothing beyond the TLB's own flushes. Chaining (a link cell patched with the successor's slot)
 * is only done between blocks of the same virtual page, which the dispatcher's check of the first block covers.
 *
 * Invalidation: every write to a code page (guest stores, which never hit the store TLB there; page-table A/D
 * updates; device DMA) reaches DecodeCache.written, which drops the page's blocks here: their slots get the stub,
 * which returns to the dispatcher. All this happens in JavaScript, never while translated code runs.
 */
import { TRAP, type Hart } from '../hart.js';
import { runBlock, runSystem } from '../execute.js';
import { translate } from '../mmu.js';
import { COMPILED_BYTES, COUNT_ONE, HOT_TOTAL, markCompiled, mayBeCompiled, RECENT_MASK, watchIndex, type BranchWatch } from '../branch-watch.js';
import { checkInterrupts, takeTrap } from '../trap.js';
import { PRIV_U } from '../constants.js';
import { ACCESS_FETCH, ACCESS_LOAD, TLB_MASK } from '../tlb.js';
import { HART_AREA_BYTES } from '../../memory/ram.js';
import {
  AREA_CELLS,
  AREA_CEXP,
  AREA_COMPILED,
  AREA_COUNTS,
  AREA_CHAINED,
  AREA_CONSOLE_OUT,
  AREA_CONSOLE_RING,
  AREA_FILL_KIND,
  AREA_FILL_VA,
  AREA_JCACHE,
  AREA_LAST_EXIT,
  AREA_MSTATUS,
  AREA_PC,
  AREA_PENDING,
  AREA_PRIV,
  AREA_RESERVATION,
  AREA_RESERVED_VALUE,
  AREA_RETIRED,
  CONSOLE_RING_BYTES,
  JCACHE_SIZE,
  jcacheIndex,
} from './layout.js';
import {
  BLOCK_LOCALS,
  BLOCK_TYPE,
  compileBlock,
  EXIT_BUDGET,
  EXIT_FILL,
  EXIT_SLOW,
  moduleBytes,
  SYSTEM_GO_ON,
  SYSTEM_HELPER_TYPE,
  SYSTEM_RETIRED,
  SYSTEM_TRAPPED,
} from './compile.js';
import { MSTATUS_SIE, MSTATUS_SUM } from '../constants.js';
import { isShared, type FunctionDef } from './wasm-code.js';
import { makeHub, type Hub } from './hub.js';
import { MAX_BLOCK, scanBlock, type BlockInsn } from './scan.js';
import { loopRegion } from './region.js';
import { makeWasmInterpreter, type InterpFn } from './interp-wasm.js';
import { makeCountDecay, type CountDecayFn } from './count-decay.js';
import { compressedTable } from '../compressed.js';

/** What JitHart.fill did. */
const FILLED = 0;
const TRAPPED = 1;
const NOT_FILLED = 2;

/** When blocks get compiled. */
export interface JitTuning {
  /**
   * Block starts reached this many times are compiled. 128 since the WebAssembly interpreter runs cold code
   * 2-4x faster than the TypeScript one did: in-process boot medians 921 -> 801 ms (4 pairs in turns, 64 against
   * 128), shell loop 50k 2.13 -> 2.19 s, gzip and sha256 within noise; 256 made the shell loop 10-25% slower.
   */
  hot: number;
  /**
   * The same for code running privileged (S and M mode: the kernel, the firmware), when set (else `hot`). 256:
   * boot is mostly kernel code that runs a few hundred times, which compiling does not pay for (in-process boot
   * to the prompt, 5 pairs in turns: 870 -> 770 ms; CLI boot medians of 8 pairs 1103 -> 1005 ms), while user
   * code's loops (the shell's) lost 10-25% when all code waited for 256 visits. The workloads measured the same.
   * 1024 since 2026-11-26 (seventh session), with HOT_TOTAL 2048 instead of 1024 (branch-watch.ts): the WebAssembly
   * interpreter became fast enough on boot's code (~10 ns an instruction) that a block compiled at 256 visits
   * (~150 µs all told: generating, validating, Liftoff, instantiating) rarely ran often enough afterwards to pay
   * back, and a boot that compiled nothing at all was faster than one that compiled ~800 blocks. In-process boot
   * to the prompt, 8 rounds in turns with the workloads after it: medians 681 -> 606 ms, and 20 pairs of boots
   * alone: paired ratio 0.94 (geometric mean); a boot compiles ~390 blocks instead of ~810. sha256, gzip and the
   * shell loop in the same runs within noise of before (kernel code a workload keeps busy, the pipe's copy loops,
   * still reaches 2048 visits within a fraction of a second).
   */
  hotPrivileged: number | undefined;
  /** Hot blocks compiled together in one module (the per-module cost is most of a small block's). */
  batch: number;
  /**
   * A partial batch is compiled after this many more interpreted instructions. Fewer, larger modules: ~750
   * blocks a boot came in ~250 modules of 3 (with 40,000 and kernel code compiling at 256 visits), each module
   * ~240 µs of compiling and instantiating on top of its blocks; and blocks spread over more modules run
   * slower for good (the shell loop's ~600 blocks: 66 modules 1.9-2.2 s per 50k iterations however long it
   * ran, 29 modules 1.5 s, 13 modules 1.2 s; perhaps the instances each block's code reaches, or code
   * layout). 500,000 with batches of 64: in-process boot ~720 -> ~680 ms, the shell loop 50k 1.55/1.31 ->
   * 1.45/1.20 s (first/second run), gzip and sha256 the same or faster.
   */
  batchWait: number;
  /**
   * Counts of block starts halve every this many milliseconds of the run, so a block is compiled when it is hot
   * now, not when it has added up `hot` visits over the whole run: much of boot's code runs a few hundred times
   * spread over seconds, and compiling a block costs more than interpreting it that often (boot to the shell, 5
   * pairs in turns: medians 1.97 → 1.70 s; workloads unchanged). Time, not dispatches: halving every 4096
   * dispatches did better on boot but left a loop through more than ~128 cold blocks (the busybox shell's)
   * interpreted for good. A start reached 1024 times in all is hot however slowly (HOT_TOTAL, branch-watch.ts).
   * Tests that count on a block becoming hot, or on the counts choosing a trace's branches, turn it off
   * (Infinity): on a loaded machine their runs take longer, and the counts would depend on it.
   */
  decayMs: number;
  /**
   * Compile in the background (WebAssembly.compile) and install the blocks from the event loop. Off for code
   * that runs harts synchronously and wants compiled blocks at once (tests).
   */
  async: boolean;
  /**
   * With `async`, modules are still compiled at once for this many milliseconds after the translator is made.
   * V8's one background thread (cli/node-flags.ts) then has a backlog of optimizing compiles of the emulator's
   * own functions (~0.4 s of them in a boot, the interpreter's `runBlock` alone ~46 ms), and a module compiled
   * in the background waited behind them while its blocks ran interpreted.
   */
  syncMs: number;
  /**
   * Cold code runs in the WebAssembly interpreter (interp-wasm.ts), which leaves what it does not do to the
   * TypeScript one instruction at a time; false: in the TypeScript interpreter alone, as before.
   */
  wasmInterpreter: boolean;
  /**
   * Blocks on a cycle with other hot blocks of their page are compiled with them (region.ts), below the upper
   * half of the address space (see compileQueued).
   */
  regions: boolean;
  /** Blocks take in short hot traces of their page at their exits to them (compile.ts tailAt), likewise. */
  tails: boolean;
}

export const DEFAULT_TUNING: Readonly<JitTuning> = {
  hot: 128,
  hotPrivileged: 1024,
  batch: 64,
  batchWait: 500_000,
  decayMs: 10,
  async: true,
  syncMs: 1000,
  wasmInterpreter: true,
  regions: true,
  tails: true,
};

/**
 * Host milliseconds between a run loop's returns to its event loop while a translator compiles in the background
 * (JitHart.compiling; Machine.run and the hart workers): installing compiled code waits for the event loop.
 */
export const COMPILING_SLICE_MS = 2;

/** Pieces of one long straight run queued with its first (a bound: each piece is MAX_BLOCK instructions). */
const MAX_CONTINUATIONS = 64;

/** What the dispatcher knows about one block start. */
interface Entry {
  readonly pc: number;
  /** Instructions in the block (translatable ones), or 1 when the first is not translatable. */
  readonly len: number;
  readonly translatable: boolean;
  /** Queued for compiling (or compiled). */
  queued: boolean;
  /** The table slot of the compiled block, or -1. */
  slot: number;
  /**
   * The other pages the trace took in (calls followed, an instruction across the page end), as the fetch TLB
   * mapped them when it was found: compiling scans the same trace with these, whatever the TLB maps by then (the
   * guards check them when the block runs).
   */
  readonly calls: readonly NonNullable<BlockInsn['guard']>[] | undefined;
  /** The conditional branches the trace follows on their taken side, chosen when it was found (see entry). */
  readonly taken: ReadonlySet<number> | undefined;
  /**
   * Where the code goes on when the block stopped only because it was long (MAX_BLOCK), not at a jump or branch:
   * the pc of the next instruction, on RAM page `next.ramPage` (-1 if the fetch TLB did not map its page).
   */
  readonly next: { readonly pc: number; readonly ramPage: number } | undefined;
}

export interface JitStats {
  compiled: number;
  modules: number;
  /**
   * Blocks compiled that take in code from another page: a call followed, or an instruction across a page end
   * (scan.ts).
   */
  callsFollowed: number;
  /** Blocks compiled that follow a conditional branch on its taken side (scan.ts). */
  branchesTaken: number;
  /** Blocks compiled as regions, with the traces of other blocks on a cycle through them (region.ts). */
  regions: number;
  /** Traces of other blocks taken in at exits to them (compile.ts tailAt). */
  tails: number;
  /** Runs of loads or stores through one base register that share one check (compile.ts accessRun). */
  accessRuns: number;
  /** Instructions the dispatcher left to the interpreter (code not compiled). */
  interpreted: number;
  /** Of those, the instructions the WebAssembly interpreter ran (interp-wasm.ts). */
  interpretedWasm: number;
  /** Slow exits: a translated access the interpreter did (a TLB miss, misalignment, a device). */
  slowExits: number;
  /** TLB misses of the WebAssembly interpreter filled by `fill` (the dispatcher's fetch misses among them). */
  fills: number;
  /** Of those misses, the ones whose access faulted, the trap taken there. */
  fillFaults: number;
  /**
   * SYSTEM instructions (SRET, ECALL, WFI, CSR accesses...) run by execute.ts runSystem for the WebAssembly
   * interpreter and the SYSTEM helper, not by a one-instruction runBlock.
   */
  systemDirect: number;
  dropped: number;
  flushes: number;
}

export class JitHart {
  private readonly h: Hart;
  private readonly memory: WebAssembly.Memory;
  private readonly table: WebAssembly.Table;
  private readonly hub: Hub;
  private readonly pages: (Map<number, Entry> | undefined)[];
  /** For a RAM page, the pages with compiled blocks that took in code from it (calls followed, scan.ts). */
  private readonly dependents: (number[] | undefined)[];
  /** RAM pages given a map in `pages` since the last flush (some dropped since): what flush visits. */
  private blockPages: number[] = [];
  /** Hart.parallel when the blocks now known were scanned and compiled (a change flushes them). */
  private parallel: boolean;
  private readonly sharedMemory: boolean;
  private readonly pcView: Float64Array;
  /** The address of the access the WebAssembly interpreter left to have the TLB filled for (AREA_FILL_VA). */
  private readonly fillVa: Float64Array;
  /** The last fill (pc, address, kind): the same again means the fill did not let the access through. */
  private lastFillPc = NaN;
  private lastFillVa = NaN;
  private lastFillKind = -1;
  /** The hart's area as i32s (RETIRED, LAST_EXIT, the link cells). */
  private readonly areaI32: Int32Array;
  /** The console's THR queue in the area (layout.ts AREA_CONSOLE_RING). */
  private readonly consoleRing: Uint8Array;
  /** The jump cache (layout.ts): pc at f64 index 2i, page RAM offset and slot at i32 index 4i + 2, 4i + 3. */
  private readonly jcF64: Float64Array;
  private readonly jcI32: Int32Array;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private nextCell = AREA_CELLS;
  private queue: Entry[] = [];
  private queuePages: number[] = [];
  private waited = 0;
  /** Flushes so far: a module compiled before the last one is stale (its link cells were reused). */
  private flushes = 0;
  /** Modules being compiled in the background. */
  private inFlight = 0;
  /** The WebAssembly interpreter for cold code, made for `parallel`. */
  private interp: InterpFn;
  /** Halves the watch's recent counts (in the area), as branch-watch.ts decayCounts does. */
  private readonly decay: CountDecayFn;

  /**
   * Whether modules are being compiled in the background. V8 finishes an asynchronous compile in steps run from
   * the event loop, so the run loop returns to it more often meanwhile (Machine.run): with a return every 15 ms a
   * batch waited a median 44 ms (1.6 M guest instructions, interpreted meanwhile) to be installed.
   */
  get compiling(): boolean {
    return this.inFlight > 0;
  }
  /** The counts of block starts the interpreter keeps (with the jump cache's pcs), and when they last halved. */
  private readonly watch: BranchWatch;
  private epochStart = performance.now();
  /** When the translator was made (JitTuning.syncMs). */
  private readonly createdAt = performance.now();
  /** Tests compile at once (hot 1, batch 1) to put as much as possible through translated code. */
  readonly tuning: JitTuning = { ...DEFAULT_TUNING };
  readonly stats: JitStats = {
    compiled: 0,
    modules: 0,
    callsFollowed: 0,
    branchesTaken: 0,
    regions: 0,
    tails: 0,
    accessRuns: 0,
    interpreted: 0,
    interpretedWasm: 0,
    slowExits: 0,
    fills: 0,
    fillFaults: 0,
    systemDirect: 0,
    dropped: 0,
    flushes: 0,
  };

  constructor(h: Hart) {
    const memory = h.bus.ram.memory;
    if (memory === undefined || h.area < 0) throw new Error('the translator needs wasm-backed RAM');
    this.h = h;
    this.memory = memory;
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
    this.hub = makeHub(memory, this.table, h.area);
    this.parallel = h.parallel;
    this.sharedMemory = isShared(memory);
    this.pages = new Array<Map<number, Entry> | undefined>(Math.ceil(h.bus.ram.size / 4096)).fill(undefined);
    this.dependents = new Array<number[] | undefined>(this.pages.length).fill(undefined);
    this.pcView = new Float64Array(h.bus.ram.buffer, h.area + AREA_PC, 1);
    this.fillVa = new Float64Array(h.bus.ram.buffer, h.area + AREA_FILL_VA, 1);
    this.areaI32 = new Int32Array(h.bus.ram.buffer, h.area, HART_AREA_BYTES / 4);
    this.consoleRing = new Uint8Array(h.bus.ram.buffer, h.area + AREA_CONSOLE_RING, CONSOLE_RING_BYTES);
    this.jcF64 = new Float64Array(h.bus.ram.buffer, h.area + AREA_JCACHE, JCACHE_SIZE * 2);
    this.jcI32 = new Int32Array(h.bus.ram.buffer, h.area + AREA_JCACHE, JCACHE_SIZE * 4);
    for (let i = 0; i < JCACHE_SIZE; i++) this.jcF64[i * 2] = NaN;
    // In the area, where the wasm interpreter keeps them too.
    this.watch = {
      pcs: this.jcF64,
      compiled: new Uint8Array(h.bus.ram.buffer, h.area + AREA_COMPILED, COMPILED_BYTES).fill(0),
      counts: new Int32Array(h.bus.ram.buffer, h.area + AREA_COUNTS, JCACHE_SIZE).fill(0),
      hot: this.tuning.hot,
    };
    new Int32Array(h.bus.ram.buffer, h.area + AREA_CEXP, 65536).set(compressedTable());
    this.interp = makeWasmInterpreter(memory, this.parallel, this.systemHelper, this.hub.run);
    this.decay = makeCountDecay(memory);
    // Chained, not replaced: the decode cache may be shared by several harts, each with its translator.
    const previous = h.decode.onCodeDropped;
    h.decode.onCodeDropped = (ramPage) => {
      previous(ramPage);
      if (ramPage < 0) this.flush();
      else this.dropPage(ramPage);
    };
  }

  /**
   * What translated code calls for a CSR access (compile.ts): the interpreter runs the one instruction at `pc`,
   * with `before` instructions retired in this run of translated code added to instret meanwhile (a read of
   * instret or cycle counts them; the dispatcher adds them for good). The block goes on unless the access
   * trapped, or changed the privilege, mstatus beyond SIE and SUM (the block reloads the TLB sets SUM selects),
   * or made an interrupt pending and enabled, which must be taken before the next instruction.
   */
  private readonly systemHelper = (pc: number, before: number): number => {
    const h = this.h;
    const a32 = this.areaI32;
    const priv = h.priv;
    // The wasm interpreter or a block may have changed sstatus.SIE and FS in the area (sstatus-sie.ts).
    const mstatus = a32[AREA_MSTATUS >>> 2]!;
    h.mstatus = mstatus;
    h.pc = pc;
    h.reservation = a32[AREA_RESERVATION >>> 2]!;
    h.instret += before;
    let retired = this.runSystemAt(pc);
    if (retired < 0) retired = runBlock(h, 1);
    h.instret -= before + retired;
    // A trap drops the reservation: translated code has it in the area.
    a32[AREA_RESERVATION >>> 2] = h.reservation;
    this.statusToArea();
    if (
      retired !== 0 &&
      h.pc === pc + 4 &&
      h.priv === priv &&
      ((h.mstatus ^ mstatus) & ~(MSTATUS_SIE | MSTATUS_SUM)) === 0 &&
      ((h.mipHw | h.mipSw) & h.mie) === 0
    ) {
      return SYSTEM_GO_ON;
    }
    this.pcView[0] = h.pc;
    return retired !== 0 ? SYSTEM_RETIRED : SYSTEM_TRAPPED;
  };

  /** The RAM page the fetch TLB maps virtual page `pageVa` to now, or -1 (scan.ts follows calls there). */
  private readonly fetchPage = (pageVa: number): number => {
    const idx = ((pageVa | 0) >>> 12) & TLB_MASK;
    const tlb = this.h.tlb;
    return tlb.fetchTags[idx] === pageVa ? tlb.fetchOffs[idx]! >>> 12 : -1;
  };

  /** Forgets the blocks of RAM page `ramPage`, and those of pages whose blocks took in code from it. */
  private dropPage(ramPage: number): void {
    const d = this.dependents[ramPage];
    if (d !== undefined) {
      this.dependents[ramPage] = undefined;
      for (const q of d) this.dropPage(q);
    }
    const m = this.pages[ramPage];
    if (m === undefined) return;
    this.pages[ramPage] = undefined;
    for (const e of m.values()) {
      if (e.slot >= 0) {
        const j = jcacheIndex(e.pc);
        if (this.jcF64[j * 2] === e.pc && this.jcI32[j * 4 + 3] === e.slot) this.jcF64[j * 2] = NaN;
        this.table.set(e.slot, this.hub.stub);
        this.freeSlots.push(e.slot);
        this.stats.dropped++;
      }
    }
  }

  /** Forgets every block, and the link cells. */
  flush(): void {
    for (const p of this.blockPages) this.dropPage(p);
    this.blockPages = [];
    this.dependents.fill(undefined);
    this.areaI32.fill(0, AREA_CELLS / 4, this.nextCell / 4);
    this.nextCell = AREA_CELLS;
    this.watch.compiled.fill(0);
    this.stats.flushes++;
    this.flushes++;
  }

  /**
   * Whether a trace follows a conditional branch to `target`: when the interpreter went there (by taken jumps)
   * at least half as often, recently, as the hot start of the trace needs. The trace then runs through the side
   * the code took while it was interpreted, instead of leaving at every taken branch: a three-block loop of the
   * busybox shell went around through the hub 100 times per shell loop iteration.
   *
   * Not a loop's branch back to a start that has a block of its own already: the trace would run on into the loop
   * body and leave it somewhere in the middle, where another block would start, and so on around a loop longer
   * than a block, each time in another place.
   */
  private readonly takeBranch = (pc: number, target: number, ramPage: number): boolean =>
    (this.watch.counts[watchIndex(target)]! & RECENT_MASK) * 2 >= this.tuning.hot &&
    !(target < pc && this.pages[ramPage]?.get(target)?.queued === true);

  /** The entry for the block at `pc` on RAM page `ramPage`, made (by scanning) if there is none yet. */
  private entry(ramPage: number, pc: number): Entry {
    let m = this.pages[ramPage];
    let e = m?.get(pc);
    if (e === undefined) {
      const { decode, bus } = this.h;
      const insns = scanBlock(pc, ramPage, decode, bus.ram.u16, this.parallel, this.fetchPage, undefined, this.takeBranch);
      let calls: NonNullable<BlockInsn['guard']>[] | undefined;
      let taken: Set<number> | undefined;
      for (const i of insns) {
        if (i.guard !== undefined) (calls ??= []).push(i.guard);
        if (i.taken === true) (taken ??= new Set()).add(i.pc);
      }
      const len = Math.max(1, insns.length);
      e = { pc, len, translatable: insns.length > 0, queued: false, slot: -1, calls, taken, next: this.continuation(insns, ramPage) };
      if (m === undefined) {
        m = new Map();
        this.pages[ramPage] = m;
        this.blockPages.push(ramPage);
        if (this.blockPages.length > this.pages.length) {
          this.blockPages = [];
          for (let p = 0; p < this.pages.length; p++) if (this.pages[p] !== undefined) this.blockPages.push(p);
        }
      }
      m.set(pc, e);
    }
    return e;
  }

  /**
   * Where a trace that stopped at MAX_BLOCK goes on (Entry.next). That code runs as often as the trace, but is
   * reached by falling through, which the interpreter does not count (branch-watch.ts): each piece of a long
   * straight run (blake2s's unrolled rounds, ~1800 instructions) waited for its predecessor to be compiled and
   * then for `hot` visits of its own, and most of boot's 7 M instructions there ran interpreted.
   */
  private continuation(insns: readonly BlockInsn[], ramPage: number): Entry['next'] {
    if (insns.length < MAX_BLOCK) return undefined;
    // Straight runs only: a trace that followed a jump or a branch (a loop's, back to its start) would make the
    // next piece start elsewhere in the loop on each round, and the chain compile the loop many times over.
    for (let i = 1; i < insns.length; i++) if (insns[i]!.pc !== insns[i - 1]!.pc + insns[i - 1]!.len) return undefined;
    const last = insns[insns.length - 1]!;
    const pc = last.pc + last.len;
    const page = pc - ((pc | 0) & 0xfff);
    return { pc, ramPage: page === insns[0]!.pc - ((insns[0]!.pc | 0) & 0xfff) ? ramPage : this.fetchPage(page) };
  }

  private allocSlot(): number {
    const s = this.freeSlots.pop();
    if (s !== undefined) return s;
    if (this.nextSlot >= this.table.length) this.table.grow(this.table.length);
    return this.nextSlot++;
  }

  /** A fresh link cell (area-relative), or 0 when none is left. */
  private allocCell(): number {
    if (this.nextCell + 4 > HART_AREA_BYTES) return 0;
    const c = this.nextCell;
    this.nextCell += 4;
    return c;
  }

  /** Queues a hot block for the next batch; a full batch is compiled at once. */
  private enqueue(e: Entry, ramPage: number): void {
    for (let n = 0; n < MAX_CONTINUATIONS; n++) {
      e.queued = true;
      this.queue.push(e);
      this.queuePages.push(ramPage);
      if (this.queue.length >= this.tuning.batch) this.compileQueued();
      // A long straight run: its next piece is as hot (continuation).
      const next = e.next;
      if (next === undefined || next.ramPage < 0) return;
      e = this.entry(next.ramPage, next.pc);
      ramPage = next.ramPage;
      if (!e.translatable || e.queued) return;
    }
  }

  /**
   * Compiles the queued blocks that are still live into one module (one compile and one instantiation for the
   * batch: the per-module cost is most of the cost of a small block).
   */
  compileQueued(): void {
    const queue = this.queue;
    const pages = this.queuePages;
    this.queue = [];
    this.queuePages = [];
    this.waited = 0;
    if (this.nextCell + 8 * queue.length > HART_AREA_BYTES) this.flush();
    const live: Entry[] = [];
    const livePages: number[] = [];
    const functions: FunctionDef[] = [];
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i]!;
      const ramPage = pages[i]!;
      if (this.pages[ramPage]?.get(e.pc) !== e) continue;
      const other: number[] = [];
      const insns = this.trace(e, ramPage, other);
      if (insns.length !== e.len) {
        // The code changed without a write reaching us (another hart's, before a FENCE.I): find it again.
        this.pages[ramPage]?.delete(e.pc);
        continue;
      }
      if (e.calls !== undefined) this.stats.callsFollowed++;
      if (e.taken !== undefined) this.stats.branchesTaken++;
      const pageVa = e.pc - ((e.pc | 0) & 0xfff);
      // Regions and tails only below the upper half of the address space, which Linux keeps for itself: kernel
      // blocks mostly run a few thousand times in a boot, too few to pay for compiling more code each (boot
      // in-process, 10 pairs: paired 0.875 without tails, 0.949 without regions; with them for the lower half
      // only, neither made a difference, and the workloads were the same or a little faster).
      const lowerHalf = pageVa >= 0;
      const more = this.tuning.regions && lowerHalf ? this.region(insns, pageVa, ramPage, other) : [];
      if (more.length > 0) this.stats.regions++;
      // Only exits to the block's own page are linked: the dispatcher or hub checked that page when it entered the
      // block (an exit to a callee's page may come before the callee's guard).
      const cellFor = (target: number): number =>
        target - pageVa >= 0 && target - pageVa < 4096 ? this.allocCell() : 0;
      // Tails (compile.ts): the other pages of every trace looked at count, taken in or not.
      const tailPages = new Map<number, number[]>();
      const tailAt = this.tuning.tails && lowerHalf ? (pc: number) => this.hotTrace(pc, pageVa, ramPage, tailPages) : undefined;
      const code = compileBlock(insns, cellFor, this.parallel, this.h.area, more, tailAt, this.stats);
      for (const o of tailPages.values()) other.push(...o);
      // A write to a callee's page the block took in must drop the block, as a write to its own page does.
      for (const q of other) {
        const d = this.dependents[q];
        if (d === undefined) this.dependents[q] = [ramPage];
        else if (!d.includes(ramPage)) d.push(ramPage);
      }
      functions.push({ type: 0, locals: BLOCK_LOCALS, code });
      live.push(e);
      livePages.push(ramPage);
    }
    if (live.length === 0) return;
    const bytes = moduleBytes({
      types: [BLOCK_TYPE, SYSTEM_HELPER_TYPE],
      importFunctions: [{ name: 's', type: 1 }],
      memoryPages: this.memory.buffer.byteLength / 65536,
      sharedMemory: this.sharedMemory,
      functions,
    });
    if (!this.tuning.async || performance.now() < this.createdAt + this.tuning.syncMs) {
      this.install(new WebAssembly.Module(bytes), live, livePages, this.flushes);
      return;
    }
    // Compiled on V8's background threads; installed from the event loop, between the machine's slices.
    const flushes = this.flushes;
    this.inFlight++;
    WebAssembly.compile(bytes).then(
      (module) => {
        this.inFlight--;
        this.install(module, live, livePages, flushes);
      },
      (e: unknown) => {
        this.inFlight--;
        throw e;
      },
    );
  }

  /** Entry e's trace scanned again as it was found (its calls followed, its branches taken); its other pages go to `other`. */
  private trace(e: Entry, ramPage: number, other: number[]): BlockInsn[] {
    const calls = e.calls;
    const fetchPage =
      calls === undefined
        ? undefined
        : (va: number): number => {
            const g = calls.find((c) => c.pageVa === va);
            return g === undefined ? -1 : g.ramOffset / 4096;
          };
    const taken = e.taken;
    const takeBranch = (p: number): boolean => taken?.has(p) === true;
    return scanBlock(e.pc, ramPage, this.h.decode, this.h.bus.ram.u16, this.parallel, fetchPage, other, takeBranch);
  }

  /**
   * The traces of the hot blocks of virtual page `pageVa` (RAM page `ramPage`) on a cycle through the block whose
   * trace is `first` (region.ts); the other pages they take in go to `other`.
   */
  private region(first: readonly BlockInsn[], pageVa: number, ramPage: number, other: number[]): BlockInsn[][] {
    const others = new Map<number, number[]>();
    const more = loopRegion(first, (pc) => this.hotTrace(pc, pageVa, ramPage, others));
    for (const t of more) other.push(...others.get(t[0]!.pc)!);
    return more;
  }

  /**
   * The trace of the hot block at `pc` if that is on virtual page `pageVa` (RAM page `ramPage`), as scanned when it
   * was found; the other pages it takes in go to `others` under its pc.
   */
  private hotTrace(pc: number, pageVa: number, ramPage: number, others: Map<number, number[]>): BlockInsn[] | undefined {
    if (pc - pageVa < 0 || pc - pageVa >= 4096) return undefined;
    const f = this.pages[ramPage]?.get(pc);
    if (f === undefined || !f.queued || !f.translatable) return undefined;
    const o: number[] = [];
    const t = this.trace(f, ramPage, o);
    if (t.length !== f.len) return undefined;
    others.set(pc, o);
    return t;
  }

  /** Puts the compiled blocks of `module` in table slots, unless a flush or a write made them stale meanwhile. */
  private install(module: WebAssembly.Module, live: Entry[], livePages: number[], flushes: number): void {
    if (flushes !== this.flushes) return;
    const exports = new WebAssembly.Instance(module, { e: { m: this.memory, s: this.systemHelper } }).exports;
    live.forEach((e, i) => {
      if (this.pages[livePages[i]!]?.get(e.pc) !== e) return;
      e.slot = this.allocSlot();
      this.table.set(e.slot, exports[`f${i}`]);
      const j = jcacheIndex(e.pc);
      markCompiled(this.watch.compiled, e.pc);
      this.setJumpCache(j, e.pc, livePages[i]!, e.slot);
    });
    this.stats.compiled += live.length;
    this.stats.modules++;
  }

  /** Points jump cache entry j at the block in `slot`, at `pc` on RAM page `ramPage`. */
  private setJumpCache(j: number, pc: number, ramPage: number, slot: number): void {
    this.jcF64[j * 2] = pc;
    this.jcI32[j * 4 + 2] = ramPage * 4096;
    this.jcI32[j * 4 + 3] = slot;
  }

  /**
   * Runs cold code in the wasm interpreter from h.pc for up to `budget` (> 0) instructions, and the instruction
   * it stopped before, if it left one to the TypeScript interpreter. Returns the instructions run (as the
   * dispatcher counts them: a trap counts as one). `hot` is the watch's threshold (an i32 to WebAssembly: larger
   * ones are clamped).
   */
  private interpret(budget: number, hot: number): number {
    const h = this.h;
    const a32 = this.areaI32;
    let total = 0;
    for (;;) {
      this.pcView[0] = h.pc;
      a32[AREA_CHAINED >>> 2] = 0;
      // The hub's blocks may run too.
      this.toArea();
      const r = this.interp(h.area, budget - total, hot < 0x7fff_ffff ? hot : 0x7fff_ffff);
      this.drainConsole();
      const retired = this.fromArea();
      const interpreted = retired - a32[AREA_CHAINED >>> 2]!;
      this.stats.interpretedWasm += interpreted;
      this.stats.interpreted += interpreted;
      this.waited += interpreted;
      total += retired;
      if (retired > 0) this.lastFillPc = NaN;
      if (r === EXIT_FILL) {
        // A TLB miss filled: the instruction runs in WebAssembly again, and what follows it. A fault: the trap
        // taken (counted as one instruction, as the dispatcher counts one).
        const f = this.fill(this.fillVa[0]!, a32[AREA_FILL_KIND >>> 2]!);
        if (f === FILLED) continue;
        if (f === TRAPPED) {
          this.stats.interpreted++;
          this.waited++;
          return total + 1;
        }
      } else if (r !== EXIT_SLOW) return total;
      let n = this.runSystemAt(h.pc);
      n = (n >= 0 ? n : runBlock(h, 1, this.watch)) + 1;
      this.stats.interpreted += n;
      this.waited += n;
      return total + n;
    }
  }

  /**
   * The SYSTEM instruction at `pc` run as runBlock(h, 1) would run it (execute.ts runSystem, without runBlock's
   * set-up and fetch: ~2.5 k SRET and ECALL a boot that the WebAssembly interpreter leaves, ~25 k CSR accesses
   * through the SYSTEM helper). Returns what it retired (0: it trapped), or -1 when the instruction is not a
   * SYSTEM one the fetch TLB holds whole (then runBlock runs it).
   */
  private runSystemAt(pc: number): number {
    const h = this.h;
    const off = (pc | 0) & 0xfff;
    const ramPage = off > 0xffc ? -1 : this.fetchPage(pc - off);
    if (ramPage < 0) return -1;
    const at = (ramPage * 4096 + off) >>> 1;
    const u16 = h.bus.ram.u16;
    const insn = u16[at]! | (u16[at + 1]! << 16);
    if ((insn & 0x7f) !== 0x73) return -1;
    this.stats.systemDirect++;
    return runSystem(h, insn);
  }

  /**
   * Fills the TLB for an access of `kind` at `va` by the instruction at h.pc, which then runs in WebAssembly
   * again (FILLED): a TLB miss costs a page walk instead of a trip through the TypeScript interpreter, whose code
   * (one instruction a time, ~10 k times a boot) V8 optimizes late. When the access faults, takes the trap the
   * TypeScript interpreter would (TRAPPED: the WebAssembly interpreter leaves for a fill only once the instruction
   * could raise nothing else, interp-wasm.ts). Otherwise (NOT_FILLED) the instruction must go to the TypeScript
   * interpreter: the page is not one the TLB caches (a device, a store to a code page, PMP on part of it), or this
   * same fill was the last one (it did not let the access through).
   */
  private fill(va: number, kind: number): number {
    const h = this.h;
    if (h.pc === this.lastFillPc && va === this.lastFillVa && kind === this.lastFillKind) {
      this.lastFillPc = NaN;
      return NOT_FILLED;
    }
    try {
      translate(h, va, kind);
    } catch (e) {
      if (e !== TRAP) throw e;
      takeTrap(h, h.trapCause, false, h.trapTvalLo, h.trapTvalHi, h.pc);
      this.stats.fillFaults++;
      return TRAPPED;
    }
    const tlb = h.tlb;
    const off = (va | 0) & 0xfff;
    const tags = kind === ACCESS_FETCH ? tlb.fetchTags : kind === ACCESS_LOAD ? tlb.loadTags : tlb.storeTags;
    if (tags[((va | 0) >>> 12) & TLB_MASK] !== va - off) return NOT_FILLED;
    this.lastFillPc = h.pc;
    this.lastFillVa = va;
    this.lastFillKind = kind;
    this.stats.fills++;
    return FILLED;
  }

  /**
   * Hands the console UART the bytes WebAssembly queued for its THR (layout.ts AREA_CONSOLE_OUT): after every
   * return from WebAssembly, before anything else (an SBI call's output, another UART access) happens.
   */
  private drainConsole(): void {
    const a32 = this.areaI32;
    const n = a32[AREA_CONSOLE_OUT >>> 2]!;
    if (n === 0) return;
    a32[AREA_CONSOLE_OUT >>> 2] = 0;
    this.h.consoleOut?.(this.consoleRing.subarray(0, n));
  }

  /**
   * Before translated code or the WebAssembly interpreter runs: what they read from the area that only the
   * TypeScript side changes (mstatus.FS, the LR/SC reservation and, with harts in parallel, its value).
   */
  private toArea(): void {
    const h = this.h;
    const a32 = this.areaI32;
    this.statusToArea();
    a32[AREA_RESERVATION >>> 2] = h.reservation;
    if (this.parallel) {
      a32[AREA_RESERVED_VALUE >>> 2] = h.reservedLo;
      a32[(AREA_RESERVED_VALUE >>> 2) + 1] = h.reservedHi;
    }
  }

  /** mstatus, the privilege and the interrupts pending and enabled, as translated code may read them (layout.ts). */
  private statusToArea(): void {
    const h = this.h;
    const a32 = this.areaI32;
    a32[AREA_MSTATUS >>> 2] = h.mstatus;
    a32[AREA_PRIV >>> 2] = h.priv;
    a32[AREA_PENDING >>> 2] = (h.mipHw | h.mipSw) & h.mie;
  }

  /** After: the reservation back, the pc they left at; returns the instructions they retired (added to instret). */
  private fromArea(): number {
    const h = this.h;
    const a32 = this.areaI32;
    h.mstatus = a32[AREA_MSTATUS >>> 2]!;
    h.reservation = a32[AREA_RESERVATION >>> 2]!;
    if (this.parallel) {
      h.reservedLo = a32[AREA_RESERVED_VALUE >>> 2]!;
      h.reservedHi = a32[(AREA_RESERVED_VALUE >>> 2) + 1]!;
    }
    const retired = a32[AREA_RETIRED >>> 2]!;
    h.instret += retired;
    h.pc = this.pcView[0]!;
    return retired;
  }

  /** Runs up to `budget` instructions, as runHart does with the interpreter. */
  run(budget: number): void {
    const h = this.h;
    const tlb = h.tlb;
    const area = h.area;
    const a32 = this.areaI32;
    const jcF64 = this.jcF64;
    const jcI32 = this.jcI32;
    const counts = this.watch.counts;
    const watch = this.watch;
    const hotUser = this.tuning.hot;
    const hotPrivileged = this.tuning.hotPrivileged ?? hotUser;
    const wasmInterpreter = this.tuning.wasmInterpreter;
    const hub = this.hub.run;
    let done = 0;
    // The link cell of the exit the last chain left by, to point at the next block if that one is compiled.
    let link = 0;
    if (h.parallel !== this.parallel) {
      // Blocks compiled for one hart alone have plain AMOs and a translated FENCE.I: compile them again.
      this.flush();
      this.parallel = h.parallel;
      this.interp = makeWasmInterpreter(this.memory, this.parallel, this.systemHelper, this.hub.run);
    }
    const now = performance.now();
    const decayMs = this.tuning.decayMs;
    if (now - this.epochStart >= decayMs) {
      this.decay(area, Math.min(16, Math.floor((now - this.epochStart) / decayMs)));
      this.epochStart = now;
    }
    while (done < budget) {
      if (h.waiting) {
        if (((h.mipHw | h.mipSw) & h.mie) === 0) return;
        h.waiting = false;
      }
      if (((h.mipHw | h.mipSw) & h.mie) !== 0 && checkInterrupts(h)) link = 0;
      const left = budget - done;
      const hot = h.priv === PRIV_U ? hotUser : hotPrivileged;
      watch.hot = hot;
      const pc = h.pc;
      const plo = pc | 0;
      const poff = plo & 0xfff;
      const idx = (plo >>> 12) & TLB_MASK;
      if (tlb.fetchTags[idx] !== pc - poff) {
        // The WebAssembly interpreter runs just that instruction (not counted as a visit), having the TLB filled
        // for it (fill); the TypeScript interpreter refills it itself.
        link = 0;
        if (wasmInterpreter) {
          done += this.interpret(1, hot);
          continue;
        }
        const n = runBlock(h, left, watch) + 1;
        done += n;
        this.stats.interpreted += n;
        continue;
      }
      const ramPage = tlb.fetchOffs[idx]! >>> 12;
      const j = jcacheIndex(pc);
      let slot = -1;
      if (jcF64[j * 2] === pc && jcI32[j * 4 + 2] === ramPage * 4096) slot = jcI32[j * 4 + 3]!;
      else {
        const c = counts[j]! + COUNT_ONE;
        counts[j] = c;
        if (mayBeCompiled(watch.compiled, pc)) {
          // A compiled block's pc has this bit, and the jump cache entry went to another one's: this one?
          const e = this.pages[ramPage]?.get(pc);
          if (e !== undefined && e.slot >= 0) {
            slot = e.slot;
            this.setJumpCache(j, pc, ramPage, slot);
          }
        }
        if (slot < 0 && ((c & RECENT_MASK) >= hot || c >= HOT_TOTAL)) {
          // Half, not nothing: the count tells traces found later which way branches here went (takeBranch).
          counts[j] = hot >>> 1;
          const e = this.entry(ramPage, pc);
          if (e.translatable && !e.queued) this.enqueue(e, ramPage);
          // Compiled at once (tests compile synchronously): install filled the jump cache.
          slot = e.slot;
        }
      }
      if (slot < 0) {
        link = 0;
        if (wasmInterpreter) done += this.interpret(left, hot);
        else {
          const n = runBlock(h, left, watch) + 1;
          done += n;
          this.stats.interpreted += n;
          this.waited += n;
        }
        if (this.queue.length > 0 && this.waited >= this.tuning.batchWait) this.compileQueued();
        continue;
      }
      if (link !== 0) a32[link >>> 2] = slot + 1;
      a32[AREA_RETIRED >>> 2] = 0;
      this.toArea();
      const r = hub(area, slot, left);
      this.drainConsole();
      const retired = this.fromArea();
      done += retired;
      link = a32[AREA_LAST_EXIT >>> 2]!;
      if (r === EXIT_SLOW) {
        // A slow access: the interpreter does that one instruction (the WebAssembly one first, which does the
        // console UART's accesses and goes on; the TypeScript one does the rest).
        this.stats.slowExits++;
        link = 0;
        if (done < budget) done += wasmInterpreter ? this.interpret(budget - done, hot) : runBlock(h, 1) + 1;
      } else if (r === EXIT_BUDGET && retired === 0) {
        // The block is longer than what is left. Having run something, stop short: the next call runs the block
        // whole. (The TypeScript interpreter finished every budget before: a loop block that ran for the whole
        // budget left it up to a pass of instructions each time, ~4% of bench:mips's time in a profile.)
        // Having run nothing, the interpreter makes progress.
        if (done > 0) return;
        link = 0;
        done += runBlock(h, left) + 1;
      }
    }
  }
}
