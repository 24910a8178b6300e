/**
 * virtio-blk (virtio 1.2 section 5.2): device ID 2, one request queue, over an injected BlockBackend.
 *
 * A request is a chain: a 16-byte device-readable header { type u32, reserved u32, sector u64 }, then data
 * (device-readable for OUT, DISCARD and WRITE_ZEROES; device-writable for IN and GET_ID), then one
 * device-writable status byte — the chain's last writable byte, wherever the descriptors split it.
 * Sectors are always 512 bytes, whatever blk_size says.
 *
 *   IN            read; the data length must be a multiple of 512 and inside the capacity, else IOERR
 *   OUT           write; IOERR on a read-only disk, past the capacity or for a partial sector
 *   FLUSH         backend.flush() (fdatasync for files)
 *   GET_ID        the serial, up to 20 bytes, NUL-padded when shorter
 *   DISCARD       segments { sector u64, num_sectors u32, flags u32 }; flags must be 0 (else UNSUPP)
 *   WRITE_ZEROES  the same segments; flag bit 0 (unmap) is allowed
 *   anything else UNSUPP
 *
 * Features offered: SEG_MAX, BLK_SIZE and FLUSH always; RO for read-only disks; DISCARD and WRITE_ZEROES when
 * the backend implements them. If the driver does not accept FLUSH, every write is followed by a flush
 * (write-through, as 5.2.6.2 asks of a device without a negotiated FLUSH).
 *
 * A chain too short to be a request (header under 16 bytes, or no writable byte for the status) cannot be
 * answered with a status: it is returned with length 0 and counted as 'blk-malformed'. Backend exceptions are
 * reported to the guest as IOERR and counted as 'blk-backend-error'.
 */
import { VIRTIO_ID, featureBit, readLe, writeLe, type VirtioDevice, type VirtioDeviceContext } from './device.js';
import { forEachPart, type DescriptorChain } from './queue.js';

/** A disk image. Offsets and lengths are in bytes; requests are validated against `size` before they get here. */
export interface BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  /** Fills `buf` from `offset`. */
  read(offset: number, buf: Uint8Array): void;
  /** Writes `data` at `offset`. */
  write(offset: number, data: Uint8Array): void;
  /** Makes every completed write durable. */
  flush(): void;
  /** The range's contents become unspecified; the backend may deallocate it. */
  discard?(offset: number, len: number): void;
  /** The range reads as zeros afterwards. */
  writeZeroes?(offset: number, len: number): void;
}

export const VIRTIO_BLK_T = {
  in: 0,
  out: 1,
  flush: 4,
  getId: 8,
  getLifetime: 10,
  discard: 11,
  writeZeroes: 13,
  secureErase: 14,
} as const;

export const VIRTIO_BLK_S = { ok: 0, ioerr: 1, unsupp: 2 } as const;

export const VIRTIO_BLK_F = {
  sizeMax: 1,
  segMax: 2,
  geometry: 4,
  ro: 5,
  blkSize: 6,
  flush: 9,
  topology: 10,
  configWce: 11,
  mq: 12,
  discard: 13,
  writeZeroes: 14,
} as const;

/** Byte offsets in struct virtio_blk_config. */
export const VIRTIO_BLK_CONFIG = {
  capacity: 0,
  sizeMax: 8,
  segMax: 12,
  geometry: 16,
  blkSize: 20,
  physicalBlockExp: 24,
  alignmentOffset: 25,
  minIoSize: 26,
  optIoSize: 28,
  writeback: 32,
  numQueues: 34,
  maxDiscardSectors: 36,
  maxDiscardSeg: 40,
  discardSectorAlignment: 44,
  maxWriteZeroesSectors: 48,
  maxWriteZeroesSeg: 52,
  writeZeroesMayUnmap: 56,
  size: 60,
} as const;

export const SECTOR_SIZE = 512;
/** Length of the GET_ID answer. */
export const VIRTIO_BLK_ID_BYTES = 20;
/** Most sectors in one DISCARD or WRITE_ZEROES segment (QEMU's limit: 2 GiB - 512). */
export const VIRTIO_BLK_MAX_DISCARD_SECTORS = 0x3f_ffff;
/** Most segments in one DISCARD or WRITE_ZEROES request. */
export const VIRTIO_BLK_MAX_DISCARD_SEG = 16;

