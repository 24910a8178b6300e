/**
 * Split virtqueues (virtio 1.2, section 2.7), seen from the device.
 *
 * Memory layout, all little-endian, with N = the queue size (a power of two, 1..32768):
 *   descriptor table  16·N bytes, 16-aligned: { addr u64, len u32, flags u16, next u16 }
 *   driver area       6 + 2·N bytes, 2-aligned: { flags u16, idx u16, ring[N] u16, used_event u16 }
 *   device area       6 + 8·N bytes, 4-aligned: { flags u16, idx u16, ring[N] {id u32, len u32}, avail_event u16 }
 *
 * The guest is untrusted. Whatever it writes, `pop()` never throws and never loops for longer than the size
 * of the tables it walks. A chain the spec forbids — a head or `next` index outside the table, a loop, a chain
 * longer than the table, an INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC, with NEXT set, nested inside
 * an indirect table, or of a length that is zero or not a multiple of 16, a buffer outside RAM, a device-
 * readable buffer after a device-writable one, or an avail index more than N ahead — is a driver bug the device
 * cannot recover from: the queue reports it once through `onFault` (the transport then sets
 * DEVICE_NEEDS_RESET, as section 2.1.2 asks) and stops delivering buffers until the device is reset.
 * QEMU's virtqueue_pop treats the same cases the same way (virtio_error).
 */
import type { GuestMemory } from './guest-memory.js';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_USED_F_NO_NOTIFY = 1;

/** Largest queue size the split ring format allows. */
export const VIRTQ_MAX_SIZE = 32768;
/** Largest indirect table accepted (entries). Linux uses at most a few hundred. */
export const VIRTQ_MAX_INDIRECT = 4096;

/** Why a queue stopped. Each is counted by the transport under this name. */
export type QueueFault =
  | 'queue-config' // QueueReady=1 with a size that is 0, too big or not a power of two, misaligned or non-RAM rings
  | 'ring-memory' // a ring field could not be read or written
  | 'avail-index' // avail.idx moved more than N past the last seen index
  | 'head-index' // a chain head >= N
  | 'next-index' // a `next` >= the table size
  | 'loop' // a chain visits a descriptor twice (or is longer than its table)
  | 'indirect-not-negotiated'
  | 'indirect-with-next'
  | 'nested-indirect'
  | 'indirect-size' // zero length, not a multiple of 16, or above VIRTQ_MAX_INDIRECT entries
  | 'indirect-memory' // the indirect table is not in RAM
  | 'buffer-memory' // a buffer is not in RAM
  | 'order'; // a device-readable buffer after a device-writable one

export interface Segment {
  readonly addr: number;
  readonly len: number;
}

/** One available buffer: a descriptor chain resolved into its device-readable and device-writable parts. */
export class DescriptorChain {
  readonly head: number;
  readonly readable: Segment[] = [];
  readonly writable: Segment[] = [];
  readableLength = 0;
  writableLength = 0;

  constructor(head: number) {
    this.head = head;
  }

  /** Copies up to `len` device-readable bytes starting at byte `offset` of the readable part. */
  readBytes(mem: GuestMemory, offset: number, len: number): Uint8Array {
    const n = Math.max(0, Math.min(len, this.readableLength - offset));
    const out = new Uint8Array(n);
    let done = 0;
    forEachPart(this.readable, offset, n, (addr, partLen) => {
      const v = mem.view(addr, partLen);
      if (v !== undefined) out.set(v, done);
      done += partLen;
    });
    return out;
  }

  /** Copies `data` into the writable part starting at byte `offset`; returns the number of bytes written. */
  writeBytes(mem: GuestMemory, offset: number, data: Uint8Array): number {
    const n = Math.max(0, Math.min(data.length, this.writableLength - offset));
    let done = 0;
    forEachPart(this.writable, offset, n, (addr, partLen) => {
      const v = mem.writableView(addr, partLen);
      if (v !== undefined) v.set(data.subarray(done, done + partLen));
      done += partLen;
    });
    return n;
  }
}

/**
 * Calls `fn(addr, len)` for each piece of the byte range [offset, offset + len) of a scatter list, in order.
 * Zero-length pieces are skipped.
 */
export function forEachPart(
  segments: readonly Segment[],
  offset: number,
  len: number,
  fn: (addr: number, len: number) => void,
): void {
  let skip = offset;
  let left = len;
  for (const s of segments) {
    if (left <= 0) return;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const take = Math.min(s.len - skip, left);
    if (take > 0) fn(s.addr + skip, take);
    left -= take;
    skip = 0;
  }
}

