/**
 * The translator's interpreter for cold code, in WebAssembly. It fetches, decodes and executes the instructions
 * translated code has (RV64I, M, A, compressed ones through compressed.ts's table, loads and stores that hit the
 * TLB; CSR accesses and SFENCE.VMA through the translator's helper, but those to sstatus that change only SIE
 * and FS and those to sscratch, sepc, scause and stval, which it does itself: sstatus-sie.ts, plain-csrs.ts) on the
 * hart's area: registers as i64, the TLB sets in use, the jump cache
 * and the branch watch's counts and compiled bitmap (layout.ts). Compiling a block costs over 100 µs; boot's cold
 * code runs a few hundred times and never pays for it, and the TypeScript interpreter, on (lo, hi) pairs, runs it
 * at ~60 M instructions/s.
 *
 * It stops (returning the code, with the pc and the instructions retired in the area as a block leaves them):
 * - EXIT_BUDGET when `budget` instructions have retired;
 * - EXIT_FILL before an instruction whose fetch (of either half of an instruction across a page end), load or
 *   store missed the TLB, with the access's kind and address in the area (AREA_FILL_KIND, AREA_FILL_VA): the
 *   translator fills the TLB (a page walk, or the trap the access raises) and calls it again at the same
 *   instruction (jit-hart.ts fill). Only once the instruction can raise nothing but that access's fault, and
 *   when its base and address are integers a double holds exactly (what a fault reports);
 * - EXIT_SLOW before an instruction it leaves to the TypeScript interpreter: anything else (SYSTEM other than
 *   CSR accesses and SFENCE.VMA, FP other than loads and stores, FP loads and stores with mstatus.FS not as
 *   translated blocks need it, AMOs and FENCE with harts in parallel, illegal encodings), a misaligned access,
 *   an access the TLB cannot cache after a fill (a device, a store to a code page, which is never in the store
 *   TLB), a `jalr` whose operands or target a double does not hold exactly (the interpreter computes addresses
 *   as doubles);
 * - EXIT_SYSTEM after a CSR access the block would leave after too (see the SYSTEM case), or before one that
 *   trapped;
 * - EXIT_JUMP after a taken jump or branch whose target the watch picks out, as the TypeScript interpreter's
 *   watch does (branch-watch.ts): its bit in the compiled bitmap is set but the jump cache does not hold it (or
 *   holds it for another RAM page than the fetch TLB maps it to now), or it has just become hot (`hot` recent
 *   visits, or HOT_TOTAL in all). The bitmap is checked first: every pc in the jump cache has its bit set.
 *
 * A taken jump to a block in the jump cache runs it (and the blocks it chains to) through the hub (hub.ts), with
 * no return to JavaScript: when a block leaves by a jump the hub cannot follow, interpretation goes on at its
 * target, and when it leaves before an access it cannot make (slow), interpretation goes on with that access;
 * any other exit of a block (system, budget) is returned as this function's own. The instructions those blocks
 * retired are counted in AREA_CHAINED as well as in the total.
 *
 * The console's UART: a byte load of its LSR or store to its THR that misses the TLB is done here when the TLB
 * published the UART's page for the context in use and the UART's state makes the access side-effect free
 * (layout.ts AREA_CONSOLE_*, machine/console-fast-path.ts): LSR's value is read from the area, THR's byte queued
 * in it. Linux's 8250 console makes these two accesses per character, each a trip to TypeScript otherwise.
 *
 * Every value is the one the TypeScript interpreter computes (the differential tests compare them). It keeps no
 * decoded code, so writes to code need nothing here.
 */
import { readFileSync } from 'node:fs';
import { Code, F64, I32, I64, isShared, moduleBytes } from './wasm-code.js';
import {
  AREA_CEXP,
  AREA_CHAINED,
  AREA_COMPILED,
  AREA_CONSOLE_IO,
  AREA_CONSOLE_LSR,
  AREA_CONSOLE_OUT,
  AREA_CONSOLE_RING,
  AREA_CONSOLE_THR,
  AREA_COUNTS,
  AREA_CSR,
  AREA_F,
  AREA_FETCH_SET,
  AREA_FILL_KIND,
  AREA_FILL_VA,
  AREA_JCACHE,
  AREA_LOAD_SET,
  AREA_MSTATUS,
  AREA_PC,
  AREA_RESERVATION,
  AREA_RETIRED,
  AREA_STORE_SET,
  CONSOLE_LSR,
  CONSOLE_RING_BYTES,
  CONSOLE_THR,
  JCACHE_SIZE,
} from './layout.js';
import { EXIT_BUDGET, EXIT_FILL, EXIT_JUMP, EXIT_SLOW, EXIT_SYSTEM, SYSTEM_HELPER_TYPE, SYSTEM_RETIRED } from './compile.js';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE } from '../tlb.js';
import { COMPILED_BYTES, COUNT_ONE, HOT_TOTAL, RECENT_MASK } from '../branch-watch.js';
import { sstatusCommit, sstatusSie } from './sstatus-sie.js';
import { emitIsEpc, emitIsPlainCsr, plainCsrAccess, plainCsrAllowed } from './plain-csrs.js';
import { CSR, MSTATUS_FS } from '../constants.js';
import { emitDivRem, emitMulh } from './wasm-muldiv.js';
import { emitTlbOffset, emitTlbTag, emitTlbWays } from './tlb-lookup.js';
import type { HubFn } from './hub.js';

/** (area, budget, hot) -> exit code. */
export type InterpFn = (area: number, budget: number, hot: number) => number;
/** The function indices of the imports: the SYSTEM helper, the hub (hub.ts HubFn). */
const SYSTEM = 0;
const HUB = 1;
/** The translator's helper for SYSTEM instructions (jit-hart.ts systemHelper): (pc, retired before) -> code. */
export type SystemHelper = (pc: number, before: number) => number;

