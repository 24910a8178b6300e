import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_RING_FEATURES, DriverQueue, TestDriver, TestIrq, TestRam, TEST_RAM_BASE } from './fake-driver.js';
import { VIRTIO_F, VIRTIO_STATUS as S, featureBit, type VirtioDevice, type VirtioDeviceContext } from './device.js';
import { TYPEVISOR_VENDOR_ID, VIRTIO_MMIO_INT, VIRTIO_MMIO_REG as R, VirtioMmioTransport } from './mmio-transport.js';
import { VirtioRng } from './rng.js';

/** A device with two queues, 8 bytes of writable config, that echoes readable bytes into writable ones. */
class EchoDevice implements VirtioDevice {
  readonly name = 'echo';
  readonly deviceId = 0x99;
  readonly features = featureBit(0) | featureBit(3);
  readonly queueMaxSizes = [16, 4];
  readonly configSize = 8;
  config = new Uint8Array(8);
  ctx: VirtioDeviceContext | undefined;
  notifies: number[] = [];
  resets = 0;
  throwOnNotify = false;
  readConfig(o: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.config[o + i]!;
    return v;
  }
  writeConfig(o: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) this.config[o + i] = (value >>> (8 * i)) & 0xff;
  }
  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
  }
  notify(index: number): void {
    this.notifies.push(index);
    if (this.throwOnNotify) throw new Error('boom');
    const ctx = this.ctx!;
    const q = ctx.queue(index);
    if (q === undefined) return;
    for (let c = q.pop(); c !== null; c = q.pop()) {
      const data = c.readBytes(ctx.memory, 0, c.readableLength);
      q.push(c.head, c.writeBytes(ctx.memory, 0, data));
    }
    ctx.usedBuffers(q);
  }
  reset(): void {
    this.resets++;
    this.ctx = undefined;
  }
  saveState(): unknown {
    return { config: [...this.config] };
  }
  restoreState(state: unknown): void {
    const c = (state as { config?: unknown } | null)?.config;
    if (!Array.isArray(c) || c.length !== 8) throw new Error('echo state: config must be 8 bytes');
    this.config = Uint8Array.from(c as number[]);
  }
}

test('identification registers: magic "virt", version 2, device and vendor IDs', () => {
  const d = new TestDriver(new EchoDevice());
  assert.equal(d.r(R.magicValue), 0x74726976);
  assert.equal(d.r(R.version), 2);
  assert.equal(d.r(R.deviceId), 0x99);
  assert.equal(d.r(R.vendorId), TYPEVISOR_VENDOR_ID);
});

test('device features: the device bits plus VERSION_1, INDIRECT_DESC and EVENT_IDX', () => {
  const d = new TestDriver(new EchoDevice());
  assert.equal(d.offeredFeatures(), featureBit(0) | featureBit(3) | featureBit(VIRTIO_F.version1) | ALL_RING_FEATURES);
  d.w(R.deviceFeaturesSel, 2);
  assert.equal(d.r(R.deviceFeatures), 0);
});

test('the full Linux handshake brings the device up', () => {
  const dev = new EchoDevice();
  const d = TestDriver.up(dev);
  assert.equal(d.status(), S.acknowledge | S.driver | S.featuresOk | S.driverOk);
  assert.ok(dev.ctx);
  const { used } = d.request(0, [{ data: Uint8Array.of(1, 2, 3) }, { writable: 3 }]);
  assert.equal(used.length, 1);
  assert.deepEqual([...d.queue(0).written(used[0]!.id)], [1, 2, 3]);
  assert.equal(d.irq.level, true);
  assert.equal(d.ackInterrupt(), VIRTIO_MMIO_INT.vring);
  assert.equal(d.irq.level, false);
});

test('FEATURES_OK is refused without VIRTIO_F_VERSION_1', () => {
  const d = new TestDriver(new EchoDevice());
  d.w(R.status, S.acknowledge | S.driver);
  d.writeFeatures(featureBit(0));
  d.w(R.status, S.acknowledge | S.driver | S.featuresOk);
  assert.equal(d.status() & S.featuresOk, 0);
  assert.equal(d.transport.errorCounts()['features'], 1);
});