/** The device's bookkeeping of one queue, as saved in snapshots. */
export interface VirtqueueState {
  readonly size: number;
  readonly ready: boolean;
  /** Ring addresses as [low, high] 32-bit halves, exactly as the driver wrote them. */
  readonly desc: readonly [number, number];
  readonly driver: readonly [number, number];
  readonly device: readonly [number, number];
  readonly lastAvail: number;
  readonly usedIdx: number;
  readonly signalledUsed: number;
  readonly fault: QueueFault | null;
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export type QueueFaultHandler = (queue: Virtqueue, fault: QueueFault, detail: string) => void;

export class Virtqueue {
  readonly index: number;
  readonly maxSize: number;

  // Registers, as the driver wrote them.
  size: number;
  ready = false;
  descLo = 0;
  descHi = 0;
  driverLo = 0;
  driverHi = 0;
  deviceLo = 0;
  deviceHi = 0;

  // Negotiated ring features (set by the transport when the queue is enabled).
  eventIdx = false;
  indirect = false;

  /** avail index of the next chain to take. */
  lastAvail = 0;
  /** used.idx as the device last wrote it. */
  usedIdx = 0;
  /** usedIdx when the driver was last considered for an interrupt. */
  signalledUsed = 0;
  /** Set once the queue has faulted; cleared by reset. */
  fault: QueueFault | null = null;

  private mem: GuestMemory | undefined;
  private onFault: QueueFaultHandler | undefined;
  private visited = new Uint32Array(0);
  private visitedIndirect = new Uint32Array(0);
  private stamp = 0;

  constructor(index: number, maxSize: number) {
    if (!Number.isInteger(maxSize) || !isPow2(maxSize) || maxSize > VIRTQ_MAX_SIZE) {
      throw new RangeError(`queue ${index}: maximum size must be a power of two in 1..${VIRTQ_MAX_SIZE}`);
    }
    this.index = index;
    this.maxSize = maxSize;
    this.size = maxSize;
  }

  get descAddr(): number {
    return this.descHi * 0x1_0000_0000 + this.descLo;
  }
  get driverAddr(): number {
    return this.driverHi * 0x1_0000_0000 + this.driverLo;
  }
  get deviceAddr(): number {
    return this.deviceHi * 0x1_0000_0000 + this.deviceLo;
  }

  /** Back to the state after a device reset: not ready, default size, zero addresses and indices. */
  reset(): void {
    this.size = this.maxSize;
    this.ready = false;
    this.descLo = this.descHi = this.driverLo = this.driverHi = this.deviceLo = this.deviceHi = 0;
    this.eventIdx = false;
    this.indirect = false;
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
    this.fault = null;
    this.mem = undefined;
  }

  /**
   * Checks the driver's configuration (size, alignment, rings in RAM) and attaches the queue to guest memory.
   * Returns the fault, or null when the queue may be used.
   */
  configure(mem: GuestMemory, eventIdx: boolean, indirect: boolean, onFault: QueueFaultHandler): string | null {
    const n = this.size;
    if (!Number.isInteger(n) || !isPow2(n) || n > this.maxSize) return `size ${n} is not a power of two in 1..${this.maxSize}`;
    const d = this.descAddr;
    const a = this.driverAddr;
    const u = this.deviceAddr;
    if (d % 16 !== 0 || a % 2 !== 0 || u % 4 !== 0) return 'ring addresses are misaligned';
    if (mem.view(d, 16 * n) === undefined) return 'descriptor table is not in RAM';
    if (mem.view(a, 6 + 2 * n) === undefined) return 'driver area is not in RAM';
    if (mem.view(u, 6 + 8 * n) === undefined) return 'device area is not in RAM';
    this.mem = mem;
    this.eventIdx = eventIdx;
    this.indirect = indirect;
    this.onFault = onFault;
    if (this.visited.length !== n) this.visited = new Uint32Array(n);
    return null;
  }

  /** Attaches guest memory after a restore (no checks beyond those `configure` makes). */
  attach(mem: GuestMemory, onFault: QueueFaultHandler): void {
    this.mem = mem;
    this.onFault = onFault;
    if (this.visited.length !== this.size) this.visited = new Uint32Array(this.size);
  }

  /** Whether the queue can deliver buffers: ready, attached and not faulted. */
  usable(): boolean {
    return this.ready && this.fault === null && this.mem !== undefined;
  }

  private raise(fault: QueueFault, detail: string): null {
    if (this.fault === null) {
      this.fault = fault;
      this.onFault?.(this, fault, detail);
    }
    return null;
  }

  /** Whether the driver has made buffers available that have not been taken. False on a faulted queue. */
  hasAvailable(): boolean {
    if (!this.usable()) return false;
    const idx = this.mem!.readU16(this.driverAddr + 2);
    return idx !== undefined && idx !== this.lastAvail;
  }

