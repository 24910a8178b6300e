import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TestDriver } from './fake-driver.js';
import { VIRTIO_STATUS as S, featureBit } from './device.js';
import { VIRTIO_MMIO_INT, VIRTIO_MMIO_REG as R } from './mmio-transport.js';
import { VIRTIO_CONSOLE_CONFIG as C, VIRTIO_CONSOLE_F as F, VIRTIO_CONSOLE_MAX_TX, VirtioConsole, type VirtioConsoleConfig } from './console.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT } from './queue.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function rig(extra: Partial<VirtioConsoleConfig> = {}, queueSize?: number) {
  const out: Uint8Array[] = [];
  let spaces = 0;
  const con = new VirtioConsole({ output: (d) => out.push(d.slice()), onRxSpace: () => spaces++, ...(queueSize ? { queueSize } : {}), ...extra });
  const d = TestDriver.up(con);
  return { con, d, out, spaces: () => spaces, text: () => dec(Uint8Array.from(out.flatMap((b) => [...b]))) };
}

test('virtio-console is device 3 with a receive and a transmit queue, one port', () => {
  const { d } = rig();
  assert.equal(d.r(R.deviceId), 3);
  d.w(R.queueSel, 1);
  assert.equal(d.r(R.queueNumMax), 64);
  d.w(R.queueSel, 2);
  assert.equal(d.r(R.queueNumMax), 0);
  assert.equal(d.transport.read(R.config + C.maxNrPorts, 4), 1);
});

test('guest output on the transmit queue goes to the output callback, in order', () => {
  const { d, text } = rig();
  d.request(1, [{ data: enc('hello ') }]);
  const { used } = d.request(1, [{ data: enc('wor') }, { data: enc('ld') }], { indirect: true });
  assert.equal(text(), 'hello world');
  assert.equal(used[0]!.len, 0);
  assert.equal(d.irq.level, true);
});

test('host input fills posted receive buffers, and used lengths say how much', () => {
  const { con, d } = rig();
  const q = d.queue(0);
  const h1 = q.add([{ writable: 4 }]);
  const h2 = q.add([{ writable: 16 }]);
  q.notify();
  assert.equal(con.receive(enc('abcdefg')), 7);
  assert.deepEqual(q.takeUsed(), [
    { id: h1, len: 4 },
    { id: h2, len: 3 },
  ]);
  assert.equal(dec(q.written(h1)), 'abcd');
  assert.equal(dec(q.written(h2).subarray(0, 3)), 'efg');
  assert.equal(d.irq.level, true);
});

test('input with no receive buffers is refused, then onRxSpace fires when the guest posts one', () => {
  const { con, d, spaces } = rig();
  assert.equal(con.canReceive(), false);
  assert.equal(con.receive(enc('xyz')), 0);
  assert.equal(spaces(), 0);
  const q = d.queue(0);
  q.add([{ writable: 2 }]);
  q.notify();
  assert.equal(spaces(), 1);
  assert.equal(con.canReceive(), true);
  assert.equal(con.receive(enc('xyz')), 2, 'backpressure: only what fits');
  q.add([{ writable: 8 }]);
  q.notify();
  assert.equal(spaces(), 2);
  assert.equal(con.receive(enc('z')), 1);
});

test('with EVENT_IDX the guest is asked to notify when it posts a buffer after the device ran dry', () => {
  const { con, d } = rig();
  const q = d.queue(0);
  assert.equal(con.receive(enc('a')), 0);
  // The device looked at the ring and found it empty: avail_event now equals avail.idx.
  assert.equal(q.availEvent(), q.availIdx);
});

test('input before DRIVER_OK is refused; onRxSpace fires once the driver is up with buffers', () => {
  let spaces = 0;
  const con = new VirtioConsole({ output: () => {}, onRxSpace: () => spaces++ });
  assert.equal(con.receive(enc('early')), 0);
  const d = new TestDriver(con);
  d.init();
  const q = d.queue(0);
  q.add([{ writable: 8 }]);
  q.notify();
  assert.equal(spaces, 1);
  assert.equal(con.receive(enc('early')), 5);
});

test('a receive buffer with no writable bytes is returned empty and counted', () => {
  const { con, d } = rig();
  const q = d.queue(0);
  q.add([{ data: enc('?') }]);
  q.add([{ writable: 4 }]);
  q.notify();
  assert.equal(con.receive(enc('ok')), 2);
  assert.deepEqual(q.takeUsed().map((u) => u.len), [0, 2]);
  assert.equal(d.transport.errorCounts()['console-malformed'], 1);
});

