/**
 * The hub: the one WebAssembly function JavaScript calls to run translated code. It calls the block in a table
 * slot, then whatever block that one chains to (blocks return the slot of their successor when their exit is
 * linked), until a block returns a negative code or the budget is spent. JavaScript thus makes one call (always
 * to the same function, which V8 calls fast) for a whole chain of blocks. Also here: the stub put in the slot of
 * a dropped block, which sends control back to the dispatcher (the caller has already written the pc).
 */
import { Code, I32, moduleBytes } from './wasm-code.js';
import { AREA_RETIRED } from './layout.js';
import { BLOCK_TYPE } from './compile.js';

export type HubFn = (area: number, slot: number, budget: number) => number;
export type BlockFn = (area: number, budget: number) => number;

export interface Hub {
  readonly run: HubFn;
  readonly stub: BlockFn;
}

export function makeHub(memory: WebAssembly.Memory, table: WebAssembly.Table): Hub {
  const hub = new Code();
  const AREA = 0;
  const SLOT = 1;
  const BUDGET = 2;
  hub.loop('next', () => {
    hub.get(AREA);
    hub.get(BUDGET).get(AREA).mem('i32.load', AREA_RETIRED).op('i32.sub');
    hub.get(SLOT).callIndirect(0).tee(SLOT);
    hub.i32(0).op('i32.ge_s').brIf('next');
  });
  hub.get(SLOT);
  const stub = new Code().i32(-1);
  const bytes = moduleBytes({
    types: [BLOCK_TYPE, [[I32, I32, I32], [I32]]],
    memoryPages: memory.buffer.byteLength / 65536,
    tableMin: 1,
    functions: [
      { type: 1, locals: [], code: hub },
      { type: 0, locals: [], code: stub },
    ],
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: memory, t: table } });
  return { run: instance.exports['f0'] as HubFn, stub: instance.exports['f1'] as BlockFn };
}
