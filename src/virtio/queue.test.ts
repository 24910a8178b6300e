import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DriverQueue, TestRam, TEST_RAM_BASE } from './fake-driver.js';
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_MAX_INDIRECT,
  Virtqueue,
  parseQueueState,
  type QueueFault,
} from './queue.js';

const RD = (n: number, fill = 0xaa) => ({ data: new Uint8Array(n).fill(fill) });
const WR = (n: number) => ({ writable: n });

/** A device-side queue and a driver-side view of the same rings in fake RAM. */
function rig(size = 8, opts: { eventIdx?: boolean; indirect?: boolean; max?: number } = {}) {
  const ram = new TestRam(1 << 20);
  const faults: QueueFault[] = [];
  const dq = new DriverQueue(ram, 0, size, () => {});
  const q = new Virtqueue(0, opts.max ?? 256);
  q.size = size;
  q.descLo = dq.desc;
  q.driverLo = dq.avail;
  q.deviceLo = dq.used;
  const problem = q.configure(ram, opts.eventIdx ?? false, opts.indirect ?? true, (_q, f) => faults.push(f));
  assert.equal(problem, null);
  q.ready = true;
  return { ram, dq, q, faults };
}

test('a direct chain is split into its readable and writable buffers', () => {
  const { dq, q } = rig();
  const head = dq.add([RD(16), RD(100), WR(512), WR(1)]);
  const c = q.pop();
  assert.ok(c);
  assert.equal(c.head, head);
  assert.deepEqual(c.readable.map((s) => s.len), [16, 100]);
  assert.deepEqual(c.writable.map((s) => s.len), [512, 1]);
  assert.equal(c.readableLength, 116);
  assert.equal(c.writableLength, 513);
  assert.equal(q.pop(), null);
});

test('an indirect chain is read from its table', () => {
  const { dq, q } = rig();
  dq.add([RD(16), WR(8), WR(1)], { indirect: true });
  const c = q.pop();
  assert.ok(c);
  assert.equal(c.readable.length, 1);
  assert.equal(c.writable.length, 2);
});

test('readBytes and writeBytes cross buffer boundaries', () => {
  const { ram, dq, q } = rig();
  const head = dq.add([{ data: Uint8Array.of(1, 2, 3) }, { data: Uint8Array.of(4, 5) }, WR(2), WR(3)]);
  const c = q.pop()!;
  assert.deepEqual([...c.readBytes(ram, 1, 10)], [2, 3, 4, 5]);
  assert.equal(c.writeBytes(ram, 1, Uint8Array.of(9, 8, 7, 6, 5)), 4);
  assert.deepEqual([...dq.written(head)], [0, 9, 8, 7, 6]);
});

test('used ring entries and used.idx are written in order, wrapping', () => {
  const { dq, q } = rig(4);
  for (let round = 0; round < 10; round++) {
    const h = dq.add([WR(4)]);
    const c = q.pop()!;
    assert.equal(c.head, h);
    q.push(c.head, 4);
    assert.deepEqual(dq.takeUsed(), [{ id: h, len: 4 }]);
  }
  assert.equal(dq.usedIdx(), 10);
});

test('without EVENT_IDX, NO_INTERRUPT suppresses interrupts', () => {
  const { dq, q } = rig();
  dq.add([WR(1)]);
  q.push(q.pop()!.head, 1);
  assert.equal(q.needsInterrupt(), true);
  assert.equal(q.needsInterrupt(), false, 'nothing new since the last check');
  dq.setAvailFlags(VIRTQ_AVAIL_F_NO_INTERRUPT);
  dq.add([WR(1)]);
  q.push(q.pop()!.head, 1);
  assert.equal(q.needsInterrupt(), false);
});

test('with EVENT_IDX, an interrupt is wanted only when used.idx passes used_event', () => {
  const { dq, q } = rig(8, { eventIdx: true });
  dq.setUsedEvent(2); // interrupt when the entry with index 2 is used
  for (let i = 0; i < 4; i++) dq.add([WR(1)]);
  q.push(q.pop()!.head, 1); // used idx 1
  assert.equal(q.needsInterrupt(), false);
  q.push(q.pop()!.head, 1); // used idx 2
  assert.equal(q.needsInterrupt(), false);
  q.push(q.pop()!.head, 1); // used idx 3: entry 2 used
  assert.equal(q.needsInterrupt(), true);
  q.push(q.pop()!.head, 1);
  assert.equal(q.needsInterrupt(), false);
});

