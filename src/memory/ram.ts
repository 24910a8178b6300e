/**
 * Guest RAM: one contiguous buffer mapped at a fixed guest-physical base, with typed-array views that the CPU's
 * fast paths index directly. The host is little-endian (as RISC-V is), which the views rely on.
 */
export class GuestRam {
  readonly base: number;
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;

  constructor(base: number, size: number) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 4096 !== 0) {
      throw new RangeError(`RAM base must be a page-aligned address, got ${base}`);
    }
    if (!Number.isSafeInteger(size) || size < 4096 || size % 4096 !== 0) {
      throw new RangeError(`RAM size must be a positive multiple of 4 KiB, got ${size}`);
    }
    this.base = base;
    this.size = size;
    this.buffer = new ArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
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