  /**
   * Takes the next available chain, or returns null when there is none (or the queue is unusable or has just
   * faulted). With VIRTIO_F_EVENT_IDX it keeps avail_event at the next index it will look at, so the driver
   * notifies as soon as it adds a buffer.
   */
  pop(): DescriptorChain | null {
    if (!this.usable()) return null;
    const mem = this.mem!;
    const n = this.size;
    const availIdx = mem.readU16(this.driverAddr + 2);
    if (availIdx === undefined) return this.raise('ring-memory', 'avail.idx is not readable');
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending > n) return this.raise('avail-index', `avail.idx ${availIdx} is ${pending} entries ahead of ${this.lastAvail} (queue size ${n})`);
    if (pending === 0) {
      this.publishAvailEvent();
      return null;
    }
    const head = mem.readU16(this.driverAddr + 4 + 2 * (this.lastAvail % n));
    if (head === undefined) return this.raise('ring-memory', 'avail.ring is not readable');
    if (head >= n) return this.raise('head-index', `chain head ${head} >= queue size ${n}`);
    const chain = this.walk(mem, head);
    if (chain === null) return null;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    this.publishAvailEvent();
    return chain;
  }

  private publishAvailEvent(): void {
    if (this.eventIdx) this.mem!.writeU16(this.deviceAddr + 4 + 8 * this.size, this.lastAvail);
  }

  private nextStamp(): number {
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.visited.fill(0);
      this.visitedIndirect.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }

