/**
 * The virtio-mmio transport, version 2 ("modern", virtio 1.2 section 4.2), as Linux's virtio_mmio driver and
 * QEMU's hw/virtio/virtio-mmio.c use it. One instance fronts one device model in a 0x1000-byte window; on the
 * virt machine device i sits at 0x1000_1000 + i·0x1000 with PLIC source 1 + i.
 *
 *   0x000 MagicValue "virt"   0x004 Version 2          0x008 DeviceID          0x00c VendorID
 *   0x010 DeviceFeatures      0x014 DeviceFeaturesSel  0x020 DriverFeatures    0x024 DriverFeaturesSel
 *   0x030 QueueSel            0x034 QueueNumMax        0x038 QueueNum          0x044 QueueReady
 *   0x050 QueueNotify         0x060 InterruptStatus    0x064 InterruptACK      0x070 Status
 *   0x080/0x084 QueueDesc     0x090/0x094 QueueDriver  0x0a0/0x0a4 QueueDevice
 *   0x0ac SHMSel  0x0b0/0x0b4 SHMLen  0x0b8/0x0bc SHMBase (no regions: all ones)
 *   0x0fc ConfigGeneration    0x100.. device-specific configuration space
 *
 * Control registers are 32-bit: accesses of another width or at an unaligned offset below 0x100 read 0 and are
 * ignored (4.2.2.2 makes them driver errors); they are counted as 'register-access'. Config space takes 1, 2
 * and 4-byte accesses (the bus splits 8-byte ones). Legacy registers (GuestPageSize, QueueAlign, QueuePFN) do
 * not exist in version 2 and read 0.
 *
 * Status: writing 0 resets the device. Otherwise the driver can only add bits. FEATURES_OK sticks only when the
 * driver's features are a subset of the offered ones and include VIRTIO_F_VERSION_1 (the driver reads Status
 * back to see it refused, 3.1.1); DRIVER_OK needs FEATURES_OK and activates the device. DEVICE_NEEDS_RESET is
 * the device's bit: set when a queue faults or a device gives up, with a configuration change interrupt.
 *
 * The interrupt line is high while InterruptStatus (bit 0 used buffer, bit 1 configuration change) is non-zero.
 */
import type { AccessSize, IrqLine, MmioDevice } from '../devices/mmio.js';
import { VIRTIO_F, VIRTIO_STATUS, featureBit, type VirtioDevice, type VirtioDeviceContext } from './device.js';
import type { GuestMemory } from './guest-memory.js';
import { Virtqueue, parseQueueState, type QueueFault, type VirtqueueState } from './queue.js';

export const VIRTIO_MMIO_MAGIC = 0x74726976;
export const VIRTIO_MMIO_VERSION = 2;
/** Size of one device's register window. */
export const VIRTIO_MMIO_WINDOW = 0x1000;

export const VIRTIO_MMIO_REG = {
  magicValue: 0x000,
  version: 0x004,
  deviceId: 0x008,
  vendorId: 0x00c,
  deviceFeatures: 0x010,
  deviceFeaturesSel: 0x014,
  driverFeatures: 0x020,
  driverFeaturesSel: 0x024,
  queueSel: 0x030,
  queueNumMax: 0x034,
  queueNum: 0x038,
  queueReady: 0x044,
  queueNotify: 0x050,
  interruptStatus: 0x060,
  interruptAck: 0x064,
  status: 0x070,
  queueDescLow: 0x080,
  queueDescHigh: 0x084,
  queueDriverLow: 0x090,
  queueDriverHigh: 0x094,
  queueDeviceLow: 0x0a0,
  queueDeviceHigh: 0x0a4,
  shmSel: 0x0ac,
  shmLenLow: 0x0b0,
  shmLenHigh: 0x0b4,
  shmBaseLow: 0x0b8,
  shmBaseHigh: 0x0bc,
  configGeneration: 0x0fc,
  config: 0x100,
} as const;

export const VIRTIO_MMIO_INT = { vring: 1, config: 2 } as const;

