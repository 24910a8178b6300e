/**
 * Where RAM pages still to be loaded come from (a lazily restored snapshot). `ensure` makes every page of
 * [offset, offset + length) present before anyone touches it; it may throw when the source fails.
 */
export interface PendingPages {
  ensure(offset: number, length: number): void;
}

/** Bytes of WebAssembly memory reserved per hart after the RAM (registers, TLB: see src/riscv/jit/layout.ts). */
export const HART_AREA_BYTES = 1024 * 1024;
/** Harts whose areas a wasm-backed RAM reserves. */
export const MAX_HARTS = 8;

export interface GuestRamOptions {
  /** Back the RAM with a WebAssembly.Memory, as the translator needs (see `memory`). */
  readonly wasm?: boolean;
}

/**
 * Guest RAM: one contiguous buffer mapped at a fixed guest-physical base, with typed-array views that the CPU's
 * fast paths index directly. The host is little-endian (as RISC-V is), which the views rely on.
 *
 * With `wasm`, the buffer is a WebAssembly.Memory whose first `size` bytes are the RAM (RAM offset = linear
 * address), followed by one area per hart (see hartArea) for the state translated code reaches: registers and
 * TLB. The views cover the RAM only.
 */
export class GuestRam {
  readonly base: number;
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /**
   * Non-null while some pages have not been loaded yet (lazy snapshot restore). Every path that reaches RAM
   * other than through the CPU's TLB (whose entries are made by the MMU, which calls `ensure`) calls `ensure`
   * first; the loader sets this back to null once all of RAM is present.
   */
  pending: PendingPages | null = null;
  /** The WebAssembly memory holding RAM and the hart areas, when wasm-backed. */
  readonly memory: WebAssembly.Memory | undefined;

  constructor(base: number, size: number, options: GuestRamOptions = {}) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 4096 !== 0) {
      throw new RangeError(`RAM base must be a page-aligned address, got ${base}`);
    }
    if (!Number.isSafeInteger(size) || size < 4096 || size % 4096 !== 0) {
      throw new RangeError(`RAM size must be a positive multiple of 4 KiB, got ${size}`);
    }
    this.base = base;
    this.size = size;
    if (options.wasm === true) {
      const pages = Math.ceil((size + MAX_HARTS * HART_AREA_BYTES) / 65536);
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      this.buffer = this.memory.buffer;
    } else {
      this.memory = undefined;
      this.buffer = new ArrayBuffer(size);
    }
    this.u8 = new Uint8Array(this.buffer, 0, size);
    this.u16 = new Uint16Array(this.buffer, 0, size >>> 1);
    this.i32 = new Int32Array(this.buffer, 0, size >>> 2);
  }

  /** The byte offset in `buffer` of hart `hartId`'s area, or -1 when the RAM is not wasm-backed. */
  hartArea(hartId: number): number {
    if (this.memory === undefined) return -1;
    if (!(hartId >= 0 && hartId < MAX_HARTS)) throw new RangeError(`hart ${hartId}: at most ${MAX_HARTS} harts`);
    return this.size + hartId * HART_AREA_BYTES;
  }

  /** Makes [offset, offset + length) (RAM offsets) present; free once nothing is pending. */
  ensure(offset: number, length: number): void {
    if (this.pending !== null) this.pending.ensure(offset, length);
  }

  /** True when [addr, addr + length) lies inside RAM. */
  contains(addr: number, length: number): boolean {
    return addr >= this.base && length >= 0 && addr + length <= this.base + this.size;
  }

  /** Copies `data` into RAM at guest-physical `addr`. Throws a RangeError when it does not fit. */
  load(addr: number, data: Uint8Array): void {
    if (!this.contains(addr, data.length)) {
      throw new RangeError(
        `image of ${data.length} bytes at 0x${addr.toString(16)} does not fit in RAM ` +
          `0x${this.base.toString(16)}..0x${(this.base + this.size).toString(16)}`,
      );
    }
    this.u8.set(data, addr - this.base);
  }

  /** A view of [addr, addr + length), or undefined when outside RAM. */
  view(addr: number, length: number): Uint8Array | undefined {
    if (!this.contains(addr, length)) return undefined;
    return this.u8.subarray(addr - this.base, addr - this.base + length);
  }
}