// Parameters, then locals.
const AREA = 0;
const BUDGET = 1;
const HOT = 2;
const PC = 3; // i64
const A = 4; // rs1's value
const B = 5; // rs2's value
const T = 6; // an immediate, a jump target
const VA = 7;
const FPAGE = 8; // the virtual page fetched from (page aligned), or 1 for none
const N = 9; // i32 from here: instructions retired
const INSN = 10;
const RD = 11; // the byte address of rd in the area
const ILEN = 12;
const FBASE = 13; // the RAM offset of FPAGE
const IDX = 14;
const X = 15;
const Y = 16;
const CODE = 17;
const U = 18; // i64: a partial product of mulhu, an AMO's old value
const V = 19; // i64: an AMO's operand
const SW32 = 20; // i32: emitTlbWays' temporaries (tlb-lookup.ts)
const SWF = 21; // f64
const LOCALS: readonly (readonly [number, number])[] = [
  [6, I64],
  [9, I32],
  [2, I64],
  [1, I32],
  [1, F64],
];
/** emitTlbWays' temporaries: U is free around every lookup (an AMO sets it after its access). */
const SWAP = { i32: SW32, i64: U, f64: SWF } as const;

/**
 * The TLB sets a fetch, load or store looks up, named by where the area holds the address of the set in use
 * (tlb.ts `select` writes them; read where needed: kept in locals, they were three more values live around the
 * loop, which V8 kept in stack slots with the interpreter's own state).
 */
const FSET = AREA_FETCH_SET;
const LSET = AREA_LOAD_SET;
const SSET = AREA_STORE_SET;

/** SFENCE.VMA's bits but rs1 and rs2 (rd and funct3 are 0). */
const SFENCE_VMA = 0x1200_0073;

/** |v| <= 2^53: a double holds v (and the interpreter's sums of such values) exactly. */
const TWO53 = 2 ** 53;