/** Default VendorID: the bytes "TYPV" as a little-endian word (QEMU's is "QEMU", 0x554d4551). */
export const TYPEVISOR_VENDOR_ID = 0x56505954;

/** Feature bits the transport itself offers on top of the device's. */
const TRANSPORT_FEATURES = featureBit(VIRTIO_F.version1) | featureBit(VIRTIO_F.indirectDesc) | featureBit(VIRTIO_F.eventIdx);

export interface VirtioMmioConfig {
  readonly device: VirtioDevice;
  /** Guest RAM as the device sees it (e.g. ArrayGuestMemory.fromRam(machine.ram)). */
  readonly memory: GuestMemory;
  /** The device's interrupt line (PLIC source 1 + i on the virt machine). */
  readonly irq: IrqLine;
  /** VendorID register (default TYPEVISOR_VENDOR_ID). */
  readonly vendorId?: number;
  /** Receives one line per guest error, at most `logLimit` per kind. */
  readonly log?: (message: string) => void;
  /** Log lines per error kind before going quiet (default 10); counting goes on. */
  readonly logLimit?: number;
}

/** A plain, JSON-friendly snapshot of the transport and its device. */
export interface VirtioMmioState {
  readonly status: number;
  readonly needsReset: boolean;
  readonly deviceFeaturesSel: number;
  readonly driverFeaturesSel: number;
  /** The driver's feature bits 0..31 and 32..63. */
  readonly driverFeatures: readonly [number, number];
  readonly queueSel: number;
  readonly shmSel: number;
  readonly interruptStatus: number;
  readonly configGeneration: number;
  readonly queues: readonly VirtqueueState[];
  readonly device: unknown;
}

function stateError(msg: string): Error {
  return new Error(`virtio-mmio state: ${msg}`);
}

export class VirtioMmioTransport implements MmioDevice {
  readonly name: string;
  readonly device: VirtioDevice;
  private readonly memory: GuestMemory;
  private readonly irq: IrqLine;
  private readonly vendorId: number;
  private readonly log: ((message: string) => void) | undefined;
  private readonly logLimit: number;
  /** Device features plus the transport's. */
  readonly offeredFeatures: bigint;
  private readonly queues: Virtqueue[];

  private status = 0;
  private needsResetFlag = false;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private shmSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private irqLevel = false;
  private active = false;
  private readonly counters = new Map<string, number>();
  private readonly ctx: VirtioDeviceContext;

  constructor(config: VirtioMmioConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('virtio-mmio config must be an object');
    const { device, memory, irq, vendorId, log, logLimit } = config;
    if (typeof device !== 'object' || device === null || typeof device.notify !== 'function') {
      throw new TypeError('virtio-mmio config: device must be a VirtioDevice');
    }
    if (typeof memory !== 'object' || memory === null || typeof memory.view !== 'function') {
      throw new TypeError('virtio-mmio config: memory must be a GuestMemory');
    }
    if (typeof irq !== 'object' || irq === null || typeof irq.set !== 'function') {
      throw new TypeError('virtio-mmio config: irq must be an IrqLine');
    }
    if (vendorId !== undefined && (!Number.isInteger(vendorId) || vendorId < 0 || vendorId > 0xffff_ffff)) {
      throw new TypeError('virtio-mmio config: vendorId must be a 32-bit integer');
    }
    if (log !== undefined && typeof log !== 'function') throw new TypeError('virtio-mmio config: log must be a function');
    if (logLimit !== undefined && (!Number.isInteger(logLimit) || logLimit < 0)) {
      throw new TypeError('virtio-mmio config: logLimit must be a non-negative integer');
    }
    if (!Number.isInteger(device.deviceId) || device.deviceId <= 0 || device.deviceId > 0xffff_ffff) {
      throw new TypeError('virtio-mmio config: device.deviceId must be a positive 32-bit integer');
    }
    if (device.queueMaxSizes.length === 0 || device.queueMaxSizes.length > 1024) {
      throw new TypeError('virtio-mmio config: a device needs 1..1024 queues');
    }
    if (!Number.isInteger(device.configSize) || device.configSize < 0 || device.configSize > VIRTIO_MMIO_WINDOW - 0x100) {
      throw new TypeError('virtio-mmio config: device.configSize must fit the window');
    }
    this.device = device;
    this.name = device.name;
    this.memory = memory;
    this.irq = irq;
    this.vendorId = vendorId ?? TYPEVISOR_VENDOR_ID;
    this.log = log;
    this.logLimit = logLimit ?? 10;
    this.offeredFeatures = (device.features & ((1n << 64n) - 1n)) | TRANSPORT_FEATURES;
    this.queues = device.queueMaxSizes.map((max, i) => new Virtqueue(i, max));
    const self = this;
    this.ctx = {
      memory,
      get features() {
        return self.driverFeatures;
      },
      queue: (index) => {
        const q = this.queues[index];
        return q !== undefined && q.ready ? q : undefined;
      },
      usedBuffers: (q) => {
        if (q.needsInterrupt()) this.raiseInterrupt(VIRTIO_MMIO_INT.vring);
      },
      configChanged: () => {
        this.configGeneration = (this.configGeneration + 1) >>> 0;
        if ((this.status & VIRTIO_STATUS.driverOk) !== 0) this.raiseInterrupt(VIRTIO_MMIO_INT.config);
      },
      needsReset: (reason) => this.enterNeedsReset('device', reason),
      count: (kind, detail) => this.count(kind, detail),
    };
  }

