/**
 * The driver's side of virtio-mmio and split virtqueues, for tests: fake guest RAM, the status handshake
 * Linux performs, queues laid out in that RAM, chains built from direct or indirect descriptors, notifies, and
 * the used ring read back. Also low-level access (raw descriptors, avail entries) for hostile-guest tests.
 *
 * (Named so node's test runner does not take it for a test file.)
 */
import { ArrayGuestMemory, type RamWriteObserver } from './guest-memory.js';
import { VIRTIO_F, VIRTIO_STATUS, featureBit, type VirtioDevice } from './device.js';
import { VIRTIO_MMIO_REG as R, VirtioMmioTransport } from './mmio-transport.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './queue.js';

export const TEST_RAM_BASE = 0x8000_0000;

/** An IrqLine that records its level. */
export class TestIrq {
  level = false;
  edges = 0;
  set(level: boolean): void {
    if (level && !this.level) this.edges++;
    this.level = level;
  }
}

/** Fake guest RAM with a bump allocator. */
export class TestRam extends ArrayGuestMemory {
  private next: number;
  constructor(size = 1 << 20, base = TEST_RAM_BASE, onWrite?: RamWriteObserver) {
    super(base, new Uint8Array(size), onWrite);
    this.next = base;
  }
  alloc(len: number, align = 16): number {
    const a = Math.ceil(this.next / align) * align;
    if (a + len > this.base + this.size) throw new RangeError('test RAM exhausted');
    this.next = a + Math.max(len, 1);
    return a;
  }
  /** Allocates and fills a buffer. */
  put(data: Uint8Array, align = 1): number {
    const a = this.alloc(data.length, align);
    this.write(a, data);
    return a;
  }
}

/** One buffer of a chain: device-readable with `data`, or device-writable of `len` bytes. */
export type TestBuffer = { readonly data: Uint8Array } | { readonly writable: number };

export interface UsedElem {
  readonly id: number;
  readonly len: number;
}

export class DriverQueue {
  readonly index: number;
  readonly size: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  private readonly ram: TestRam;
  private readonly notifyFn: (index: number) => void;
  private nextDesc = 0;
  availIdx = 0;
  lastUsed = 0;
  /** Writable buffers of each outstanding head, to read results back. */
  readonly writableOf = new Map<number, { addr: number; len: number }[]>();

  constructor(ram: TestRam, index: number, size: number, notify: (index: number) => void) {
    this.ram = ram;
    this.index = index;
    this.size = size;
    this.notifyFn = notify;
    this.desc = ram.alloc(16 * size, 16);
    this.avail = ram.alloc(6 + 2 * size, 2);
    this.used = ram.alloc(6 + 8 * size, 4);
  }

  /** Writes descriptor `i` of the ring's table (or of a table at `table`). */
  writeDesc(i: number, addr: number, len: number, flags: number, next: number, table = this.desc): void {
    const o = table + 16 * i;
    this.ram.writeU32(o, addr % 0x1_0000_0000);
    this.ram.writeU32(o + 4, Math.floor(addr / 0x1_0000_0000));
    this.ram.writeU32(o + 8, len);
    this.ram.writeU16(o + 12, flags);
    this.ram.writeU16(o + 14, next);
  }

