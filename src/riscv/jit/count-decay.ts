/**
 * The watch's count halving (branch-watch.ts decayCounts) done in WebAssembly, over the counts in the hart's area.
 *
 * The dispatcher halves the recent part of all WATCH_SIZE counts every JitTuning.decayMs (10 ms) of a run: ~80
 * times in a boot, each a loop over 16,384 entries that V8 had not optimized yet for most of them (~150 µs a
 * call, 12 ms of a boot in a CPU profile). Here two counts are halved per 64-bit word, `times` times at once:
 * the low 16 bits of each 32-bit half (visits since the last halving) shift right, the high 16 bits (visits in
 * all) stay. A low half's bits that the shift moves into the high half below it are masked off, so the two
 * counts do not mix.
 */
import { WATCH_SIZE } from '../branch-watch.js';
import { AREA_COUNTS } from './layout.js';
import { Code, I32, I64, isShared, moduleBytes } from './wasm-code.js';

/** Halves the recent part of every count of the hart whose area is at `area`, `times` times (at most 16 count). */
export type CountDecayFn = (area: number, times: number) => void;

// Parameters and locals.
const AREA = 0;
const TIMES = 1;
const P = 2; // i32: the address of the next pair of counts
const END = 3; // i32
const SHIFT = 4; // i64: times
const W = 5; // i64: a pair of counts

/** The high 16 bits of each 32-bit half (0xffff_0000_ffff_0000, as a signed 64-bit number). */
const TOTALS = -0x0000_ffff_0001_0000;
/** The low 16 bits of each 32-bit half. */
const RECENTS = 0x0000_ffff_0000_ffff;

function body(): Code {
  const c = new Code(256);
  // At most 16 (a 64-bit shift counts modulo 64).
  c.i32(16).get(TIMES).get(TIMES).i32(16).op('i32.gt_u').op('select').op('i64.extend_i32_u').set(SHIFT);
  c.get(AREA).i32(AREA_COUNTS).op('i32.add').tee(P).i32(WATCH_SIZE * 4).op('i32.add').set(END);
  c.block('done', () => {
    c.loop('pair', () => {
      c.get(P).get(END).op('i32.ge_u').brIf('done');
      c.get(P).mem('i64.load').set(W);
      c.get(P);
      c.get(W).i64(TOTALS).op('i64.and');
      c.get(W).i64(RECENTS).op('i64.and').get(SHIFT).op('i64.shr_u').i64(RECENTS).op('i64.and');
      c.op('i64.or').mem('i64.store');
      c.get(P).i32(8).op('i32.add').set(P);
      c.br('pair');
    });
  });
  return c;
}

/** Compiled once per kind of memory (shared or not). */
const modules: (WebAssembly.Module | undefined)[] = [];

/** The decay function for harts whose areas are in `memory`. */
export function makeCountDecay(memory: WebAssembly.Memory): CountDecayFn {
  const shared = isShared(memory);
  const key = shared ? 1 : 0;
  let module = modules[key];
  if (module === undefined) {
    module = new WebAssembly.Module(
      moduleBytes({
        types: [[[I32, I32], []]],
        memoryPages: undefined,
        sharedMemory: shared,
        functions: [{ type: 0, locals: [[2, I32], [2, I64]], code: body() }],
      }),
    );
    modules[key] = module;
  }
  const instance = new WebAssembly.Instance(module, { e: { m: memory } });
  return instance.exports['f0'] as CountDecayFn;
}