  // ---------------------------------------------------------------- diagnostics

  /** How many times each kind of guest error occurred (queue faults by QueueFault name, device errors by kind). */
  errorCounts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  /** Whether DEVICE_NEEDS_RESET is set. */
  needsReset(): boolean {
    return this.needsResetFlag;
  }

  /** Whether the interrupt output is high. */
  irqAsserted(): boolean {
    return this.irqLevel;
  }

  /** The negotiated features (valid once FEATURES_OK is set). */
  negotiatedFeatures(): bigint {
    return this.driverFeatures;
  }

  private count(kind: string, detail: string): void {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    if (this.log !== undefined && n <= this.logLimit) {
      this.log(`${this.name}: ${kind}: ${detail}${n === this.logLimit ? ' (further ones not logged)' : ''}`);
    }
  }

  private enterNeedsReset(kind: string, detail: string): void {
    this.count(kind, detail);
    if (this.needsResetFlag) return;
    this.needsResetFlag = true;
    if ((this.status & VIRTIO_STATUS.driverOk) !== 0) this.raiseInterrupt(VIRTIO_MMIO_INT.config);
  }

  private readonly onQueueFault = (q: Virtqueue, fault: QueueFault, detail: string): void => {
    this.enterNeedsReset(fault, `queue ${q.index}: ${detail}`);
  };

  // ---------------------------------------------------------------- interrupts