function body(parallel: boolean): Code {
  const c = new Code(16384);
  /** Leaves with `code` (the pc and N are written after the loop). */
  const leave = (code: number): void => void c.i32(code).set(CODE).br('out');
  const slow = (): void => leave(EXIT_SLOW);
  /** Leaves for the translator to fill the TLB for an access of `kind` at the address in i64 local `va`. */
  const fill = (kind: number, va: number) => (): void => {
    c.get(AREA).get(va).op('f64.convert_i64_s').mem('f64.store', AREA_FILL_VA);
    c.get(AREA).i32(kind).mem('i32.store', AREA_FILL_KIND);
    leave(EXIT_FILL);
  };
  /** Pops an i64 into rd, and keeps x0 zero; then on to the next instruction. */
  const result = (): void => {
    c.set(T).get(RD).get(T).mem('i64.store');
    c.get(AREA).i64(0).mem('i64.store');
    c.br('next');
  };
  /** A switch on the i32 `index()` pushes: cases[k] (null: `dflt`) must branch away. */
  let switches = 0;
  const sw = (index: () => void, cases: readonly ((() => void) | null)[], dflt: () => void): void => {
    const id = switches++;
    const lab = (k: number | string): string => `s${id}.${k}`;
    const present = cases.flatMap((f, k) => (f !== null ? [k] : []));
    const open = (j: number): void => {
      if (j < 0) {
        index();
        const depths = cases.map((f, k) => c.depth(f !== null ? lab(k) : lab('d')));
        c.brTable(depths, c.depth(lab('d')));
        return;
      }
      c.block(lab(present[j]!), () => open(j - 1));
      cases[present[j]!]!();
      c.op('unreachable');
    };
    c.block(lab('d'), () => open(present.length - 1));
    dflt();
  };
  /**
   * The funct3 of the case of the dispatch on (opcode, funct3) being emitted (see the dispatch below): every
   * instruction's code is emitted for one funct3, as a constant.
   */
  let knownF3 = -1;
  const caseF3 = (): number => {
    if (knownF3 < 0) throw new Error('interp-wasm: funct3 outside a case of the dispatch');
    return knownF3;
  };
  /** What a switch on funct3 would run for this case's funct3 (null: `dflt`). */
  const swF3 = (cases: readonly ((() => void) | null)[], dflt: () => void): void => void (cases[caseF3()] ?? dflt)();
  const immI = (): void => void c.get(INSN).i32(20).op('i32.shr_s');
  /** Pushes a store's immediate (i32). */
  const immS = (): void =>
    void c.get(INSN).i32(25).op('i32.shr_s').i32(5).op('i32.shl').get(INSN).i32(7).op('i32.shr_u').i32(0x1f).op('i32.and', 'i32.or');
  const bit30 = (): void => void c.get(INSN).i32(0x4000_0000).op('i32.and');
  const f7 = (): void => void c.get(INSN).i32(25).op('i32.shr_u');
  const outOfRange = (local: number): void => void c.get(local).i64(TWO53).op('i64.add').i64(2 * TWO53).op('i64.gt_u');

  /** Pushes the address of the TLB set in use for fetches, loads or stores (FSET, LSET, SSET). */
  const pushSet = (set: number): void => void c.get(AREA).mem('i32.load', set);
  /** Sets IDX to the TLB entry of the address in i64 local `va` and pushes that entry's i64 tag in `set`. */
  const tlbTag = (va: number, set: number): void => emitTlbTag(c, va, IDX, () => pushSet(set));
  /** Pushes the RAM offset of entry IDX in `set`. */
  const tlbOffset = (set: number): void => emitTlbOffset(c, IDX, () => pushSet(set));
  /**
   * A load or store at VA (rs1's value A plus an offset) that missed the TLB or is misaligned: a misaligned one
   * goes to the TypeScript interpreter, and so does one whose base or address a double does not hold exactly
   * (the TypeScript interpreter's address, a sum of doubles, is what a fault reports then); else the translator
   * fills the TLB (fill) and the instruction runs here again.
   */
  const missData = (kind: number) => (): void => {
    c.get(VA).op('i32.wrap_i64').i32((1 << (caseF3() & 3)) - 1).op('i32.and').if(slow);
    outOfRange(VA);
    outOfRange(A);
    c.op('i32.or').if(slow);
    fill(kind, VA)();
  };
  /**
   * The TLB lookup of an access at VA through the set whose address is in `set`, of 1 << (funct3 & 3) bytes, in
   * both ways (a page a block left for because another took its entry is in the second: tlb-lookup.ts
   * emitTlbWays); unless it hits and is aligned, runs `miss` (which leaves: by default, missData), else pushes the
   * linear address (an i32).
   */
  const access = (set: number, miss: () => void = missData(set === SSET ? ACCESS_STORE : ACCESS_LOAD)): void => {
    const mask = -4096 | ((1 << (caseF3() & 3)) - 1);
    emitTlbWays(c, VA, IDX, () => pushSet(set), () => void c.get(VA).i64(mask).op('i64.and'), miss, SWAP);
    c.get(VA).op('i32.wrap_i64').i32(0xfff).op('i32.and').op('i32.add');
  };

  /** No fetch page yet (after the TLB sets may have changed: the fetch set is another one, or was refilled). */
  const forgetFetchPage = (): void => {
    c.i64(1).set(FPAGE);
  };
  /**
   * A CSR access (funct3 not 0 or 4) to sstatus that changes only SIE and FS is done here (sstatus-sie.ts);
   * anything else goes on.
   */
  const sstatus = (): void => {
    if ((caseF3() & 3) === 0) return;
    c.get(INSN).i32(20).op('i32.shr_u').i32(CSR.sstatus).op('i32.eq').if(() => {
      sstatusSie(c, AREA, X, Y, caseF3(), () => {
        if ((caseF3() & 4) !== 0) c.get(INSN).i32(15).op('i32.shr_u').i32(31).op('i32.and');
        else c.get(A).op('i32.wrap_i64');
      });
      c.if(() => {
        sstatusCommit(c, AREA, X, Y);
        result();
      });
    });
  };
  /**
   * A CSR access (funct3 not 0 or 4) to sscratch, sepc, scause or stval, or to their M-mode counterparts, at a
   * privilege that may make it, is done here (plain-csrs.ts); anything else goes on.
   */
  const plainCsrs = (): void => {
    const f3c = caseF3();
    if ((f3c & 3) === 0) return;
    emitIsPlainCsr(c, () => void c.get(INSN).i32(20).op('i32.shr_u').tee(X));
    plainCsrAllowed(c, AREA, () => void c.get(X));
    c.op('i32.and').if(() => {
      plainCsrAccess(
        c,
        () => void c.get(AREA).get(X).i32(3).op('i32.shl', 'i32.add'),
        AREA_CSR,
        () => emitIsEpc(c, () => void c.get(X)),
        f3c,
        () => {
          if ((f3c & 4) !== 0) c.get(INSN).i32(15).op('i32.shr_u').i32(31).op('i32.and', 'i64.extend_i32_u');
          else c.get(A);
        },
        U,
      );
      result();
    });
  };
  /**
   * Pushes whether VA is register `reg` of the console's UART page as the TLB published it (layout.ts
   * AREA_CONSOLE_IO) for the set in `set` (the context in use) at `entry` (the load or the store entry).
   */
  const consoleRegister = (set: number, entry: number, reg: number): void => {
    c.get(VA).i64(-4096).op('i64.and').get(AREA).mem('i64.load', AREA_CONSOLE_IO + entry).op('i64.eq');
    pushSet(set);
    c.get(AREA).mem('i32.load', AREA_CONSOLE_IO + entry + 8).op('i32.eq', 'i32.and');
    c.get(VA).op('i32.wrap_i64').i32(0xfff).op('i32.and').i32(reg).op('i32.eq', 'i32.and');
  };
  /** A byte load that missed the TLB: the UART's LSR, when reading it has no effects; else as missData. */
  const consoleLoad = (): void => {
    consoleRegister(LSET, 0, CONSOLE_LSR);
    c.if(() => {
      c.get(AREA).mem('i32.load', AREA_CONSOLE_LSR).tee(X).i32(0).op('i32.ge_s').if(() => {
        if (caseF3() === 0) c.get(X).i32(24).op('i32.shl').i32(24).op('i32.shr_s', 'i64.extend_i32_s');
        else c.get(X).op('i64.extend_i32_u');
        result();
      });
    });
    missData(ACCESS_LOAD)();
  };
  /** A byte store that missed the TLB: the UART's THR, queued when it only transmits; else as missData. */
  const consoleStore = (): void => {
    consoleRegister(SSET, 16, CONSOLE_THR);
    c.get(AREA).mem('i32.load', AREA_CONSOLE_THR).op('i32.and');
    c.get(AREA).mem('i32.load', AREA_CONSOLE_OUT).tee(X).i32(CONSOLE_RING_BYTES).op('i32.lt_u', 'i32.and');
    c.if(() => {
      c.get(AREA).get(X).op('i32.add').get(B).mem('i64.store8', AREA_CONSOLE_RING);
      c.get(AREA).get(X).i32(1).op('i32.add').mem('i32.store', AREA_CONSOLE_OUT);
      c.br('next');
    });
    missData(ACCESS_STORE)();
  };
  /**
   * At the start of the case for major opcode `major` (opcode >> 2): rs1's value into A, rs2's into B and rd's
   * address in the area into RD, as far as that opcode uses them. Loaded before the dispatch, all three were live
   * into every case, and V8 kept them (and the instruction with them) in stack slots around the loop.
   */
  const operands = (major: number): void => {
    const op = (major << 2) | 3;
    const usesA = op !== 0x37 && op !== 0x17 && op !== 0x6f && op !== 0x0f;
    const usesB = op === 0x23 || op === 0x63 || op === 0x33 || op === 0x3b || op === 0x2f;
    const usesRD = op !== 0x23 && op !== 0x27 && op !== 0x63 && op !== 0x0f;
    if (usesA) c.get(AREA).get(INSN).i32(12).op('i32.shr_u').i32(0xf8).op('i32.and').op('i32.add').mem('i64.load').set(A);
    if (usesB) c.get(AREA).get(INSN).i32(17).op('i32.shr_u').i32(0xf8).op('i32.and').op('i32.add').mem('i64.load').set(B);
    if (usesRD) c.get(AREA).get(INSN).i32(4).op('i32.shr_u').i32(0xf8).op('i32.and').op('i32.add').set(RD);
  };
  const ops: ((() => void) | null)[] = new Array<(() => void) | null>(32).fill(null);
  ops[0x03 >> 2] = () => {
    // LOAD
    if (caseF3() === 7) {
      slow();
      return;
    }
    c.get(A);
    immI();
    c.op('i64.extend_i32_s', 'i64.add').set(VA);
    access(LSET, (caseF3() & 3) === 0 ? consoleLoad : undefined);
    c.set(X);
    const ld = (name: 'i64.load8_s' | 'i64.load16_s' | 'i64.load32_s' | 'i64.load' | 'i64.load8_u' | 'i64.load16_u' | 'i64.load32_u') =>
      (): void => {
        c.get(X).mem(name);
        result();
      };
    swF3([ld('i64.load8_s'), ld('i64.load16_s'), ld('i64.load32_s'), ld('i64.load'), ld('i64.load8_u'), ld('i64.load16_u'), ld('i64.load32_u')], slow);
  };
  ops[0x23 >> 2] = () => {
    // STORE
    if (caseF3() > 3) {
      slow();
      return;
    }
    c.get(A);
    immS();
    c.op('i64.extend_i32_s', 'i64.add').set(VA);
    access(SSET, caseF3() === 0 ? consoleStore : undefined);
    c.set(X);
    const st = (name: 'i64.store8' | 'i64.store16' | 'i64.store32' | 'i64.store') =>
      (): void => {
        c.get(X).get(B).mem(name);
        c.br('next');
      };
    swF3([st('i64.store8'), st('i64.store16'), st('i64.store32'), st('i64.store')], slow);
  };
  /**
   * FLW, FLD, FSW, FSD, as translated blocks have them (compile.ts): with FS off the TypeScript interpreter makes
   * them illegal, and a load sets FS dirty, so a load needs FS dirty already and a store FS on; otherwise, and
   * for any other width, the TypeScript interpreter does the instruction. The FP registers are in the area
   * (AREA_F); FLW NaN-boxes (the upper half all ones). Linux restores a task's 32 FP registers at every switch
   * to it: ~50 k loads in a piped sha256sum of 32 MiB, each a trip to TypeScript before.
   */
  const fpAccess = (load: boolean): void => {
    const f3c = caseF3();
    if (f3c !== 2 && f3c !== 3) {
      slow();
      return;
    }
    c.get(AREA).mem('i32.load', AREA_MSTATUS).i32(MSTATUS_FS).op('i32.and');
    if (load) c.i32(MSTATUS_FS).op('i32.ne');
    else c.op('i32.eqz');
    c.if(slow);
    c.get(A);
    if (load) immI();
    else immS();
    c.op('i64.extend_i32_s', 'i64.add').set(VA);
    access(load ? LSET : SSET);
    c.set(X);
    if (load) {
      // RD is the area's address of x[rd]; f[rd] is AREA_F further.
      if (f3c === 3) c.get(RD).get(X).mem('i64.load').mem('i64.store', AREA_F);
      else {
        c.get(RD).get(X).mem('i32.load').mem('i32.store', AREA_F);
        c.get(RD).i32(-1).mem('i32.store', AREA_F + 4);
      }
    } else {
      c.get(X).get(AREA).get(INSN).i32(17).op('i32.shr_u').i32(0xf8).op('i32.and', 'i32.add');
      if (f3c === 3) c.mem('i64.load', AREA_F).mem('i64.store');
      else c.mem('i32.load', AREA_F).mem('i32.store');
    }
    c.br('next');
  };
  ops[0x07 >> 2] = () => fpAccess(true);
  ops[0x27 >> 2] = () => fpAccess(false);
  ops[0x13 >> 2] = () => {
    // OP-IMM
    immI();
    c.op('i64.extend_i32_s').set(T);
    const bin = (op: 'i64.add' | 'i64.xor' | 'i64.or' | 'i64.and' | 'i64.shl') => (): void => {
      c.get(A).get(T).op(op);
      result();
    };
    const cmp = (op: 'i64.lt_s' | 'i64.lt_u') => (): void => {
      c.get(A).get(T).op(op, 'i64.extend_i32_u');
      result();
    };
    swF3(
      [
        bin('i64.add'),
        () => {
          c.get(INSN).i32(26).op('i32.shr_u').if(slow);
          bin('i64.shl')();
        },
        cmp('i64.lt_s'),
        cmp('i64.lt_u'),
        bin('i64.xor'),
        () => {
          // srli / srai: bits 31:26 are 0 or 0x10.
          c.get(INSN).i32(26).op('i32.shr_u').i32(0x10).op('i32.or').i32(0x10).op('i32.ne').if(slow);
          c.get(A).get(T).op('i64.shr_s').get(A).get(T).op('i64.shr_u');
          bit30();
          c.op('select');
          result();
        },
        bin('i64.or'),
        bin('i64.and'),
      ],
      slow,
    );
  };
  ops[0x1b >> 2] = () => {
    // OP-IMM-32
    c.get(A).op('i32.wrap_i64').set(X);
    immI();
    c.set(Y);
    const w = (emit: () => void) => (): void => {
      emit();
      c.op('i64.extend_i32_s');
      result();
    };
    swF3(
      [
        w(() => c.get(X).get(Y).op('i32.add')),
        () => {
          f7();
          c.if(slow);
          w(() => c.get(X).get(Y).op('i32.shl'))();
        },
        null,
        null,
        null,
        () => {
          f7();
          c.i32(0x20).op('i32.or').i32(0x20).op('i32.ne').if(slow);
          w(() => {
            c.get(X).get(Y).op('i32.shr_s').get(X).get(Y).op('i32.shr_u');
            bit30();
            c.op('select');
          })();
        },
        null,
        null,
      ],
      slow,
    );
  };
  /**
   * OP and OP-32 with funct7 other than 0: 0x20 is `sub` (funct3 0) or `sra` (5), 1 the M extension (`m`),
   * anything else illegal. funct7 0 goes on after this.
   */
  const funct7 = (sub: () => void, sra: () => void, m: () => void): void => {
    f7();
    c.if(() => {
      f7();
      c.i32(0x20).op('i32.eq').if(() => {
        if (caseF3() === 0) sub();
        else if (caseF3() === 5) sra();
        else slow();
      });
      f7();
      c.i32(1).op('i32.ne').if(slow);
      m();
    });
  };
  ops[0x33 >> 2] = () => {
    // OP: funct7 0, 0x20 (sub, sra) or 1 (M).
    const bin = (op: 'i64.add' | 'i64.sub' | 'i64.shl' | 'i64.xor' | 'i64.shr_u' | 'i64.shr_s' | 'i64.or' | 'i64.and' | 'i64.mul') =>
      (): void => {
        c.get(A).get(B).op(op);
        result();
      };
    const cmp = (op: 'i64.lt_s' | 'i64.lt_u') => (): void => {
      c.get(A).get(B).op(op, 'i64.extend_i32_u');
      result();
    };
    funct7(bin('i64.sub'), bin('i64.shr_s'), () =>
      swF3(
        [
          bin('i64.mul'),
          mulh(2),
          mulh(1),
          mulh(0),
          div64(true, true),
          div64(true, false),
          div64(false, true),
          div64(false, false),
        ],
        slow,
      ),
    );
    swF3(
      [bin('i64.add'), bin('i64.shl'), cmp('i64.lt_s'), cmp('i64.lt_u'), bin('i64.xor'), bin('i64.shr_u'), bin('i64.or'), bin('i64.and')],
      slow,
    );
  };
  /** MULH, MULHSU, MULHU (`signed` 2, 1, 0) of A and B. */
  const mulh = (signed: 0 | 1 | 2) => (): void => {
    emitMulh(c, signed, A, B, T, VA, U);
    result();
  };
  /** DIV, DIVU, REM, REMU of A and B. */
  const div64 = (div: boolean, signed: boolean) => (): void => {
    emitDivRem(c, 64, div, signed, A, B);
    result();
  };
  ops[0x3b >> 2] = () => {
    // OP-32
    c.get(A).op('i32.wrap_i64').set(X);
    c.get(B).op('i32.wrap_i64').set(Y);
    const w = (emit: () => void) => (): void => {
      emit();
      c.op('i64.extend_i32_s');
      result();
    };
    const bin = (op: 'i32.add' | 'i32.sub' | 'i32.shl' | 'i32.shr_u' | 'i32.shr_s' | 'i32.mul') => w(() => c.get(X).get(Y).op(op));
    const div32 = (div: boolean, signed: boolean) => w(() => emitDivRem(c, 32, div, signed, X, Y));
    funct7(bin('i32.sub'), bin('i32.shr_s'), () =>
      swF3([bin('i32.mul'), null, null, null, div32(true, true), div32(true, false), div32(false, true), div32(false, false)], slow),
    );
    swF3([bin('i32.add'), bin('i32.shl'), null, null, null, bin('i32.shr_u'), null, null], slow);
  };
  ops[0x37 >> 2] = () => {
    // LUI
    c.get(INSN).i32(-4096).op('i32.and', 'i64.extend_i32_s');
    result();
  };
  ops[0x17 >> 2] = () => {
    // AUIPC
    c.get(PC).get(INSN).i32(-4096).op('i32.and', 'i64.extend_i32_s', 'i64.add');
    result();
  };
  /** Writes pc + ilen to rd (the link of JAL and JALR); x0 stays zero. */
  const link = (): void => {
    c.get(RD).get(PC).get(ILEN).op('i64.extend_i32_u', 'i64.add').mem('i64.store');
    c.get(AREA).i64(0).mem('i64.store');
  };
  ops[0x6f >> 2] = () => {
    // JAL
    link();
    c.get(PC);
    c.get(INSN).i32(31).op('i32.shr_s').i32(20).op('i32.shl');
    c.get(INSN).i32(0xff000).op('i32.and', 'i32.or');
    c.get(INSN).i32(20).op('i32.shr_u').i32(1).op('i32.and').i32(11).op('i32.shl', 'i32.or');
    c.get(INSN).i32(21).op('i32.shr_u').i32(0x3ff).op('i32.and').i32(1).op('i32.shl', 'i32.or');
    c.op('i64.extend_i32_s', 'i64.add').set(T).br('taken');
  };
  ops[0x67 >> 2] = () => {
    // JALR: the interpreter's target, rs1 + imm in doubles with bit 0 cleared, exact while both are within 2^53.
    if (caseF3() !== 0) {
      slow();
      return;
    }
    c.get(A);
    immI();
    c.op('i64.extend_i32_s', 'i64.add').set(T);
    outOfRange(A);
    outOfRange(T);
    c.op('i32.or').if(slow);
    c.get(T).i64(-2).op('i64.and').set(T);
    link();
    c.br('taken');
  };
  ops[0x63 >> 2] = () => {
    // BRANCH
    const br = (op: 'i64.eq' | 'i64.ne' | 'i64.lt_s' | 'i64.ge_s' | 'i64.lt_u' | 'i64.ge_u') => (): void => {
      c.get(A).get(B).op(op).brIf('branch');
      c.br('next');
    };
    c.block('branch', () => {
      swF3([br('i64.eq'), br('i64.ne'), null, null, br('i64.lt_s'), br('i64.ge_s'), br('i64.lt_u'), br('i64.ge_u')], slow);
    });
    c.get(PC);
    c.get(INSN).i32(31).op('i32.shr_s').i32(12).op('i32.shl');
    c.get(INSN).i32(7).op('i32.shr_u').i32(1).op('i32.and').i32(11).op('i32.shl', 'i32.or');
    c.get(INSN).i32(25).op('i32.shr_u').i32(0x3f).op('i32.and').i32(5).op('i32.shl', 'i32.or');
    c.get(INSN).i32(8).op('i32.shr_u').i32(0xf).op('i32.and').i32(1).op('i32.shl', 'i32.or');
    c.op('i64.extend_i32_s', 'i64.add').set(T).br('taken');
  };
  ops[0x73 >> 2] = () => {
    sstatus();
    plainCsrs();
    // SYSTEM: a CSR access goes to the TypeScript interpreter through the translator's helper (jit-hart.ts
    // systemHelper), with the instructions retired so far for instret. It goes on here unless the access trapped,
    // changed the privilege or mstatus beyond SIE and SUM, or left an interrupt pending and enabled: then the
    // helper has written the pc to go on at. SFENCE.VMA too (Linux runs thousands in a boot; it changes no
    // state but TLB entries). The others (ECALL, xRET, WFI...) leave.
    if ((caseF3() & 3) === 0) c.get(INSN).i32(0xfe00_7fff).op('i32.and').i32(SFENCE_VMA).op('i32.ne').if(slow);
    c.get(PC).op('f64.convert_i64_s').get(N).call(SYSTEM).tee(X);
    c.if(() => {
      c.get(AREA).mem('f64.load', AREA_PC).truncSatF64S().set(PC);
      c.get(X).i32(SYSTEM_RETIRED).op('i32.eq').get(N).op('i32.add').set(N);
      leave(EXIT_SYSTEM);
    });
    // satp, SFENCE.VMA and sstatus.SUM change the TLB sets or their entries.
    forgetFetchPage();
    c.br('next');
  };
  ops[0x2f >> 2] = () => {
    // AMOs, LR and SC on one hart (as compile.ts); with harts in parallel the TypeScript interpreter does them.
    if (parallel) {
      slow();
      return;
    }
    if (caseF3() !== 2 && caseF3() !== 3) {
      slow();
      return;
    }
    c.get(A).set(VA);
    const word = caseF3() === 2;
    /** U = the value at X, sign-extended for a word. */
    const load = (): void => void c.get(X).mem(word ? 'i64.load32_s' : 'i64.load').set(U);
    /** Stores T at X, a word or a doubleword. */
    const store = (): void => void c.get(X).get(T).mem(word ? 'i64.store32' : 'i64.store');
    c.get(INSN).i32(27).op('i32.shr_u').set(Y);
    c.get(Y).i32(2).op('i32.eq').if(() => {
      // LR (rs2 must be 0): load and reserve the address (a RAM offset, as the interpreter's reservation).
      c.get(INSN).i32(0x01f0_0000).op('i32.and').if(slow);
      access(LSET);
      c.set(X);
      c.get(AREA).get(X).mem('i32.store', AREA_RESERVATION);
      load();
      c.get(U);
      result();
    });
    c.get(Y).i32(3).op('i32.eq').if(() => {
      // SC: stores if the reservation is this address (rd = 0), else rd = 1; no reservation after.
      access(SSET);
      c.set(X);
      c.get(AREA).mem('i32.load', AREA_RESERVATION).get(X).op('i32.eq');
      c.if(
        () => {
          c.get(B).set(T);
          store();
          c.i64(0).set(U);
        },
        () => void c.i64(1).set(U),
      );
      c.get(AREA).i32(-1).mem('i32.store', AREA_RESERVATION);
      c.get(U);
      result();
    });
    // The other AMOs: funct5 add (0), swap (1), xor (4), or (8), and (12), min, max, minu, maxu (16..28).
    c.get(Y).i32(4).op('i32.ge_u').if(() => {
      c.get(Y).i32(3).op('i32.and').if(slow);
    });
    /** Reads U, computes the new value from U and V (rs2, sign-extended for a word), writes it; rd = U. */
    const amo = (emit: () => void) => (): void => {
      access(SSET);
      c.set(X);
      load();
      c.get(B);
      if (word) c.op('i32.wrap_i64', 'i64.extend_i32_s');
      c.set(V);
      emit();
      c.set(T);
      store();
      c.get(U);
      result();
    };
    const pick = (cmp: 'i64.lt_s' | 'i64.gt_s' | 'i64.lt_u' | 'i64.gt_u') => (): void =>
      void c.get(U).get(V).get(U).get(V).op(cmp, 'select');
    sw(
      () => c.get(Y).i32(2).op('i32.shr_u'),
      [
        () => {
          c.get(Y).if(amo(() => c.get(V)));
          amo(() => c.get(U).get(V).op('i64.add'))();
        },
        amo(() => c.get(U).get(V).op('i64.xor')),
        amo(() => c.get(U).get(V).op('i64.or')),
        amo(() => c.get(U).get(V).op('i64.and')),
        amo(pick('i64.lt_s')),
        amo(pick('i64.gt_s')),
        amo(pick('i64.lt_u')),
        amo(pick('i64.gt_u')),
      ],
      slow,
    );
  };
  ops[0x0f >> 2] = () => {
    // MISC-MEM: FENCE and FENCE.I need nothing on one hart (no decoded code here); with harts in parallel the
    // interpreter does them (a barrier, PAUSE, dropping decoded code).
    if (parallel || caseF3() > 1) slow();
    else c.br('next');
  };

  // ---- the function
  c.get(AREA).mem('f64.load', AREA_PC).truncSatF64S().set(PC);
  forgetFetchPage();
  c.block('out', () => {
    c.loop('L', () => {
      c.get(N).get(BUDGET).op('i32.ge_s').if(() => leave(EXIT_BUDGET));
      // Fetch: the page of the last fetch, else the fetch TLB.
      c.get(PC).i64(-4096).op('i64.and').get(FPAGE).op('i64.ne');
      c.if(() => {
        emitTlbWays(c, PC, IDX, () => pushSet(FSET), () => void c.get(PC).i64(-4096).op('i64.and'), fill(ACCESS_FETCH, PC), SWAP);
        c.set(FBASE);
        c.get(PC).i64(-4096).op('i64.and').set(FPAGE);
      });
      c.get(PC).op('i32.wrap_i64').i32(0xfff).op('i32.and').set(X);
      c.get(FBASE).get(X).op('i32.add').mem('i32.load16_u').set(INSN);
      c.get(INSN).i32(3).op('i32.and').i32(3).op('i32.eq');
      c.if(
        () => {
          // A 32-bit instruction. Its second half may be on the next page (~6,000 times a boot, a few hot
          // loops' instructions among them): through the fetch TLB, else the TypeScript interpreter fetches
          // it (and takes the page fault).
          c.get(X).i32(0xffe).op('i32.eq');
          c.if(
            () => {
              c.get(PC).i64(-4096).op('i64.and').i64(4096).op('i64.add').set(VA);
              emitTlbWays(c, VA, IDX, () => pushSet(FSET), () => void c.get(VA), fill(ACCESS_FETCH, VA), SWAP);
              c.mem('i32.load16_u').i32(16).op('i32.shl').get(INSN).op('i32.or').set(INSN);
            },
            () => void c.get(FBASE).get(X).op('i32.add').mem('i32.load').set(INSN),
          );
          c.i32(4).set(ILEN);
        },
        () => {
          c.get(AREA).get(INSN).i32(2).op('i32.shl').op('i32.add').mem('i32.load', AREA_CEXP).tee(INSN);
          c.op('i32.eqz').if(slow);
          c.i32(2).set(ILEN);
        },
      );
      c.block('taken', () => {
        c.block('next', () => {
          // One indirect jump on (opcode, funct3), to a case per pair with funct3 a constant in it: cold code ran
          // ~30% faster than with a jump on the opcode and another on funct3 in most cases (see docs).
          sw(
            () => c.get(INSN).i32(2).op('i32.shr_u').i32(31).op('i32.and').get(INSN).i32(7).op('i32.shr_u').i32(0xe0).op('i32.and', 'i32.or'),
            Array.from({ length: 256 }, (_, k) => {
              const op = ops[k & 31];
              if (op === null || op === undefined) return null;
              return () => {
                knownF3 = k >>> 5;
                operands(k & 31);
                op();
                knownF3 = -1;
              };
            }),
            slow,
          );
        });
        c.get(PC).get(ILEN).op('i64.extend_i32_u', 'i64.add').set(PC);
        c.get(N).i32(1).op('i32.add').set(N);
        c.br('L');
      });
      // A taken jump or branch to T: the watch (branch-watch.ts `watched`).
      c.get(T).set(PC);
      c.get(N).i32(1).op('i32.add').set(N);
      c.loop('watch', () => {
        // A compiled block's pc may be the target only if compiledBit(pc)'s bit is set (a 16 KiB bitmap, which
        // spares cold code a load from the 256 KiB jump cache at every taken jump).
        c.get(PC).op('i32.wrap_i64').tee(X).i32(1).op('i32.shr_u').get(X).i32(18).op('i32.shr_u', 'i32.xor');
        c.i32(COMPILED_BYTES * 8 - 1).op('i32.and').set(Y);
        c.get(AREA).get(Y).i32(3).op('i32.shr_u', 'i32.add').mem('i32.load8_u', AREA_COMPILED);
        c.get(Y).i32(7).op('i32.and', 'i32.shr_u').i32(1).op('i32.and').if(() => {
          c.get(X).i32(1).op('i32.shr_u').get(X).i32(15).op('i32.shr_u', 'i32.xor');
          c.i32(JCACHE_SIZE - 1).op('i32.and').i32(4).op('i32.shl').get(AREA).op('i32.add').tee(Y);
          c.mem('f64.load', AREA_JCACHE).get(PC).op('f64.convert_i64_s', 'f64.eq').if(() => {
            // The block, if the fetch TLB maps the pc's page to the RAM page it was compiled from (as the hub
            // checks): the hub runs it and the blocks it chains to. A jump it cannot follow comes back here.
            tlbTag(PC, FSET);
            c.get(PC).i64(-4096).op('i64.and').op('i64.ne').if(() => leave(EXIT_JUMP));
            tlbOffset(FSET);
            c.get(Y).mem('i32.load', AREA_JCACHE + 8).op('i32.ne').if(() => leave(EXIT_JUMP));
            c.get(AREA).get(N).mem('i32.store', AREA_RETIRED);
            c.get(AREA).get(Y).mem('i32.load', AREA_JCACHE + 12).get(BUDGET).call(HUB).set(CODE);
            c.get(AREA).mem('i32.load', AREA_RETIRED).set(X);
            c.get(AREA).get(AREA).mem('i32.load', AREA_CHAINED).get(X).get(N).op('i32.sub', 'i32.add').mem('i32.store', AREA_CHAINED);
            c.get(X).set(N);
            c.get(AREA).mem('f64.load', AREA_PC).truncSatF64S().set(PC);
            // A CSR access in a block may have changed the TLB sets.
            forgetFetchPage();
            // A block that left before an access it cannot make (a TLB miss, a device) has the interpreter try
            // it: the console's UART registers are done here (consoleLoad, consoleStore), and anything else
            // leaves for the TypeScript interpreter as before.
            c.get(CODE).i32(EXIT_SLOW).op('i32.eq').brIf('L');
            c.get(CODE).i32(EXIT_JUMP).op('i32.ne').brIf('out');
            c.br('watch');
          });
          // Not in the jump cache: the dispatcher looks it up.
          leave(EXIT_JUMP);
        });
        c.get(X).i32(1).op('i32.shr_u').get(X).i32(15).op('i32.shr_u', 'i32.xor');
        c.i32(JCACHE_SIZE - 1).op('i32.and').i32(2).op('i32.shl').get(AREA).op('i32.add').tee(Y);
        c.mem('i32.load', AREA_COUNTS).i32(COUNT_ONE).op('i32.add').set(X);
        c.get(Y).get(X).mem('i32.store', AREA_COUNTS);
        c.get(X).i32(RECENT_MASK).op('i32.and').get(HOT).op('i32.ge_s');
        c.get(X).i32(HOT_TOTAL).op('i32.ge_u', 'i32.or').if(() => leave(EXIT_JUMP));
      });
      c.br('L');
    });
  });
  c.get(AREA).get(PC).op('f64.convert_i64_s').mem('f64.store', AREA_PC);
  c.get(AREA).get(N).mem('i32.store', AREA_RETIRED);
  c.get(CODE);
  return c;
}