test('with EVENT_IDX, avail_event follows the next avail index the device will read', () => {
  const { dq, q } = rig(8, { eventIdx: true });
  dq.add([WR(1)]);
  dq.add([WR(1)]);
  q.pop();
  assert.equal(dq.availEvent(), 1);
  q.pop();
  assert.equal(q.pop(), null);
  assert.equal(dq.availEvent(), 2);
});

function expectFault(fault: QueueFault, setup: (r: ReturnType<typeof rig>) => void, size = 8, opts = {}) {
  const r = rig(size, opts);
  setup(r);
  assert.equal(r.q.pop(), null);
  assert.deepEqual(r.faults, [fault]);
  assert.equal(r.q.fault, fault);
  // A faulted queue stays quiet until reset.
  assert.equal(r.q.pop(), null);
  assert.equal(r.faults.length, 1);
}

test('a chain that loops is a fault, not a hang', () => {
  expectFault('loop', ({ dq, ram }) => {
    const b = ram.alloc(4);
    dq.writeDesc(0, b, 4, VIRTQ_DESC_F_NEXT, 1);
    dq.writeDesc(1, b, 4, VIRTQ_DESC_F_NEXT, 2);
    dq.writeDesc(2, b, 4, VIRTQ_DESC_F_NEXT, 0);
    dq.pushAvail(0);
  });
});

test('a descriptor linking to itself is a loop', () => {
  expectFault('loop', ({ dq, ram }) => {
    dq.writeDesc(3, ram.alloc(4), 4, VIRTQ_DESC_F_NEXT, 3);
    dq.pushAvail(3);
  });
});