export interface VirtioBlkConfig {
  readonly backend: BlockBackend;
  /** Answer to GET_ID: printable ASCII, at most 20 bytes (default: none, an empty id). */
  readonly serial?: string;
  /** Logical block size reported in blk_size: a power of two in 512..65536 (default 512). */
  readonly blockSize?: number;
  /** Size of the request queue (power of two, default 256). */
  readonly queueSize?: number;
  /** Offer the disk read-only even if the backend could write. */
  readonly readOnly?: boolean;
}

/** virtio-blk keeps no state of its own between requests beyond its queue, which the transport saves. */
export interface VirtioBlkState {
  readonly version: 1;
}

/** Counters for statistics and tests. */
export interface VirtioBlkStats {
  requests: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
  ioErrors: number;
  unsupported: number;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export class VirtioBlk implements VirtioDevice {
  readonly name = 'virtio-blk';
  readonly deviceId = VIRTIO_ID.block;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  readonly configSize = VIRTIO_BLK_CONFIG.size;
  readonly capacity: number;
  readonly readOnly: boolean;
  readonly stats: VirtioBlkStats = { requests: 0, bytesRead: 0, bytesWritten: 0, flushes: 0, ioErrors: 0, unsupported: 0 };
  private readonly backend: BlockBackend;
  private readonly serial: Uint8Array;
  private readonly config = new Uint8Array(VIRTIO_BLK_CONFIG.size);
  private readonly canDiscard: boolean;
  private readonly canWriteZeroes: boolean;
  private ctx: VirtioDeviceContext | undefined;
  private writeThrough = false;

  constructor(config: VirtioBlkConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('virtio-blk config must be an object');
    const { backend, serial, blockSize, queueSize, readOnly } = config;
    if (typeof backend !== 'object' || backend === null || typeof backend.read !== 'function' || typeof backend.write !== 'function' || typeof backend.flush !== 'function') {
      throw new TypeError('virtio-blk config: backend must be a BlockBackend');
    }
    if (!Number.isSafeInteger(backend.size) || backend.size < 0) throw new TypeError('virtio-blk config: backend.size must be a non-negative integer');
    const s = serial ?? '';
    if (typeof s !== 'string' || !/^[\x20-\x7e]*$/.test(s) || s.length > VIRTIO_BLK_ID_BYTES) {
      throw new TypeError('virtio-blk config: serial must be printable ASCII of at most 20 characters');
    }
    const bs = blockSize ?? SECTOR_SIZE;
    if (!Number.isInteger(bs) || bs < 512 || bs > 65536 || (bs & (bs - 1)) !== 0) {
      throw new TypeError('virtio-blk config: blockSize must be a power of two in 512..65536');
    }
    const qs = queueSize ?? 256;
    if (!Number.isInteger(qs) || qs < 4 || qs > 32768 || (qs & (qs - 1)) !== 0) {
      throw new TypeError('virtio-blk config: queueSize must be a power of two in 4..32768');
    }
    if (readOnly !== undefined && typeof readOnly !== 'boolean') throw new TypeError('virtio-blk config: readOnly must be a boolean');
    this.backend = backend;
    this.serial = new TextEncoder().encode(s);
    this.readOnly = readOnly === true || backend.readOnly === true;
    this.capacity = Math.floor(backend.size / SECTOR_SIZE);
    this.queueMaxSizes = [qs];
    this.canDiscard = typeof backend.discard === 'function' && !this.readOnly;
    this.canWriteZeroes = typeof backend.writeZeroes === 'function' && !this.readOnly;

    const F = VIRTIO_BLK_F;
    let f = featureBit(F.segMax) | featureBit(F.blkSize) | featureBit(F.flush);
    if (this.readOnly) f |= featureBit(F.ro);
    if (this.canDiscard) f |= featureBit(F.discard);
    if (this.canWriteZeroes) f |= featureBit(F.writeZeroes);
    this.features = f;

    const C = VIRTIO_BLK_CONFIG;
    const c = this.config;
    writeLe(c, C.capacity, 4, this.capacity % 0x1_0000_0000);
    writeLe(c, C.capacity + 4, 4, Math.floor(this.capacity / 0x1_0000_0000));
    writeLe(c, C.segMax, 4, qs - 2); // the header and status take two descriptors
    writeLe(c, C.blkSize, 4, bs);
    writeLe(c, C.numQueues, 2, 1);
    if (this.canDiscard) {
      writeLe(c, C.maxDiscardSectors, 4, VIRTIO_BLK_MAX_DISCARD_SECTORS);
      writeLe(c, C.maxDiscardSeg, 4, VIRTIO_BLK_MAX_DISCARD_SEG);
      writeLe(c, C.discardSectorAlignment, 4, bs / SECTOR_SIZE);
    }
    if (this.canWriteZeroes) {
      writeLe(c, C.maxWriteZeroesSectors, 4, VIRTIO_BLK_MAX_DISCARD_SECTORS);
      writeLe(c, C.maxWriteZeroesSeg, 4, VIRTIO_BLK_MAX_DISCARD_SEG);
      c[C.writeZeroesMayUnmap] = 0;
    }
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    return readLe(this.config, offset, size);
  }

  writeConfig(): void {
    // Every field is read-only without VIRTIO_BLK_F_CONFIG_WCE.
  }

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
    this.writeThrough = (ctx.features & featureBit(VIRTIO_BLK_F.flush)) === 0n;
  }