  /** Puts `head` in the avail ring and bumps avail.idx. */
  pushAvail(head: number): void {
    this.ram.writeU16(this.avail + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.ram.writeU16(this.avail + 2, this.availIdx);
  }

  setAvailFlags(flags: number): void {
    this.ram.writeU16(this.avail, flags);
  }
  setUsedEvent(v: number): void {
    this.ram.writeU16(this.avail + 4 + 2 * this.size, v);
  }
  availEvent(): number {
    return this.ram.readU16(this.used + 4 + 8 * this.size)!;
  }
  usedIdx(): number {
    return this.ram.readU16(this.used + 2)!;
  }

  private materialize(bufs: readonly TestBuffer[]): { addr: number; len: number; flags: number }[] {
    return bufs.map((b) => {
      if ('data' in b) return { addr: this.ram.put(b.data), len: b.data.length, flags: 0 };
      return { addr: this.ram.alloc(b.writable, 1), len: b.writable, flags: VIRTQ_DESC_F_WRITE };
    });
  }

  /**
   * Builds a chain and makes it available (without notifying). Direct chains take consecutive descriptors
   * (wrapping); an indirect chain takes one ring descriptor pointing at a table. Returns the head.
   */
  add(bufs: readonly TestBuffer[], options: { readonly indirect?: boolean } = {}): number {
    const parts = this.materialize(bufs);
    const head = this.nextDesc;
    if (options.indirect === true) {
      const table = this.ram.alloc(16 * parts.length, 16);
      parts.forEach((p, i) => {
        const last = i === parts.length - 1;
        this.writeDesc(i, p.addr, p.len, p.flags | (last ? 0 : VIRTQ_DESC_F_NEXT), last ? 0 : i + 1, table);
      });
      this.writeDesc(head, table, 16 * parts.length, VIRTQ_DESC_F_INDIRECT, 0);
      this.nextDesc = (head + 1) % this.size;
    } else {
      if (parts.length > this.size) throw new RangeError('chain longer than the queue');
      let i = head;
      parts.forEach((p, k) => {
        const last = k === parts.length - 1;
        const next = (i + 1) % this.size;
        this.writeDesc(i, p.addr, p.len, p.flags | (last ? 0 : VIRTQ_DESC_F_NEXT), last ? 0 : next);
        i = next;
      });
      this.nextDesc = i;
    }
    this.writableOf.set(head, parts.filter((p) => p.flags & VIRTQ_DESC_F_WRITE).map((p) => ({ addr: p.addr, len: p.len })));
    this.pushAvail(head);
    return head;
  }

  notify(): void {
    this.notifyFn(this.index);
  }

  /** New used elements since the last call. */
  takeUsed(): UsedElem[] {
    const out: UsedElem[] = [];
    const idx = this.usedIdx();
    while (this.lastUsed !== idx) {
      const o = this.used + 4 + 8 * (this.lastUsed % this.size);
      out.push({ id: this.ram.readU32(o)!, len: this.ram.readU32(o + 4)! });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** The concatenated writable buffers of chain `head` (what the device wrote). */
  written(head: number): Uint8Array {
    const parts = this.writableOf.get(head) ?? [];
    const total = parts.reduce((n, p) => n + p.len, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(this.ram.read(p.addr, p.len)!, o);
      o += p.len;
    }
    return out;
  }
}

export interface TestDriverOptions {
  /** Features to accept (default: everything offered). */
  readonly accept?: (offered: bigint) => bigint;
  /** Queue sizes to use (default: each queue's maximum). */
  readonly queueSizes?: readonly number[];
  readonly ramSize?: number;
}

/** A transport + device + fake RAM, brought up the way Linux's virtio_mmio does it. */
export class TestDriver {
  readonly ram: TestRam;
  readonly irq = new TestIrq();
  readonly transport: VirtioMmioTransport;
  readonly queues: DriverQueue[] = [];
  readonly logs: string[] = [];
  features = 0n;

  /** Every write to RAM reported through the GuestMemory, as [RAM offset, length] (driver and device alike). */
  readonly ramWrites: [number, number][] = [];

  constructor(device: VirtioDevice, ramSize = 1 << 20) {
    this.ram = new TestRam(ramSize, TEST_RAM_BASE, (o, n) => this.ramWrites.push([o, n]));
    this.transport = new VirtioMmioTransport({ device, memory: this.ram, irq: this.irq, log: (m) => this.logs.push(m) });
  }

  /** A driver that has completed `init(options)`. */
  static up(device: VirtioDevice, options: TestDriverOptions = {}): TestDriver {
    const d = new TestDriver(device, options.ramSize);
    d.init(options);
    return d;
  }

  r(off: number): number {
    return this.transport.read(off, 4);
  }
  w(off: number, v: number): void {
    this.transport.write(off, 4, v >>> 0);
  }

  status(): number {
    return this.r(R.status);
  }

  offeredFeatures(): bigint {
    this.w(R.deviceFeaturesSel, 1);
    const hi = BigInt(this.r(R.deviceFeatures));
    this.w(R.deviceFeaturesSel, 0);
    return (hi << 32n) | BigInt(this.r(R.deviceFeatures));
  }

  writeFeatures(f: bigint): void {
    this.w(R.driverFeaturesSel, 1);
    this.w(R.driverFeatures, Number(f >> 32n));
    this.w(R.driverFeaturesSel, 0);
    this.w(R.driverFeatures, Number(f & 0xffff_ffffn));
  }

  /** Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK. Throws if the device refuses. */
  init(options: TestDriverOptions = {}): void {
    const S = VIRTIO_STATUS;
    this.w(R.status, 0);
    this.w(R.status, S.acknowledge);
    this.w(R.status, S.acknowledge | S.driver);
    const offered = this.offeredFeatures();
    this.features = options.accept ? options.accept(offered) : offered;
    this.writeFeatures(this.features);
    this.w(R.status, S.acknowledge | S.driver | S.featuresOk);
    if ((this.status() & S.featuresOk) === 0) throw new Error('device refused the features');
    const n = this.transport.device.queueMaxSizes.length;
    this.queues.length = 0;
    for (let i = 0; i < n; i++) {
      this.w(R.queueSel, i);
      const max = this.r(R.queueNumMax);
      const size = options.queueSizes?.[i] ?? max;
      const q = new DriverQueue(this.ram, i, size, (idx) => this.w(R.queueNotify, idx));
      this.w(R.queueNum, size);
      this.w(R.queueDescLow, q.desc);
      this.w(R.queueDescHigh, 0);
      this.w(R.queueDriverLow, q.avail);
      this.w(R.queueDriverHigh, 0);
      this.w(R.queueDeviceLow, q.used);
      this.w(R.queueDeviceHigh, 0);
      this.w(R.queueReady, 1);
      this.queues.push(q);
    }
    this.w(R.status, S.acknowledge | S.driver | S.featuresOk | S.driverOk);
  }

  queue(i: number): DriverQueue {
    const q = this.queues[i];
    if (q === undefined) throw new RangeError(`no queue ${i}`);
    return q;
  }

  /** Reads and acknowledges InterruptStatus, as vm_interrupt does. */
  ackInterrupt(): number {
    const s = this.r(R.interruptStatus);
    this.w(R.interruptAck, s);
    return s;
  }

  /** Adds a chain to queue `qi`, notifies, and returns the used elements that appeared. */
  request(qi: number, bufs: readonly TestBuffer[], options: { readonly indirect?: boolean } = {}): { head: number; used: UsedElem[] } {
    const q = this.queue(qi);
    const head = q.add(bufs, options);
    q.notify();
    return { head, used: q.takeUsed() };
  }
}

export const ALL_RING_FEATURES = featureBit(VIRTIO_F.indirectDesc) | featureBit(VIRTIO_F.eventIdx);
