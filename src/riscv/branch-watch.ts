/**
 * What the translator (jit/jit-hart.ts) asks of the interpreter while it runs code that is not compiled: at every
 * taken jump or branch, look at the target. If it may have a compiled block (its pc is in the translator's jump
 * cache), or it has just become hot, the interpreter stops after that instruction so that the dispatcher can
 * enter the block or queue it for compiling. Otherwise the interpreter runs on, so cold code runs at the
 * interpreter's own speed rather than returning to the dispatcher every few instructions.
 *
 * Counts live in a table indexed like the jump cache (pcs that collide share a count, which at worst makes a
 * block look hot early). One Int32 per entry: visits since the count was last halved in the low 16 bits,
 * visits in all in the high bits.
 */

/** Entries in the table and the jump cache (a power of two). */
export const WATCH_SIZE = 16384;
/** One more visit: one more recent and one more in all. */
export const COUNT_ONE = 0x10001;
/** The low 16 bits: visits since the count was last halved. */
export const RECENT_MASK = 0xffff;
/**
 * Visits in all (the high bits) that make a block start hot however slowly they came: a loop whose pass takes
 * the interpreter more than a few hundred microseconds never gathers `hot` visits between halvings. 2048 (was
 * 1024) with JitTuning.hotPrivileged 1024: see there.
 */
export const HOT_TOTAL = 2048 << 16;

export interface BranchWatch {
  /** The jump cache's pcs: entry i at index 2i (layout.ts), NaN when empty. */
  readonly pcs: Float64Array;
  /**
   * A bit set for every compiled block's pc (see compiledBit), whether or not the jump cache still holds it
   * (another block's pc may have taken the entry): the interpreter stops there too, and the dispatcher looks the
   * block up. Without this, two hot blocks taking turns in one entry ran interpreted half the time (a shell loop
   * once took 11 s instead of 2.4). COMPILED_BYTES of them.
   */
  readonly compiled: Uint8Array;
  /** The counts, WATCH_SIZE of them. */
  readonly counts: Int32Array;
  /** Recent visits that make a block start hot. */
  hot: number;
}

/** The table entry of a pc (the jump cache's index; the hub computes the same from the pc's low 32 bits). */
export function watchIndex(pc: number): number {
  const lo = pc | 0;
  return ((lo >>> 1) ^ (lo >>> 15)) & (WATCH_SIZE - 1);
}

/** The bytes of BranchWatch.compiled. */
export const COMPILED_BYTES = WATCH_SIZE;
const COMPILED_BITS = COMPILED_BYTES * 8;

/**
 * A pc's bit in BranchWatch.compiled: one of eight times more bits than the table has entries, so a pc that is
 * not compiled rarely shares one with a pc that is (with a byte per entry, 8% of boot's taken jumps to code not
 * compiled went back to the dispatcher for nothing).
 */
export function compiledBit(pc: number): number {
  const lo = pc | 0;
  return ((lo >>> 1) ^ (lo >>> 18)) & (COMPILED_BITS - 1);
}

/** Sets `pc`'s bit in BranchWatch.compiled. */
export function markCompiled(compiled: Uint8Array, pc: number): void {
  const b = compiledBit(pc);
  compiled[b >>> 3] = compiled[b >>> 3]! | (1 << (b & 7));
}

/** Whether a compiled block's pc may be `pc` (its bit is set). */
export function mayBeCompiled(compiled: Uint8Array, pc: number): boolean {
  const b = compiledBit(pc);
  return ((compiled[b >>> 3]! >>> (b & 7)) & 1) !== 0;
}

/** Counts a visit to `pc`; true when the dispatcher should look at it (it may be compiled, or it is hot now). */
export function watched(w: BranchWatch, pc: number): boolean {
  const j = watchIndex(pc);
  if (w.pcs[j * 2] === pc || mayBeCompiled(w.compiled, pc)) return true;
  const c = w.counts[j]! + COUNT_ONE;
  w.counts[j] = c;
  return (c & RECENT_MASK) >= w.hot || c >= HOT_TOTAL;
}

/**
 * Halves the recent part of every count `times` times (the totals stay). The translator does this in WebAssembly
 * (jit/count-decay.ts, checked against this one).
 */
export function decayCounts(counts: Int32Array, times: number): void {
  const k = times > 16 ? 16 : times;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c !== 0) counts[i] = (c & ~RECENT_MASK) | ((c & RECENT_MASK) >>> k);
  }
}