test('a loop inside an indirect table is a fault', () => {
  expectFault('loop', ({ dq, ram }) => {
    const t = ram.alloc(32, 16);
    const b = ram.alloc(4);
    dq.writeDesc(0, b, 4, VIRTQ_DESC_F_NEXT, 1, t);
    dq.writeDesc(1, b, 4, VIRTQ_DESC_F_NEXT, 0, t);
    dq.writeDesc(0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    dq.pushAvail(0);
  });
});

test('a head index beyond the queue is a fault', () => {
  expectFault('head-index', ({ dq }) => dq.pushAvail(8));
});

test('a next index beyond the queue is a fault', () => {
  expectFault('next-index', ({ dq, ram }) => {
    dq.writeDesc(0, ram.alloc(4), 4, VIRTQ_DESC_F_NEXT, 200);
    dq.pushAvail(0);
  });
});

test('avail.idx running more than a queue ahead is a fault', () => {
  expectFault('avail-index', ({ dq, ram }) => {
    dq.writeDesc(0, ram.alloc(4), 4, 0, 0);
    ram.writeU16(dq.avail + 2, 9);
  });
});

test('an indirect table inside an indirect table is a fault', () => {
  expectFault('nested-indirect', ({ dq, ram }) => {
    const t = ram.alloc(16, 16);
    dq.writeDesc(0, t, 16, VIRTQ_DESC_F_INDIRECT, 0, t);
    dq.writeDesc(0, t, 16, VIRTQ_DESC_F_INDIRECT, 0);
    dq.pushAvail(0);
  });
});

test('a zero-length indirect table is a fault', () => {
  expectFault('indirect-size', ({ dq, ram }) => {
    dq.writeDesc(0, ram.alloc(16, 16), 0, VIRTQ_DESC_F_INDIRECT, 0);
    dq.pushAvail(0);
  });
});

test('an indirect table whose length is not a multiple of 16 is a fault', () => {
  expectFault('indirect-size', ({ dq, ram }) => {
    dq.writeDesc(0, ram.alloc(32, 16), 24, VIRTQ_DESC_F_INDIRECT, 0);
    dq.pushAvail(0);
  });
});

test('an indirect table of more than VIRTQ_MAX_INDIRECT entries is a fault', () => {
  expectFault('indirect-size', ({ dq, ram }) => {
    dq.writeDesc(0, ram.alloc(16, 16), 16 * (VIRTQ_MAX_INDIRECT + 1), VIRTQ_DESC_F_INDIRECT, 0);
    dq.pushAvail(0);
  });
});

test('a direct chain can be as long as the queue; one descriptor more must revisit one and is a loop', () => {
  const ok = rig(4);
  const b = ok.ram.alloc(4);
  for (let i = 0; i < 4; i++) ok.dq.writeDesc(i, b, 4, i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
  ok.dq.pushAvail(0);
  assert.equal(ok.q.pop()?.readable.length, 4);
  expectFault(
    'loop',
    ({ dq, ram }) => {
      const b2 = ram.alloc(4);
      for (let i = 0; i < 4; i++) dq.writeDesc(i, b2, 4, VIRTQ_DESC_F_NEXT, (i + 1) % 4);
      dq.pushAvail(0);
    },
    4,
  );
});

test('INDIRECT together with NEXT is a fault', () => {
  expectFault('indirect-with-next', ({ dq, ram }) => {
    const t = ram.alloc(16, 16);
    dq.writeDesc(0, ram.alloc(4), 4, 0, 0, t);
    dq.writeDesc(0, t, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    dq.pushAvail(0);
  });
});

test('INDIRECT without VIRTIO_F_INDIRECT_DESC is a fault', () => {
  expectFault(
    'indirect-not-negotiated',
    ({ dq }) => {
      dq.add([RD(4)], { indirect: true });
    },
    8,
    { indirect: false },
  );
});

test('an indirect table outside RAM is a fault', () => {
  expectFault('indirect-memory', ({ dq }) => {
    dq.writeDesc(0, 0x1000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    dq.pushAvail(0);
  });
});

test('a buffer outside RAM is a fault', () => {
  expectFault('buffer-memory', ({ dq }) => {
    dq.writeDesc(0, TEST_RAM_BASE + (1 << 20) - 2, 4, VIRTQ_DESC_F_WRITE, 0);
    dq.pushAvail(0);
  });
});

test('a buffer at a 64-bit address far above RAM is a fault', () => {
  expectFault('buffer-memory', ({ dq }) => {
    dq.writeDesc(0, 2 ** 63, 4, 0, 0);
    dq.pushAvail(0);
  });
});

test('a readable buffer after a writable one is a fault', () => {
  expectFault('order', ({ dq }) => {
    dq.add([WR(4), RD(4)]);
  });
});

test('configure refuses a queue size that is not a power of two', () => {
  const ram = new TestRam();
  const q = new Virtqueue(0, 256);
  q.size = 100;
  q.descLo = ram.alloc(16 * 128, 16);
  q.driverLo = ram.alloc(512, 2);
  q.deviceLo = ram.alloc(2048, 4);
  assert.match(q.configure(ram, false, false, () => {}) ?? '', /power of two/);
  q.size = 512;
  assert.match(q.configure(ram, false, false, () => {}) ?? '', /power of two/);
  q.size = 0;
  assert.match(q.configure(ram, false, false, () => {}) ?? '', /power of two/);
});

test('configure refuses misaligned rings and rings outside RAM', () => {
  const ram = new TestRam();
  const q = new Virtqueue(0, 16);
  q.descLo = TEST_RAM_BASE + 8;
  q.driverLo = TEST_RAM_BASE + 0x1000;
  q.deviceLo = TEST_RAM_BASE + 0x2000;
  assert.match(q.configure(ram, false, false, () => {}) ?? '', /misaligned/);
  q.descLo = 0x1000;
  assert.match(q.configure(ram, false, false, () => {}) ?? '', /not in RAM/);
});

test('a zero-length direct buffer is accepted', () => {
  const { dq, q } = rig();
  dq.add([RD(0), WR(0)]);
  const c = q.pop();
  assert.ok(c);
  assert.equal(c.readableLength + c.writableLength, 0);
});

test('queue state round-trips and is validated', () => {
  const { dq, q } = rig();
  dq.add([WR(1)]);
  q.push(q.pop()!.head, 1);
  const s = q.saveState();
  const parsed = parseQueueState(256, JSON.parse(JSON.stringify(s)), 'q');
  assert.deepEqual(parsed, s);
  assert.throws(() => parseQueueState(256, { ...s, usedIdx: 70000 }, 'q'), /q\.usedIdx/);
  assert.throws(() => parseQueueState(256, { ...s, desc: [1] }, 'q'), /q\.desc/);
  assert.throws(() => parseQueueState(256, { ...s, size: 100 }, 'q'), /q\.size/);
  assert.throws(() => parseQueueState(256, { ...s, fault: 'nope' }, 'q'), /q\.fault/);
});

// ---------------------------------------------------------------- properties

interface RawDesc {
  addrKind: number;
  off: number;
  len: number;
  flags: number;
  next: number;
}

const rawDesc = fc.record({
  addrKind: fc.nat(9),
  off: fc.nat(4096),
  len: fc.oneof(fc.nat(64), fc.constantFrom(0, 16, 32, 48, 4096, 0xffff_ffff)),
  flags: fc.nat(7),
  next: fc.oneof(fc.nat(16), fc.nat(0xffff)),
});

/** Writes a hostile descriptor: addresses inside the data area, the indirect area, outside RAM or huge. */
function place(dq: DriverQueue, i: number, d: RawDesc, dataArea: number, tableArea: number, table?: number): void {
  const addr =
    d.addrKind < 5 ? dataArea + d.off : d.addrKind < 8 ? tableArea + 16 * (d.off % 8) : d.addrKind === 8 ? d.off : 2 ** 40 + d.off;
  dq.writeDesc(i, addr, d.len, d.flags, d.next, table);
}

test('property: hostile descriptor tables never make pop throw or hang, and what it returns is sound', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 4, 8, 16),
      fc.array(rawDesc, { minLength: 16, maxLength: 16 }),
      fc.array(rawDesc, { minLength: 8, maxLength: 8 }),
      fc.array(fc.nat(20), { minLength: 0, maxLength: 24 }),
      fc.boolean(),
      fc.boolean(),
      (size, descs, tableDescs, heads, eventIdx, indirect) => {
        const r = rig(size, { eventIdx, indirect });
        const dataArea = r.ram.alloc(8192, 16);
        const tableArea = r.ram.alloc(16 * 8, 16);
        for (let i = 0; i < size; i++) place(r.dq, i, descs[i]!, dataArea, tableArea);
        for (let i = 0; i < 8; i++) place(r.dq, i, tableDescs[i]!, dataArea, tableArea, tableArea);
        const pending = Math.min(heads.length, size);
        for (const h of heads.slice(0, pending)) r.dq.pushAvail(h);
        let popped = 0;
        for (let guard = 0; guard < 100; guard++) {
          const c = r.q.pop();
          if (c === null) break;
          popped++;
          assert.ok(c.head < size);
          for (const s of [...c.readable, ...c.writable]) {
            if (s.len > 0) assert.ok(r.ram.contains(s.addr, s.len), 'every segment is in RAM');
          }
          r.q.push(c.head, Math.min(c.writableLength, 0xffff_ffff));
        }
        assert.ok(popped <= pending);
        assert.ok(r.faults.length <= 1);
        // The used ring holds exactly the popped chains.
        const used = r.dq.takeUsed();
        assert.equal(used.length, popped);
        if (r.faults.length === 0) assert.equal(popped, pending);
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: valid chains built by the driver all come back intact, direct or indirect', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          reads: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }),
          writes: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }),
          indirect: fc.boolean(),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      (chains) => {
        const r = rig(8, { eventIdx: true });
        for (const ch of chains) {
          const bufs = [...ch.reads.map((n) => RD(n)), ...ch.writes.map((n) => WR(n))];
          if (bufs.length === 0) bufs.push(WR(1));
          const head = r.dq.add(bufs, { indirect: ch.indirect });
          const c = r.q.pop();
          assert.ok(c);
          assert.equal(c.head, head);
          assert.equal(c.readable.length, bufs.filter((b) => 'data' in b).length);
          r.q.push(c.head, c.writableLength);
          assert.deepEqual(r.dq.takeUsed(), [{ id: head, len: c.writableLength }]);
        }
        assert.deepEqual(r.faults, []);
      },
    ),
    { numRuns: 500 },
  );
});