test('FEATURES_OK is refused when the driver accepts features that were not offered', () => {
  const d = new TestDriver(new EchoDevice());
  d.w(R.status, S.acknowledge | S.driver);
  d.writeFeatures(featureBit(VIRTIO_F.version1) | featureBit(1));
  d.w(R.status, S.acknowledge | S.driver | S.featuresOk);
  assert.equal(d.status() & S.featuresOk, 0);
});

test('DRIVER_OK without FEATURES_OK is ignored; status bits cannot be cleared except by writing 0', () => {
  const dev = new EchoDevice();
  const d = new TestDriver(dev);
  d.w(R.status, S.acknowledge | S.driver | S.driverOk);
  assert.equal(d.status(), S.acknowledge | S.driver);
  assert.equal(dev.ctx, undefined);
  d.w(R.status, S.acknowledge);
  assert.equal(d.status(), S.acknowledge | S.driver);
  d.w(R.status, 0);
  assert.equal(d.status(), 0);
});

test('driver features are frozen once FEATURES_OK is set', () => {
  const d = TestDriver.up(new EchoDevice());
  const before = d.transport.negotiatedFeatures();
  d.writeFeatures(0n);
  assert.equal(d.transport.negotiatedFeatures(), before);
});

test('writing 0 to Status resets the device, its queues and the interrupt', () => {
  const dev = new EchoDevice();
  const d = TestDriver.up(dev);
  d.request(0, [{ data: Uint8Array.of(1) }, { writable: 1 }]);
  assert.equal(d.irq.level, true);
  d.w(R.status, 0);
  assert.equal(d.irq.level, false);
  assert.equal(d.r(R.interruptStatus), 0);
  assert.equal(dev.resets, 2); // once in init, once now
  d.w(R.queueSel, 0);
  assert.equal(d.r(R.queueReady), 0);
  assert.equal(d.r(R.queueNum), 16);
  assert.equal(d.r(R.queueDescLow), 0);
});

test('queue registers: QueueNumMax per queue, 0 for a queue that does not exist', () => {
  const d = new TestDriver(new EchoDevice());
  d.w(R.queueSel, 0);
  assert.equal(d.r(R.queueNumMax), 16);
  d.w(R.queueSel, 1);
  assert.equal(d.r(R.queueNumMax), 4);
  d.w(R.queueSel, 2);
  assert.equal(d.r(R.queueNumMax), 0);
  d.w(R.queueReady, 1);
  assert.equal(d.r(R.queueReady), 0);
});

test('64-bit queue addresses read back as written', () => {
  const d = new TestDriver(new EchoDevice());
  d.w(R.queueSel, 1);
  d.w(R.queueDescLow, 0x1234_5670);
  d.w(R.queueDescHigh, 0xfedc_ba98);
  d.w(R.queueDriverLow, 2);
  d.w(R.queueDeviceHigh, 7);
  assert.equal(d.r(R.queueDescLow), 0x1234_5670);
  assert.equal(d.r(R.queueDescHigh), 0xfedc_ba98);
  assert.equal(d.r(R.queueDriverLow), 2);
  assert.equal(d.r(R.queueDeviceHigh), 7);
});

test('QueueReady with a queue size that is not a power of two sets DEVICE_NEEDS_RESET', () => {
  const d = new TestDriver(new EchoDevice());
  d.w(R.status, S.acknowledge | S.driver);
  d.writeFeatures(featureBit(VIRTIO_F.version1));
  d.w(R.status, S.acknowledge | S.driver | S.featuresOk);
  d.w(R.queueSel, 0);
  d.w(R.queueNum, 12);
  d.w(R.queueDescLow, d.ram.alloc(16 * 16, 16));
  d.w(R.queueDriverLow, d.ram.alloc(64, 2));
  d.w(R.queueDeviceLow, d.ram.alloc(256, 4));
  d.w(R.queueReady, 1);
  assert.equal(d.r(R.queueReady), 0);
  assert.ok((d.status() & S.deviceNeedsReset) !== 0);
  assert.equal(d.transport.errorCounts()['queue-config'], 1);
  d.w(R.status, 0);
  assert.equal(d.status(), 0);
});

