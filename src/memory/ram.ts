/**
 * Where RAM pages still to be loaded come from (a lazily restored snapshot). `ensure` makes every page of
 * [offset, offset + length) present before anyone touches it; it may throw when the source fails.
 */
export interface PendingPages {
  ensure(offset: number, length: number): void;
}

/** Bytes of WebAssembly memory reserved per hart after the RAM (registers, TLB: see src/riscv/jit/layout.ts). */
export const HART_AREA_BYTES = 3 * 1024 * 1024;
/** Harts whose areas a wasm-backed RAM reserves. */
export const MAX_HARTS = 8;

export interface GuestRamOptions {
  /** Back the RAM with a WebAssembly.Memory, as the translator needs (see `memory`). */
  readonly wasm?: boolean;
  /**
   * Make the buffer shareable with worker threads (harts running in parallel): a SharedArrayBuffer, or a shared
   * WebAssembly.Memory with `wasm`. Every thread then makes its own GuestRam over it with `GuestRam.over`.
   */
  readonly shared?: boolean;
}

/** What another thread needs to make a GuestRam over the same memory (see `GuestRam.over`). */
export interface SharedRamHandle {
  readonly base: number;
  readonly size: number;
  /** The shared WebAssembly memory (wasm-backed RAM), or the SharedArrayBuffer. */
  readonly storage: WebAssembly.Memory | SharedArrayBuffer;
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

  /**
   * `options` may instead be the storage itself (a SharedRamHandle's), which this RAM then views rather than
   * allocating: see `over`.
   */
  constructor(base: number, size: number, options: GuestRamOptions | WebAssembly.Memory | SharedArrayBuffer = {}) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 4096 !== 0) {
      throw new RangeError(`RAM base must be a page-aligned address, got ${base}`);
    }
    if (!Number.isSafeInteger(size) || size < 4096 || size % 4096 !== 0) {
      throw new RangeError(`RAM size must be a positive multiple of 4 KiB, got ${size}`);
    }
    this.base = base;
    this.size = size;
    const pages = Math.ceil((size + MAX_HARTS * HART_AREA_BYTES) / 65536);
    if (options instanceof WebAssembly.Memory) {
      if (options.buffer.byteLength !== pages * 65536) throw new RangeError('shared RAM: memory size does not match the RAM size');
      this.memory = options;
      this.buffer = options.buffer;
    } else if (options instanceof SharedArrayBuffer) {
      if (options.byteLength !== size) throw new RangeError('shared RAM: buffer size does not match the RAM size');
      this.memory = undefined;
      this.buffer = options as unknown as ArrayBuffer;
    } else if (options.wasm === true) {
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, ...(options.shared === true ? { shared: true } : {}) });
      this.buffer = this.memory.buffer;
    } else {
      this.memory = undefined;
      this.buffer = options.shared === true ? (new SharedArrayBuffer(size) as unknown as ArrayBuffer) : new ArrayBuffer(size);
    }
    this.u8 = new Uint8Array(this.buffer, 0, size);
    this.u16 = new Uint16Array(this.buffer, 0, size >>> 1);
    this.i32 = new Int32Array(this.buffer, 0, size >>> 2);
  }

  /** A RAM over the same memory as `handle` (made by another thread's `shareHandle`). */
  static over(handle: SharedRamHandle): GuestRam {
    return new GuestRam(handle.base, handle.size, handle.storage);
  }

  /** Whether other threads can share this RAM (see GuestRamOptions.shared). */
  get shared(): boolean {
    return (this.buffer as unknown) instanceof SharedArrayBuffer;
  }

  /** What `GuestRam.over` needs in another thread; the RAM must have been made `shared`. */
  shareHandle(): SharedRamHandle {
    if (!this.shared) throw new Error('this RAM was not made shared');
    return { base: this.base, size: this.size, storage: this.memory ?? (this.buffer as unknown as SharedArrayBuffer) };
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
    this.loadTarget(addr, data.length).set(data);
  }

  /**
   * The `length` bytes of RAM at guest-physical `addr`, for an image of that size to be loaded into (as `load`
   * does, or a file read into them). Throws a RangeError when it does not fit.
   */
  loadTarget(addr: number, length: number): Uint8Array {
    const view = this.view(addr, length);
    if (view === undefined) {
      throw new RangeError(
        `image of ${length} bytes at 0x${addr.toString(16)} does not fit in RAM ` +
          `0x${this.base.toString(16)}..0x${(this.base + this.size).toString(16)}`,
      );
    }
    return view;
  }

  /** A view of [addr, addr + length), or undefined when outside RAM. */
  view(addr: number, length: number): Uint8Array | undefined {
    if (!this.contains(addr, length)) return undefined;
    return this.u8.subarray(addr - this.base, addr - this.base + length);
  }
}