  reset(): void {
    this.ctx = undefined;
  }

  notify(index: number): void {
    const ctx = this.ctx;
    if (ctx === undefined || index !== 0) return;
    const q = ctx.queue(0);
    if (q === undefined) return;
    let any = false;
    for (let chain = q.pop(); chain !== null; chain = q.pop()) {
      q.push(chain.head, this.handle(ctx, chain));
      any = true;
    }
    if (any) ctx.usedBuffers(q);
  }

  /** Executes one request; returns the used length (bytes written into the chain). */
  private handle(ctx: VirtioDeviceContext, chain: DescriptorChain): number {
    const mem = ctx.memory;
    if (chain.readableLength < 16 || chain.writableLength < 1) {
      ctx.count('blk-malformed', `request with ${chain.readableLength} readable and ${chain.writableLength} writable bytes`);
      return 0;
    }
    this.stats.requests++;
    const hdr = chain.readBytes(mem, 0, 16);
    const type = u32(hdr, 0);
    const sector = u32(hdr, 8) + u32(hdr, 12) * 0x1_0000_0000;
    const dataIn = chain.writableLength - 1; // bytes before the status byte
    let status: number = VIRTIO_BLK_S.ok;
    let written = 0;
    try {
      switch (type) {
        case VIRTIO_BLK_T.in:
          status = this.doRead(ctx, chain, sector, dataIn);
          if (status === VIRTIO_BLK_S.ok) written = dataIn;
          break;
        case VIRTIO_BLK_T.out:
          status = this.doWrite(ctx, chain, sector, chain.readableLength - 16);
          break;
        case VIRTIO_BLK_T.flush:
          this.backend.flush();
          this.stats.flushes++;
          break;
        case VIRTIO_BLK_T.getId: {
          const id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
          id.set(this.serial);
          written = chain.writeBytes(mem, 0, id.subarray(0, Math.min(VIRTIO_BLK_ID_BYTES, dataIn)));
          break;
        }
        case VIRTIO_BLK_T.discard:
        case VIRTIO_BLK_T.writeZeroes:
          status = this.doDiscard(ctx, chain, type === VIRTIO_BLK_T.writeZeroes);
          break;
        default:
          status = VIRTIO_BLK_S.unsupp;
      }
    } catch (e) {
      ctx.count('blk-backend-error', `request type ${type} at sector ${sector}: ${e instanceof Error ? e.message : String(e)}`);
      status = VIRTIO_BLK_S.ioerr;
    }
    if (status === VIRTIO_BLK_S.ioerr) this.stats.ioErrors++;
    if (status === VIRTIO_BLK_S.unsupp) this.stats.unsupported++;
    chain.writeBytes(mem, dataIn, Uint8Array.of(status));
    return written + 1;
  }