  private raiseInterrupt(bits: number): void {
    this.interruptStatus |= bits;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  /** Re-sends the interrupt level (after a restore, or when wiring a fresh interrupt controller). */
  resync(): void {
    this.irqLevel = this.interruptStatus !== 0;
    this.irq.set(this.irqLevel);
  }

  // ---------------------------------------------------------------- MMIO

  read(offset: number, size: AccessSize): number {
    if (offset >= VIRTIO_MMIO_REG.config) return this.readConfig(offset - VIRTIO_MMIO_REG.config, size);
    if (size !== 4 || offset % 4 !== 0) {
      this.count('register-access', `${size}-byte read at 0x${offset.toString(16)}`);
      return 0;
    }
    const R = VIRTIO_MMIO_REG;
    const q = this.queues[this.queueSel];
    switch (offset) {
      case R.magicValue:
        return VIRTIO_MMIO_MAGIC;
      case R.version:
        return VIRTIO_MMIO_VERSION;
      case R.deviceId:
        return this.device.deviceId;
      case R.vendorId:
        return this.vendorId;
      case R.deviceFeatures:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.offeredFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case R.deviceFeaturesSel:
        return this.deviceFeaturesSel;
      case R.driverFeatures:
        return this.driverFeaturesSel > 1 ? 0 : Number((this.driverFeatures >> BigInt(32 * this.driverFeaturesSel)) & 0xffff_ffffn);
      case R.driverFeaturesSel:
        return this.driverFeaturesSel;
      case R.queueSel:
        return this.queueSel;
      case R.queueNumMax:
        return q === undefined ? 0 : q.maxSize;
      case R.queueNum:
        return q === undefined ? 0 : q.size;
      case R.queueReady:
        return q !== undefined && q.ready ? 1 : 0;
      case R.interruptStatus:
        return this.interruptStatus;
      case R.status:
        return this.status | (this.needsResetFlag ? VIRTIO_STATUS.deviceNeedsReset : 0);
      case R.queueDescLow:
        return q?.descLo ?? 0;
      case R.queueDescHigh:
        return q?.descHi ?? 0;
      case R.queueDriverLow:
        return q?.driverLo ?? 0;
      case R.queueDriverHigh:
        return q?.driverHi ?? 0;
      case R.queueDeviceLow:
        return q?.deviceLo ?? 0;
      case R.queueDeviceHigh:
        return q?.deviceHi ?? 0;
      case R.shmSel:
        return this.shmSel;
      case R.shmLenLow:
      case R.shmLenHigh:
      case R.shmBaseLow:
      case R.shmBaseHigh:
        // No shared memory regions: a length of 2^64 - 1 means "no such region" to Linux's vm_get_shm_region.
        return 0xffff_ffff;
      case R.configGeneration:
        return this.configGeneration;
      default:
        return 0; // write-only registers (QueueNotify, InterruptACK), legacy and reserved offsets
    }
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset >= VIRTIO_MMIO_REG.config) {
      this.writeConfig(offset - VIRTIO_MMIO_REG.config, size, value);
      return;
    }
    if (size !== 4 || offset % 4 !== 0) {
      this.count('register-access', `${size}-byte write at 0x${offset.toString(16)}`);
      return;
    }
    const v = value >>> 0;
    const R = VIRTIO_MMIO_REG;
    switch (offset) {
      case R.deviceFeaturesSel:
        this.deviceFeaturesSel = v;
        return;
      case R.driverFeaturesSel:
        this.driverFeaturesSel = v;
        return;
      case R.driverFeatures:
        this.writeDriverFeatures(v);
        return;
      case R.queueSel:
        this.queueSel = v;
        return;
      case R.queueNum:
      case R.queueDescLow:
      case R.queueDescHigh:
      case R.queueDriverLow:
      case R.queueDriverHigh:
      case R.queueDeviceLow:
      case R.queueDeviceHigh:
        this.writeQueueRegister(offset, v);
        return;
      case R.queueReady:
        this.writeQueueReady(v);
        return;
      case R.queueNotify:
        this.notify(v);
        return;
      case R.interruptAck:
        this.interruptStatus &= ~v;
        this.updateIrq();
        return;
      case R.status:
        this.writeStatus(v);
        return;
      case R.shmSel:
        this.shmSel = v;
        return;
      default:
        this.count('register-access', `write of read-only or reserved register 0x${offset.toString(16)}`);
        return;
    }
  }

  private readConfig(off: number, size: AccessSize): number {
    if (off + size > this.device.configSize) return 0;
    return this.device.readConfig(off, size) >>> 0;
  }

  private writeConfig(off: number, size: AccessSize, value: number): void {
    if (off + size > this.device.configSize) {
      this.count('config-access', `${size}-byte write at config offset ${off}, outside the ${this.device.configSize}-byte config space`);
      return;
    }
    this.device.writeConfig(off, size, value);
  }

  private writeDriverFeatures(v: number): void {
    if ((this.status & VIRTIO_STATUS.featuresOk) !== 0) {
      this.count('status-sequence', 'DriverFeatures written after FEATURES_OK');
      return;
    }
    if (this.driverFeaturesSel > 1) return; // no feature bits above 63
    const shift = BigInt(32 * this.driverFeaturesSel);
    this.driverFeatures = (this.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(v) << shift);
  }