test('queue registers are frozen while the queue is ready', () => {
  const d = TestDriver.up(new EchoDevice());
  d.w(R.queueSel, 0);
  d.w(R.queueNum, 2);
  d.w(R.queueDescLow, 0);
  assert.equal(d.r(R.queueNum), 16);
  assert.equal(d.r(R.queueDescLow), d.queue(0).desc);
  assert.equal(d.transport.errorCounts()['register-access'], 2);
});

test('a queue fault sets DEVICE_NEEDS_RESET with a configuration change interrupt; reset recovers', () => {
  const dev = new EchoDevice();
  const d = TestDriver.up(dev);
  d.queue(0).pushAvail(200); // head out of range
  d.queue(0).notify();
  assert.ok((d.status() & S.deviceNeedsReset) !== 0);
  assert.equal(d.r(R.interruptStatus), VIRTIO_MMIO_INT.config);
  assert.equal(d.transport.errorCounts()['head-index'], 1);
  assert.equal(d.logs.length, 1);
  // Further notifies do nothing.
  dev.notifies = [];
  d.queue(0).notify();
  assert.deepEqual(dev.notifies, []);
  d.init();
  assert.equal(d.status() & S.deviceNeedsReset, 0);
  const { used } = d.request(0, [{ data: Uint8Array.of(5) }, { writable: 1 }]);
  assert.equal(used.length, 1);
});

test('a device model that throws is contained as DEVICE_NEEDS_RESET', () => {
  const dev = new EchoDevice();
  const d = TestDriver.up(dev);
  dev.throwOnNotify = true;
  d.queue(0).notify();
  assert.ok((d.status() & S.deviceNeedsReset) !== 0);
  assert.equal(d.transport.errorCounts()['device-error'], 1);
});

test('buffers notified before DRIVER_OK are processed at DRIVER_OK', () => {
  const dev = new EchoDevice();
  const d = new TestDriver(dev);
  d.w(R.status, S.acknowledge | S.driver);
  d.writeFeatures(featureBit(VIRTIO_F.version1));
  d.w(R.status, S.acknowledge | S.driver | S.featuresOk);
  const q = new DriverQueue(d.ram, 0, 16, (i) => d.w(R.queueNotify, i));
  d.w(R.queueSel, 0);
  d.w(R.queueDescLow, q.desc);
  d.w(R.queueDriverLow, q.avail);
  d.w(R.queueDeviceLow, q.used);
  d.w(R.queueReady, 1);
  const head = q.add([{ data: Uint8Array.of(3) }, { writable: 1 }]);
  q.notify();
  assert.deepEqual(q.takeUsed(), []);
  d.w(R.status, S.acknowledge | S.driver | S.featuresOk | S.driverOk);
  assert.deepEqual(q.takeUsed(), [{ id: head, len: 1 }]);
});

test('notifies of queues that do not exist or are not ready are ignored and counted', () => {
  const dev = new EchoDevice();
  const d = TestDriver.up(dev);
  dev.notifies = [];
  d.w(R.queueNotify, 7);
  d.w(R.queueNotify, 0x10000);
  assert.deepEqual(dev.notifies, []);
  assert.equal(d.transport.errorCounts()['notify'], 2);
});

test('control registers ignore accesses that are not 32-bit and aligned', () => {
  const d = new TestDriver(new EchoDevice());
  assert.equal(d.transport.read(R.magicValue, 1), 0);
  assert.equal(d.transport.read(R.magicValue, 2), 0);
  assert.equal(d.transport.read(R.magicValue + 2, 4), 0);
  d.transport.write(R.status, 1, S.acknowledge);
  d.transport.write(R.status + 1, 4, S.acknowledge);
  assert.equal(d.status(), 0);
  assert.equal(d.transport.errorCounts()['register-access'], 5);
});