  /** Whether [sector·512, sector·512 + len) is a whole number of sectors inside the disk. */
  private inRange(sector: number, len: number): boolean {
    return len % SECTOR_SIZE === 0 && sector <= this.capacity && len / SECTOR_SIZE <= this.capacity - sector;
  }

  private doRead(ctx: VirtioDeviceContext, chain: DescriptorChain, sector: number, len: number): number {
    if (!this.inRange(sector, len)) return VIRTIO_BLK_S.ioerr;
    let pos = sector * SECTOR_SIZE;
    forEachPart(chain.writable, 0, len, (addr, n) => {
      const v = ctx.memory.writableView(addr, n);
      if (v !== undefined) this.backend.read(pos, v);
      pos += n;
    });
    this.stats.bytesRead += len;
    return VIRTIO_BLK_S.ok;
  }

  private doWrite(ctx: VirtioDeviceContext, chain: DescriptorChain, sector: number, len: number): number {
    if (this.readOnly || !this.inRange(sector, len)) return VIRTIO_BLK_S.ioerr;
    let pos = sector * SECTOR_SIZE;
    forEachPart(chain.readable, 16, len, (addr, n) => {
      const v = ctx.memory.view(addr, n);
      if (v !== undefined) this.backend.write(pos, v);
      pos += n;
    });
    this.stats.bytesWritten += len;
    if (this.writeThrough) this.backend.flush();
    return VIRTIO_BLK_S.ok;
  }

  private doDiscard(ctx: VirtioDeviceContext, chain: DescriptorChain, zeroes: boolean): number {
    if (zeroes ? !this.canWriteZeroes : !this.canDiscard) return this.readOnly ? VIRTIO_BLK_S.ioerr : VIRTIO_BLK_S.unsupp;
    const len = chain.readableLength - 16;
    if (len === 0 || len % 16 !== 0 || len / 16 > VIRTIO_BLK_MAX_DISCARD_SEG) return VIRTIO_BLK_S.unsupp;
    const segs = chain.readBytes(ctx.memory, 16, len);
    const ranges: [number, number][] = [];
    for (let o = 0; o < len; o += 16) {
      const sector = u32(segs, o) + u32(segs, o + 4) * 0x1_0000_0000;
      const num = u32(segs, o + 8);
      const flags = u32(segs, o + 12);
      if ((flags & ~(zeroes ? 1 : 0)) !== 0) return VIRTIO_BLK_S.unsupp;
      if (num > VIRTIO_BLK_MAX_DISCARD_SECTORS || !this.inRange(sector, num * SECTOR_SIZE)) return VIRTIO_BLK_S.ioerr;
      ranges.push([sector * SECTOR_SIZE, num * SECTOR_SIZE]);
    }
    for (const [off, n] of ranges) {
      if (n === 0) continue;
      if (zeroes) this.backend.writeZeroes!(off, n);
      else this.backend.discard!(off, n);
    }
    if (zeroes && this.writeThrough) this.backend.flush();
    return VIRTIO_BLK_S.ok;
  }

  saveState(): VirtioBlkState {
    return { version: 1 };
  }

  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('virtio-blk state: must be an object');
    if ((state as Record<string, unknown>)['version'] !== 1) throw new Error('virtio-blk state: version must be 1');
  }
}

/** An in-memory disk (tests, scratch disks). Discard and write-zeroes both zero the range. */
export class MemoryBlockBackend implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  readonly bytes: Uint8Array;
  flushes = 0;
  discards = 0;

  constructor(contents: number | Uint8Array, options: { readonly readOnly?: boolean } = {}) {
    this.bytes = typeof contents === 'number' ? new Uint8Array(contents) : contents;
    this.size = this.bytes.length;
    this.readOnly = options.readOnly === true;
  }

  read(offset: number, buf: Uint8Array): void {
    buf.set(this.bytes.subarray(offset, offset + buf.length));
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error('read-only disk');
    this.bytes.set(data, offset);
  }

  flush(): void {
    this.flushes++;
  }

  discard(offset: number, len: number): void {
    this.discards++;
    this.bytes.fill(0, offset, offset + len);
  }

  writeZeroes(offset: number, len: number): void {
    this.bytes.fill(0, offset, offset + len);
  }
}