  private writeQueueRegister(offset: number, v: number): void {
    const q = this.queues[this.queueSel];
    if (q === undefined) {
      this.count('register-access', `queue register 0x${offset.toString(16)} written with QueueSel ${this.queueSel}, no such queue`);
      return;
    }
    if (q.ready) {
      this.count('register-access', `queue ${q.index} register 0x${offset.toString(16)} written while the queue is ready`);
      return;
    }
    const R = VIRTIO_MMIO_REG;
    switch (offset) {
      case R.queueNum:
        q.size = v;
        return;
      case R.queueDescLow:
        q.descLo = v;
        return;
      case R.queueDescHigh:
        q.descHi = v;
        return;
      case R.queueDriverLow:
        q.driverLo = v;
        return;
      case R.queueDriverHigh:
        q.driverHi = v;
        return;
      case R.queueDeviceLow:
        q.deviceLo = v;
        return;
      case R.queueDeviceHigh:
        q.deviceHi = v;
        return;
    }
  }

  private ringFeatures(): { eventIdx: boolean; indirect: boolean } {
    const f = this.driverFeatures & this.offeredFeatures;
    return {
      eventIdx: (f & featureBit(VIRTIO_F.eventIdx)) !== 0n,
      indirect: (f & featureBit(VIRTIO_F.indirectDesc)) !== 0n,
    };
  }

  private writeQueueReady(v: number): void {
    const q = this.queues[this.queueSel];
    if (q === undefined) {
      this.count('register-access', `QueueReady written with QueueSel ${this.queueSel}, no such queue`);
      return;
    }
    if ((v & 1) === 0) {
      q.ready = false;
      return;
    }
    if (q.ready) return;
    const { eventIdx, indirect } = this.ringFeatures();
    const problem = q.configure(this.memory, eventIdx, indirect, this.onQueueFault);
    if (problem !== null) {
      this.enterNeedsReset('queue-config', `queue ${q.index}: ${problem}`);
      return;
    }
    q.ready = true;
  }

  private notify(v: number): void {
    const index = v & 0xffff; // without VIRTIO_F_NOTIFICATION_DATA the value is the queue index
    const q = this.queues[index];
    if (q === undefined || v > 0xffff) {
      this.count('notify', `notify of queue ${v}, which does not exist`);
      return;
    }
    if (!q.ready) {
      this.count('notify', `notify of queue ${index}, which is not ready`);
      return;
    }
    // Before DRIVER_OK the buffers wait: activation looks at every ready queue.
    if (!this.active || this.needsResetFlag) return;
    this.deviceNotify(index);
  }