test('shared memory regions read as "none" (all ones), legacy registers read 0', () => {
  const d = new TestDriver(new EchoDevice());
  d.w(R.shmSel, 0);
  for (const off of [R.shmLenLow, R.shmLenHigh, R.shmBaseLow, R.shmBaseHigh]) assert.equal(d.r(off), 0xffff_ffff);
  assert.equal(d.r(0x28), 0);
  assert.equal(d.r(0x40), 0);
});

test('config space: byte, half and word accesses; outside it reads 0 and writes are ignored', () => {
  const dev = new EchoDevice();
  const d = new TestDriver(dev);
  d.transport.write(R.config, 4, 0x4433_2211);
  d.transport.write(R.config + 4, 2, 0x6655);
  assert.equal(d.transport.read(R.config + 1, 1), 0x22);
  assert.equal(d.transport.read(R.config + 2, 2), 0x4433);
  assert.equal(d.transport.read(R.config + 4, 4), 0x6655);
  assert.equal(d.transport.read(R.config + 6, 4), 0, 'straddles the end');
  d.transport.write(R.config + 8, 4, 0xffff_ffff);
  assert.equal(d.transport.read(R.config + 0x200, 4), 0);
});

test('configChanged bumps ConfigGeneration and raises the configuration interrupt once DRIVER_OK', () => {
  const dev = new EchoDevice();
  const d = TestDriver.up(dev);
  const g = d.r(R.configGeneration);
  dev.ctx!.configChanged();
  assert.equal(d.r(R.configGeneration), g + 1);
  assert.equal(d.r(R.interruptStatus), VIRTIO_MMIO_INT.config);
  assert.equal(d.irq.level, true);
  d.w(R.interruptAck, VIRTIO_MMIO_INT.vring);
  assert.equal(d.irq.level, true, 'acking the other bit leaves it');
  d.w(R.interruptAck, VIRTIO_MMIO_INT.config);
  assert.equal(d.irq.level, false);
});

test('saveState / restoreState round trip mid-operation, onto a fresh transport', () => {
  const dev = new EchoDevice();
  dev.config[0] = 42;
  const d = TestDriver.up(dev);
  d.request(0, [{ data: Uint8Array.of(9) }, { writable: 1 }]);
  const snap = JSON.parse(JSON.stringify(d.transport.saveState()));
  const dev2 = new EchoDevice();
  const irq2 = new TestIrq();
  const t2 = new VirtioMmioTransport({ device: dev2, memory: d.ram, irq: irq2 });
  t2.restoreState(snap);
  assert.deepEqual(t2.saveState(), d.transport.saveState());
  assert.equal(irq2.level, true);
  assert.equal(dev2.config[0], 42);
  assert.ok(dev2.ctx, 'an active device is re-activated');
  // The restored transport continues the same queue.
  const q = d.queue(0);
  q.add([{ data: Uint8Array.of(7) }, { writable: 1 }]);
  t2.write(R.queueNotify, 4, 0);
  assert.equal(q.takeUsed().length, 1);
});

test('restoreState rejects malformed snapshots, naming the field, and changes nothing', () => {
  const d = TestDriver.up(new EchoDevice());
  const good = d.transport.saveState();
  const before = JSON.stringify(good);
  const bad: [unknown, RegExp][] = [
    [null, /must be an object/],
    [{ ...good, status: 0x100 }, /status/],
    [{ ...good, status: S.deviceNeedsReset }, /status/],
    [{ ...good, needsReset: 1 }, /needsReset/],
    [{ ...good, driverFeatures: [1] }, /driverFeatures/],
    [{ ...good, driverFeatures: [0, 0xffff_ffff] }, /driverFeatures/],
    [{ ...good, interruptStatus: 4 }, /interruptStatus/],
    [{ ...good, queues: [] }, /queues/],
    [{ ...good, queues: [good.queues[0], { ...good.queues[1], usedIdx: -1 }] }, /queues\[1\]\.usedIdx/],
    [{ ...good, device: { config: [1] } }, /echo state/],
  ];
  for (const [s, re] of bad) {
    assert.throws(() => d.transport.restoreState(s), re);
    assert.equal(JSON.stringify(d.transport.saveState()), before);
  }
});