  private walk(mem: GuestMemory, head: number): DescriptorChain | null {
    const chain = new DescriptorChain(head);
    const stamp = this.nextStamp();
    const n = this.size;
    const table = mem.view(this.descAddr, 16 * n);
    if (table === undefined) return this.raise('ring-memory', 'descriptor table is not readable');
    let i = head;
    for (;;) {
      if (this.visited[i] === stamp) return this.raise('loop', `chain from head ${head} revisits descriptor ${i}`);
      this.visited[i] = stamp;
      const o = 16 * i;
      const addr = u32le(table, o) + u32le(table, o + 4) * 0x1_0000_0000;
      const len = u32le(table, o + 8);
      const flags = u16le(table, o + 12);
      const next = u16le(table, o + 14);
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        if (!this.indirect) return this.raise('indirect-not-negotiated', `descriptor ${i} is INDIRECT`);
        if ((flags & VIRTQ_DESC_F_NEXT) !== 0) return this.raise('indirect-with-next', `descriptor ${i} has INDIRECT and NEXT`);
        return this.walkIndirect(mem, chain, addr, len) ? chain : null;
      }
      if (!this.addSegment(mem, chain, addr, len, flags)) return null;
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return chain;
      if (next >= n) return this.raise('next-index', `descriptor ${i} links to ${next} >= queue size ${n}`);
      i = next;
    }
  }

  private walkIndirect(mem: GuestMemory, chain: DescriptorChain, tableAddr: number, tableLen: number): boolean {
    if (tableLen === 0 || tableLen % 16 !== 0 || tableLen / 16 > VIRTQ_MAX_INDIRECT) {
      this.raise('indirect-size', `indirect table of ${tableLen} bytes`);
      return false;
    }
    const count = tableLen / 16;
    const table = mem.view(tableAddr, tableLen);
    if (table === undefined) {
      this.raise('indirect-memory', `indirect table at 0x${tableAddr.toString(16)} (+${tableLen}) is not in RAM`);
      return false;
    }
    if (this.visitedIndirect.length < count) this.visitedIndirect = new Uint32Array(Math.max(count, 256));
    const stamp = this.stamp;
    let i = 0;
    for (;;) {
      if (this.visitedIndirect[i] === stamp) {
        this.raise('loop', `indirect chain revisits entry ${i}`);
        return false;
      }
      this.visitedIndirect[i] = stamp;
      const o = 16 * i;
      const addr = u32le(table, o) + u32le(table, o + 4) * 0x1_0000_0000;
      const len = u32le(table, o + 8);
      const flags = u16le(table, o + 12);
      const next = u16le(table, o + 14);
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        this.raise('nested-indirect', `indirect entry ${i} is itself INDIRECT`);
        return false;
      }
      if (!this.addSegment(mem, chain, addr, len, flags)) return false;
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) return true;
      if (next >= count) {
        this.raise('next-index', `indirect entry ${i} links to ${next} >= table size ${count}`);
        return false;
      }
      i = next;
    }
  }

  private addSegment(mem: GuestMemory, chain: DescriptorChain, addr: number, len: number, flags: number): boolean {
    if (len > 0 && mem.view(addr, len) === undefined) {
      this.raise('buffer-memory', `buffer 0x${addr.toString(16)} (+${len}) is not in RAM`);
      return false;
    }
    if ((flags & VIRTQ_DESC_F_WRITE) !== 0) {
      chain.writable.push({ addr, len });
      chain.writableLength += len;
    } else {
      if (chain.writable.length > 0) {
        this.raise('order', 'a device-readable buffer follows a device-writable one');
        return false;
      }
      chain.readable.push({ addr, len });
      chain.readableLength += len;
    }
    return true;
  }

  /** Returns a chain to the driver: used.ring[usedIdx] = {head, len}, then used.idx + 1. */
  push(head: number, len: number): void {
    if (!this.usable()) return;
    const mem = this.mem!;
    const slot = this.deviceAddr + 4 + 8 * (this.usedIdx % this.size);
    if (!mem.writeU32(slot, head) || !mem.writeU32(slot + 4, len)) {
      this.raise('ring-memory', 'used.ring is not writable');
      return;
    }
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    if (!mem.writeU16(this.deviceAddr + 2, this.usedIdx)) this.raise('ring-memory', 'used.idx is not writable');
  }

  /**
   * Whether the driver wants an interrupt for the chains pushed since the last call (VIRTQ_AVAIL_F_NO_INTERRUPT,
   * or used_event with VIRTIO_F_EVENT_IDX: section 2.7.10). Each call consumes the pushed chains.
   */
  needsInterrupt(): boolean {
    const newIdx = this.usedIdx;
    const old = this.signalledUsed;
    this.signalledUsed = newIdx;
    if (newIdx === old || this.mem === undefined) return false;
    if (this.eventIdx) {
      const ev = this.mem.readU16(this.driverAddr + 4 + 2 * this.size);
      if (ev === undefined) return true;
      return ((newIdx - ev - 1) & 0xffff) < ((newIdx - old) & 0xffff);
    }
    const flags = this.mem.readU16(this.driverAddr);
    return flags === undefined || (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** Applies a state checked by `parseQueueState` (memory is attached separately, by `attach`). */
  loadState(s: VirtqueueState): void {
    this.size = s.size;
    this.ready = s.ready;
    [this.descLo, this.descHi] = s.desc;
    [this.driverLo, this.driverHi] = s.driver;
    [this.deviceLo, this.deviceHi] = s.device;
    this.lastAvail = s.lastAvail;
    this.usedIdx = s.usedIdx;
    this.signalledUsed = s.signalledUsed;
    this.fault = s.fault;
    this.mem = undefined;
  }

  saveState(): VirtqueueState {
    return {
      size: this.size,
      ready: this.ready,
      desc: [this.descLo, this.descHi],
      driver: [this.driverLo, this.driverHi],
      device: [this.deviceLo, this.deviceHi],
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
      signalledUsed: this.signalledUsed,
      fault: this.fault,
    };
  }
}

const FAULTS: ReadonlySet<string> = new Set<QueueFault>([
  'queue-config', 'ring-memory', 'avail-index', 'head-index', 'next-index', 'loop', 'indirect-not-negotiated',
  'indirect-with-next', 'nested-indirect', 'indirect-size', 'indirect-memory', 'buffer-memory', 'order',
]);

/** Validates a VirtqueueState for a queue of maximum size `maxSize`; throws an Error naming the bad field. */
export function parseQueueState(maxSize: number, state: unknown, where: string): VirtqueueState {
  const err = (field: string, what: string): Error => new Error(`${where}.${field} ${what}`);
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error(`${where} must be an object`);
  const rec = state as Record<string, unknown>;
  const int = (field: string, max: number): number => {
    const v = rec[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw err(field, `must be an integer in 0..${max}`);
    return v;
  };
  const pair = (field: string): [number, number] => {
    const v = rec[field];
    if (!Array.isArray(v) || v.length !== 2) throw err(field, 'must be [low, high]');
    for (const x of v as unknown[]) {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffff_ffff) throw err(field, 'halves must be 32-bit integers');
    }
    return [v[0] as number, v[1] as number];
  };
  const size = int('size', 0xffff_ffff);
  const ready = rec['ready'];
  if (typeof ready !== 'boolean') throw err('ready', 'must be a boolean');
  if (ready && (!isPow2(size) || size > maxSize)) throw err('size', `must be a power of two <= ${maxSize} when ready`);
  const desc = pair('desc');
  const driver = pair('driver');
  const device = pair('device');
  const lastAvail = int('lastAvail', 0xffff);
  const usedIdx = int('usedIdx', 0xffff);
  const signalledUsed = int('signalledUsed', 0xffff);
  const fault = rec['fault'];
  if (fault !== null && (typeof fault !== 'string' || !FAULTS.has(fault))) throw err('fault', 'must be null or a queue fault name');
  return { size, ready, desc, driver, device, lastAvail, usedIdx, signalledUsed, fault: fault as QueueFault | null };
}