/**
 * The compiled modules, by shared memory and `parallel`: every hart's instance of one module shares its code, so
 * V8's optimized code for it serves them all.
 */
const modules: (WebAssembly.Module | undefined)[] = [];

/** The index of the interpreter's variant for a shared memory or not, harts in parallel or not (0..3). */
export function interpreterVariant(shared: boolean, parallel: boolean): number {
  return (shared ? 2 : 0) + (parallel ? 1 : 0);
}

/** The interpreter's module for variant `variant` (interpreterVariant), as bytes. */
export function interpreterModuleBytes(variant: number): Uint8Array {
  return moduleBytes({
    types: [[[I32, I32, I32], [I32]], SYSTEM_HELPER_TYPE],
    importFunctions: [
      { name: 's', type: 1 },
      { name: 'h', type: 0 },
    ],
    memoryPages: undefined,
    sharedMemory: (variant & 2) !== 0,
    functions: [{ type: 0, locals: LOCALS, code: body((variant & 1) !== 0) }],
  });
}

/**
 * The name of the file tools/bundle.mjs writes variant `variant`'s bytes to, next to the bundles (dist/bundle/):
 * generating them is ~9 ms of JavaScript run once, cold, before a boot's first instruction. Next to the unbundled
 * modules (dist/riscv/jit/, which the tests run) there is none, and the bytes are generated.
 */