test('a transmit chain longer than VIRTIO_CONSOLE_MAX_TX is cut there and counted', () => {
  const out: number[] = [];
  const con = new VirtioConsole({ output: (b) => out.push(b.length) });
  const d = TestDriver.up(con, { ramSize: 4 << 20 });
  // An indirect table repeating one 1 MiB buffer: 2 MiB of "output" from 1 MiB of RAM.
  const q = d.queue(1);
  const buf = d.ram.alloc(1 << 20);
  const table = d.ram.alloc(32, 16);
  q.writeDesc(0, buf, 1 << 20, VIRTQ_DESC_F_NEXT, 1, table);
  q.writeDesc(1, buf, 1 << 20, 0, 0, table);
  q.writeDesc(0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
  q.pushAvail(0);
  q.notify();
  assert.deepEqual(out, [VIRTIO_CONSOLE_MAX_TX]);
  assert.equal(d.transport.errorCounts()['console-oversize'], 1);
  assert.deepEqual(q.takeUsed(), [{ id: 0, len: 0 }]);
});

test('emerg_wr outputs a byte; it reads as 0', () => {
  const { d, text } = rig();
  assert.ok(d.features & featureBit(F.emergWrite));
  d.transport.write(R.config + C.emergWr, 4, 0x21);
  assert.equal(text(), '!');
  assert.equal(d.transport.read(R.config + C.emergWr, 4), 0);
});

test('with a size, F_SIZE is offered and setSize raises a configuration change', () => {
  const { con, d } = rig({ size: { cols: 80, rows: 24 } });
  assert.ok(d.features & featureBit(F.size));
  assert.equal(d.transport.read(R.config + C.cols, 2), 80);
  assert.equal(d.transport.read(R.config + C.rows, 2), 24);
  const gen = d.r(R.configGeneration);
  con.setSize(132, 50);
  assert.equal(d.transport.read(R.config + C.cols, 2), 132);
  assert.equal(d.r(R.configGeneration), gen + 1);
  assert.equal(d.r(R.interruptStatus) & VIRTIO_MMIO_INT.config, VIRTIO_MMIO_INT.config);
  assert.throws(() => rig().con.setSize(1, 1), /without a size/);
});

test('state round-trips; bad state is rejected naming the field', () => {
  const { d } = rig({ size: { cols: 100, rows: 40 } });
  const s = JSON.parse(JSON.stringify(d.transport.saveState()));
  const { d: d2 } = rig({ size: { cols: 1, rows: 1 } });
  d2.transport.restoreState(s);
  assert.equal(d2.transport.read(R.config + C.cols, 2), 100);
  assert.throws(() => d2.transport.restoreState({ ...s, device: { cols: 1, rows: -1 } }), /rows/);
});

test('config is validated', () => {
  assert.throws(() => new VirtioConsole({} as never), /output/);
  assert.throws(() => new VirtioConsole({ output: () => {}, queueSize: 6 }), /queueSize/);
  assert.throws(() => new VirtioConsole({ output: () => {}, size: { cols: 70000, rows: 1 } }), /cols/);
});

test('property: random interleavings of host input, guest buffers and guest output lose nothing and never throw', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('post' as const), len: fc.integer({ min: 0, max: 8 }), indirect: fc.boolean() }),
          fc.record({ op: fc.constant('input' as const), text: fc.string({ maxLength: 12 }) }),
          fc.record({ op: fc.constant('output' as const), text: fc.string({ maxLength: 12 }) }),
        ),
        { maxLength: 60 },
      ),
      (ops) => {
        const { con, d, text } = rig({}, 8);
        const rx = d.queue(0);
        let pending = new Uint8Array(0);
        let delivered: number[] = [];
        const outText: string[] = [];
        for (const o of ops) {
          if (o.op === 'post') {
            if (((rx.availIdx - rx.lastUsed) & 0xffff) >= 8) continue;
            rx.add([{ writable: Math.max(1, o.len) }], { indirect: o.indirect });
            rx.notify();
          } else if (o.op === 'input') {
            const b = enc(o.text);
            const merged = new Uint8Array(pending.length + b.length);
            merged.set(pending);
            merged.set(b, pending.length);
            const n = con.receive(merged);
            pending = merged.subarray(n);
          } else {
            d.request(1, [{ data: enc(o.text) }]);
            outText.push(o.text);
          }
          for (const u of rx.takeUsed()) delivered = delivered.concat([...rx.written(u.id).subarray(0, u.len)]);
        }
        assert.equal(text(), outText.join(''));
        // Everything offered was either delivered, in order, or is still pending on the host side.
        const all = ops.filter((o) => o.op === 'input').map((o) => (o as { text: string }).text).join('');
        assert.deepEqual([...delivered, ...pending], [...enc(all)]);
        assert.equal(d.status() & S.deviceNeedsReset, 0);
      },
    ),
    { numRuns: 1000 },
  );
});
