/**
 * How virtio device models reach guest memory (the "DMA" side of a device).
 *
 * Addresses are guest-physical and come from the guest, so they are untrusted: every accessor answers
 * `undefined` (reads) or `false` (writes) when any byte of the range is not RAM, and never throws. 64-bit
 * guest addresses are passed as numbers; values above 2^53 lose precision, but they are far outside any RAM
 * this machine can have, so they are still answered "not RAM".
 *
 * All multi-byte values are little-endian, as virtio 1.x requires.
 *
 * Every write a device makes goes through `write`, `writeU16/U32` or a `writableView`, so the machine can learn
 * which RAM was written (the CPU's decode cache must forget code pages a device overwrites, e.g. a disk read
 * into a page that held code). `view` is for reading only.
 */
export interface GuestMemory {
  /**
   * A live view of [addr, addr + len) to read from (do not write through it: use `writableView`). Valid until
   * the device model returns; do not keep it. `undefined` when the range is not entirely RAM or `len` < 0.
   */
  view(addr: number, len: number): Uint8Array | undefined;
  /** Like `view`, for a range the caller is about to write: the range is reported as written. */
  writableView(addr: number, len: number): Uint8Array | undefined;
  /** A copy of [addr, addr + len), or `undefined` when the range is not entirely RAM. */
  read(addr: number, len: number): Uint8Array | undefined;
  /** Copies `data` to `addr`. Returns false (and writes nothing) when the range is not entirely RAM. */
  write(addr: number, data: Uint8Array): boolean;
  readU16(addr: number): number | undefined;
  readU32(addr: number): number | undefined;
  /** A 64-bit value as a number (exact below 2^53). */
  readU64(addr: number): number | undefined;
  writeU16(addr: number, value: number): boolean;
  writeU32(addr: number, value: number): boolean;
}

/** The part of the machine's GuestRam this module needs (structural, so no import of src/memory is required). */
export interface RamLike {
  readonly base: number;
  readonly u8: Uint8Array;
}

/**
 * RAM that may still be arriving from a lazily restored snapshot (the machine's GuestRam): while `pending` is
 * non-null, `ensure` must run before a range is touched. Checked as a field, so virtqueue processing pays one
 * load per access when nothing is pending, not a call.
 */
export interface LazyRamLike extends RamLike {
  readonly pending: object | null;
  ensure(offset: number, length: number): void;
}

/** Told about every device write: `offset` is relative to the start of the byte array (RAM offset). */
export type RamWriteObserver = (offset: number, length: number) => void;

/**
 * GuestMemory over one contiguous byte array mapped at `base` (the machine's RAM, or a test's fake RAM).
 * `onWrite` hears of every write, before it happens (the machine passes its decode cache's `written`).
 */
export class ArrayGuestMemory implements GuestMemory {
  readonly base: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly onWrite: RamWriteObserver | undefined;
  private readonly lazy: LazyRamLike | undefined;

  constructor(base: number, bytes: Uint8Array, onWrite?: RamWriteObserver, lazy?: LazyRamLike) {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError('guest memory base must be a non-negative integer');
    if (!(bytes instanceof Uint8Array)) throw new TypeError('guest memory bytes must be a Uint8Array');
    if (onWrite !== undefined && typeof onWrite !== 'function') throw new TypeError('guest memory onWrite must be a function');
    this.base = base;
    this.size = bytes.length;
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.onWrite = onWrite;
    this.lazy = lazy;
  }

  /**
   * Wraps the machine's GuestRam (or anything with `base` and `u8`), e.g.
   * `ArrayGuestMemory.fromRam(m.ram, (o, n) => m.hart.decode.written(o, n))`.
   */
  static fromRam(ram: RamLike, onWrite?: RamWriteObserver): ArrayGuestMemory {
    return new ArrayGuestMemory(ram.base, ram.u8, onWrite, 'pending' in ram ? (ram as LazyRamLike) : undefined);
  }

  /** The offset into `bytes` of [addr, addr + len), or -1 when that range is not entirely inside. */
  private offset(addr: number, len: number): number {
    // Written so that NaN, negative and huge values all fail.
    if (!(len >= 0) || !(addr >= this.base)) return -1;
    const o = addr - this.base;
    if (!(o + len <= this.size)) return -1;
    const lazy = this.lazy;
    if (lazy !== undefined && lazy.pending !== null) lazy.ensure(o, len);
    return o;
  }

  contains(addr: number, len: number): boolean {
    return this.offset(addr, len) >= 0;
  }

  view(addr: number, len: number): Uint8Array | undefined {
    const o = this.offset(addr, len);
    return o < 0 ? undefined : this.bytes.subarray(o, o + len);
  }

  writableView(addr: number, len: number): Uint8Array | undefined {
    const o = this.offset(addr, len);
    if (o < 0) return undefined;
    this.onWrite?.(o, len);
    return this.bytes.subarray(o, o + len);
  }

  read(addr: number, len: number): Uint8Array | undefined {
    const o = this.offset(addr, len);
    return o < 0 ? undefined : this.bytes.slice(o, o + len);
  }

  write(addr: number, data: Uint8Array): boolean {
    const o = this.offset(addr, data.length);
    if (o < 0) return false;
    this.onWrite?.(o, data.length);
    this.bytes.set(data, o);
    return true;
  }

  readU16(addr: number): number | undefined {
    const o = this.offset(addr, 2);
    return o < 0 ? undefined : this.dv.getUint16(o, true);
  }

  readU32(addr: number): number | undefined {
    const o = this.offset(addr, 4);
    return o < 0 ? undefined : this.dv.getUint32(o, true);
  }

  readU64(addr: number): number | undefined {
    const o = this.offset(addr, 8);
    return o < 0 ? undefined : this.dv.getUint32(o, true) + this.dv.getUint32(o + 4, true) * 0x1_0000_0000;
  }

  writeU16(addr: number, value: number): boolean {
    const o = this.offset(addr, 2);
    if (o < 0) return false;
    this.onWrite?.(o, 2);
    this.dv.setUint16(o, value & 0xffff, true);
    return true;
  }

  writeU32(addr: number, value: number): boolean {
    const o = this.offset(addr, 4);
    if (o < 0) return false;
    this.onWrite?.(o, 4);
    this.dv.setUint32(o, value >>> 0, true);
    return true;
  }
}
