/**
 * The hub: the one WebAssembly function JavaScript calls to run translated code. It calls the block in a table
 * slot, then whatever block that one chains to (blocks return the slot of their successor when their exit is
 * linked), until a block returns a negative code or the budget is spent. JavaScript thus makes one call (always
 * to the same function, which V8 calls fast) for a whole chain of blocks. Also here: the stub put in the slot of
 * a dropped block, which sends control back to the dispatcher (the caller has already written the pc).
 */
import { Code, I32, I64, isShared, moduleBytes } from './wasm-code.js';
import {
  AREA_FETCH_SET,
  AREA_JCACHE,
  AREA_LAST_EXIT,
  AREA_PC,
  AREA_PC64,
  AREA_RETIRED,
  JCACHE_SIZE,
  TLB_SET_OFFS,
  TLB_SET_TAGS64,
} from './layout.js';
import { BLOCK_TYPE, EXIT_JUMP } from './compile.js';
import { TLB_MASK } from '../tlb.js';

export type HubFn = (area: number, slot: number, budget: number) => number;
export type BlockFn = (area: number, budget: number) => number;

export interface Hub {
  readonly run: HubFn;
  readonly stub: BlockFn;
}

/** The hub for the hart whose area is at `area` (which it uses as a constant, as compile.ts does). */
export function makeHub(memory: WebAssembly.Memory, table: WebAssembly.Table, area: number): Hub {
  const hub = new Code();
  const AREA = 0;
  const SLOT = 1;
  const BUDGET = 2;
  const PC64 = 3; // i64
  const PLO = 4; // i32 locals from here
  const J = 5;
  const IDX = 6;
  const FSET = 7;
  hub.i32(area).set(AREA);
  hub.block('out', () => {
    hub.loop('next', () => {
      hub.get(AREA);
      hub.get(BUDGET).get(AREA).mem('i32.load', AREA_RETIRED).op('i32.sub');
      hub.get(SLOT).callIndirect(0).tee(SLOT);
      hub.i32(0).op('i32.ge_s').brIf('next');
      hub.get(SLOT).i32(EXIT_JUMP).op('i32.ne').brIf('out');
      // A jump the block could not chain: find its target through the fetch TLB and the jump cache. The exit
      // left the target as an integer too (AREA_PC64), so the TLB check is one i64 compare with the i64 tag.
      hub.get(AREA).mem('i64.load', AREA_PC64).tee(PC64).op('i32.wrap_i64').tee(PLO);
      hub.i32(12).op('i32.shr_u').i32(TLB_MASK).op('i32.and').set(IDX);
      hub.get(AREA).mem('i32.load', AREA_FETCH_SET).set(FSET);
      hub.get(FSET).get(IDX).i32(3).op('i32.shl').op('i32.add').mem('i64.load', TLB_SET_TAGS64);
      hub.get(PC64).i64(-4096).op('i64.and').op('i64.ne').brIf('out');
      hub.get(AREA).get(PLO).i32(1).op('i32.shr_u').get(PLO).i32(15).op('i32.shr_u', 'i32.xor').i32(JCACHE_SIZE - 1).op('i32.and');
      hub.i32(4).op('i32.shl').op('i32.add').tee(J);
      hub.mem('f64.load', AREA_JCACHE).get(AREA).mem('f64.load', AREA_PC).op('f64.ne').brIf('out');
      // The cache entry's page must be the page the TLB maps the pc to now.
      hub.get(J).mem('i32.load', AREA_JCACHE + 8);
      hub.get(FSET).get(IDX).i32(2).op('i32.shl').op('i32.add').mem('i32.load', TLB_SET_OFFS);
      hub.op('i32.ne').brIf('out');
      hub.get(J).mem('i32.load', AREA_JCACHE + 12).set(SLOT);
      // Link the exit that got here (a same-page exit whose cell is still empty) to the block found.
      hub.get(AREA).mem('i32.load', AREA_LAST_EXIT).tee(J);
      hub.if(() => {
        hub.get(AREA).get(J).op('i32.add').get(SLOT).i32(1).op('i32.add').mem('i32.store');
      });
      hub.br('next');
    });
  });
  hub.get(SLOT);
  const stub = new Code().i32(-1);
  const bytes = moduleBytes({
    types: [BLOCK_TYPE, [[I32, I32, I32], [I32]]],
    memoryPages: memory.buffer.byteLength / 65536,
    sharedMemory: isShared(memory),
    tableMin: 1,
    functions: [
      { type: 1, locals: [[1, I64], [4, I32]], code: hub },
      { type: 0, locals: [], code: stub },
    ],
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: memory, t: table } });
  return { run: instance.exports['f0'] as HubFn, stub: instance.exports['f1'] as BlockFn };
}