export function prebuiltInterpreterName(variant: number): string {
  return `interp-wasm-${variant}.bin`;
}

/**
 * Variant `variant`'s module: from `file` when there is one WebAssembly takes (it is the build's output, trusted as
 * the bundle is), else generated.
 */
export function interpreterModule(
  variant: number,
  file: URL | string = new URL(`./${prebuiltInterpreterName(variant)}`, import.meta.url),
): WebAssembly.Module {
  let bytes: Uint8Array | undefined;
  try {
    bytes = readFileSync(file);
  } catch {
    bytes = undefined;
  }
  if (bytes !== undefined && WebAssembly.validate(bytes)) return new WebAssembly.Module(bytes);
  return new WebAssembly.Module(interpreterModuleBytes(variant));
}

/**
 * The interpreter for a hart on `memory`; with `parallel` (other harts run at the same time), FENCE, FENCE.I and
 * AMOs go to the TypeScript interpreter. SYSTEM instructions go to `system`. The compressed table must be in the
 * area (AREA_CEXP) before it runs.
 */
export function makeWasmInterpreter(memory: WebAssembly.Memory, parallel: boolean, system: SystemHelper, hub: HubFn): InterpFn {
  const variant = interpreterVariant(isShared(memory), parallel);
  let module = modules[variant];
  if (module === undefined) {
    module = interpreterModule(variant);
    modules[variant] = module;
  }
  const instance = new WebAssembly.Instance(module, { e: { m: memory, s: system, h: hub } });
  return instance.exports['f0'] as InterpFn;
}