test('config is validated', () => {
  const ram = new TestRam();
  const irq = new TestIrq();
  const device = new EchoDevice();
  assert.throws(() => new VirtioMmioTransport(null as never), TypeError);
  assert.throws(() => new VirtioMmioTransport({ device, memory: ram, irq: {} as never }), /irq/);
  assert.throws(() => new VirtioMmioTransport({ device, memory: {} as never, irq }), /memory/);
  assert.throws(() => new VirtioMmioTransport({ device, memory: ram, irq, vendorId: -1 }), /vendorId/);
});

// ---------------------------------------------------------------- properties

const REG_OFFSETS = [
  0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x20, 0x24, 0x28, 0x30, 0x34, 0x38, 0x3c, 0x40, 0x44, 0x50, 0x60, 0x64,
  0x70, 0x80, 0x84, 0x90, 0x94, 0xa0, 0xa4, 0xac, 0xb0, 0xb4, 0xb8, 0xbc, 0xc0, 0xfc, 0x100, 0x104, 0x108,
];

const access = fc.record({
  write: fc.boolean(),
  offset: fc.oneof(fc.constantFrom(...REG_OFFSETS), fc.nat(0xfff)),
  size: fc.constantFrom(1 as const, 2 as const, 4 as const),
  value: fc.oneof(fc.nat(3), fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 11, 15, 0x40, 0x80, 0xff, 16, 0xffff_ffff), fc.nat(0xffff_ffff)),
});

test('property: random register access sequences never throw, and the irq follows InterruptStatus', () => {
  fc.assert(
    fc.property(fc.array(access, { maxLength: 200 }), fc.boolean(), (seq, bringUp) => {
      const dev = new EchoDevice();
      const d = new TestDriver(dev, 1 << 16);
      if (bringUp) d.init();
      for (const a of seq) {
        let off = a.offset;
        // Aim the address registers at RAM often enough for queues to come up.
        let v = a.value;
        if (a.write && (off === R.queueDescLow || off === R.queueDriverLow || off === R.queueDeviceLow)) v = TEST_RAM_BASE + (v & 0xff00);
        if (a.size === 4) off &= ~3;
        else if (a.size === 2) off &= ~1;
        const mask = a.size === 4 ? 0xffff_ffff : a.size === 2 ? 0xffff : 0xff;
        if (a.write) d.transport.write(off, a.size, (v & mask) >>> 0);
        else d.transport.read(off, a.size);
        assert.equal(d.irq.level, d.r(R.interruptStatus) !== 0);
      }
      // The state always round-trips.
      const s = JSON.parse(JSON.stringify(d.transport.saveState()));
      const t2 = new VirtioMmioTransport({ device: new EchoDevice(), memory: d.ram, irq: new TestIrq() });
      t2.restoreState(s);
    }),
    { numRuns: 2000 },
  );
});

test('property: a device up and running survives random hostile register writes among requests', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(access, fc.constant(null)), { maxLength: 60 }), (seq) => {
      const d = TestDriver.up(new VirtioRng({ random: (b) => b.fill(7) }), { queueSizes: [8] });
      for (const a of seq) {
        if (a === null) {
          if (d.status() & S.deviceNeedsReset || (d.status() & S.driverOk) === 0) continue;
          const q = d.queue(0);
          if (((q.availIdx - q.lastUsed) & 0xffff) >= q.size) continue;
          d.request(0, [{ writable: 4 }]);
        } else if (a.write) {
          d.transport.write(a.offset & ~3, 4, a.value);
        } else {
          d.transport.read(a.offset, a.size);
        }
      }
    }),
    { numRuns: 1000 },
  );
});