  /** Runs the device on a queue; a device model that throws is a bug, contained here as DEVICE_NEEDS_RESET. */
  private deviceNotify(index: number): void {
    try {
      this.device.notify(index);
    } catch (e) {
      this.enterNeedsReset('device-error', `queue ${index}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    const S = VIRTIO_STATUS;
    const cur = this.status;
    let next = v & 0xff & ~S.deviceNeedsReset;
    if ((cur & ~next) !== 0) {
      this.count('status-sequence', `status 0x${v.toString(16)} would clear bits of 0x${cur.toString(16)}`);
      next |= cur;
    }
    const added = next & ~cur;
    if ((added & S.featuresOk) !== 0) {
      const problem = this.featureProblem(next);
      if (problem !== null) {
        this.count('features', problem);
        next &= ~S.featuresOk;
      }
    }
    if ((added & S.driverOk) !== 0 && (next & S.featuresOk) === 0) {
      this.count('status-sequence', 'DRIVER_OK without FEATURES_OK');
      next &= ~S.driverOk;
    }
    this.status = next;
    if ((added & S.driverOk) !== 0 && (next & S.driverOk) !== 0) this.activate();
  }

  private featureProblem(status: number): string | null {
    const S = VIRTIO_STATUS;
    if ((status & (S.acknowledge | S.driver)) !== (S.acknowledge | S.driver)) return 'FEATURES_OK before ACKNOWLEDGE and DRIVER';
    const extra = this.driverFeatures & ~this.offeredFeatures;
    if (extra !== 0n) return `driver accepted features 0x${extra.toString(16)} that were not offered`;
    if ((this.driverFeatures & featureBit(VIRTIO_F.version1)) === 0n) return 'driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are not supported)';
    return null;
  }

  private activate(): void {
    this.active = true;
    this.device.activate(this.ctx);
    // Buffers made available (and notified) before DRIVER_OK are picked up now.
    for (const q of this.queues) {
      if (q.ready && !this.needsResetFlag && this.active) this.deviceNotify(q.index);
    }
  }

  /** Device reset: what writing 0 to Status does (and the machine's reset). */
  reset(): void {
    this.active = false;
    this.device.reset();
    for (const q of this.queues) q.reset();
    this.status = 0;
    this.needsResetFlag = false;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.shmSel = 0;
    this.interruptStatus = 0;
    this.updateIrq();
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): VirtioMmioState {
    return {
      status: this.status,
      needsReset: this.needsResetFlag,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [Number(this.driverFeatures & 0xffff_ffffn), Number(this.driverFeatures >> 32n)],
      queueSel: this.queueSel,
      shmSel: this.shmSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      queues: this.queues.map((q) => q.saveState()),
      device: this.device.saveState(),
    };
  }

  /**
   * Restores a snapshot (untrusted input: every field is validated, and nothing changes unless all are valid,
   * the device's part included), then re-sends the interrupt level.
   */
  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw stateError('must be an object');
    const rec = state as Record<string, unknown>;
    const u32 = (field: string, max = 0xffff_ffff): number => {
      const v = rec[field];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw stateError(`${field} must be an integer in 0..${max}`);
      return v;
    };
    const status = u32('status', 0xff);
    if ((status & VIRTIO_STATUS.deviceNeedsReset) !== 0) throw stateError('status must not hold DEVICE_NEEDS_RESET (see needsReset)');
    const needsReset = rec['needsReset'];
    if (typeof needsReset !== 'boolean') throw stateError('needsReset must be a boolean');
    const deviceFeaturesSel = u32('deviceFeaturesSel');
    const driverFeaturesSel = u32('driverFeaturesSel');
    const df = rec['driverFeatures'];
    if (!Array.isArray(df) || df.length !== 2 || !df.every((x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff)) {
      throw stateError('driverFeatures must be [low, high] 32-bit integers');
    }
    const driverFeatures = BigInt(df[0] as number) | (BigInt(df[1] as number) << 32n);
    if ((status & VIRTIO_STATUS.featuresOk) !== 0 && (driverFeatures & ~this.offeredFeatures) !== 0n) {
      throw stateError('driverFeatures holds bits the device does not offer');
    }
    const queueSel = u32('queueSel');
    const shmSel = u32('shmSel');
    const interruptStatus = u32('interruptStatus', 3);
    const configGeneration = u32('configGeneration');
    const qs = rec['queues'];
    if (!Array.isArray(qs) || qs.length !== this.queues.length) throw stateError(`queues must be an array of ${this.queues.length}`);
    const parsed = this.queues.map((q, i) => parseQueueState(q.maxSize, qs[i], `virtio-mmio state: queues[${i}]`));
    this.device.restoreState(rec['device']);

    this.status = status;
    this.needsResetFlag = needsReset;
    this.deviceFeaturesSel = deviceFeaturesSel;
    this.driverFeaturesSel = driverFeaturesSel;
    this.driverFeatures = driverFeatures;
    this.queueSel = queueSel;
    this.shmSel = shmSel;
    this.interruptStatus = interruptStatus;
    this.configGeneration = configGeneration;
    const { eventIdx, indirect } = this.ringFeatures();
    this.queues.forEach((q, i) => {
      q.loadState(parsed[i]!);
      if (q.ready) {
        q.eventIdx = eventIdx;
        q.indirect = indirect;
        q.attach(this.memory, this.onQueueFault);
      }
    });
    this.active = (status & VIRTIO_STATUS.driverOk) !== 0;
    if (this.active) this.device.activate(this.ctx);
    this.resync();
  }
}
